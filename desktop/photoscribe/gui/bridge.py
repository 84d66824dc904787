"""Engine events to Qt signals, delivered on the GUI thread in small slices.

Engine listeners run on engine threads; touching a widget there would crash. The bridge queues events and a
50 ms timer on the GUI thread drains at most :data:`EVENTS_PER_TICK` of them per tick, so a burst of thousands
of captions never floods the event loop (Picard learned this the hard way).
"""

from __future__ import annotations

import threading
from collections import deque

from PySide6.QtCore import QObject, QTimer, Signal

from photoscribe.events import (
    EngineError,
    Event,
    ModelDownload,
    PhotoCaptioned,
    PhotoFailed,
    PhotosChanged,
    Progress,
    QueueEmpty,
    ScanProgress,
    SearchStatus,
    StateChanged,
)

EVENTS_PER_TICK = 200
TICK_MS = 50


class EngineBridge(QObject):
    """Re-emits engine events as signals on the thread that owns the bridge (the GUI thread)."""

    photo_changed = Signal(str)  # path of a photo that was captioned or failed
    photo_failed = Signal(str, str)  # path, reason
    progress = Signal(int, int, float)  # done, total, photos per second
    state_changed = Signal(str, str)  # state, detail
    error = Signal(str, bool)  # message, fatal
    download = Signal(int, int)  # files done, total
    queue_empty = Signal()
    photos_changed = Signal()  # photos added, moved or missing
    drained = Signal(int)  # how many events the last tick delivered
    search_status = Signal(object)  # a SearchStatus: search by meaning loading, embedding, ready or words only
    scan_progress = Signal(object)  # a ScanProgress: a folder being scanned, files seen and registered so far

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pending: deque[Event] = deque()
        self._lock = threading.Lock()
        self._timer = QTimer(self)
        self._timer.setInterval(TICK_MS)
        self._timer.timeout.connect(self.drain)
        self._timer.start()

    def __call__(self, event: Event) -> None:
        """The engine listener: any thread."""
        with self._lock:
            self._pending.append(event)

    def drain(self) -> None:
        """Deliver up to :data:`EVENTS_PER_TICK` queued events (GUI thread)."""
        with self._lock:
            batch = [self._pending.popleft() for _ in range(min(EVENTS_PER_TICK, len(self._pending)))]
        for event in batch:
            self._deliver(event)
        if batch:
            self.drained.emit(len(batch))

    def _deliver(self, event: Event) -> None:
        if isinstance(event, PhotoCaptioned):
            self.photo_changed.emit(event.path)
        elif isinstance(event, PhotoFailed):
            self.photo_changed.emit(event.path)
            self.photo_failed.emit(event.path, event.reason)
        elif isinstance(event, Progress):
            self.progress.emit(event.done, event.total, event.photos_per_second)
        elif isinstance(event, StateChanged):
            self.state_changed.emit(event.state, event.detail)
        elif isinstance(event, EngineError):
            self.error.emit(event.message, event.fatal)
        elif isinstance(event, ModelDownload):
            self.download.emit(event.done, event.total)
        elif isinstance(event, QueueEmpty):
            self.queue_empty.emit()
        elif isinstance(event, PhotosChanged):
            self.photos_changed.emit()
        elif isinstance(event, SearchStatus):
            self.search_status.emit(event)
        elif isinstance(event, ScanProgress):
            self.scan_progress.emit(event)
