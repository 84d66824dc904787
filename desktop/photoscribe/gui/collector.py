"""Full garbage collections while the user is not scrolling, never in the middle of it.

Python's automatic full collection walks every object the collector tracks, and while it runs no thread moves.
In the app that was 0.1-0.25 s each time, started every second or two by whichever thread crossed the threshold
(captioning, the folder scan, the grid's record pages): measured at 100,000 photos, most of the GUI timer's worst
delays while scrolling. So the app turns automatic full collections off (young generations are still collected
automatically: they are small and quick) and runs a full collection itself once the grid has been still for
:data:`QUIET_MS`, at most every :data:`EVERY_S` seconds, and at least every :data:`AT_MOST_S` seconds whatever
happens (so cyclic garbage never piles up). Objects that are not in cycles are freed at once as always.
"""

from __future__ import annotations

import gc
import time

from PySide6.QtCore import QObject, QTimer

#: Generation-2 threshold that never triggers (Python's default is 10).
NEVER = 1_000_000_000
QUIET_MS = 2000
EVERY_S = 60.0
AT_MOST_S = 600.0
LOOK_MS = 1000
now = time.monotonic  # (a test's clock replaces it)


class IdleCollector(QObject):
    """Turns off automatic full collections for its lifetime and runs them when the GUI is quiet."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._thresholds = gc.get_threshold()
        gc.set_threshold(self._thresholds[0], self._thresholds[1], NEVER)
        self.last_activity = self.last_collection = now()
        self.collections = 0
        self._timer = QTimer(self)
        self._timer.setInterval(LOOK_MS)
        self._timer.timeout.connect(self.look)
        self._timer.start()

    def active(self, *_: object) -> None:
        """The user is doing something (scrolling the grid): put the next collection off."""
        self.last_activity = now()

    def look(self) -> bool:
        """Collect now if it is time and the GUI is quiet; returns whether it did."""
        at = now()
        quiet = at - self.last_activity >= QUIET_MS / 1000
        due = at - self.last_collection >= (EVERY_S if quiet else AT_MOST_S)
        if not due:
            return False
        gc.collect()
        self.last_collection, self.collections = now(), self.collections + 1
        return True

    def restore(self) -> None:
        """Automatic full collections as they were."""
        gc.set_threshold(*self._thresholds)
