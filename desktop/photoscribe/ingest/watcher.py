"""Watching photo folders with watchdog and handing on finished files.

One observer per natively watched folder (inotify, FSEvents, ReadDirectoryChangesW). A polled folder (a network
share, where native events do not arrive) has no observer: it is only listed here as polled, and the engine's scan
thread looks at it every poll interval, listing only the directories whose mtime changed
(:class:`~photoscribe.ingest.tree.FolderTree`); files it finds still changing come to this watcher's settle
tracker. When the system runs out of native watches the folder falls back to polling and the sink is told.

New and changed files wait in a :class:`SettleTracker` until complete; deletions, moves and whole-folder changes
go to the sink at once. Nothing the sink fails to record (a library locked by another program) is dropped:
finished files go back to the tracker and every other report is kept, and both are tried again with a growing
pause until the sink takes them.
"""

from __future__ import annotations

import errno
import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver

from photoscribe.ingest.scanner import is_candidate, iter_photos
from photoscribe.ingest.settle import SettleTracker
from photoscribe.retry import Backoff

log = logging.getLogger(__name__)

OUT_OF_WATCHES = {errno.ENOSPC, errno.EMFILE, errno.ENFILE}
POLL_SECONDS = 30.0  # a network share is looked at this often (the ``poll_seconds`` setting)
RETRY_FIRST, RETRY_MOST = 0.5, 30.0  # pause before retrying what the sink could not record: doubles up to this


class WatchSink(Protocol):
    """What a :class:`FolderWatcher` reports to (the engine). Called from watcher threads."""

    def files_ready(self, paths: list[Path]) -> None:
        """New or changed files that are complete."""

    def files_gone(self, paths: list[Path]) -> None:
        """Files that were deleted."""

    def file_moved(self, source: Path, target: Path) -> bool:
        """A file was renamed or moved; False when the source was unknown (then it is treated as new)."""

    def folder_gone(self, path: Path) -> None:
        """A whole subfolder was deleted or moved away."""

    def watch_warning(self, message: str) -> None:
        """Something the user should know about watching (e.g. the fallback to polling)."""


