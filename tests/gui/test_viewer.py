"""The full-window viewer: Space (or a double-click, or Photos > View) shows the current photo decoded for the
screen with its caption, the keys move through the grid's photos and the grid follows, a burst of keys decodes only
the photo it ends on, an unreadable file says why, every format is decoded upright and fitted to the screen, and
viewing never changes a file."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

pytest.importorskip("pytestqt")
from PySide6.QtCore import QPoint, QSize, Qt  # noqa: E402
from PySide6.QtGui import QColor  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from photoscribe.gui.viewer import BACKGROUND, Showing, decode_for_screen  # noqa: E402
from tests.gui.common import WAIT_MS, captioned_window, row_of  # noqa: E402
from tests.tiny_blip import COLOURS, colour_image  # noqa: E402

PHOTO_SIZE = QSize(1200, 800)


@pytest.fixture
def big_photos(tmp_path: Path) -> dict[Path, str]:
    """Six 1200 × 800 photos of plain colours (bigger than a thumbnail: the decoded picture is told apart)."""
    folder = tmp_path / "shoot"
    folder.mkdir()
    photos = {}
    for i in range(6):
        colour = list(COLOURS)[i % 4]
        path = folder / f"DSC_{i:03d}.jpg"
        colour_image(colour, size=(PHOTO_SIZE.width(), PHOTO_SIZE.height())).save(path, quality=92)
        photos[path] = colour
    return photos


def near(colour: QColor, name: str, tolerance: int = 12) -> bool:
    expected = COLOURS[name]
    return all(abs(a - b) <= tolerance for a, b in zip((colour.red(), colour.green(), colour.blue()), expected))


def files(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(folder.iterdir())}


def in_grid(window, row: int) -> None:  # type: ignore[no-untyped-def]
    """The keyboard in the grid, ``row`` current, as after clicking it."""
    window.activateWindow()
    window.grid.setFocus()
    window.grid.setCurrentIndex(window.model.index(row))


def double_click(qtbot, widget, pos: QPoint) -> None:  # type: ignore[no-untyped-def]
    """A double-click as the window system sends it (QTest's alone is only the second press)."""
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton, pos=pos)
    qtbot.mouseDClick(widget, Qt.MouseButton.LeftButton, pos=pos)


