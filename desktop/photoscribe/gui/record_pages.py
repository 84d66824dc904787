"""The grid's records, read a page at a time on a background thread for the rows being painted.

Reading a page of 120 records (photo, caption, keywords) takes 12 to 60 ms: on the GUI thread that was most of a
scroll's stall at 100,000 photos. Pages wait in a :class:`~photoscribe.gui.decode_queue.DecodeQueue`: the page
asked for last (the rows on screen now) is read first, and only a few wait (fast scrolling asks for many).
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from photoscribe.gui.decode_queue import DecodeQueue
from photoscribe.library import Library

#: Pages waiting at most (the oldest requests are dropped: those rows were scrolled past).
PAGES_WAITING = 4


class RecordPages(QObject):
    """Reads records by id in the background; ``loaded(records by id)`` fires on the GUI thread."""

    loaded = Signal(object)  # dict[int, PhotoRecord]
    _read = Signal(int, object, object)  # page key, records or None, error: from the reading thread

    def __init__(self, library: Library, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.library = library
        self._pages: dict[int, list[int]] = {}  # page key (its first id) -> its ids
        self._reading: set[int] = set()  # ids in a page waiting or being read
        self._read.connect(self._done)
        self._queue = DecodeQueue(self._read.emit, threads=1, limit=PAGES_WAITING, name="records")

    def request(self, ids: list[int]) -> None:
        """Read the records of ``ids`` (those not being read already)."""
        wanted = [photo_id for photo_id in ids if photo_id not in self._reading]
        if not wanted:
            return
        library = self.library
        self._pages[wanted[0]] = wanted
        self._reading.update(wanted)
        for dropped in self._queue.submit(wanted[0], lambda: library.records(wanted)):
            self._forget(dropped)

    def shutdown(self, wait: bool = True) -> None:
        """Drop the pages waiting (and, with ``wait``, wait for the one being read)."""
        self._queue.close(wait)

    def _done(self, key: int, result: object, error: object) -> None:
        self._forget(key)
        if isinstance(result, dict) and result:
            self.loaded.emit(result)

    def _forget(self, key: int) -> None:
        self._reading.difference_update(self._pages.pop(key, ()))
