"""A big library in the app: the GUI thread never waits for a query, a folder count or the engine's last batch;
new photos keep the selection and the view where they were; scrolling drops thumbnails for rows scrolled away and
keeps memory bounded. Latency figures are benchmarks (benchmarks/bench_large.py); the bounds here are coarse ones
only a stall breaks."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

pytest.importorskip("pytestqt")
from PySide6.QtCore import QPoint, QTimer  # noqa: E402
from PySide6.QtWidgets import QAbstractItemView, QApplication  # noqa: E402

from photoscribe.config import Settings  # noqa: E402
from photoscribe.engine import Engine  # noqa: E402
from photoscribe.events import EngineState  # noqa: E402
from photoscribe.gui import thumbnails  # noqa: E402
from photoscribe.gui.main_window import MainWindow  # noqa: E402
from photoscribe.gui.photo_delegate import CELL  # noqa: E402
from photoscribe.gui.photo_model import RECORDS_KEPT, STATUS_ROLE  # noqa: E402
from photoscribe.library import Library, PhotoStatus  # noqa: E402
from tests.gui.common import WAIT_MS, close_window, fill_library  # noqa: E402
from tests.gui.conftest import BIG  # noqa: E402
from tests.helpers import save_colour  # noqa: E402
from tests.tiny_blip import COLOURS  # noqa: E402

HOLD_S = 5.0  # how long a held query or batch waits at most: what a GUI thread waiting for it would stall
STALL_S = 1.0  # a gap in a 10 ms timer this long means the GUI thread waited


class SlowLibrary(Library):
    """A library whose grid queries and folder counts wait while ``go`` is clear (at most :data:`HOLD_S`)."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.go, self.held = threading.Event(), threading.Event()
        self.go.set()

    def _hold(self) -> None:
        if not self.go.is_set():
            self.held.set()
            self.go.wait(HOLD_S)

    def photo_ids(self, *args: object, **kwargs: object) -> list[int]:
        self._hold()
        return super().photo_ids(*args, **kwargs)  # type: ignore[arg-type]

    def folder_counts(self) -> dict[Path, int]:
        self._hold()
        return super().folder_counts()


class HeldLibrary(Library):
    """A library that holds the engine's batch results while ``go`` is clear (at most :data:`HOLD_S`)."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.go, self.held = threading.Event(), threading.Event()
        self.go.set()

    def save_results(self, *args: object, **kwargs: object) -> object:
        if not self.go.is_set():
            self.held.set()
            self.go.wait(HOLD_S)
        return super().save_results(*args, **kwargs)  # type: ignore[arg-type]


class NotingLibrary(Library):
    """A library that notes which threads read records."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.readers: set[str] = set()

    def records(self, photo_ids: object) -> dict:  # type: ignore[type-arg]
        self.readers.add(threading.current_thread().name)
        return super().records(photo_ids)  # type: ignore[arg-type]


class Ticks:
    """A 10 ms timer on the GUI thread; its gaps show how long the event loop was kept waiting."""

    def __init__(self) -> None:
        self.times = [time.perf_counter()]
        self.timer = QTimer()
        self.timer.setInterval(10)
        self.timer.timeout.connect(lambda: self.times.append(time.perf_counter()))
        self.timer.start()

    def worst(self) -> float:
        self.timer.stop()
        return max(b - a for a, b in zip(self.times, self.times[1:]))


def window_on(qtbot, library: Library, model: Path) -> MainWindow:  # type: ignore[no-untyped-def]
    """A window on ``library`` with the engine not started (these tests are about the app)."""
    window = MainWindow(Engine(Settings(library=str(library.path), model=str(model)), library=library))
    window.resize(1600, 800)  # a grid several photos wide
    window.show()
    qtbot.waitUntil(lambda: window.model.rowCount() > 0, timeout=WAIT_MS)
    return window


