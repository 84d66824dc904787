"""The thumbnail decode queue (also the grid's record pages): newest request first, bounded, and cancellable.

Scrolling fast through 100,000 photos asks for thousands of thumbnails in a few seconds; only the rows on screen
now matter. So the decoders take the newest request first, at most :data:`MAX_WAITING` requests wait (the oldest
are dropped beyond that), :meth:`DecodeQueue.keep_only` drops the requests for rows scrolled away, and
:meth:`DecodeQueue.close` drops everything still waiting. A dropped request is simply asked for again if its row
is painted again. No Qt here: the caller turns results into signals.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Container

log = logging.getLogger(__name__)

#: Requests waiting at most: a few screens of a grid.
MAX_WAITING = 256

Job = Callable[[], object]
Deliver = Callable[[int, object, BaseException | None], None]


class DecodeQueue:
    """Runs ``job()`` for each request on ``threads`` threads, newest first; ``deliver(key, result, error)`` is
    called on the decoding thread."""

    def __init__(self, deliver: Deliver, threads: int = 2, limit: int = MAX_WAITING, name: str = "thumbnail") -> None:
        self.limit = limit
        self._deliver = deliver
        self._waiting: OrderedDict[int, Job] = OrderedDict()  # oldest request first
        self._changed = threading.Condition()
        self._closed = False
        self._threads = [threading.Thread(target=self._work, name=f"{name}-{n}", daemon=True) for n in range(threads)]
        for thread in self._threads:
            thread.start()

    def submit(self, key: int, job: Job) -> list[int]:
        """Queue ``job`` for ``key`` (a newer request for the same key replaces the older one); returns the keys
        of the oldest requests dropped to stay within :attr:`limit`."""
        with self._changed:
            if self._closed:
                return [key]
            self._waiting[key] = job
            self._waiting.move_to_end(key)
            dropped = [self._waiting.popitem(last=False)[0] for _ in range(len(self._waiting) - self.limit)]
            self._changed.notify()
        return dropped

    def keep_only(self, keys: Container[int]) -> list[int]:
        """Drop the waiting requests whose key is not in ``keys`` (rows scrolled away); returns their keys."""
        with self._changed:
            dropped = [key for key in self._waiting if key not in keys]
            for key in dropped:
                del self._waiting[key]
        return dropped

    def waiting(self) -> list[int]:
        """The keys waiting, oldest request first."""
        with self._changed:
            return list(self._waiting)

    def close(self, wait: bool = True) -> None:
        """Drop every waiting request; with ``wait``, also wait for the decodes in hand."""
        with self._changed:
            self._closed = True
            self._waiting.clear()
            self._changed.notify_all()
        if wait:
            for thread in self._threads:
                thread.join()

    def _work(self) -> None:
        while True:
            with self._changed:
                while not self._waiting and not self._closed:
                    self._changed.wait()
                if self._closed:
                    return
                key, job = self._waiting.popitem(last=True)  # the newest request: the rows on screen now
            try:
                result, error = job(), None
            except Exception as exc:  # a bad file must not stop the decoder
                log.debug("making thumbnail %s failed", key, exc_info=exc)
                result, error = None, exc
            try:
                self._deliver(key, result, error)
            except Exception:
                log.exception("delivering thumbnail %s failed", key)
