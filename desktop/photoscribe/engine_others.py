"""What other processes and machines do to the library while the engine is idle.

Photos they queue wake the caption thread (on a PostgreSQL library at once, through LISTEN/NOTIFY; otherwise at its
next look), and captions they store reach the grid: when the library's counts changed since the engine last went
idle, it says :class:`~photoscribe.events.PhotosChanged`.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from photoscribe.events import PhotosChanged

if TYPE_CHECKING:
    from photoscribe.engine import Engine
    from photoscribe.library import LibraryStats

#: How long the listener waits between looks at whether the engine is stopping, when nothing is announced.
LISTEN_POLL_SECONDS = 60.0


class OtherProcesses:
    """The engine's ear on the shared library."""

    def __init__(self, engine: Engine, wake: threading.Event) -> None:
        self.engine, self._wake = engine, wake
        self._last: LibraryStats | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Listen for announcements when the library is on a server (nothing to listen to in a SQLite file)."""
        if self.engine.library.db.server and self._thread is None:
            self._thread = threading.Thread(target=self._listen, name="library-listen", daemon=True)
            self._thread.start()

    def _listen(self) -> None:
        with self.engine.library.waiter(LISTEN_POLL_SECONDS, captions=True) as waiter:
            while not self._stop.is_set():
                if waiter.wait(self._stop):
                    self._wake.set()

    def seen(self, stats: LibraryStats) -> None:
        """The engine goes idle with these counts: tell the grid when they moved since it last did."""
        if self._last is not None and stats != self._last:
            self.engine._emit(PhotosChanged())
        self._last = stats

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