def shows_photo(qtbot, window, row: int, photos: dict[Path, str]) -> None:  # type: ignore[no-untyped-def]
    """The viewer shows the photo at ``row`` of the grid, decoded for the screen, and the grid follows."""
    viewer, model = window.viewer, window.model
    path = Path(model.record(row).path)
    assert viewer.isVisible() and viewer.row == row and viewer.record.path == str(path)
    assert window.grid.currentIndex().row() == row
    qtbot.waitUntil(lambda: viewer.showing is Showing.PHOTO, timeout=WAIT_MS)
    screen = viewer.screen()
    fit = screen.size() * screen.devicePixelRatio()
    fits = PHOTO_SIZE.width() <= fit.width() and PHOTO_SIZE.height() <= fit.height()
    expected = PHOTO_SIZE if fits else PHOTO_SIZE.scaled(fit, Qt.AspectRatioMode.KeepAspectRatio)
    image = viewer.picture.image
    assert image.size() == expected and image.width() > 256  # decoded for the screen, not the thumbnail
    assert near(image.pixelColor(image.width() // 2, image.height() // 2), photos[path])
    shown = viewer.picture.shown_rect()  # as large as fits, aspect kept
    area = viewer.picture.size()
    assert shown.width() == area.width() or shown.height() == area.height()
    assert abs(shown.width() / shown.height() - 1.5) < 0.02
    painted = viewer.picture.grab().toImage()
    assert near(painted.pixelColor(shown.center()), photos[path])
    beside = QPoint(0, area.height() // 2) if shown.left() > 0 else QPoint(area.width() // 2, 0)
    assert painted.pixelColor(beside) == BACKGROUND  # (the photo is centred on the background)
    assert viewer.caption.text() == f"a photo of a {photos[path]} wall"
    assert viewer.info.text().split() == [path.name, str(row + 1), "of", str(len(photos))]


def test_space_shows_the_photo_and_the_keys_move_through_the_grid(qtbot, open_window, big_photos) -> None:  # type: ignore[no-untyped-def]
    folder = next(iter(big_photos)).parent
    window = captioned_window(qtbot, open_window, folder, count=6)
    before = files(folder)
    viewer, grid = window.viewer, window.grid
    in_grid(window, 2)
    assert not viewer.isVisible()
    qtbot.keyClick(grid, Qt.Key.Key_Space)
    assert QApplication.focusWidget() is viewer
    shows_photo(qtbot, window, 2, big_photos)
    assert viewer.geometry() == window.centralWidget().rect()  # it covers the central area
    qtbot.keyClick(viewer, Qt.Key.Key_Right)
    shows_photo(qtbot, window, 3, big_photos)
    assert window.details.record.path == viewer.record.path  # the details follow the grid's current photo
    qtbot.keyClick(viewer, Qt.Key.Key_Left)
    qtbot.keyClick(viewer, Qt.Key.Key_Up)
    shows_photo(qtbot, window, 1, big_photos)
    qtbot.keyClick(viewer, Qt.Key.Key_PageDown)
    shows_photo(qtbot, window, 2, big_photos)
    qtbot.keyClick(viewer, Qt.Key.Key_End)
    shows_photo(qtbot, window, 5, big_photos)
    qtbot.keyClick(viewer, Qt.Key.Key_Right)  # the last photo stays
    assert viewer.row == 5 and grid.currentIndex().row() == 5
    qtbot.keyClick(viewer, Qt.Key.Key_Home)
    shows_photo(qtbot, window, 0, big_photos)
    qtbot.keyClick(viewer, Qt.Key.Key_Down)
    qtbot.keyClick(viewer, Qt.Key.Key_Escape)
    assert not viewer.isVisible() and grid.currentIndex().row() == 1  # the grid is on the photo last viewed
    assert QApplication.focusWidget() is grid and grid.selectionModel().isSelected(window.model.index(1))

    index = window.model.index(4)
    double_click(qtbot, grid.viewport(), grid.visualRect(index).center())
    shows_photo(qtbot, window, 4, big_photos)
    qtbot.keyClick(viewer, Qt.Key.Key_Space)  # Space closes too
    assert not viewer.isVisible() and grid.currentIndex().row() == 4
    view = next(a for a in window.review.actions if a.text().startswith("&View"))
    view.trigger()  # Photos > View
    shows_photo(qtbot, window, 4, big_photos)
    double_click(qtbot, viewer.picture, viewer.picture.rect().center())  # and a double-click
    assert not viewer.isVisible() and grid.currentIndex().row() == 4
    qtbot.keyClick(grid, Qt.Key.Key_Space)
    window.details.caption.setFocus()  # the details panel beside it: the viewer stays
    assert viewer.isVisible()
    next(a for a in window.actions() if a.text() == "Find").trigger()  # Ctrl+F: the search bar under it
    assert not viewer.isVisible() and QApplication.focusWidget() is window.search
    assert files(folder) == before  # viewing changed no file


def test_a_burst_of_keys_decodes_only_the_photo_it_ends_on_with_the_thumbnail_meanwhile(  # type: ignore[no-untyped-def]
    qtbot, open_window, big_photos
) -> None:
    window = open_window()
    told: set[str] = set()  # (the engine's news of a caption reaches the grid after the library has it, and
    window.bridge.photo_changed.connect(told.add)  # drops the photo's thumbnail: loaded again once painted)
    window.add_folder(str(next(iter(big_photos)).parent))
    qtbot.waitUntil(lambda: told == set(map(str, big_photos)) and window.model.rowCount() == 6, timeout=WAIT_MS)
    viewer, model, thumbnails = window.viewer, window.model, window.thumbnails
    ids = list(model.ids())
    qtbot.waitUntil(lambda: all(thumbnails.loaded(photo_id) is not None for photo_id in ids), timeout=WAIT_MS)
    long = "a photo of a red wall" + " with a very long story about the wall and the light on it" * 12
    window.edit_caption(model.record(5).path, long)
    in_grid(window, 0)
    qtbot.keyClick(window.grid, Qt.Key.Key_Space)
    shows_photo(qtbot, window, 0, big_photos)
    assert list(viewer.decodes_run) == [ids[0]]
    for _ in range(4):  # as fast as the keys come: no time for anything between them
        qtbot.keyClick(viewer, Qt.Key.Key_Right)
    assert viewer.row == 4 and viewer.showing is Showing.THUMBNAIL  # the thumbnail, scaled up, while it decodes
    assert viewer.picture.image is thumbnails.loaded(ids[4]) and viewer.picture.shown_rect().width() > 256
    qtbot.waitUntil(lambda: viewer.showing is Showing.PHOTO, timeout=WAIT_MS)
    assert list(viewer.decodes_run) == [ids[0], ids[4]]  # the photos passed were never decoded
    qtbot.keyClick(viewer, Qt.Key.Key_Right)
    text = viewer.caption.text()  # the caption elided to the window's width, whole in the tooltip
    assert text.endswith("…") and long.startswith(text[:-1]) and viewer.caption.toolTip() == long
    assert viewer.caption.fontMetrics().horizontalAdvance(text) <= viewer.width()
    qtbot.keyClick(viewer, Qt.Key.Key_Left)  # back to a photo decoded lately: shown at once
    assert viewer.showing is Showing.PHOTO and viewer.row == 4 and viewer.picture.image.width() > 256


def test_a_photo_that_cannot_be_read_shows_why(qtbot, open_window, samples: Path, big_photos) -> None:  # type: ignore[no-untyped-def]
    folder = next(iter(big_photos)).parent
    broken = Path(shutil.copyfile(samples / "raw" / "Nikon.nef", folder / "DSC_0099.NEF"))
    window = open_window()
    window.add_folder(str(folder))
    library = window.engine.library
    qtbot.waitUntil(lambda: library.stats().captioned == 6 and library.stats().failed == 1, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: window.model.rowCount() == 7, timeout=WAIT_MS)
    before = files(folder)
    viewer = window.viewer
    in_grid(window, row_of(window, broken))
    qtbot.keyClick(window.grid, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: viewer.showing is Showing.MESSAGE, timeout=WAIT_MS)
    message = viewer.picture.message
    assert message.startswith("This photo cannot be shown: ") and len(message) > 30 and "Traceback" not in message
    assert viewer.picture.image is None and viewer.picture.scaled() is None
    assert viewer.info.text().startswith("DSC_0099.NEF")
    qtbot.keyClick(viewer, Qt.Key.Key_Escape)
    assert not viewer.isVisible() and window.model.record(window.grid.currentIndex().row()).path == str(broken)
    assert files(folder) == before


def test_the_picture_is_decoded_upright_in_every_format_and_fitted_to_the_screen(qapp, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from pillow_heif import register_heif_opener

    register_heif_opener()
    turned = tmp_path / "turned.jpg"  # stored 120 × 80, EXIF "rotate 90° clockwise": shown 80 × 120
    image = colour_image("blue", size=(120, 80))
    exif = image.getexif()
    exif[0x0112] = 6
    image.save(turned, exif=exif, quality=92)
    heic = tmp_path / "phone.heic"
    colour_image("green", size=(120, 80)).save(heic, quality=90)
    big = tmp_path / "big.png"
    colour_image("yellow", size=(3000, 2000)).save(big)
    before = files(tmp_path)
    fit = QSize(800, 600)
    pictures = {path: decode_for_screen(str(path), fit) for path in (turned, heic, big)}
    assert pictures[turned].size() == QSize(80, 120) and near(pictures[turned].pixelColor(40, 60), "blue")
    assert pictures[heic].size() == QSize(120, 80) and near(pictures[heic].pixelColor(60, 40), "green")
    assert pictures[big].size() == QSize(800, 533) and near(pictures[big].pixelColor(400, 266), "yellow", 2)
    (tmp_path / "notes.jpg").write_text("not a photo")
    reason = decode_for_screen(str(tmp_path / "notes.jpg"), fit)
    assert isinstance(reason, str) and reason and "Traceback" not in reason
    assert {name: data for name, data in files(tmp_path).items() if name != "notes.jpg"} == before
