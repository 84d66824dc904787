"""The grid's records, read a page at a time on a background thread for the rows being painted.

Reading a page of 120 records (photo, caption, keywords) takes 12 to 60 ms: on the GUI thread that was most of a
scroll's stall at 100,000 photos. Pages wait in a :class:`~photoscribe.gui.decode_queue.DecodeQueue`: the page
asked for last (the rows on screen now) is read first, and only a few wait (fast scrolling asks for many).

A photo that changes (captioned, edited) while a page holding it is read may arrive as it was: such records are
left out of what is delivered (and named, so that their rows are painted, and read, again).
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from photoscribe.gui.decode_queue import DecodeQueue
from photoscribe.library import Library

#: Pages waiting at most (the oldest requests are dropped: those rows were scrolled past).
PAGES_WAITING = 4


class RecordPages(QObject):
    """Reads records by id in the background; ``loaded(records by id)`` fires on the GUI thread."""

    loaded = Signal(object, object)  # dict[int, PhotoRecord] read, ids read before a change of theirs
    _read = Signal(int, object, object)  # page key, records or None, error: from the reading thread

    def __init__(self, library: Library, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.library = library
        self._pages: dict[int, list[int]] = {}  # page key (its first id) -> its ids
        self._reading: set[int] = set()  # ids in a page waiting or being read
        self._asked_at: dict[int, int] = {}  # page key -> the count of changes when it was asked for
        self._changes: list[set[str]] = []  # paths changed while pages were read (cleared when none is)
        self._read.connect(self._done)
        self._queue = DecodeQueue(self._read.emit, threads=1, limit=PAGES_WAITING, name="records")

    def request(self, ids: list[int]) -> None:
        """Read the records of ``ids`` (those not being read already)."""
        wanted = [photo_id for photo_id in ids if photo_id not in self._reading]
        if not wanted:
            return
        library = self.library
        self._pages[wanted[0]] = wanted
        self._asked_at[wanted[0]] = len(self._changes)
        self._reading.update(wanted)
        for dropped in self._queue.submit(wanted[0], lambda: library.records(wanted)):
            self._forget(dropped)

    def changed(self, paths: set[str]) -> None:
        """These photos changed: records of theirs read before now are stale."""
        if self._pages:
            self._changes.append(set(paths))

    def shutdown(self, wait: bool = True) -> None:
        """Drop the pages waiting (and, with ``wait``, wait for the one being read)."""
        self._queue.close(wait)

    def _done(self, key: int, result: object, error: object) -> None:
        changed = set().union(*self._changes[self._asked_at.get(key, len(self._changes)) :])
        self._forget(key)
        if isinstance(result, dict) and result:
            stale = [photo_id for photo_id, record in result.items() if record.path in changed]
            for photo_id in stale:
                del result[photo_id]
            self.loaded.emit(result, stale)

    def _forget(self, key: int) -> None:
        self._reading.difference_update(self._pages.pop(key, ()))
        self._asked_at.pop(key, None)
        if not self._pages:
            self._changes.clear()
