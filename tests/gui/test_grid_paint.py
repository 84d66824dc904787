"""Painting the grid: nothing is read from the library on the GUI thread, thumbnails are painted at the size they
were made in (fitted on a decoder thread), captions are cut to two lines. How fast a page paints is a benchmark
(benchmarks/bench_large.py), not a test."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from PIL import Image

pytest.importorskip("pytestqt")
from PySide6.QtCore import QRect, QSize, Qt  # noqa: E402
from PySide6.QtGui import QColor, QFont, QFontMetrics, QImage, QPainter  # noqa: E402
from PySide6.QtWidgets import QStyleOptionViewItem  # noqa: E402

from photoscribe.gui.photo_delegate import CELL, CELL_ROLE, THUMB, Cell, PhotoDelegate, _two_lines, fitted_size  # noqa: E402
from photoscribe.gui.thumbnails import ThumbnailCache  # noqa: E402
from photoscribe.library import Library  # noqa: E402
from tests.gui.common import WAIT_MS, close_window, fill_library  # noqa: E402
from tests.gui.test_large import window_on  # noqa: E402


class NotingLibrary(Library):
    """A library that notes which threads read records."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.readers: list[str] = []

    def records(self, photo_ids: object) -> dict:  # type: ignore[type-arg]
        self.readers.append(threading.current_thread().name)
        return super().records(photo_ids)  # type: ignore[arg-type]


def test_painting_rows_whose_records_are_stale_reads_nothing_on_the_gui_thread(
    qtbot, tmp_path: Path, tiny_model_dir: Path
) -> None:  # type: ignore[no-untyped-def]
    library = NotingLibrary(tmp_path / "l.sqlite3")
    fill_library(library, 200)
    window = window_on(qtbot, library, tiny_model_dir)
    model = window.model
    qtbot.waitUntil(lambda: model.painted_record(0) is not None and model.painted_record(10) is not None)
    library.readers.clear()
    model.reread()  # a requery: every record held is stale, shown as it was until it is read again
    window.grid.viewport().grab()  # the rows on screen painted now
    assert model.index(0).data(CELL_ROLE) is not None  # painted from the stale record
    qtbot.waitUntil(lambda: bool(library.readers))  # read again, in the background
    assert threading.main_thread().name not in library.readers
    close_window(qtbot, window)
    library.close()


