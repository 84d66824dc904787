"""Telling when a new file is finished: its size and mtime stay still for the settle time and it decodes.

``on_created`` fires when a copy starts, so a file is only handed on once it has stopped changing. A file that
stops changing but never decodes (really broken, or a copy that stalled) is handed on after
:data:`GIVE_UP_FACTOR` settle times, so it gets recorded as failed with its reason instead of waiting forever;
if a stalled copy later resumes, the file changes and is queued again. The decode check is guarded per file: a
file whose check raises (an odd Pillow error, a MemoryError) counts as not complete, is logged once, and never
stops the other files from being handed on.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from photoscribe.imaging import decodes

log = logging.getLogger(__name__)

GIVE_UP_FACTOR = 5


@dataclass
class _Watch:
    signature: tuple[int, float] | None
    changed_at: float
    first_seen: float
    check_failed: bool = False  # the decode check raised (logged once)


class SettleTracker:
    """Files seen changing, waiting until they are complete. Thread-safe."""

    def __init__(
        self,
        settle_seconds: float,
        clock: Callable[[], float] = time.monotonic,
        is_complete: Callable[[Path], bool] = decodes,
    ) -> None:
        self.settle_seconds = settle_seconds
        self._clock = clock
        self._is_complete = is_complete
        self._files: dict[Path, _Watch] = {}
        self._lock = threading.Lock()

    @property
    def settle_seconds(self) -> float:
        """How long a file must stay unchanged; the give-up time follows it."""
        return self._settle_seconds

    @settle_seconds.setter
    def settle_seconds(self, seconds: float) -> None:
        self._settle_seconds = seconds
        self.give_up_seconds = GIVE_UP_FACTOR * seconds

    def touch(self, path: Path) -> None:
        """Note that ``path`` was created or changed just now."""
        now = self._clock()
        with self._lock:
            known = self._files.get(path)
            self._files[path] = _Watch(_signature(path), now, known.first_seen if known else now)

    def hand_back(self, paths: Iterable[Path]) -> None:
        """Take back files that were ready but could not be recorded: they are ready again at the next look
        (unless they change meanwhile, which restarts their wait as usual)."""
        now = self._clock()
        with self._lock:
            for path in paths:
                if path not in self._files:
                    back = now - max(self.settle_seconds, self.give_up_seconds)  # settled, and past giving up
                    self._files[path] = _Watch(_signature(path), back, back)

    def forget(self, path: Path) -> None:
        """Stop waiting for ``path`` (it was deleted or moved away)."""
        with self._lock:
            self._files.pop(path, None)

    def forget_under(self, folder: Path) -> None:
        """Stop waiting for every file inside ``folder`` (it is no longer watched)."""
        with self._lock:
            for path in [p for p in self._files if folder in p.parents]:
                del self._files[path]

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
                now - watch.first_seen >= self.give_up_seconds or self._complete(path, watch)
            ):
                self.forget(path)
                done.append(path)
        return sorted(done)

    def _complete(self, path: Path, watch: _Watch) -> bool:
        """The decode check, guarded: a check that raises means "not complete" (handed on after giving up)."""
        try:
            return self._is_complete(path)
        except Exception:  # MemoryError included: this file alone waits for the give-up time
            if not watch.check_failed:
                watch.check_failed = True
                log.warning("checking whether %s is complete failed; it is handed on later", path, exc_info=True)
            return False


def _signature(path: Path) -> tuple[int, float] | None:
    try:
        stat = path.stat()
    except (OSError, ValueError):
        return None
    return stat.st_size, stat.st_mtime
