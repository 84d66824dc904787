"""The cyclic garbage collector stays off while a model loads, and a model dropped afterwards is freed."""

from __future__ import annotations

import gc
import threading
import weakref
from collections.abc import Iterator
from pathlib import Path

import pytest

from photoscribe.captioning.collector import collector_paused


@pytest.fixture
def passes() -> Iterator[list[int]]:
    """The generation of every collection pass that starts while the test runs."""
    started: list[int] = []

    def note(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            started.append(info["generation"])

    gc.collect()
    gc.callbacks.append(note)
    try:
        yield started
    finally:
        gc.callbacks.remove(note)
        gc.unfreeze()  # the rest of the suite collects as usual
        gc.enable()


def _garbage(cycles: int) -> None:
    for _ in range(cycles):
        a: list[object] = []
        a.append(a)  # a cycle only the collector frees


def test_no_pass_runs_in_the_block_and_the_collector_is_back_after_it(passes: list[int]) -> None:
    with collector_paused():
        assert not gc.isenabled()
        _garbage(20_000)  # would start a pass every 700 new objects
        assert passes == []
    assert gc.isenabled()
    _garbage(20_000)
    assert passes  # collecting as before


def test_overlapping_loads_on_two_threads_keep_it_off_until_the_last_ends(passes: list[int]) -> None:
    inside, leave = threading.Event(), threading.Event()

    def other_load() -> None:
        with collector_paused():
            inside.set()
            leave.wait()

    thread = threading.Thread(target=other_load)
    thread.start()
    inside.wait()
    with collector_paused():
        pass  # this load ends first
    assert not gc.isenabled()  # the other is still loading
    leave.set()
    thread.join()
    assert gc.isenabled()
    assert passes == []


def test_a_collector_the_program_turned_off_stays_off(passes: list[int]) -> None:
    gc.disable()
    with collector_paused():
        pass
    assert not gc.isenabled()


def test_loading_the_captioner_runs_no_collection_pass(passes: list[int], tiny_model_dir: Path) -> None:
    from photoscribe.captioning import Captioner, choose_hardware

    Captioner.load(str(tiny_model_dir), choose_hardware("cpu", "bf16"))
    assert len(passes) <= 1 and gc.isenabled()  # (the one a load's new objects start as it ends; 9 without)


def test_a_captioner_dropped_after_its_load_is_freed(passes: list[int], tiny_model_dir: Path) -> None:
    """The app drops the model when the model or precision changes: its memory must come back, though its layers
    hold reference cycles (none of it may be frozen out of the collector)."""
    from photoscribe.captioning import Captioner, choose_hardware

    captioner = Captioner.load(str(tiny_model_dir), choose_hardware("cpu", "bf16"))
    model = weakref.ref(captioner.model)
    del captioner
    gc.collect()
    assert model() is None
