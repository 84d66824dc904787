"""The settle tracker on real files, with a clock the test moves."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from photoscribe.imaging import decodes
from photoscribe.ingest.settle import SettleTracker
from tests.helpers import save_colour


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_decode_check_that_raises_never_drops_the_other_ready_files(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    odd = save_colour(tmp_path / "a_odd.jpg", "red")  # sorted first: checked before the others
    good = [save_colour(tmp_path / f"b_{i}.jpg", "blue") for i in range(3)]

    def is_complete(path: Path) -> bool:
        if path == odd:
            raise MemoryError("decoding this file ran out of memory")
        return decodes(path)

    clock = Clock()
    tracker = SettleTracker(1.0, clock=clock, is_complete=is_complete)
    for path in [odd, *good]:
        tracker.touch(path)
    clock.now += 1.5
    with caplog.at_level(logging.WARNING, logger="photoscribe.ingest.settle"):
        assert tracker.ready() == good
        for _ in range(3):  # ticks go on: the odd file waits quietly, logged once
            clock.now += 0.5
            assert tracker.ready() == []
    assert len([r for r in caplog.records if str(odd) in r.getMessage()]) == 1
    assert len(tracker) == 1
    clock.now += tracker.give_up_seconds
    assert tracker.ready() == [odd]  # handed on after the give-up time: recorded as failed with its reason
    assert len(tracker) == 0


def test_the_settle_time_can_change_while_files_wait(tmp_path: Path) -> None:
    photo = save_colour(tmp_path / "a.jpg", "red")
    clock = Clock()
    tracker = SettleTracker(10.0, clock=clock)
    tracker.touch(photo)
    clock.now += 1.0
    assert tracker.ready() == []
    tracker.settle_seconds = 0.5
    assert tracker.give_up_seconds == pytest.approx(2.5)
    assert tracker.ready() == [photo]


def test_files_handed_back_are_ready_again_at_once(tmp_path: Path) -> None:
    photos = [save_colour(tmp_path / f"{i}.jpg", "red") for i in range(2)]
    clock = Clock()
    tracker = SettleTracker(2.0, clock=clock, is_complete=lambda path: False)  # even if it would never decode
    tracker.hand_back(photos)
    assert tracker.ready() == photos
