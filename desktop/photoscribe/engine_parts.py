"""Small parts of the engine: the busy counter, the progress meter and download progress."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from photoscribe.events import ModelDownload, Progress

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
