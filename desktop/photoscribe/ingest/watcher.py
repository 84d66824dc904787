"""Watching photo folders with watchdog and handing on finished files.

One observer per folder, so each folder can use native events (inotify, FSEvents, ReadDirectoryChangesW) or
polling (network shares, where native events do not arrive). When the system runs out of native watches the
folder falls back to polling and the sink is told. New and changed files wait in a :class:`SettleTracker`
until complete; deletions, moves and whole-folder changes go to the sink at once.
"""

from __future__ import annotations

import errno
import logging
import threading
import time
from pathlib import Path
from typing import Protocol

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver
from watchdog.observers.polling import PollingObserver

from photoscribe.ingest.scanner import is_candidate, iter_photos
from photoscribe.ingest.settle import SettleTracker

log = logging.getLogger(__name__)

OUT_OF_WATCHES = {errno.ENOSPC, errno.EMFILE, errno.ENFILE}
POLL_SECONDS = 2.0


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
        self._own_writes: dict[Path, float] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._settler = threading.Thread(target=self._settle_loop, name="settle", daemon=True)
        self._tick = max(0.05, min(0.5, settle_seconds / 4))

    # -- lifecycle -----------------------------------------------------------------------------------------

    def start(self) -> None:
        """Start handing on settled files."""
        self._settler.start()

    def stop(self) -> None:
        """Stop every observer and the settle thread."""
        self._stop.set()
        with self._lock:
            observers, self._observers = list(self._observers.values()), {}
        for observer in observers:
            observer.stop()
        for observer in observers:
            observer.join(timeout=5)
        if self._settler.is_alive():
            self._settler.join(timeout=5)

    def watch(self, folder: Path, polling: bool = False) -> str:
        """Watch ``folder`` recursively; returns ``"native"`` or ``"polling"`` (what is in use)."""
        self.unwatch(folder)
        mode = "polling" if polling else "native"
        try:
            observer = self._start_observer(folder, polling)
        except OSError as exc:
            if polling or exc.errno not in OUT_OF_WATCHES:
                raise
            self.sink.watch_warning(
                f"the system ran out of file watches for {folder}; checking it every {self.poll_seconds:g} s "
                "instead (on Linux, raise fs.inotify.max_user_watches to watch it natively)"
            )
            observer, mode = self._start_observer(folder, True), "polling"
        with self._lock:
            self._observers[folder] = observer
        log.info("watching %s (%s)", folder, mode)
        return mode

    def unwatch(self, folder: Path) -> None:
        """Stop watching ``folder``."""
        with self._lock:
            observer = self._observers.pop(folder, None)
        if observer is not None:
            observer.stop()
            observer.join(timeout=5)

    def watched(self) -> list[Path]:
        """Folders being watched."""
        with self._lock:
            return list(self._observers)

    def ignore_own_write(self, path: Path, seconds: float = 10.0) -> None:
        """Ignore events on ``path`` for a while: PhotoScribe itself is writing it (metadata)."""
        with self._lock:
            self._own_writes[path] = time.monotonic() + seconds

    @property
    def settling(self) -> int:
        """How many files are waiting to be complete."""
        return len(self.tracker)

    # -- internals -------------------------------------------------------------------------------------------

    def _start_observer(self, folder: Path, polling: bool) -> BaseObserver:
        observer = PollingObserver(timeout=self.poll_seconds) if polling else Observer()
        observer.schedule(_Handler(self), str(folder), recursive=True)
        observer.daemon = True
        observer.start()
        return observer

    def _settle_loop(self) -> None:
        while not self._stop.wait(self._tick):
            try:
                ready = self.tracker.ready()
                if ready:
                    self.sink.files_ready(ready)
            except Exception:  # the watcher must outlive any one bad file or database hiccup
                log.exception("handing on settled files failed")

    def _is_own_write(self, path: Path) -> bool:
        with self._lock:
            expiry = self._own_writes.get(path)
            if expiry is not None and expiry < time.monotonic():
                del self._own_writes[path]
                return False
            return expiry is not None

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
                self.sink.files_gone([source])
        elif kind == "moved" and target is not None:
            self.tracker.forget(source)
            if is_candidate(target):
                if not (is_candidate(source) and self.sink.file_moved(source, target)):
                    self.tracker.touch(target)
            elif is_candidate(source):
                self.sink.files_gone([source])

    def _folder_event(self, kind: str, source: Path, target: Path | None) -> None:
        if kind == "created":
            self._touch_all(source)
        elif kind == "deleted":
            self.sink.folder_gone(source)
        elif kind == "moved" and target is not None:
            self.sink.folder_gone(source)
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
    return path.decode() if isinstance(path, bytes) else path
