"""The pause before retrying after an error, doubling up to a limit (the engine's and the watcher's)."""

from __future__ import annotations

BACKOFF_FIRST, BACKOFF_MOST = 1.0, 60.0


class Backoff:
    """Pauses before retrying after an error: 1, 2, 4 ... 60 seconds, back to the start after a success."""

    def __init__(self, first: float = BACKOFF_FIRST, most: float = BACKOFF_MOST) -> None:
        self.first, self.most = first, most
        self.failures = 0

    def next(self) -> float:
        """The pause before the next try (and count one more failure)."""
        pause = min(self.most, self.first * 2**self.failures)
        self.failures += 1
        return pause

    def reset(self) -> None:
        """A try succeeded."""
        self.failures = 0