def top_photo(window: MainWindow) -> tuple[int, int]:
    """The photo in the grid's top left cell and its cell's top edge."""
    window.grid.executeDelayedItemsLayout()
    index = window.grid.indexAt(QPoint(CELL.width() // 2, CELL.height() // 2))
    return window.model.ids()[index.row()], window.grid.visualRect(index).top()


def test_queries_and_counts_never_stall_the_gui(qtbot, big_library: Path, tiny_model_dir: Path) -> None:  # type: ignore[no-untyped-def]
    library = SlowLibrary(big_library)
    window = window_on(qtbot, library, tiny_model_dir)
    assert window.model.rowCount() == BIG
    fill_library(library, 10, first=BIG, root="/new")
    library.go.clear()  # from now on every query takes HOLD_S seconds
    ticks = Ticks()
    shown: list[int] = []
    window.refresher.shown.connect(lambda change: shown.append(len(change.ids)))
    window.status_filter.setCurrentText("Failed")  # a query, held
    window.refresh_folders()  # folder counts, held
    qtbot.waitUntil(library.held.is_set)
    window.status_filter.setCurrentText("All")  # the newer query: the held one's result is stale now
    qtbot.waitUntil(lambda: len(ticks.times) > 30)  # the event loop runs on while the queries are held
    assert not library.go.is_set() and window.model.rowCount() == BIG
    library.go.set()
    qtbot.waitUntil(lambda: window.model.rowCount() == BIG + 10, timeout=WAIT_MS)
    folders = window.folders.list
    counts = lambda: [folders.item(row).text() for row in range(1, folders.count())]  # noqa: E731
    qtbot.waitUntil(lambda: any("(10)" in text for text in counts()) and any(f"({BIG})" in text for text in counts()))
    worst = ticks.worst()
    assert worst < STALL_S, f"the GUI thread stalled {worst:.2f} s while a query was held"
    assert shown == [BIG + 10], "a stale query's result was shown"
    assert window.count.text() == f"{BIG + 10} photos"
    close_window(qtbot, window)
    library.close()


def test_new_and_vanished_photos_keep_the_selection_and_the_view(
    qtbot, big_library: Path, tiny_model_dir: Path
) -> None:  # type: ignore[no-untyped-def]
    library = Library(big_library)
    window = window_on(qtbot, library, tiny_model_dir)
    model, grid = window.model, window.grid
    grid.scrollTo(model.index(10_000), QAbstractItemView.ScrollHint.PositionAtTop)
    QApplication.processEvents()
    chosen = model.ids()[10_003]
    grid.setCurrentIndex(model.index(10_003))
    assert window.details.record.id == chosen
    top, y = top_photo(window)
    gone = [model.record(5).path, model.record(15_000).path]  # one above the view, one below it
    fill_library(library, 25, first=BIG, root="/new")  # new photos: at the top of the grid
    library.mark_missing(gone)
    changes: list[object] = []
    window.refresher.shown.connect(changes.append)
    window.requery()
    qtbot.waitUntil(lambda: len(changes) == 1, timeout=WAIT_MS)
    assert model.rowCount() == BIG + 25 - 2
    assert model.ids()[grid.currentIndex().row()] == chosen
    assert grid.selectionModel().isSelected(grid.currentIndex())
    assert window.details.record.id == chosen
    assert top_photo(window) == (top, y), "the photos in view moved"
    grid.scrollToTop()  # at the very top, new photos slide in above what is shown
    QApplication.processEvents()
    fill_library(library, 3, first=BIG + 25, root="/newer")
    window.requery()
    qtbot.waitUntil(lambda: len(changes) == 2, timeout=WAIT_MS)
    assert grid.verticalScrollBar().value() == 0 and top_photo(window)[0] == max(model.ids())
    assert model.ids()[grid.currentIndex().row()] == chosen
    close_window(qtbot, window)
    library.close()


def test_scrolling_reads_in_the_background_drops_thumbnails_scrolled_away_and_stays_bounded(  # type: ignore[no-untyped-def]
    qtbot, big_library: Path, tiny_model_dir: Path, monkeypatch
) -> None:
    monkeypatch.setattr(thumbnails, "DECODERS", 0)  # nothing decoded: what waits is what the grid asked for
    library = NotingLibrary(big_library)
    window = window_on(qtbot, library, tiny_model_dir)
    bar = window.grid.verticalScrollBar()
    for step in range(1, 41):  # a scroll from the top to the bottom, each screen painted with its thumbnails asked for
        bar.setValue(bar.maximum() * step // 40)
        shown = top_photo(window)[0]
        qtbot.waitUntil(lambda: shown in window.thumbnails.waiting())
    last = window.model.rowCount() - 1
    near = set(window.model.ids()[last - 300 :])  # the last screen and a screen or two around it
    qtbot.waitUntil(lambda: set(window.thumbnails.waiting()) <= near)
    assert window.thumbnails.waiting(), "the rows shown asked for their thumbnails"
    assert window.model.records_held() <= RECORDS_KEPT
    assert library.readers and threading.main_thread().name not in library.readers  # painting reads nothing
    close_window(qtbot, window)
    library.close()


def test_closing_keeps_the_event_loop_running_while_the_batch_in_hand_finishes(  # type: ignore[no-untyped-def]
    qtbot, open_window, tmp_path: Path
) -> None:
    folder = tmp_path / "card"
    for i in range(8):
        save_colour(folder / f"{i}.jpg", list(COLOURS)[i % 4])
    window = open_window(library_class=HeldLibrary, batch_size=4)
    library = window.engine.library
    library.go.clear()
    window.add_folder(str(folder))
    qtbot.waitUntil(library.held.is_set, timeout=WAIT_MS)  # a batch is captioned; its results are held
    ticks = Ticks()
    window.close()
    assert window.state.text() == "Finishing the batch in hand…"
    qtbot.waitUntil(lambda: len(ticks.times) > 30)  # the event loop runs on while the batch is held
    assert window.isVisible() and not window.closing_done  # the window waits for the batch
    library.go.set()
    qtbot.waitUntil(lambda: window.closing_done and not window.isVisible(), timeout=WAIT_MS)
    worst = ticks.worst()
    assert worst < STALL_S, f"the GUI thread stalled {worst:.2f} s while closing"
    assert window.engine.state == EngineState.STOPPED
    assert library.stats().captioned >= 4  # the batch in hand was saved, not dropped


def test_a_requery_shows_the_new_state_of_photos_already_shown(qtbot, tmp_path: Path, tiny_model_dir: Path) -> None:  # type: ignore[no-untyped-def]
    library = Library(tmp_path / "l.sqlite3")
    fill_library(library, 30)
    window = window_on(qtbot, library, tiny_model_dir)
    model = window.model
    qtbot.waitUntil(lambda: model.painted_record(0) is not None)  # painted: its record is held
    assert model.index(0).data(STATUS_ROLE) == "queued"
    library.cancel_pending()  # the engine clears the queue: same photos, another state
    changes: list[object] = []
    window.refresher.shown.connect(changes.append)
    window.requery()
    qtbot.waitUntil(lambda: len(changes) == 1)
    qtbot.waitUntil(lambda: model.painted_record(0).status == PhotoStatus.CANCELLED)  # read again in the background
    assert {model.index(row).data(STATUS_ROLE) for row in range(30)} == {"cancelled"}
    close_window(qtbot, window)
    library.close()
