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
