"""Background work waits while the user scrolls the grid.

Painting a page of the grid is 5-20 ms of Python on the GUI thread, and Python runs one thread at a time: each
busy background thread (captioning, the folder scan, a requery of 100,000 ids, folder counts) takes its turn with
the interpreter lock between the GUI thread's, so with five of them a page took five to seven times its own time
and a 10 ms timer came 100-190 ms late while paging through 100,000 photos. Measured with captioning and the scan
held back, the same pages came at most 50-70 ms late (the thumbnail decoders and the record reader, which serve the
page, still ran beside them).

So while the grid scrolls, and until it has been still for :data:`QUIET_MS`, the engine's threads wait at their
next event (the caption thread between two batches, the scan thread at its next progress report or chunk) and the
grid's own background queries wait before they start. Work in hand is never interrupted and nothing is dropped:
it carries on as soon as the grid is still. The GUI thread itself never waits here.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from PySide6.QtCore import QObject, QTimer

#: How long the grid must be still before held work carries on.
QUIET_MS = 300


class ScrollGate(QObject):
    """Open while the grid is still; closed from each scroll (:meth:`moved`) until :data:`QUIET_MS` after the last.

    Background threads call :meth:`wait` (or subscribe :meth:`hold` to the engine) between two pieces of work.
    """

    def __init__(self, parent: QObject | None = None, quiet_ms: int | None = None) -> None:
        super().__init__(parent)
        self._gui_thread = threading.get_ident()
        self._still = threading.Event()
        self._still.set()
        self._closed = False  # opened for good: the window is closing
        self._heeding = True
        self._lock = threading.Lock()
        self._waiting: list[str] = []  # names of the threads waiting now
        self.holds = 0  # how many times a thread waited here
        self._quiet = QTimer(self)
        self._quiet.setSingleShot(True)
        self._quiet.setInterval(QUIET_MS if quiet_ms is None else quiet_ms)
        self._quiet.timeout.connect(self.still)

    def moved(self, *_: object) -> None:
        """The grid scrolled (GUI thread): hold background work until it has been still for a while."""
        if self._closed or not self._heeding:
            return
        self._still.clear()
        self._quiet.start()

    def still(self) -> None:
        """The grid has been still for a while (the quiet timer says so): held work carries on."""
        self._quiet.stop()
        self._still.set()

    @contextmanager
    def unheeded(self) -> Iterator[None]:
        """Scrolls meanwhile are the app's own (keeping the photo in view after rows came in), not the user's."""
        self._heeding = False
        try:
            yield
        finally:
            self._heeding = True

    def is_open(self) -> bool:
        """True while the grid is still (work goes on)."""
        return self._still.is_set()

    def wait(self) -> None:
        """Return once the grid is still (at once on the GUI thread, and once the gate was opened for good)."""
        if threading.get_ident() == self._gui_thread or self._still.is_set():
            return
        name = threading.current_thread().name
        with self._lock:
            self.holds += 1
            self._waiting.append(name)
        try:
            self._still.wait()
        finally:
            with self._lock:
                self._waiting.remove(name)

    def waiting(self) -> list[str]:
        """The names of the threads waiting here now."""
        with self._lock:
            return list(self._waiting)

    def hold(self, _event: object = None) -> None:
        """An engine listener: the engine thread that sent the event waits here while the grid scrolls."""
        self.wait()

    def open(self) -> None:
        """Let everything through from now on (any thread): the window is closing."""
        self._closed = True
        self._still.set()
