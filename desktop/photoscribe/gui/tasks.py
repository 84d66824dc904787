"""Running work off the GUI thread with the result delivered back on it (Picard's ``run_task`` habit)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from PySide6.QtCore import QObject, Signal

log = logging.getLogger(__name__)


class TaskRunner(QObject):
    """Runs functions on a thread pool; ``callback(result=..., error=...)`` always runs on the GUI thread."""

    _finished = Signal(object, object, object)  # callback, result, error

    def __init__(self, workers: int, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix=name)
        self._finished.connect(self._call_back)

    def run(self, func: Callable[[], Any], callback: Callable[..., None] | None = None) -> Future[Any]:
        """Run ``func()`` on the pool; then ``callback(result=value, error=None or exception)`` on the GUI thread."""
        future = self._pool.submit(func)
        if callback is not None:
            future.add_done_callback(lambda f: f.cancelled() or self._finished.emit(callback, *_outcome(f)))
        return future

    def shutdown(self, drop_queued: bool = False) -> None:
        """Wait for running work and stop; queued work is done first (pending saves) unless ``drop_queued``."""
        self._pool.shutdown(wait=True, cancel_futures=drop_queued)

    @staticmethod
    def _call_back(callback: Callable[..., None], result: object, error: object) -> None:
        callback(result=result, error=error)


def _outcome(future: Future[Any]) -> tuple[object, object]:
    error = future.exception()
    if error is not None:
        log.error("background task failed: %s", error, exc_info=error)
        return None, error
    return future.result(), None


class LatestTask(QObject):
    """One background thread for work a newer request makes pointless (a search, folder counts): a request still
    waiting when a newer one comes is dropped, and only the newest request's result reaches its callback.

    :attr:`generation` counts requests; a result is delivered only while its request is the newest one.
    """

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._runner = TaskRunner(1, name, self)
        self._waiting: Future[Any] | None = None
        self._closed = False
        self.generation = 0

    def run(self, func: Callable[[], Any], callback: Callable[..., None]) -> int:
        """Run ``func()`` after the request in hand; ``callback(result=..., error=...)`` on the GUI thread unless
        a newer request came meanwhile. Returns the request's generation."""
        self.generation += 1
        generation = self.generation
        if self._closed:
            return generation
        if self._waiting is not None:
            self._waiting.cancel()  # not started yet: never runs

        def deliver(result: object, error: object) -> None:
            if generation == self.generation:
                callback(result=result, error=error)

        self._waiting = self._runner.run(func, deliver)
        return generation

    def shutdown(self) -> None:
        """Drop the waiting request, wait for the one running; no result is delivered after this, and later
        requests never run."""
        self._closed = True
        self.generation += 1
        self._runner.shutdown(drop_queued=True)
