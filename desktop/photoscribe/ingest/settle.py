"""Telling when a new file is finished: its size and mtime stay still for the settle time and it decodes.

``on_created`` fires when a copy starts, so a file is only handed on once it has stopped changing. A file that
stops changing but never decodes (really broken, or a copy that stalled) is handed on after
:data:`GIVE_UP_FACTOR` settle times, so it gets recorded as failed with its reason instead of waiting forever;
if a stalled copy later resumes, the file changes and is queued again.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from photoscribe.imaging import decodes

GIVE_UP_FACTOR = 5


@dataclass
class _Watch:
    signature: tuple[int, float] | None
    changed_at: float
    first_seen: float


class SettleTracker:
    """Files seen changing, waiting until they are complete. Thread-safe."""

    def __init__(
        self,
        settle_seconds: float,
        clock: Callable[[], float] = time.monotonic,
        is_complete: Callable[[Path], bool] = decodes,
    ) -> None:
        self.settle_seconds = settle_seconds
        self.give_up_seconds = GIVE_UP_FACTOR * settle_seconds
        self._clock = clock
        self._is_complete = is_complete
        self._files: dict[Path, _Watch] = {}
        self._lock = threading.Lock()

    def touch(self, path: Path) -> None:
        """Note that ``path`` was created or changed just now."""
        now = self._clock()
        with self._lock:
            known = self._files.get(path)
            self._files[path] = _Watch(_signature(path), now, known.first_seen if known else now)

    def forget(self, path: Path) -> None:
        """Stop waiting for ``path`` (it was deleted or moved away)."""
        with self._lock:
            self._files.pop(path, None)

    def __len__(self) -> int:
        with self._lock:
            return len(self._files)

    def ready(self) -> list[Path]:
        """Files that are complete now; they are no longer tracked. Vanished files are dropped silently."""
        now = self._clock()
        with self._lock:
            candidates = list(self._files.items())
        done: list[Path] = []
        for path, watch in candidates:
            signature = _signature(path)
            if signature is None:
                self.forget(path)
            elif signature != watch.signature:
                with self._lock:
                    if path in self._files:
                        self._files[path] = _Watch(signature, now, watch.first_seen)
            elif now - watch.changed_at >= self.settle_seconds and (
                self._is_complete(path) or now - watch.first_seen >= self.give_up_seconds
            ):
                self.forget(path)
                done.append(path)
        return sorted(done)


def _signature(path: Path) -> tuple[int, float] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_size, stat.st_mtime
