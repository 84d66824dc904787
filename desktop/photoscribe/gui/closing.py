"""Closing the window without blocking its event loop.

Stopping the engine waits for the batch in hand (seconds, a minute on a slow CPU) and saving waits for pending
edits: done on the GUI thread, the window would freeze and its "Finishing the batch in hand…" would never paint.
So the stops run one after another on a closing thread, and ``finished`` fires on the GUI thread when they are all
done (the window then closes for good).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence

from PySide6.QtCore import QObject, Signal

log = logging.getLogger(__name__)


class Closing(QObject):
    """Runs ``stops`` in order on a background thread; ``finished`` then fires (GUI thread)."""

    finished = Signal()

    def __init__(self, stops: Sequence[Callable[[], object]], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._stops = list(stops)
        self._thread = threading.Thread(target=self._run, name="closing", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        for stop in self._stops:
            try:
                stop()
            except Exception:  # one part failing to stop must not keep the window open
                log.exception("stopping %s failed while closing", stop)
        try:
            self.finished.emit()
        except RuntimeError:  # the window was deleted meanwhile: nobody is waiting
            pass
