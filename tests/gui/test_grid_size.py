"""The grid uses the screen: its thumbnail size follows a slider and Ctrl++ / Ctrl+- / Ctrl+0 and is remembered,
its columns fill the width at any window size, the docks leave the grid the larger part, and a caption cut in its
cell is whole in the cell's tooltip."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

pytest.importorskip("pytestqt")
from PySide6.QtCore import QEvent, QSize, Qt  # noqa: E402
from PySide6.QtGui import QColor, QHelpEvent, QPixmap, QStandardItem, QStandardItemModel  # noqa: E402
from PySide6.QtWidgets import QApplication, QDockWidget, QListView, QToolTip  # noqa: E402

from photoscribe.config import config_path  # noqa: E402
from photoscribe.gui.grid_size import DEFAULT, LARGEST, SMALLEST, thumb_for  # noqa: E402
from photoscribe.gui.grid_view import configure, make_grid, spread_columns  # noqa: E402
from photoscribe.gui.photo_delegate import CELL_ROLE, Cell, cell_size, fitted_size  # noqa: E402
from photoscribe.gui.thumbnails import ThumbnailCache  # noqa: E402
from tests.gui.common import WAIT_MS, captioned_window, close_window, row_of, select  # noqa: E402
from tests.helpers import save_colour  # noqa: E402
from tests.tiny_blip import COLOURS  # noqa: E402

PHOTOS = 40
LONG = (
    "a red wall beside a blue car under a cloudy sky near the old harbour at dusk, with fishing boats, gulls on the"
    " quay and the lights of the town coming on one by one"
)


@pytest.fixture
def window_of_40(qtbot, open_window, tmp_path: Path):  # type: ignore[no-untyped-def]
    """A window at the default size showing 40 captioned photos."""
    folder = tmp_path / "shoot"
    for i in range(PHOTOS):
        save_colour(folder / f"DSC_{i:03d}.jpg", list(COLOURS)[i % 4])
    window = captioned_window(qtbot, open_window, folder, count=PHOTOS)
    window.resize(1280, 800)
    return window


def first_row(grid: QListView) -> list[int]:
    """The left edges of the cells in the grid's first row."""
    model = grid.model()
    grid.executeDelayedItemsLayout()
    top = grid.visualRect(model.index(0, 0)).top()
    rects = [grid.visualRect(model.index(row, 0)) for row in range(model.rowCount())]
    return [rect.left() for rect in rects if rect.top() == top]


def columns(grid: QListView) -> int:
    return len(first_row(grid))


def press(qtbot, window, key: Qt.Key) -> None:  # type: ignore[no-untyped-def]
    """Press Ctrl+``key`` in the grid, as the user would."""
    window.activateWindow()
    window.grid.setFocus()
    qtbot.keyClick(window.grid, key, Qt.KeyboardModifier.ControlModifier)


def test_the_slider_and_ctrl_plus_minus_change_the_cell_size_and_the_columns(qtbot, window_of_40) -> None:  # type: ignore[no-untyped-def]
    window = window_of_40
    grid, slider = window.grid, window.grid_size.slider
    qtbot.waitUntil(lambda: grid.gridSize().height() == cell_size(thumb_for(DEFAULT)).height())
    default_columns, default_cell = columns(grid), grid.gridSize()
    assert default_columns >= 3

    press(qtbot, window, Qt.Key.Key_Plus)
    assert slider.value() > DEFAULT
    assert grid.gridSize().height() > default_cell.height() and grid.iconSize().width() == slider.value()
    assert columns(grid) < default_columns  # larger cells: fewer of them in a row

    for _ in range(8):  # Ctrl+- down to the smallest size
        press(qtbot, window, Qt.Key.Key_Minus)
    assert slider.value() == SMALLEST
    assert grid.gridSize().height() == cell_size(thumb_for(SMALLEST)).height() < default_cell.height()
    assert columns(grid) > default_columns

    press(qtbot, window, Qt.Key.Key_0)
    assert slider.value() == DEFAULT and grid.gridSize() == default_cell and columns(grid) == default_columns

    slider.setFocus()
    qtbot.keyClick(slider, Qt.Key.Key_End)  # the slider as far as it goes
    assert slider.value() == LARGEST
    assert grid.gridSize().height() == cell_size(thumb_for(LARGEST)).height()
    assert columns(grid) < default_columns


def test_thumbnails_shown_are_fitted_again_for_the_new_size(qtbot, window_of_40) -> None:  # type: ignore[no-untyped-def]
    window = window_of_40
    first = window.model.record(0)
    qtbot.waitUntil(lambda: window.thumbnails.fitted(first.id) is not None, timeout=WAIT_MS)
    old = window.thumbnails.fitted(first.id)
    window.grid_size.set_thumb_width(LARGEST)
    thumb = thumb_for(LARGEST)
    assert window.thumbnails.fitted(first.id).size() == old.size()  # painted scaled until it is fitted again
    wanted = fitted_size(window.thumbnails.loaded(first.id).size(), thumb)
    assert wanted.width() > old.width() + 100
    qtbot.waitUntil(lambda: getattr(window.thumbnails.fitted(first.id), "size", QSize)() == wanted, timeout=WAIT_MS)


