"""The engine's scan thread with real folders, a real library and the tiny BLIP: start() returns at once, folders
are walked on the scan thread newest first, photos are captioned while the scan goes on, progress is reported."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from photoscribe.events import PhotosChanged, ScanProgress
from photoscribe.ingest import watcher
from tests.helpers import WAIT, save_colour, wait_for


def _shoot(folder: Path, count: int, colour: str = "red", stamp: int | None = None) -> list[Path]:
    photos = [save_colour(folder / f"IMG_{i:03d}.jpg", colour) for i in range(count)]
    for photo in photos:
        os.utime(photo, (1_000_000_000, 1_000_000_000))  # long settled: registered by the scan, not deferred
    if stamp is not None:
        os.utime(folder, (stamp, stamp))
    return photos


class Hold:
    """A listener that holds the thread emitting the first event ``when(event)`` accepts until released (the
    engine calls listeners on its own threads), noting which thread that is."""

    def __init__(self, when: Callable[[object], bool]) -> None:
        self.when = when
        self.held, self.released = threading.Event(), threading.Event()
        self.thread = ""

    def __call__(self, event: object) -> None:
        if not self.held.is_set() and self.when(event):
            self.thread = threading.current_thread().name
            self.held.set()
            self.released.wait(WAIT)


def test_start_returns_at_once_and_the_scan_thread_walks_and_watches(  # type: ignore[no-untyped-def]
    make_engine, watched: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _shoot(watched / "a", 3)
    engine, _ = make_engine()
    engine.library.add_folder(watched)  # in the library, not watched yet: start() has it all to do
    watching_threads: list[str] = []
    real_start = watcher.FolderWatcher._start_observer

    def noting_the_thread(self, folder, polling):  # type: ignore[no-untyped-def]
        watching_threads.append(threading.current_thread().name)
        return real_start(self, folder, polling)

    monkeypatch.setattr(watcher.FolderWatcher, "_start_observer", noting_the_thread)
    hold = Hold(lambda e: isinstance(e, ScanProgress) and not e.done)
    engine.subscribe(hold)
    starter = threading.Thread(target=engine.start)
    starter.start()
    starter.join(WAIT)
    try:
        assert not starter.is_alive(), "start() waited for the folder walk"
        assert hold.held.wait(WAIT), "no scan progress"
        assert hold.thread == "scan" and watching_threads == ["scan"]
        assert engine.library.stats().photos == 0  # the walk is held: nothing registered yet
        assert not engine.wait_until_idle(0)  # a scan going on is not idle
    finally:
        hold.released.set()
    wait_for(lambda: engine.library.stats().captioned == 3, what="captions after the scan")


def test_photos_are_captioned_while_the_scan_goes_on(make_engine, watched: Path) -> None:  # type: ignore[no-untyped-def]
    _shoot(watched / "2024", 4, "blue", stamp=1_700_000_000)
    _shoot(watched / "2019", 4, "red", stamp=1_500_000_000)
    engine, events = make_engine(batch_size=2)
    engine._folders.chunk = 2  # a transaction (and a PhotosChanged) every 2 files
    hold = Hold(lambda e: isinstance(e, PhotosChanged) and threading.current_thread().name == "scan")
    engine.subscribe(hold)
    engine.add_folder(watched)
    engine.start()
    try:
        assert hold.held.wait(WAIT), "no PhotosChanged from the scan"
        assert engine.library.stats().photos == 2  # the scan is held after its first chunk...
        wait_for(lambda: engine.library.stats().captioned == 2, what="captions while the scan is held")
        assert engine.library.stats().photos == 2  # ...and still is
    finally:
        hold.released.set()
    wait_for(lambda: engine.library.stats().captioned == 8, what="every caption")
    assert engine.wait_until_idle(WAIT)
    by_id = sorted(engine.library.photos(), key=lambda p: p.id)
    assert [Path(p.path).parent.name for p in by_id] == ["2024"] * 4 + ["2019"] * 4  # the newest folder first
    assert [p.caption for p in by_id[:2]] == ["a photo of a blue wall"] * 2


def test_scan_progress_is_reported_per_folder_and_ends_done(make_engine, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    first, second = tmp_path / "first", tmp_path / "second"
    _shoot(first / "x", 5)
    _shoot(second, 3)
    engine, events = make_engine()
    engine._folders.chunk = 2
    engine.add_folder(first)
    engine.add_folder(second)
    engine.start()
    wait_for(lambda: len([e for e in events.of(ScanProgress) if e.done]) == 2, what="both scans done")
    progress = events.of(ScanProgress)
    assert {e for e in progress if e.done} == {ScanProgress(first, 5, 5, True), ScanProgress(second, 3, 3, True)}
    for folder in (first, second):
        mine = [e for e in progress if e.folder == folder]
        assert mine[-1].done and not any(e.done for e in mine[:-1])
        assert all(e.registered <= e.files_seen for e in mine)
        assert [e.registered for e in mine] == sorted(e.registered for e in mine)


def test_stop_ends_the_scan_between_two_chunks(make_engine, watched: Path) -> None:  # type: ignore[no-untyped-def]
    _shoot(watched, 10)
    engine, _ = make_engine()
    engine.pause()  # nothing captioned: this is about the scan
    engine._folders.chunk = 2
    hold = Hold(lambda e: isinstance(e, PhotosChanged) and threading.current_thread().name == "scan")
    engine.subscribe(hold)
    engine.add_folder(watched)
    engine.start()
    assert hold.held.wait(WAIT)
    stopper = threading.Thread(target=engine.stop)  # from another thread, as the app's close does
    stopper.start()
    hold.released.set()
    stopper.join(WAIT)
    assert not stopper.is_alive()
    assert not engine._scan._thread.is_alive()
    assert engine.library.stats().photos == 2  # the chunk in hand was written, no other
