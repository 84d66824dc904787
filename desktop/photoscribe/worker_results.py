"""What a caption run reports (each batch's outcome, the run's totals, where its time went), and the threads that
caption its batches."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from photoscribe.library import CaptionResult, ClaimedPhoto

if TYPE_CHECKING:
    from photoscribe.worker import CaptionWorker


@dataclass(frozen=True)
class BatchOutcome:
    """What happened to one batch: (photo, stored caption) pairs and (photo, reason) pairs."""

    captioned: list[tuple[ClaimedPhoto, CaptionResult]]
    failed: list[tuple[ClaimedPhoto, str]]


class Stopwatch(dict[str, float]):
    """Seconds spent in each named part of a run, added up over the threads that spent them;
    ``with stopwatch("storing"): ...`` times one."""

    _lock = threading.Lock()

    @contextmanager
    def __call__(self, part: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            with self._lock:
                self[part] = self.get(part, 0.0) + time.perf_counter() - started


class CaptionStreams:
    """The threads captioning batches: one on a GPU; on a CPU :func:`~photoscribe.captioning.cpu_threads.cpu_streams`
    batches at once, each thread holding PyTorch to its share of the cores, the automatic batch shared between
    them (as many photos in flight as one batch was). Started once the model is known."""

    def __init__(self) -> None:
        self._pool: ThreadPoolExecutor | None = None
        self._count = 0

    def count(self, worker: CaptionWorker) -> int:
        """Batches captioned at once (waits for the worker's model, whose device decides)."""
        if self._pool is None:
            threads = 0
            if worker.captioner.hardware.device.type == "cpu":
                from photoscribe.captioning.cpu_threads import cpu_streams

                self._count, threads = cpu_streams()
                worker.share_batches(self._count)
            else:
                self._count = 1
            self._pool = ThreadPoolExecutor(self._count, "caption", initializer=_cpu_threads, initargs=(threads,))
        return self._count

    def submit(self, worker: CaptionWorker, work: Callable[..., Any], *args: object) -> Future[Any]:
        """Caption on a stream (the first call waits for the model: the next batch is claimed by then)."""
        self.count(worker)
        assert self._pool is not None
        return self._pool.submit(work, *args)

    def __enter__(self) -> CaptionStreams:
        return self

    def __exit__(self, *_: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)


def _cpu_threads(count: int) -> None:
    if count:
        from photoscribe.captioning.cpu_threads import use_cpu_threads

        use_cpu_threads(count)


@dataclass
class RunSummary:
    """Totals of one :meth:`~photoscribe.worker.CaptionWorker.run`."""

    captioned: int = 0
    captioned_ids: list[int] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)
    seconds: float = 0.0
    #: Where the thread running the model spent the run: waiting for the model to load, waiting for the decode
    #: threads, captioning (the model, on its device), storing. Whatever is not here overlapped with these.
    time_in: Stopwatch = field(default_factory=Stopwatch)

    @property
    def photos_per_second(self) -> float:
        """Throughput of the run (captioned and failed photos alike)."""
        done = self.captioned + len(self.failed)
        return done / self.seconds if self.seconds > 0 else 0.0