def test_a_thumbnail_fitted_for_an_earlier_size_is_fitted_again_when_shown(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    photo = tmp_path / "wide.jpg"
    Image.new("RGB", (640, 240), "red").save(photo, quality=90)
    cache = ThumbnailCache(tmp_path / "thumbs", fit=thumb_for(DEFAULT))
    cache.get(1, str(photo), photo.stat().st_size, "k")
    qtbot.waitUntil(lambda: cache.fitted(1) is not None, timeout=WAIT_MS)
    small = thumb_for(SMALLEST)
    cache.set_fit(small)
    assert cache.fitted(1).width() == DEFAULT  # the one at hand, while it is fitted again (asked for by showing it)
    qtbot.waitUntil(lambda: cache.fitted(1).width() == SMALLEST, timeout=WAIT_MS)
    full, fitted = cache.loaded(1), cache.fitted(1)
    assert fitted.size() == fitted_size(full.size(), small)
    assert cache.memory_used() == full.sizeInBytes() + fitted.sizeInBytes()  # the larger one let go
    cache.shutdown()


def test_the_size_is_remembered_in_a_new_window(qtbot, open_window, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    first = open_window()
    first.grid_size.set_thumb_width(280)
    close_window(qtbot, first)
    state = config_path().with_name("window.ini")
    qtbot.waitUntil(lambda: state.exists() and "thumbnail_width=280" in state.read_text())  # on disk
    second = open_window()
    assert second.grid_size.thumb_width() == second.grid_size.slider.value() == 280
    assert second.grid.gridSize().height() == cell_size(thumb_for(280)).height()
    assert second.thumbnails.fit == thumb_for(280)


@pytest.mark.parametrize("size", [QSize(1280, 800), QSize(1600, 1000)])
def test_the_columns_fill_the_width_and_the_details_leave_the_grid_the_larger_part(
    qtbot, window_of_40, size: QSize
) -> None:  # type: ignore[no-untyped-def]
    window = window_of_40
    window.resize(size)
    grid = window.grid
    qtbot.waitUntil(lambda: grid.verticalScrollBar().isVisible())  # (40 photos are more than a screen)
    select(window, window.model.record(0).path)  # type: ignore[arg-type]
    QApplication.processEvents()
    cell = grid.gridSize()
    lefts = first_row(grid)
    leftover = grid.viewport().width() - len(lefts) * cell.width()
    assert lefts == [n * cell.width() for n in range(len(lefts))]  # evenly spread
    assert grid.visualRect(window.model.index(1)).width() == cell.width()  # each cell painted as wide as spread
    assert 0 <= leftover <= len(lefts)  # no strip beside the columns: a pixel a column at most
    assert cell.width() >= cell_size(thumb_for(DEFAULT)).width()  # (widened, never narrowed)
    docks = {dock.objectName(): dock for dock in window.findChildren(QDockWidget)}
    details, folders = docks["Details"].width(), docks["Folders"].width()
    assert details < grid.width() and folders < details
    assert folders <= 240 and grid.width() >= size.width() * 0.54  # Folders compact, the grid the larger part
    assert folders + details + grid.width() <= size.width()
    preview = window.details.preview
    qtbot.waitUntil(lambda: preview.pixmap() is not None and not preview.pixmap().isNull(), timeout=WAIT_MS)
    assert preview.pixmap().width() == preview.width() >= window.details.width() - 30  # fills the panel's width


def test_the_grid_paints_any_size_exactly_as_qlistview_would(qtbot) -> None:  # type: ignore[no-untyped-def]
    model = QStandardItemModel()
    thumbnail = QPixmap(fitted_size(QSize(256, 170)))
    thumbnail.fill(QColor("#808080"))
    for i in range(300):
        item = QStandardItem()
        item.setData(Cell(f"photo {i} of a red wall", "queued" if i % 3 else "", "", thumbnail), CELL_ROLE)
        model.appendRow(item)
    grid, plain = make_grid(model), configure(QListView(), model)
    for width, thumb_width, scrolled in ((1000, SMALLEST, 500), (777, LARGEST, 1500), (1500, 250, 99_999)):
        for view in (grid, plain):
            view.resize(width, 700)
            spread_columns(view, thumb_for(thumb_width))
            view.show()
            qtbot.waitExposed(view)
            view.verticalScrollBar().setValue(scrolled)
        assert grid.gridSize().height() == cell_size(thumb_for(thumb_width)).height()
        shown = grid.viewport().grab().toImage()
        assert shown == plain.viewport().grab().toImage(), f"{width} wide, thumbnails {thumb_width} wide"


def test_a_long_caption_is_cut_in_its_cell_and_whole_in_the_cells_tooltip(qtbot, window_of_40) -> None:  # type: ignore[no-untyped-def]
    window = window_of_40
    photo = Path(window.model.record(2).path)
    window.edit_caption(str(photo), LONG)
    row = row_of(window, photo)
    qtbot.waitUntil(lambda: window.model.index(row).data(Qt.ItemDataRole.DisplayRole) == LONG, timeout=WAIT_MS)
    grid = window.grid
    grid.scrollTo(window.model.index(row))
    grid.viewport().grab()  # painted
    painted = grid.itemDelegate()._texts[LONG].text()  # the caption as laid out in the cell
    assert painted.endswith("…") and len(painted) < len(LONG)
    centre = grid.visualRect(window.model.index(row)).center()
    viewport = grid.viewport()
    QApplication.sendEvent(viewport, QHelpEvent(QEvent.Type.ToolTip, centre, viewport.mapToGlobal(centre)))  # hover
    qtbot.waitUntil(lambda: QToolTip.isVisible())
    assert LONG in QToolTip.text().split("\n")
