"""The engine: watched folders feed the library's queue; one background thread captions it.

:meth:`Engine.start` returns at once: the watches are set up and the folders scanned on the scan thread
(:mod:`photoscribe.engine_scan`), which registers photos in chunks, newest folder first, while the caption thread
captions what is registered. :meth:`Engine.stop` may be called from any thread.

Qt-free: listeners are plain callables receiving :mod:`photoscribe.events` objects on the engine's threads.
The queue lives in the database, so stopping, crashing or being killed loses nothing: on start, photos whose
lease expired go back to ``pending``, and every watched folder is reconciled with the disk.

The caption thread never dies: an unexpected error is logged with its traceback and reported as an
:class:`EngineError` (state ``error``), the photo that caused it (when known) fails with the reason, and the
thread tries again after a pause (1, 2, 4 ... 60 s; a wake-up or stop cuts it short). A model that cannot be
loaded is one fatal error, reported once, until :meth:`Engine.resume` or :meth:`Engine.apply_settings`.

A second thread (:attr:`Engine.embeddings`, :mod:`photoscribe.engine_embeddings`) keeps the text vectors of search
by meaning current: woken after each caption batch, each registration and each edit the app saves.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from photoscribe.config import Settings
from photoscribe.engine_embeddings import EmbeddingKeeper, Loader
from photoscribe.engine_folders import FolderKeeper
from photoscribe.engine_metadata import MetadataSync
from photoscribe.engine_model import ModelKeeper
from photoscribe.engine_others import OtherProcesses
from photoscribe.engine_parts import Busy, ProgressMeter, download_progress, trouble_message
from photoscribe.engine_scan import ScanThread
from photoscribe.events import (
    EngineError,
    EngineState,
    Event,
    PhotoCaptioned,
    PhotoFailed,
    PhotosChanged,
    QueueEmpty,
    StateChanged,
)
from photoscribe.library import Library
from photoscribe.library.library import normalise
from photoscribe.retry import Backoff

if TYPE_CHECKING:  # torch comes with these: imported by the caption thread when it loads a model, so the app's
    from photoscribe.captioning import Captioner  # window shows without waiting for PyTorch
    from photoscribe.worker import BatchOutcome

__all__ = ["Engine", "download_progress"]

log = logging.getLogger(__name__)

Listener = Callable[[Event], None]
IDLE_RECHECK_SECONDS = 30.0


class Engine:
    """Owns the library, the folder watchers and the caption thread."""

    def __init__(
        self,
        settings: Settings,
        library: Library | None = None,
        captioner_factory: Callable[[], Captioner] | None = None,
        poll_seconds: float | None = None,
        text_loader: Loader | None = None,
    ) -> None:
        """``poll_seconds`` overrides ``settings.poll_seconds`` (how often polled folders are looked at)."""
        self.settings = settings
        self.library = library or Library(settings.library)
        self._model = ModelKeeper(self, captioner_factory)
        self._listeners: list[Listener] = []
        self.embeddings = EmbeddingKeeper(self, text_loader)  # the text model and the thread keeping vectors current
        self._folders = FolderKeeper(self, settings.settle_seconds, poll_seconds or settings.poll_seconds)
        self._poll_override = poll_seconds
        self._scan = ScanThread(self)
        self._watcher = self._folders.watcher
        self._metadata = MetadataSync(self)
        self._wake, self._paused, self._stopping = threading.Event(), threading.Event(), threading.Event()
        self._others = OtherProcesses(self, self._wake)  # photos and captions from other processes and machines
        self._cancel, self._settings_changed = threading.Event(), threading.Event()
        self._changed = threading.Condition()
        self._state = EngineState.STOPPED
        self._busy = 0  # > 0 while files are being registered or a batch is being captioned
        self._thread: threading.Thread | None = None
        self._progress = ProgressMeter()
        self._backoff = Backoff()

    # -- listeners ----------------------------------------------------------------------------------------

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener`` with every event from now on; returns a function that unsubscribes it."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def _emit(self, event: Event) -> None:
        if isinstance(event, PhotosChanged):
            self.embeddings.wake()  # registered files may bring their own captions
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:
                log.exception("an engine listener failed on %s", event)

    # -- control ----------------------------------------------------------------------------------------------

    @property
    def state(self) -> EngineState:
        """The current :class:`EngineState`."""
        return self._state

    def start(self) -> None:
        """Start watching every library folder, scanning them and captioning, all in the background: returns at
        once (the watches are set up and the folders walked on the scan thread)."""
        if self._thread is not None:
            return
        self._set_state(EngineState.STARTING)
        self._watcher.start()
        self._thread = threading.Thread(target=self._run, name="caption-engine", daemon=True)
        self._thread.start()
        self._scan.start()
        self.embeddings.start()
        self._others.start()

    def stop(self, timeout: float = 60.0) -> None:
        """Stop scanning and watching, let the batch in hand finish (or go back to the queue), and wait for the
        threads. Safe from any thread; the GUI calls it off its own thread."""
        self._stopping.set()
        self._wake.set()
        self._others.stop()
        self._scan.stop(timeout)
        self._watcher.stop()
        self.embeddings.stop(timeout)
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)
        self._metadata.close()
        self._set_state(EngineState.STOPPED)

    def pause(self) -> None:
        """Start no new batch until :meth:`resume` (the batch in hand finishes)."""
        self._paused.set()
        self._wake.set()

    def resume(self) -> None:
        """Carry on after :meth:`pause`; also tries again to load a model that failed to load."""
        self._model.retry()
        self._paused.clear()
        self._wake.set()
        self.embeddings.retry()

    def apply_settings(self, settings: Settings) -> None:
        """Use ``settings`` from the next batch on: another model, device or precision is loaded in place of the
        current one, the settle time applies to files already waiting, the metadata writer is reopened with the
        new options; batch size, prompt and caption length apply to the next batch. Retries a failed model."""
        settings.validate()
        self.settings = settings
        self._watcher.set_settle_seconds(settings.settle_seconds)
        self._watcher.poll_seconds = self._poll_override or settings.poll_seconds
        self._model.retry()
        self._settings_changed.set()
        self._wake.set()
        self.embeddings.retry()  # another text model re-embeds; a failed one is tried again

    def cancel(self) -> None:
        """Empty the queue: waiting photos are set aside (queued again when asked or when they change)."""
        self._cancel.set()
        self._wake.set()

    def add_folder(self, path: Path | str, polling: bool = False) -> str:
        """Add and watch a folder (recursively); its photos are queued. Returns the watch mode in use."""
        return self._folders.add(path, polling)

    def remove_folder(self, path: Path | str, forget_photos: bool = False) -> None:
        """Stop watching a folder and drop it from the library (its photos too with ``forget_photos``).

        Safe while the caption thread scans that folder: what the scan queued meanwhile leaves the queue again."""
        self._folders.remove(path, forget_photos)

    def set_folder_paused(self, path: Path | str, paused: bool) -> None:
        """Pause or resume watching one folder."""
        self._folders.set_paused(path, paused)

    def recaption(self, photo_ids: list[int], prompt: str | None = None) -> int:
        """Queue photos again (optionally with a one-off prompt) and wake the caption thread; returns how many."""
        queued = self.library.requeue(photo_ids, prompt)
        self._wake.set()
        return queued

    def write_metadata_for(self, photo_ids: Iterable[int]) -> None:
        """With metadata writing on, write these photos' captions (e.g. just edited) into the files soon."""
        if self._metadata.enabled:
            self._metadata.queue(photo_ids)
            self._wake.set()

    def ignore_own_write(self, path: Path) -> None:
        """Do not treat PhotoScribe's own write to ``path`` (metadata) as a change."""
        self._watcher.ignore_own_write(normalise(path))

    def wait_until_idle(self, timeout: float) -> bool:
        """Block until nothing is queued, settling or being captioned; False if ``timeout`` ran out first."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not self._is_idle():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._changed.wait(min(remaining, 0.1))
        return True

    def _is_idle(self) -> bool:
        return (
            self._busy == 0
            and not self._folders.catching_up
            and self._watcher.settling == 0
            and self._watcher.unrecorded == 0
            and self._metadata.queued == 0
            and self._state in (EngineState.IDLE, EngineState.PAUSED, EngineState.ERROR)
            and (self._paused.is_set() or self.library.stats().pending == 0)
        )

    # -- the caption thread -----------------------------------------------------------------------------------

    def _run(self) -> None:
        while not self._stopping.is_set():
            self._wake.clear()
            self._settings_changed.clear()
            try:
                self._step()
            except Exception as exc:  # whatever it is, the thread carries on after a pause
                self._trouble(exc)
            else:
                self._backoff.reset()

    def _step(self) -> None:
        if self._cancel.is_set():
            self._cancel_queue()
        self._metadata.write_due()
        if self._paused.is_set():
            self._set_state(EngineState.PAUSED)
            self._wake.wait()
            return
        stats = self.library.stats()
        if stats.pending - stats.running <= 0:
            if stats.pending:  # every waiting photo is leased by another process: look again later
                self._reclaim_expired()
            self._others.seen(stats)
            self._go_idle()
            return
        if self._model.error is not None:  # reported once; resume() or apply_settings() retries
            self._set_state(EngineState.ERROR, self._model.error)
            self._wake.wait()
            return
        captioner = self._model.ensure()
        if captioner is not None:
            self._caption_backlog(captioner)

    def _trouble(self, exc: Exception) -> None:
        """An unexpected error on the caption thread: log it, tell the listeners, pause, then try again."""
        pause = self._backoff.next()
        message = trouble_message(exc, "captioning", f"trying again in {pause:g} s")
        log.error("%s", message, exc_info=exc)
        self._emit(EngineError(message))
        self._set_state(EngineState.ERROR, message)
        self._wake.clear()
        self._wake.wait(pause)

    def _caption_backlog(self, captioner: Captioner) -> None:
        if not self._progress.done:
            self._progress = ProgressMeter()  # throughput counts from the first batch, not from idle time
        self._set_state(EngineState.CAPTIONING, captioner.hardware.describe())
        from photoscribe.captioning import CaptionSettings
        from photoscribe.worker import CaptionWorker

        settings = CaptionSettings(self.settings.prompt, self.settings.max_length, self.settings.num_beams)
        size = min(filter(None, (self.settings.batch_size or captioner.hardware.batch_size, self._model.batch_cap)))
        worker = CaptionWorker(self.library, captioner, settings, size, metadata_pending=self._metadata.enabled)
        with self._working():
            try:
                worker.run(on_batch=self._on_batch, should_stop=self._should_stop_batches)
            finally:
                if worker.batch_size < size:
                    self._model.batch_cap = worker.batch_size  # out of memory: later backlogs stay halved too

    def _should_stop_batches(self) -> bool:
        return any(e.is_set() for e in (self._stopping, self._paused, self._cancel, self._settings_changed))

    def _on_batch(self, outcome: BatchOutcome) -> None:
        for photo, result in outcome.captioned:
            self._emit(PhotoCaptioned(str(photo.path), result.caption, tuple(result.keywords)))
        for photo, reason in outcome.failed:
            self._emit(PhotoFailed(str(photo.path), reason))
        self._metadata.write([photo.id for photo, _ in outcome.captioned])
        self._metadata.write_due()  # edits queued meanwhile go in between batches
        done = len(outcome.captioned) + len(outcome.failed)
        self._emit(self._progress.advance(done, self.library.stats().pending))
        self.embeddings.wake()
        self._notify()

    def _go_idle(self) -> None:
        if not self._folders.catching_up:  # else the backlog goes on: the scan wakes this thread when it ends
            if self._progress.done:
                self._emit(QueueEmpty())
            self._progress = ProgressMeter()
        self._set_state(EngineState.IDLE)
        self._wake.wait(min(IDLE_RECHECK_SECONDS, self.settings.reconcile_minutes * 60))

    def _cancel_queue(self) -> None:
        cancelled = self.library.cancel_pending()
        self._cancel.clear()
        log.info("cancelled %d queued photos", cancelled)
        self._emit(self._progress.advance(0, 0))
        self._emit(PhotosChanged())  # their state changed: lists of queued photos are out of date

    def _reclaim_expired(self) -> None:
        if self.library.reclaim_expired():
            self._wake.set()

    # -- helpers ----------------------------------------------------------------------------------------------

    def _set_state(self, state: EngineState, detail: str = "") -> None:
        if state != self._state:
            self._state = state
            self._emit(StateChanged(state, detail))
        self._notify()

    def _notify(self) -> None:
        with self._changed:
            self._changed.notify_all()

    def _working(self) -> Busy:
        return Busy(self)
