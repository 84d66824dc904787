"""Small parts of the engine: the busy counter, the progress meters (captioning, scanning) and download progress."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from photoscribe.errors import library_busy, one_line
from photoscribe.events import ModelDownload, Progress, ScanProgress
from photoscribe.ingest.registration import Stopped

if TYPE_CHECKING:
    from photoscribe.engine import Engine


class Busy:
    """Context manager counting work in progress, so :meth:`Engine.wait_until_idle` never returns too early."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def __enter__(self) -> None:
        with self.engine._changed:
            self.engine._busy += 1

    def __exit__(self, *exc: object) -> None:
        with self.engine._changed:
            self.engine._busy -= 1
            self.engine._changed.notify_all()


class ProgressMeter:
    """Done count and throughput over the current backlog."""

    def __init__(self) -> None:
        self.done = 0
        self.started = time.perf_counter()

    def advance(self, done: int, pending: int) -> Progress:
        self.done += done
        elapsed = time.perf_counter() - self.started
        rate = self.done / elapsed if elapsed > 0 else 0.0
        return Progress(done=self.done, total=self.done + pending, photos_per_second=rate)


#: The engine is stopping: the scan in hand ends between two files (what was written stays written).
ScanStopped = Stopped


class ScanMeter:
    """:class:`ScanProgress` of one folder's scan, sent at most every ``every`` seconds and once ``done``.

    A ``quiet`` meter (a polled folder's look at what changed) says nothing when its look found no directory to
    list: a share polled every 30 s does not flash "scanning" in the status bar when nothing changed."""

    def __init__(self, emit: Callable[[Any], None], folder: Path, quiet: bool = False, every: float = 0.2) -> None:
        self.emit, self.folder, self.quiet, self.every = emit, folder, quiet, every
        self.seen = self.registered = 0
        self._sent_at = float("-inf")

    def update(self, seen: int, registered: int) -> None:
        self.seen, self.registered = seen, registered
        now = time.monotonic()
        if now - self._sent_at >= self.every and (seen or not self.quiet):
            self._sent_at = now
            self.emit(ScanProgress(self.folder, seen, registered, False))

    def finish(self) -> None:
        if self.seen or not self.quiet:
            self.emit(ScanProgress(self.folder, self.seen, self.registered, True))


def trouble_message(exc: Exception, doing: str, again: str) -> str:
    """What a background thread says when ``doing`` failed: a locked library, or an unexpected error; ``again``
    says when it tries again."""
    if library_busy(exc):
        return f"the library cannot be written right now ({one_line(exc)}); {again}"
    return f"unexpected error while {doing} ({one_line(exc)}); {again}"


def download_progress(emit: Callable[[Any], None], event: Callable[[int, int], Any] = ModelDownload) -> type:
    """A tqdm class for ``snapshot_download`` that also reports each step as an event: ``event(done, total)``, a
    :class:`ModelDownload` (the captioning model) unless told otherwise."""
    from tqdm.auto import tqdm

    class EngineDownloadProgress(tqdm):  # type: ignore[misc,valid-type]
        def update(self, n: float | None = 1) -> bool | None:
            shown = super().update(n)
            emit(event(int(self.n), int(self.total or 0)))
            return shown

    return EngineDownloadProgress


def settle_loaded_objects() -> None:
    """Take what is loaded now (PyTorch, transformers, the models: millions of objects that live as long as the
    process) out of the garbage collector's full passes. Without it, every full collection walks them all and
    pauses every thread for about a quarter of a second: the app's search and timers stalled that long every
    few dozen queries. Called after a model has loaded."""
    gc.collect()
    gc.freeze()
