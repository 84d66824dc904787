"""Background work gives way while the user scrolls the grid (gui/scroll_gate.py, ingest/pace.py): the engine's
threads wait at their next event and folder scans within a few hundred files, until the grid is still. What that
does to the GUI timer's lateness is a benchmark (benchmarks/bench_large.py), not a test."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

pytest.importorskip("pytestqt")

from photoscribe.events import EngineState  # noqa: E402
from photoscribe.gui import scroll_gate  # noqa: E402
from photoscribe.gui.main_window import MainWindow  # noqa: E402
from photoscribe.gui.scroll_gate import ScrollGate  # noqa: E402
from photoscribe.ingest import reconcile  # noqa: E402
from tests.gui.common import WAIT_MS, fill_library  # noqa: E402
from tests.helpers import save_colour  # noqa: E402


def test_a_background_thread_waits_while_the_grid_scrolls_the_gui_thread_never(qtbot) -> None:  # type: ignore[no-untyped-def]
    gate = ScrollGate(quiet_ms=600_000)  # still only when the test says so
    went_on = threading.Event()
    gate.moved()
    assert not gate.is_open()
    gate.wait()  # on the GUI thread: returns at once
    worker = threading.Thread(target=lambda: (gate.wait(), went_on.set()), name="background")
    worker.start()
    qtbot.waitUntil(lambda: gate.waiting() == ["background"], timeout=WAIT_MS)
    assert not went_on.is_set()
    gate.still()
    assert went_on.wait(10)
    worker.join(10)
    assert gate.waiting() == [] and gate.holds == 1


def test_the_gate_opens_once_the_grid_has_been_still_for_a_while(qtbot) -> None:  # type: ignore[no-untyped-def]
    gate = ScrollGate(quiet_ms=30)
    gate.moved()
    assert not gate.is_open()
    qtbot.waitUntil(gate.is_open, timeout=WAIT_MS)
    with gate.unheeded():  # the app's own scroll (keeping the photo in view) holds nothing
        gate.moved()
    assert gate.is_open()
    gate.open()  # the window is closing: nothing waits from now on
    gate.moved()
    assert gate.is_open()


@pytest.fixture
def long_quiet(monkeypatch: pytest.MonkeyPatch) -> None:
    """The windows' gates stay closed after a scroll until the test calls ``still()``."""
    monkeypatch.setattr(scroll_gate, "QUIET_MS", 600_000)


def scroll(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    """Scroll the grid a little, as the user would (the window is made small enough for the grid to scroll)."""
    window.resize(600, 400)
    bar = window.grid.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > 0, timeout=WAIT_MS)
    bar.setValue(bar.maximum() if bar.value() == 0 else 0)
    assert not window.refresher.gate.is_open()


def test_captioning_waits_while_the_grid_scrolls_and_carries_on_once_it_is_still(  # type: ignore[no-untyped-def]
    qtbot, open_window, colour_photos: dict[str, list[Path]], long_quiet: None
) -> None:
    window = open_window(batch_size=1)
    window.engine.pause()
    window.add_folder(str(next(iter(colour_photos.values()))[0].parent))
    qtbot.waitUntil(lambda: window.model.rowCount() == 8, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: window.engine.state == EngineState.PAUSED, timeout=WAIT_MS)
    scroll(qtbot, window)
    gate = window.refresher.gate
    window.engine.resume()  # the caption thread says it is loading or captioning: it waits there
    qtbot.waitUntil(lambda: "caption-engine" in gate.waiting(), timeout=WAIT_MS)
    assert window.engine.library.stats().captioned == 0
    gate.still()
    qtbot.waitUntil(lambda: window.engine.library.stats().captioned == 8, timeout=WAIT_MS)


def test_a_folder_scan_gives_way_while_the_grid_scrolls(qtbot, open_window, tmp_path: Path, long_quiet: None) -> None:  # type: ignore[no-untyped-def]
    window = open_window()
    fill_library(window.library, 40)  # rows to scroll
    window.requery()
    qtbot.waitUntil(lambda: window.model.rowCount() == 40, timeout=WAIT_MS)
    scroll(qtbot, window)
    folder = tmp_path / "card"
    for n in range(3):
        save_colour(folder / f"IMG_{n}.jpg", "red")
    scanned = threading.Thread(target=reconcile, args=(window.library, folder), name="a-scan")
    scanned.start()
    gate = window.refresher.gate
    qtbot.waitUntil(lambda: "a-scan" in gate.waiting(), timeout=WAIT_MS)
    assert window.library.photo(folder / "IMG_0.jpg") is None
    gate.still()
    scanned.join(WAIT_MS / 1000)
    assert all(window.library.photo(folder / f"IMG_{n}.jpg") is not None for n in range(3))
