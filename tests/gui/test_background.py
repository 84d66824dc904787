"""The GUI thread first: the app's other threads run at a lower CPU priority, and full garbage collections (which
stop every thread) run while the grid is still instead of whenever a threshold is crossed. What that does to the
GUI timer's lateness is a benchmark (benchmarks/bench_large.py), not a test."""

from __future__ import annotations

import gc
import os
import sys
import threading

import pytest

pytest.importorskip("pytestqt")

from photoscribe.gui import collector as collector_module  # noqa: E402
from photoscribe.gui.collector import AT_MOST_S, EVERY_S, NEVER, QUIET_MS, IdleCollector  # noqa: E402
from photoscribe.gui.priority import BACKGROUND_NICE, SWITCH_S, BackgroundPriority  # noqa: E402


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="threads have their own nice value on Linux only")
def test_every_thread_but_the_gui_thread_runs_at_a_lower_priority(qtbot) -> None:  # type: ignore[no-untyped-def]
    started, done = threading.Event(), threading.Event()
    ids: list[int] = []

    def work() -> None:
        ids.append(threading.get_native_id())
        started.set()
        done.wait(10)

    gui_nice = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    switch = sys.getswitchinterval()
    priority = BackgroundPriority()
    assert sys.getswitchinterval() == SWITCH_S < switch  # a busy thread hands the GIL back sooner
    thread = threading.Thread(target=work)
    thread.start()  # started by the GUI thread after the first look: lowered at the next one
    started.wait(10)
    priority.look()
    assert os.getpriority(os.PRIO_PROCESS, ids[0]) >= BACKGROUND_NICE
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == gui_nice  # the GUI thread is left alone
    assert ids[0] not in priority.look()  # lowered once
    done.set()
    thread.join()
    priority.restore()
    assert sys.getswitchinterval() == switch
    priority.deleteLater()


def test_full_collections_wait_for_a_still_grid_and_never_start_by_themselves(qtbot, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    before = gc.get_threshold()
    full: list[int] = []
    note = lambda phase, info: phase == "stop" and info["generation"] == 2 and full.append(1)  # noqa: E731
    clock = [1000.0]
    monkeypatch.setattr(collector_module, "now", lambda: clock[0])
    gc.callbacks.append(note)
    try:
        collector = IdleCollector()
        assert gc.get_threshold() == (before[0], before[1], NEVER)  # young generations as before; no automatic full
        clock[0] += EVERY_S + 1
        collector.active()  # the grid scrolls
        clock[0] += QUIET_MS / 1000 / 2
        assert not collector.look() and not full  # not while it scrolls
        clock[0] += QUIET_MS / 1000
        assert collector.look() and full == [1]  # still for a while: collected
        assert not collector.look()  # not again before EVERY_S
        clock[0] += AT_MOST_S + 1
        collector.active()
        assert collector.look() and full == [1, 1]  # scrolling on and on: collected anyway after AT_MOST_S
        collector.restore()
        assert gc.get_threshold() == before
    finally:
        gc.callbacks.remove(note)
        gc.set_threshold(*before)


def test_loading_a_model_takes_what_was_imported_out_of_full_collections(tiny_model_dir) -> None:  # type: ignore[no-untyped-def]
    from photoscribe.captioning import Captioner, choose_hardware

    gc.collect()
    before = gc.get_freeze_count()
    try:
        Captioner.load(str(tiny_model_dir), choose_hardware("cpu", "fp32"))
        # PyTorch and transformers (imported by then) are frozen: the collection after a load (and every full one)
        # walks the model's own objects only, not millions of imported ones (about 0.25 s with every thread held)
        assert gc.get_freeze_count() > before
    finally:
        gc.unfreeze()
