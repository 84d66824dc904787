"""The grid's records, read a page at a time on a background thread for the rows being painted.

Reading a page of 120 records (photo, caption, keywords) takes 12 to 60 ms: on the GUI thread that was most of a
scroll's stall at 100,000 photos. Pages wait in a :class:`~photoscribe.gui.decode_queue.DecodeQueue`: the page
asked for last (the rows on screen now) is read first, and only a few wait (fast scrolling asks for many).

A photo that changes (captioned, edited) while a page holding it is read may arrive as it was: such records are
delivered apart, as stale (shown until their rows are painted, and read, again).
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from photoscribe.gui.decode_queue import DecodeQueue
from photoscribe.library import Library

#: Pages waiting at most (the oldest requests are dropped: those rows were scrolled past).
PAGES_WAITING = 4


class RecordPages(QObject):
    """Reads records by id in the background; ``loaded(records by id)`` fires on the GUI thread."""

    loaded = Signal(object, object)  # records read, records read before a change of theirs (both by id)
    _read = Signal(int, object, object)  # page key, records or None, error: from the reading thread

    def __init__(self, library: Library, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.library = library
        self._pages: dict[int, list[int]] = {}  # page key (its first id) -> its ids
        self._reading: set[int] = set()  # ids in a page waiting or being read
        self._asked_at: dict[int, int] = {}  # page key -> the count of changes when it was asked for
        self._changes: list[set[str] | None] = []  # paths changed while pages were read (None: any photo)
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

    def changed(self, paths: set[str] | None) -> None:
        """These photos (``None``: any photo) changed: records of theirs read before now are stale."""
        if self._pages:
            self._changes.append(None if paths is None else set(paths))

    def shutdown(self, wait: bool = True) -> None:
        """Drop the pages waiting (and, with ``wait``, wait for the one being read)."""
        self._queue.close(wait)

    def _done(self, key: int, result: object, error: object) -> None:
        since = self._changes[self._asked_at.get(key, len(self._changes)) :]
        self._forget(key)
        if isinstance(result, dict) and result:
            everything = None in since
            changed = set().union(*(paths for paths in since if paths is not None))
            stale = {i: r for i, r in result.items() if everything or r.path in changed}
            self.loaded.emit({i: r for i, r in result.items() if i not in stale}, stale)

    def _forget(self, key: int) -> None:
        self._reading.difference_update(self._pages.pop(key, ()))
        self._asked_at.pop(key, None)
        if not self._pages:
            self._changes.clear()
