"""The scan thread: it sets up the watches and runs every folder scan, so that neither the caller of
:meth:`Engine.start` (the GUI thread) nor the caption thread ever walks a folder tree.

At start it takes back photos whose lease expired, sets up the watches (native watching walks the whole tree to
add its inotify watches), then scans every folder in full, newest folder first, registering photos in chunks:
after each chunk the listeners hear :class:`PhotosChanged` (the grid fills as the scan goes) and the caption thread
is woken (it captions what is registered while the scan goes on). :class:`ScanProgress` says how far each folder's
scan is. Afterwards it sleeps until a folder is added or resumed, a polled folder is due (``poll_seconds``), or
the periodic full scan is (``reconcile_minutes``). A stop ends the scan in hand between two files.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

from photoscribe.engine_parts import ScanMeter, ScanStopped, trouble_message
from photoscribe.errors import one_line
from photoscribe.events import EngineError, PhotosChanged
from photoscribe.ingest.reconcile import ScanCount
from photoscribe.library import FolderRecord, Registration
from photoscribe.retry import Backoff

if TYPE_CHECKING:
    from photoscribe.engine import Engine

log = logging.getLogger(__name__)


class ScanThread:
    """Runs the :class:`~photoscribe.engine_folders.FolderKeeper`'s scans for an :class:`Engine` on its own thread."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._wake, self._stopping = threading.Event(), threading.Event()
        self._thread: threading.Thread | None = None
        self._backoff = Backoff()

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="scan", daemon=True)
            self._thread.start()

    def stop(self, timeout: float) -> None:
        """Stop after the chunk in hand and wait for the thread (not when called on the scan thread itself)."""
        self._stopping.set()
        self._wake.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def wake(self) -> None:
        """A scan is due now (a folder was added or resumed)."""
        self._wake.set()

    def _run(self) -> None:
        self._begin()
        folders = self.engine._folders
        while not self._stopping.is_set():
            self._wake.clear()
            try:
                self._scan_due()
            except ScanStopped:
                return
            except Exception as exc:  # a locked library: the folders not scanned are scanned after a pause
                self._stopping.wait(self._trouble(exc))  # (not cut short by the wake-up the retry itself asks for)
                continue
            self._backoff.reset()
            self._wake.wait(folders.seconds_to_next())

    def _begin(self) -> None:
        """Take back expired leases and set up the watches (walking every natively watched tree)."""
        try:
            requeued = self.engine.library.reclaim_expired()
            if requeued:
                log.info("%d photos claimed by an earlier run went back to the queue", requeued)
                self.engine._wake.set()
        except Exception as exc:  # the caption thread takes them back later
            log.warning("cannot take back expired claims now: %s", one_line(exc))
        self.engine._folders.watch_all()

    def _scan_due(self) -> None:
        folders = self.engine._folders
        due = folders.due_scans()
        for position, (folder, full) in enumerate(due):
            try:
                self._scan(folder, full)
            except ScanStopped:
                raise
            except BaseException:
                for later, later_full in due[position:]:
                    if later_full:
                        folders.rescan_soon(later.path)
                raise

    def _scan(self, folder: FolderRecord, full: bool) -> None:
        engine, folders = self.engine, self.engine._folders
        meter = ScanMeter(engine._emit, folder.path, quiet=not full)

        def progress(count: ScanCount) -> None:
            if self._stopping.is_set():
                raise ScanStopped
            meter.update(count.files_seen, count.registered)

        def chunk_written() -> None:
            engine._wake.set()  # the caption thread starts on what is registered
            engine._emit(PhotosChanged())
            if self._stopping.is_set():
                raise ScanStopped

        with engine._changed:
            folders.scanning = True
        try:
            with engine._working():
                outcomes = folders.scan(folder, full, progress, chunk_written, self._stopping.is_set)
        finally:
            meter.finish()
            with engine._changed:
                folders.scanning = False
        if full or any(kind != Registration.UNCHANGED for kind in outcomes):
            engine._emit(PhotosChanged())
            engine._wake.set()

    def _trouble(self, exc: Exception) -> float:
        pause = self._backoff.next()
        message = trouble_message(exc, "scanning folders", f"scanning again in {pause:g} s")
        log.error("%s", message, exc_info=exc)
        self.engine._emit(EngineError(message))
        return pause