class FolderWatcher:
    """Watches folders recursively and reports finished files to a :class:`WatchSink`."""

    def __init__(self, sink: WatchSink, settle_seconds: float, poll_seconds: float = POLL_SECONDS) -> None:
        self.sink = sink
        self.tracker = SettleTracker(settle_seconds)
        self.poll_seconds = poll_seconds
        self._observers: dict[Path, BaseObserver] = {}
        self._polled: set[Path] = set()
        self._own_writes: dict[Path, float] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._settler = threading.Thread(target=self._settle_loop, name="settle", daemon=True)
        self._tick = _tick(settle_seconds)
        self._unrecorded: list[Callable[[], object]] = []  # sink reports that failed, oldest first
        self._backoff = Backoff(RETRY_FIRST, RETRY_MOST)
        self._retry_at = 0.0

    # -- lifecycle -----------------------------------------------------------------------------------------

    def start(self) -> None:
        """Start handing on settled files."""
        self._settler.start()

    def stop(self) -> None:
        """Stop every observer and the settle thread."""
        self._stop.set()
        with self._lock:
            observers, self._observers = list(self._observers.values()), {}
            self._polled.clear()
        for observer in observers:
            observer.stop()
        for observer in observers:
            observer.join(timeout=5)
        if self._settler.is_alive():
            self._settler.join(timeout=5)

    def watch(self, folder: Path, polling: bool = False) -> str:
        """Watch ``folder`` recursively; returns ``"native"`` or ``"polling"`` (what is in use). Native watching
        walks the whole tree to add its watches: call it off the GUI thread."""
        self.unwatch(folder)
        if polling:
            return self._poll(folder)
        try:
            observer = self._start_observer(folder, False)
        except OSError as exc:
            if exc.errno not in OUT_OF_WATCHES:
                raise
            self.sink.watch_warning(
                f"the system ran out of file watches for {folder}; checking it every {self.poll_seconds:g} s "
                "instead (on Linux, raise fs.inotify.max_user_watches to watch it natively)"
            )
            return self._poll(folder)
        with self._lock:
            self._observers[folder] = observer
        log.info("watching %s (native)", folder)
        return "native"

    def _poll(self, folder: Path) -> str:
        with self._lock:
            self._polled.add(folder)
        log.info("watching %s (polling every %g s)", folder, self.poll_seconds)
        return "polling"

    def unwatch(self, folder: Path) -> None:
        """Stop watching ``folder``."""
        with self._lock:
            observer = self._observers.pop(folder, None)
            self._polled.discard(folder)
        if observer is not None:
            observer.stop()
            observer.join(timeout=5)

    def watched(self) -> list[Path]:
        """Folders being watched, natively or by polling."""
        with self._lock:
            return [*self._observers, *sorted(self._polled)]

    def polled(self) -> list[Path]:
        """Folders watched by polling (the engine's scan thread looks at them every :attr:`poll_seconds`)."""
        with self._lock:
            return sorted(self._polled)

    def set_settle_seconds(self, seconds: float) -> None:
        """Change how long new files must stay unchanged (takes effect at the next look)."""
        self.tracker.settle_seconds = seconds
        self._tick = _tick(seconds)

    def ignore_own_write(self, path: Path, seconds: float = 10.0) -> None:
        """Ignore events on ``path`` for a while: PhotoScribe itself is writing it (metadata)."""
        now = time.monotonic()
        with self._lock:
            for old in [p for p, expiry in self._own_writes.items() if expiry < now]:
                del self._own_writes[old]
            self._own_writes[path] = now + seconds

    @property
    def unrecorded(self) -> int:
        """How many reports wait to be retried because the sink could not record them."""
        with self._lock:
            return len(self._unrecorded)

    @property
    def settling(self) -> int:
        """How many files are waiting to be complete."""
        return len(self.tracker)

    # -- internals -------------------------------------------------------------------------------------------

    def _start_observer(self, folder: Path, polling: bool) -> BaseObserver:
        """A native observer (``polling`` is always False: polled folders have none)."""
        observer = Observer()
        observer.schedule(_Handler(self), str(folder), recursive=True)
        observer.daemon = True
        observer.start()
        return observer

    def _settle_loop(self) -> None:
        while not self._stop.wait(self._tick):
            if time.monotonic() < self._retry_at:
                continue  # the sink failed a moment ago: wait before trying it again
            try:
                if not self._retry_unrecorded():
                    continue
                ready = self.tracker.ready()
                if ready:
                    self._report(lambda: self.sink.files_ready(ready), on_failure=lambda: self.tracker.hand_back(ready))
            except Exception:  # the watcher must outlive any one bad file
                log.exception("handing on settled files failed")

    def _report(self, call: Callable[[], object], on_failure: Callable[[], None] | None = None) -> object:
        """Tell the sink something; when it fails, keep the report (or hand ``on_failure`` its part) for later."""
        try:
            result = call()
        except Exception as exc:
            log.warning("could not record a change (%s); trying again shortly", exc, exc_info=True)
            with self._lock:
                if on_failure is None:
                    self._unrecorded.append(call)
                self._retry_at = time.monotonic() + self._backoff.next()
            if on_failure is not None:
                on_failure()
            return None
        with self._lock:
            if not self._unrecorded and time.monotonic() >= self._retry_at:
                self._backoff.reset()
        return result

    def _retry_unrecorded(self) -> bool:
        """Replay kept reports in order; stop at the first that still fails (it stays first). True when all went."""
        while True:
            with self._lock:
                if not self._unrecorded:
                    return True
                call = self._unrecorded[0]
            try:
                call()
            except Exception as exc:
                log.warning("still cannot record a change (%s)", exc)
                with self._lock:
                    self._retry_at = time.monotonic() + self._backoff.next()
                return False
            with self._lock:
                self._unrecorded.pop(0)
                if not self._unrecorded:
                    self._backoff.reset()

    def _is_own_write(self, path: Path, consume: bool = False) -> bool:
        with self._lock:
            expiry = self._own_writes.get(path)
            if expiry is not None and (consume or expiry < time.monotonic()):
                del self._own_writes[path]
            return expiry is not None and expiry >= time.monotonic()

    def dispatch(self, event: FileSystemEvent) -> None:
        """Route one watchdog event (called on observer threads)."""
        source = Path(_text(event.src_path))
        target = Path(_text(event.dest_path)) if getattr(event, "dest_path", "") else None
        try:
            if event.is_directory:
                self._folder_event(event.event_type, source, target)
            else:
                self._file_event(event.event_type, source, target)
        except Exception:
            log.exception("handling %s of %s failed", event.event_type, source)

    def _file_event(self, kind: str, source: Path, target: Path | None) -> None:
        if kind in ("created", "modified", "closed"):
            if is_candidate(source) and not self._is_own_write(source):
                self.tracker.touch(source)
        elif kind == "deleted":
            self.tracker.forget(source)
            if is_candidate(source):
                self._report(lambda: self.sink.files_gone([source]))
        elif kind == "moved" and target is not None:
            self.tracker.forget(source)
            if is_candidate(target):
                if self._is_own_write(target, consume=True):  # our own write: a temporary file replaced the photo
                    return
                # A move the sink cannot record now is registered as a new file later, which finds the move.
                moved = is_candidate(source) and self._report(lambda: self.sink.file_moved(source, target), _nothing)
                if not moved:
                    self.tracker.touch(target)
            elif is_candidate(source):
                self._report(lambda: self.sink.files_gone([source]))

    def _folder_event(self, kind: str, source: Path, target: Path | None) -> None:
        if kind == "created":
            self._touch_all(source)
        elif kind == "deleted":
            self._report(lambda: self.sink.folder_gone(source))
        elif kind == "moved" and target is not None:
            self._report(lambda: self.sink.folder_gone(source))
            self._touch_all(target)

    def _touch_all(self, folder: Path) -> None:
        """A folder appeared (copied or moved in): its files may predate the watch on it."""
        for path in iter_photos(folder):
            self.tracker.touch(path)


class _Handler(FileSystemEventHandler):
    def __init__(self, watcher: FolderWatcher) -> None:
        self.watcher = watcher

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type != "opened" and event.event_type != "closed_no_write":
            self.watcher.dispatch(event)


def _text(path: str | bytes) -> str:
    return os.fsdecode(path) if isinstance(path, bytes) else path


def _tick(settle_seconds: float) -> float:
    return max(0.05, min(0.5, settle_seconds / 4))


def _nothing() -> None:
    """``on_failure`` for a report whose fallback is done by the caller."""
