"""What a caption run reports: each batch's outcome, the run's totals and where its time went."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from photoscribe.library import CaptionResult, ClaimedPhoto


@dataclass(frozen=True)
class BatchOutcome:
    """What happened to one batch: (photo, stored caption) pairs and (photo, reason) pairs."""

    captioned: list[tuple[ClaimedPhoto, CaptionResult]]
    failed: list[tuple[ClaimedPhoto, str]]


class Stopwatch(dict[str, float]):
    """Seconds spent in each named part of a run, added up; ``with stopwatch("storing"): ...`` times one."""

    @contextmanager
    def __call__(self, part: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self[part] = self.get(part, 0.0) + time.perf_counter() - started


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