def test_the_grid_gets_thumbnails_fitted_to_its_cells_on_a_decoder_thread(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    photo = tmp_path / "wide.jpg"
    Image.new("RGB", (640, 240), "red").save(photo, quality=90)
    cache = ThumbnailCache(tmp_path / "thumbs", fit=THUMB)
    assert cache.get(1, str(photo), photo.stat().st_size, "k") is None and cache.fitted(1) is None
    qtbot.waitUntil(lambda: cache.fitted(1) is not None, timeout=WAIT_MS)
    full, fitted = cache.loaded(1), cache.fitted(1)
    assert (full.width(), full.height()) == (256, 96)  # as made (the details panel scales this one)
    assert fitted.size() == fitted_size(full.size()) == QSize(THUMB.width(), 76)
    assert fitted.format() == QImage.Format.Format_ARGB32_Premultiplied
    assert cache.memory_used() == full.sizeInBytes() + fitted.sizeInBytes()
    cache.shutdown()


def test_a_cell_is_painted_from_one_cell_with_its_thumbnail_unscaled(qtbot) -> None:  # type: ignore[no-untyped-def]
    picture = QImage(fitted_size(QSize(256, 170)), QImage.Format.Format_ARGB32_Premultiplied)
    picture.fill(QColor("#808080"))
    for x in range(0, picture.width(), 2):  # stripes one pixel wide: any scaling blurs them
        for y in range(picture.height()):
            picture.setPixelColor(x, y, QColor("#000000"))
    asked: list[int] = []

    class Index:  # what the delegate asks the model: one role
        def data(self, role: int) -> object:
            asked.append(role)
            return Cell("a photo of a grey wall", "queued", "", picture)

    image = QImage(CELL, QImage.Format.Format_RGB32)
    option = QStyleOptionViewItem()
    option.rect = QRect(0, 0, CELL.width(), CELL.height())
    painter = QPainter(image)
    PhotoDelegate().paint(painter, option, Index())  # type: ignore[arg-type]
    painter.end()
    assert asked == [CELL_ROLE]
    left, top = 4 + (CELL.width() - 8 - picture.width()) // 2, 8 + (THUMB.height() - picture.height()) // 2
    row = [image.pixelColor(left + x, top + 60).name() for x in range(0, 40)]
    assert row == ["#000000", "#808080"] * 20


def test_a_long_caption_is_cut_to_two_lines_ending_in_an_ellipsis(qtbot) -> None:  # type: ignore[no-untyped-def]
    font = QFont()
    metrics = QFontMetrics(font)
    short = "a photo of a red wall"
    assert _two_lines(short, font, metrics, 200) == short
    long = " ".join(["a photo of a red wall beside a blue car"] * 6)
    cut = _two_lines(long, font, metrics, 200)
    assert cut.endswith("…") and long.startswith(cut[:-1].rstrip()[:40]) and len(cut) < len(long)
    laid_out = metrics.boundingRect(QRect(0, 0, 200, 1000), Qt.TextFlag.TextWordWrap, cut)
    assert laid_out.height() <= 2 * metrics.lineSpacing()


def test_thumbnails_made_meanwhile_reach_the_gui_thread_in_one_batch(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    paths = []
    for i in range(20):
        paths.append(tmp_path / f"{i}.jpg")
        Image.new("RGB", (64, 48), (i * 10, 0, 0)).save(paths[-1])
    cache = ThumbnailCache(tmp_path / "thumbs", fit=THUMB)
    batches: list[list[int]] = []
    cache.ready.connect(batches.append)
    for photo_id, path in enumerate(paths):
        cache.get(photo_id, str(path), path.stat().st_size, "k")
    deadline = time.monotonic() + 30
    while len(cache._results) < 20 and time.monotonic() < deadline:  # the GUI thread busy elsewhere meanwhile
        threading.Event().wait(0.01)
    qtbot.waitUntil(lambda: bool(batches))
    assert sorted(batches[0]) == list(range(20)) and len(batches) == 1  # one wake-up, one signal
    assert all(cache.fitted(photo_id) is not None for photo_id in range(20))
    cache.shutdown()


def test_the_grid_paints_its_cells_itself_exactly_as_qlistview_would(qtbot) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtGui import QPixmap, QStandardItem, QStandardItemModel
    from PySide6.QtWidgets import QListView

    from photoscribe.gui.grid_view import PhotoGrid, configure, make_grid

    model = QStandardItemModel()
    thumbnail = QPixmap(fitted_size(QSize(256, 170)))
    thumbnail.fill(QColor("#808080"))
    for i in range(500):
        item = QStandardItem()
        item.setData(
            Cell(f"photo {i} of a red wall", "queued" if i % 3 else "", "RAW+JPEG" * (i % 5 == 0), thumbnail), CELL_ROLE
        )
        model.appendRow(item)
    grid, plain = make_grid(model), configure(QListView(), model)
    assert isinstance(grid, PhotoGrid)
    plain.setSelectionModel(grid.selectionModel())  # (the same selection)
    grid.setCurrentIndex(model.index(7, 0))
    calls: list[int] = []
    painted = grid.itemDelegate().paint
    grid.itemDelegate().paint = lambda *args: calls.append(1) or painted(*args)  # type: ignore[method-assign]
    for width, height, scrolled in ((1000, 700, 0), (1117, 994, 777), (500, 400, 1234), (1500, 900, 99_999)):
        for view in (grid, plain):
            view.resize(width, height)
            view.show()
            qtbot.waitExposed(view)
            view.verticalScrollBar().setValue(scrolled)
        calls.clear()
        shown = grid.viewport().grab().toImage()
        assert len(calls) >= width // CELL.width() * (height // CELL.height())  # (the delegate paints each cell)
        assert shown == plain.viewport().grab().toImage(), f"{width} x {height} at {scrolled}"


def test_requeries_the_engine_asks_for_again_and_again_run_at_most_once_a_gap(qtbot) -> None:  # type: ignore[no-untyped-def]
    from photoscribe.gui.grid_view import Throttle

    runs: list[float] = []
    throttle = Throttle(None, 20, 400, lambda: runs.append(time.monotonic()))  # type: ignore[arg-type]
    asked = time.monotonic()
    throttle.ask()
    qtbot.waitUntil(lambda: len(runs) == 1)
    assert runs[0] - asked >= 0.015  # after its delay
    ticker = Throttle(None, 5, 0, throttle.ask)  # the engine asking every few ms for a second
    for _ in range(100):
        ticker.ask()
        qtbot.wait(10)
    qtbot.waitUntil(lambda: not throttle.isActive())
    gaps = [b - a for a, b in zip(runs, runs[1:])]
    assert 2 <= len(runs) <= 5 and min(gaps) >= 0.35, gaps  # during the stream too, but never closer than the gap
