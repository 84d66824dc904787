"""Every format in the app: RAW and HEIC thumbnails through load_for_model, the reason an unreadable RAW file has no
preview, and a RAW+JPEG pair shown once with its badge and both file names."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

pytest.importorskip("pytestqt")

from PIL import Image  # noqa: E402
from PySide6.QtCore import QModelIndex, QRect, Qt  # noqa: E402
from PySide6.QtGui import QColor, QImage, QPainter, QPixmap, QStandardItem, QStandardItemModel  # noqa: E402
from PySide6.QtWidgets import QStyleOptionViewItem  # noqa: E402

from photoscribe.gui.photo_delegate import CELL, CELL_ROLE, PAIR_COLOUR, THUMB, Cell, PhotoDelegate  # noqa: E402
from photoscribe.gui.photo_model import PAIR_ROLE  # noqa: E402
from photoscribe.gui.thumbnails import ThumbnailCache  # noqa: E402
from tests.gui.common import WAIT_MS, row_of, select  # noqa: E402
from tests.helpers import save_colour  # noqa: E402


def test_a_cr3_and_a_heic_get_real_thumbnails_and_an_unreadable_raw_file_says_why(
    qtbot, samples: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    from pillow_heif import register_heif_opener

    register_heif_opener()
    folder = tmp_path / "card"
    folder.mkdir()
    cr3 = Path(shutil.copyfile(samples / "raw" / "Canon-R6-pruned.CR3", folder / "IMG_0001.CR3"))
    heic = folder / "IMG_0002.HEIC"
    Image.new("RGB", (120, 80), (30, 160, 60)).save(heic, quality=90)
    broken = Path(shutil.copyfile(samples / "raw" / "Nikon.nef", folder / "DSC_0003.NEF"))
    paths = [cr3, heic, broken]
    cache = ThumbnailCache(tmp_path / "cache")
    ready: set[int] = set()
    cache.ready.connect(ready.update)
    for photo_id, path in enumerate(paths):
        assert cache.get(photo_id, str(path), path.stat().st_size, "k") is None
    qtbot.waitUntil(lambda: ready == {0, 1, 2}, timeout=WAIT_MS)
    raw_thumb, heic_thumb = cache.loaded(0), cache.loaded(1)
    assert raw_thumb is not None and (raw_thumb.width(), raw_thumb.height()) == (256, 171)  # the 1620 × 1080 preview
    assert heic_thumb is not None and (heic_thumb.width(), heic_thumb.height()) == (120, 80)
    green = heic_thumb.pixelColor(60, 40)
    assert abs(green.red() - 30) < 12 and abs(green.green() - 160) < 12 and abs(green.blue() - 60) < 12
    assert cache.loaded(2) is None and cache.unreadable(2)
    reason = cache.reason(2)
    assert reason and "\n" not in reason and "Traceback" not in reason
    assert cache.no_preview_text(2) == f"no preview: {reason}"
    assert cache.no_preview_text(0) == "loading…" and cache.reason(0) is None
    cache.shutdown()


def paint_cell(pair: str) -> QImage:
    """One grid cell painted by the delegate from a real Qt model holding a plain thumbnail."""
    model = QStandardItemModel()
    item = QStandardItem()
    thumbnail = QPixmap(THUMB)
    thumbnail.fill(QColor("#808080"))
    item.setData(Cell("a photo of a green wall", "", pair, thumbnail), CELL_ROLE)
    model.appendRow(item)
    image = QImage(CELL, QImage.Format.Format_RGB32)
    image.fill(QColor("black"))
    option = QStyleOptionViewItem()
    option.rect = QRect(0, 0, CELL.width(), CELL.height())
    painter = QPainter(image)
    PhotoDelegate().paint(painter, option, model.index(0, 0, QModelIndex()))
    painter.end()
    return image


def test_the_grid_paints_a_raw_jpeg_badge_on_pairs_only(qtbot) -> None:  # type: ignore[no-untyped-def]
    plain, paired = paint_cell(""), paint_cell("RAW+JPEG")
    badge = QColor(PAIR_COLOUR).rgb()
    corner = [(x, y) for x in range(4, 80) for y in range(THUMB.height() - 20, THUMB.height() + 4)]
    assert not any(plain.pixel(x, y) == badge for x, y in corner)
    assert sum(paired.pixel(x, y) == badge for x, y in corner) > 200  # bottom left of the thumbnail
    assert paired.copy(0, 0, CELL.width(), 40) == plain.copy(0, 0, CELL.width(), 40)  # the status corner is free


def test_a_pair_shows_once_with_its_badge_and_both_names_and_an_unreadable_raw_its_reason(
    qtbot, open_window, samples: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "card"
    photo = save_colour(folder / "IMG_0001.JPG", "green")
    raw = Path(shutil.copyfile(samples / "raw" / "Canon-R6-pruned.CR3", folder / "IMG_0001.CR3"))
    broken = Path(shutil.copyfile(samples / "raw" / "Nikon.nef", folder / "DSC_0002.NEF"))
    window = open_window()
    window.add_folder(str(folder))
    library = window.engine.library
    qtbot.waitUntil(lambda: library.stats().captioned == 1 and library.stats().failed == 1, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: window.model.rowCount() == 2, timeout=WAIT_MS)
    index = window.model.index(row_of(window, photo))
    assert index.data(PAIR_ROLE) == "RAW+JPEG"
    assert window.model.index(row_of(window, broken)).data(PAIR_ROLE) == ""
    assert str(raw) in index.data(Qt.ItemDataRole.ToolTipRole)
    select(window, photo)
    qtbot.waitUntil(lambda: window.details.record is not None and window.details.record.path == str(photo))
    status = window.details.status.text()
    assert "IMG_0001.JPG" in status and "IMG_0001.CR3" in status and "RAW+JPEG" in status
    assert f"RAW: {raw}" in window.details.facts.text()
    select(window, broken)
    qtbot.waitUntil(lambda: window.details.preview.text().startswith("no preview: "), timeout=WAIT_MS)
    reason = window.thumbnails.reason(window.model.record(row_of(window, broken)).id)
    assert reason and window.details.preview.text() == f"no preview: {reason}"
    assert "DSC_0002.NEF" in window.details.status.text() and "RAW+JPEG" not in window.details.status.text()
