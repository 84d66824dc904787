"""The engine's folders: watching them, taking the watcher's reports (the :class:`WatchSink`), and scanning
them on the caption thread to catch what events missed.

A report the library cannot take (locked by another program) raises, so the watcher keeps it and retries. A
folder removed while it is scanned or while its files settle is left alone: what was queued for it meanwhile is
taken off the queue again.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING

from photoscribe.errors import PhotoScribeError, library_busy, one_line
from photoscribe.events import EngineError, PhotosChanged
from photoscribe.ingest import FolderWatcher, reconcile, register_files
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
        self.last_reconcile = float("-inf")

    # -- what the user asks ---------------------------------------------------------------------------------

    def add(self, path: Path | str, polling: bool) -> str:
        folder = normalise(path)
        if not folder.is_dir():
            raise PhotoScribeError(f"{path} is not a folder")
        self.library.add_folder(folder, polling)
        mode = self.watch(folder, polling)
        self.rescan_soon()
        return mode

    def remove(self, path: Path | str, forget_photos: bool) -> None:
        folder = normalise(path)
        self.watcher.unwatch(folder)
        self.watcher.tracker.forget_under(folder)
        self.library.remove_folder(folder, forget_photos)

    def set_paused(self, path: Path | str, paused: bool) -> None:
        folder = normalise(path)
        self.library.set_folder_options(folder, paused=paused)
        if paused:
            self.watcher.unwatch(folder)
        else:
            options = next(f for f in self.library.folders() if f.path == folder)
            self.watch(folder, options.polling)
            self.rescan_soon()

    def watch_all(self) -> None:
        already = set(self.watcher.watched())
        for folder in self.library.folders():
            if not folder.paused and folder.path not in already:
                self.watch(folder.path, folder.polling)

    def watch(self, folder: Path, polling: bool) -> str:
        try:
            return self.watcher.watch(folder, polling)
        except OSError as exc:
            message = f"cannot watch {folder}: {exc.strerror or exc}"
            self.engine._emit(EngineError(message))
            log.warning("%s", message)
            return "not watched"

    def rescan_soon(self) -> None:
        self.last_reconcile = float("-inf")
        self.engine._wake.set()

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

    # -- scanning, on the caption thread ---------------------------------------------------------------------

    def reconcile_if_due(self) -> None:
        settings = self.engine.settings
        if time.monotonic() - self.last_reconcile < settings.reconcile_minutes * 60:
            return
        self.last_reconcile = time.monotonic()
        with self.engine._working():
            try:
                for folder in self.library.folders():
                    if not folder.paused and folder.path.is_dir():
                        self._reconcile_folder(folder.id, folder.path)
            except BaseException:
                self.last_reconcile = float("-inf")  # e.g. a locked library: the whole scan is tried again
                raise
            finally:
                self.engine._emit(PhotosChanged())

    def _reconcile_folder(self, folder_id: int, path: Path) -> None:
        """Scan one folder; one removed meanwhile is left alone, another folder's error is reported."""
        settle = self.engine.settings.settle_seconds
        try:
            reconcile(self.library, path, folder_id, settle, self.watcher.tracker.touch)
        except Exception as exc:
            if self._removed(folder_id):
                log.info("%s was removed while it was scanned", path)
            elif library_busy(exc):
                raise
            else:
                log.exception("scanning %s failed", path)
                self.engine._emit(EngineError(f"scanning {path} failed ({one_line(exc)}); it is scanned again later"))
        if self._removed(folder_id):
            self.library.cancel_pending(within=[path])

    def _removed(self, folder_id: int) -> bool:
        return all(f.id != folder_id for f in self.library.folders())
