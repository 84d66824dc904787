"""The engine's folders: watching them, taking the watcher's reports (the :class:`WatchSink`), and what the scan
thread (:mod:`photoscribe.engine_scan`) scans: every folder in full at start, when added and every
``reconcile_minutes`` to catch what events missed; polled folders (network shares) every ``poll_seconds``, listing
only the directories whose mtime changed.

A report the library cannot take (locked by another program) raises, so the watcher keeps it and retries. A
folder removed while it is scanned or while its files settle is left alone: what was queued for it meanwhile is
taken off the queue again.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from photoscribe.engine_parts import ScanStopped
from photoscribe.errors import PhotoScribeError, library_busy, one_line
from photoscribe.events import EngineError, PhotosChanged
from photoscribe.ingest import FolderWatcher, reconcile, register_files
from photoscribe.ingest.reconcile import ScanCount
from photoscribe.ingest.registration import REGISTER_CHUNK
from photoscribe.ingest.tree import FolderTree
from photoscribe.library import FolderRecord, Registration
from photoscribe.library.library import normalise

if TYPE_CHECKING:
    from photoscribe.engine import Engine

log = logging.getLogger(__name__)


class FolderKeeper:
    """Watches the library's folders for an :class:`Engine` and keeps the library in step with them."""

    def __init__(self, engine: Engine, settle_seconds: float, poll_seconds: float) -> None:
        self.engine = engine
        self.library = engine.library
        self.watcher = FolderWatcher(self, settle_seconds, poll_seconds)
        self.scanning = False  # set by the scan thread while it scans a folder
        self.chunk = REGISTER_CHUNK  # files per transaction (PhotosChanged after each)
        self._lock = threading.Lock()
        self._all_due_at = float("-inf")  # when every folder is next scanned in full (monotonic clock)
        self._full_due: set[Path] = set()  # folders to scan in full soon (added, resumed)
        self._poll_due_at = 0.0  # when polled folders are next looked at
        self._trees: dict[Path, FolderTree] = {}  # polled folders' directories as last listed

    # -- what the user asks ---------------------------------------------------------------------------------

    def add(self, path: Path | str, polling: bool) -> str:
        folder = normalise(path)
        if not folder.is_dir():
            raise PhotoScribeError(f"{path} is not a folder")
        self.library.add_folder(folder, polling)
        mode = self.watch(folder, polling)
        self.rescan_soon(folder)
        return mode

    def remove(self, path: Path | str, forget_photos: bool) -> None:
        folder = normalise(path)
        self.watcher.unwatch(folder)
        self.watcher.tracker.forget_under(folder)
        with self._lock:
            self._trees.pop(folder, None)
        self.library.remove_folder(folder, forget_photos)

    def set_paused(self, path: Path | str, paused: bool) -> None:
        folder = normalise(path)
        self.library.set_folder_options(folder, paused=paused)
        if paused:
            self.watcher.unwatch(folder)
        else:
            options = next(f for f in self.library.folders() if f.path == folder)
            self.watch(folder, options.polling)
            self.rescan_soon(folder)

    def watch_all(self) -> None:
        already = set(self.watcher.watched())
        for folder in self.library.folders():
            if not folder.paused and folder.path not in already:
                self.watch(folder.path, folder.polling)

    def watch(self, folder: Path, polling: bool) -> str:
        with self._lock:
            self._trees.pop(folder, None)  # a polled folder's next look lists it all again
        try:
            return self.watcher.watch(folder, polling)
        except OSError as exc:
            message = f"cannot watch {folder}: {exc.strerror or exc}"
            self.engine._emit(EngineError(message))
            log.warning("%s", message)
            return "not watched"

    def rescan_soon(self, folder: Path | None = None) -> None:
        """Scan ``folder`` (default: every folder) in full soon, on the scan thread."""
        with self._lock:
            if folder is None:
                self._all_due_at = float("-inf")
            else:
                self._full_due.add(folder)
        self.engine._scan.wake()

    # -- WatchSink: called on watcher threads ----------------------------------------------------------------

    def files_ready(self, paths: list[Path]) -> None:
        """New or changed files are complete: register them and wake the caption thread."""
        with self.engine._working():
            register_files(self.library, paths)
            folders = [f.path for f in self.library.folders()]
            stray = [p for p in paths if not any(f in p.parents for f in folders)]
            if stray:  # their folder was removed while they settled or were being registered
                self.library.cancel_pending(within=stray)
        self.engine._emit(PhotosChanged())
        self.engine._wake.set()

    def files_gone(self, paths: list[Path]) -> None:
        """Files were deleted: mark them missing (their captions are kept)."""
        self.library.mark_missing(paths)
        self.engine._emit(PhotosChanged())

    def file_moved(self, source: Path, target: Path) -> bool:
        """Follow a rename or move."""
        moved = self.library.move_photo(source, target)
        self.engine._emit(PhotosChanged())
        return moved

    def folder_gone(self, path: Path) -> None:
        """A subfolder disappeared: mark its photos missing."""
        self.library.mark_missing(self.library.paths_under(path))
        self.engine._emit(PhotosChanged())

    def watch_warning(self, message: str) -> None:
        """Pass a watching problem on to the user."""
        log.warning("%s", message)
        self.engine._emit(EngineError(message))

    # -- scanning, on the scan thread (photoscribe.engine_scan) ------------------------------------------------

    def due_scans(self) -> list[tuple[FolderRecord, bool]]:
        """The folders to scan now, each with ``full`` (list every directory) or not (a polled folder's look at
        the directories that changed); marked as not due any more. Full scans come first, newest folder first."""
        now = time.monotonic()
        folders = [f for f in self.library.folders() if not f.paused]
        with self._lock:
            if now >= self._all_due_at:
                self._all_due_at = now + self.engine.settings.reconcile_minutes * 60
                full = folders
            else:
                full = [f for f in folders if f.path in self._full_due]
            self._full_due.difference_update(f.path for f in full)
            polled = set(self.watcher.polled())
            looks = []
            if polled and now >= self._poll_due_at:
                self._poll_due_at = now + self.watcher.poll_seconds
                looks = [f for f in folders if f.path in polled and f not in full]
        full.sort(key=lambda f: -_mtime(f.path))
        return [(f, True) for f in full] + [(f, False) for f in looks]

    def seconds_to_next(self) -> float:
        """How long the scan thread may sleep before a scan is due (a wake-up cuts it short)."""
        with self._lock:
            due = [self._all_due_at] + ([self._poll_due_at] if self.watcher.polled() else [])
            if self._full_due:
                return 0.0
        return max(0.0, min(due) - time.monotonic())

    @property
    def catching_up(self) -> bool:
        """True while a scan runs or is due: photos on disk may not be in the library yet."""
        with self._lock:
            return self.scanning or bool(self._full_due) or time.monotonic() >= self._all_due_at

    def scan(
        self,
        folder: FolderRecord,
        full: bool,
        on_progress: Callable[[ScanCount], None],
        on_chunk: Callable[[], None],
        should_stop: Callable[[], bool] | None = None,
    ) -> Counter[Registration]:
        """Scan one folder; one removed meanwhile is left alone, another folder's error is reported (and the folder
        is scanned in full again at the next periodic scan). A locked library and a stop are raised."""
        if not folder.path.is_dir():  # an unplugged drive or an unmounted share: its photos are not "deleted"
            return Counter()
        settle = self.engine.settings.settle_seconds
        tree = self._tree(folder.path) if full or folder.path in self.watcher.polled() else None
        outcomes: Counter[Registration] = Counter()
        try:
            outcomes = reconcile(
                self.library,
                folder.path,
                folder.id,
                settle,
                self.watcher.tracker.touch,
                tree=tree,
                full=full,
                on_progress=on_progress,
                on_chunk=on_chunk,
                chunk=self.chunk,
                should_stop=should_stop,
            )
        except ScanStopped:
            raise
        except Exception as exc:
            if self._removed(folder.id):
                log.info("%s was removed while it was scanned", folder.path)
            elif library_busy(exc):
                raise
            else:
                log.exception("scanning %s failed", folder.path)
                message = f"scanning {folder.path} failed ({one_line(exc)}); it is scanned again later"
                self.engine._emit(EngineError(message))
        if self._removed(folder.id):
            self.library.cancel_pending(within=[folder.path])
        return outcomes

    def _tree(self, folder: Path) -> FolderTree:
        """The tree kept for a polled folder (its next looks list only what changed); a fresh one otherwise."""
        if folder not in self.watcher.polled():
            return FolderTree(folder)
        with self._lock:
            return self._trees.setdefault(folder, FolderTree(folder))

    def _removed(self, folder_id: int) -> bool:
        return all(f.id != folder_id for f in self.library.folders())


def _mtime(path: Path) -> float:
    try:
        return os.stat(path).st_mtime
    except OSError:
        return 0.0
