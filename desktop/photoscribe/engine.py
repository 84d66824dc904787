"""The engine: watched folders feed the library's queue; one background thread captions it.

Qt-free: listeners are plain callables receiving :mod:`photoscribe.events` objects on the engine's threads.
The queue lives in the database, so stopping, crashing or being killed loses nothing: on start, photos left
``running`` go back to ``pending``, and every watched folder is reconciled with the disk.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

from photoscribe.captioning import Captioner, CaptionSettings, choose_hardware
from photoscribe.config import Settings
from photoscribe.errors import PhotoScribeError
from photoscribe.events import (
    EngineError,
    EngineState,
    Event,
    ModelDownload,
    PhotoCaptioned,
    PhotoFailed,
    PhotosChanged,
    Progress,
    QueueEmpty,
    StateChanged,
)
from photoscribe.ingest import FolderWatcher, reconcile
from photoscribe.ingest.watcher import POLL_SECONDS
from photoscribe.library import Library
from photoscribe.library.library import normalise
from photoscribe.metadata import MetadataWriter
from photoscribe.metadata.sync import open_writer, write_records
from photoscribe.worker import BatchOutcome, CaptionWorker

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
        poll_seconds: float = POLL_SECONDS,
    ) -> None:
        self.settings = settings
        self.library = library or Library(settings.library)
        self._captioner_factory = captioner_factory or self._load_captioner
        self._captioner: Captioner | None = None
        self._listeners: list[Listener] = []
        self._watcher = FolderWatcher(self, settings.settle_seconds, poll_seconds)
        self._wake = threading.Event()
        self._paused = threading.Event()
        self._stopping = threading.Event()
        self._cancel = threading.Event()
        self._changed = threading.Condition()
        self._state = EngineState.STOPPED
        self._busy = 0  # > 0 while files are being registered or a batch is being captioned
        self._thread: threading.Thread | None = None
        self._last_reconcile = float("-inf")
        self._progress = _ProgressMeter()
        self._metadata_writer: MetadataWriter | None = None

    # -- listeners ----------------------------------------------------------------------------------------

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener`` with every event from now on; returns a function that unsubscribes it."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def _emit(self, event: Event) -> None:
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:
                log.exception("an engine listener failed on %s", event)

    # -- control ----------------------------------------------------------------------------------------------

    @property
    def state(self) -> str:
        """The current :class:`EngineState`."""
        return self._state

    def start(self) -> None:
        """Start watching every library folder and captioning in the background."""
        if self._thread is not None:
            return
        self._set_state(EngineState.STARTING)
        requeued = self.library.requeue_running()
        if requeued:
            log.info("%d photos claimed by an earlier run went back to the queue", requeued)
        already = set(self._watcher.watched())
        for folder in self.library.folders():
            if not folder.paused and folder.path not in already:
                self._watch(folder.path, folder.polling)
        self._watcher.start()
        self._thread = threading.Thread(target=self._run, name="caption-engine", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 60.0) -> None:
        """Stop watching, let the batch in hand finish (or go back to the queue), and wait for the thread."""
        self._stopping.set()
        self._wake.set()
        self._watcher.stop()
        if self._thread is not None:
            self._thread.join(timeout)
        if self._metadata_writer is not None and self._metadata_writer.exiftool is not None:
            self._metadata_writer.exiftool.close()
        self._set_state(EngineState.STOPPED)

    def pause(self) -> None:
        """Start no new batch until :meth:`resume` (the batch in hand finishes)."""
        self._paused.set()
        self._wake.set()

    def resume(self) -> None:
        """Carry on after :meth:`pause` (also retries loading a model that failed to load)."""
        self._paused.clear()
        self._wake.set()

    def cancel(self) -> None:
        """Empty the queue: waiting photos are set aside (queued again when asked or when they change)."""
        self._cancel.set()
        self._wake.set()

    def add_folder(self, path: Path | str, polling: bool = False) -> str:
        """Add and watch a folder (recursively); its photos are queued. Returns the watch mode in use."""
        folder = normalise(path)
        if not folder.is_dir():
            raise PhotoScribeError(f"{path} is not a folder")
        self.library.add_folder(folder, polling)
        mode = self._watch(folder, polling)
        self._last_reconcile = float("-inf")
        self._wake.set()
        return mode

    def remove_folder(self, path: Path | str, forget_photos: bool = False) -> None:
        """Stop watching a folder and drop it from the library (its photos too with ``forget_photos``)."""
        folder = normalise(path)
        self._watcher.unwatch(folder)
        self.library.remove_folder(folder, forget_photos)

    def set_folder_paused(self, path: Path | str, paused: bool) -> None:
        """Pause or resume watching one folder."""
        folder = normalise(path)
        self.library.set_folder_options(folder, paused=paused)
        if paused:
            self._watcher.unwatch(folder)
        else:
            options = next(f for f in self.library.folders() if f.path == folder)
            self._watch(folder, options.polling)
            self._last_reconcile = float("-inf")
            self._wake.set()

    def recaption(self, photo_ids: list[int], prompt: str | None = None) -> int:
        """Queue photos again (optionally with a one-off prompt) and wake the caption thread; returns how many."""
        queued = self.library.requeue(photo_ids, prompt)
        self._wake.set()
        return queued

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
            and self._watcher.settling == 0
            and self._state in (EngineState.IDLE, EngineState.PAUSED, EngineState.ERROR)
            and (self._paused.is_set() or self.library.stats().pending == 0)
        )

    # -- WatchSink: called on watcher threads --------------------------------------------------------------

    def files_ready(self, paths: list[Path]) -> None:
        """New or changed files are complete: register them and wake the caption thread."""
        with self._working():
            self.library.register_files(paths)
        self._emit(PhotosChanged())
        self._wake.set()

    def files_gone(self, paths: list[Path]) -> None:
        """Files were deleted: mark them missing (their captions are kept)."""
        self.library.mark_missing(paths)
        self._emit(PhotosChanged())

    def file_moved(self, source: Path, target: Path) -> bool:
        """Follow a rename or move."""
        moved = self.library.move_photo(source, target)
        self._emit(PhotosChanged())
        return moved

    def folder_gone(self, path: Path) -> None:
        """A subfolder disappeared: mark its photos missing."""
        self.library.mark_missing(self.library.paths_under(path))
        self._emit(PhotosChanged())

    def watch_warning(self, message: str) -> None:
        """Pass a watching problem on to the user."""
        log.warning("%s", message)
        self._emit(EngineError(message))

    # -- the caption thread -----------------------------------------------------------------------------------

    def _run(self) -> None:
        while not self._stopping.is_set():
            self._wake.clear()
            if self._cancel.is_set():
                self._cancel_queue()
            self._reconcile_if_due()  # also while paused: new folders are scanned and their photos queued
            if self._paused.is_set():
                self._set_state(EngineState.PAUSED)
                self._wake.wait()
                continue
            if self.library.stats().pending == 0:
                self._go_idle()
                continue
            captioner = self._ensure_captioner()
            if captioner is None:
                self._wake.wait()
                continue
            self._caption_backlog(captioner)

    def _caption_backlog(self, captioner: Captioner) -> None:
        if not self._progress.done:
            self._progress = _ProgressMeter()  # throughput counts from the first batch, not from idle time
        self._set_state(EngineState.CAPTIONING, captioner.hardware.describe())
        settings = CaptionSettings(self.settings.prompt, self.settings.max_length, self.settings.num_beams)
        worker = CaptionWorker(self.library, captioner, settings, self.settings.batch_size)
        with self._working():
            worker.run(on_batch=self._on_batch, should_stop=self._should_stop_batches)

    def _should_stop_batches(self) -> bool:
        return self._stopping.is_set() or self._paused.is_set() or self._cancel.is_set()

    def _on_batch(self, outcome: BatchOutcome) -> None:
        for photo, result in outcome.captioned:
            self._emit(PhotoCaptioned(str(photo.path), result.caption, tuple(result.keywords)))
        for photo, reason in outcome.failed:
            self._emit(PhotoFailed(str(photo.path), reason))
        self._write_metadata([photo.id for photo, _ in outcome.captioned])
        done = len(outcome.captioned) + len(outcome.failed)
        self._emit(self._progress.advance(done, self.library.stats().pending))
        self._notify()

    def _write_metadata(self, photo_ids: list[int]) -> None:
        """With metadata writing on, put fresh captions into the photos (or sidecars), ignoring our own writes."""
        if self.settings.write_metadata == "off" or not photo_ids:
            return
        if self._metadata_writer is None:
            try:
                self._metadata_writer = open_writer(self.settings)
            except PhotoScribeError as exc:
                self.settings.write_metadata = "off"
                self._emit(EngineError(f"metadata writing is off: {exc}"))
                return
        records = list(self.library.records(photo_ids).values())
        for record in records:
            self.ignore_own_write(Path(record.path))
        for outcome in write_records(self._metadata_writer, records, self.library):
            if not outcome.written:
                self._emit(EngineError(f"metadata not written for {outcome.path}: {outcome.reason}"))

    def _go_idle(self) -> None:
        if self._progress.done:
            self._emit(QueueEmpty())
        self._progress = _ProgressMeter()
        self._set_state(EngineState.IDLE)
        self._wake.wait(min(IDLE_RECHECK_SECONDS, self.settings.reconcile_minutes * 60))

    def _cancel_queue(self) -> None:
        cancelled = self.library.cancel_pending()
        self._cancel.clear()
        log.info("cancelled %d queued photos", cancelled)
        self._emit(self._progress.advance(0, 0))

    def _ensure_captioner(self) -> Captioner | None:
        if self._captioner is None:
            self._set_state(EngineState.LOADING_MODEL, self.settings.model)
            try:
                self._captioner = self._captioner_factory()
            except PhotoScribeError as exc:
                self._emit(EngineError(str(exc), fatal=True))
                self._set_state(EngineState.ERROR, str(exc))
                return None
        return self._captioner

    def _load_captioner(self) -> Captioner:
        hardware = choose_hardware(self.settings.device, self.settings.precision)
        return Captioner.load(self.settings.model, hardware, progress=download_progress(self._emit))

    def _reconcile_if_due(self) -> None:
        if time.monotonic() - self._last_reconcile < self.settings.reconcile_minutes * 60:
            return
        self._last_reconcile = time.monotonic()
        with self._working():
            for folder in self.library.folders():
                if not folder.paused and folder.path.is_dir():
                    reconcile(
                        self.library, folder.path, folder.id, self.settings.settle_seconds, self._watcher.tracker.touch
                    )
            self._emit(PhotosChanged())

    # -- helpers ----------------------------------------------------------------------------------------------

    def _watch(self, folder: Path, polling: bool) -> str:
        try:
            return self._watcher.watch(folder, polling)
        except OSError as exc:
            message = f"cannot watch {folder}: {exc.strerror or exc}"
            self._emit(EngineError(message))
            log.warning("%s", message)
            return "not watched"

    def _set_state(self, state: str, detail: str = "") -> None:
        if state != self._state:
            self._state = state
            self._emit(StateChanged(state, detail))
        self._notify()

    def _notify(self) -> None:
        with self._changed:
            self._changed.notify_all()

    def _working(self) -> _Busy:
        return _Busy(self)


def download_progress(emit: Listener) -> type:
    """A tqdm class for ``snapshot_download`` that also reports each step as a :class:`ModelDownload` event."""
    from tqdm.auto import tqdm

    class EngineDownloadProgress(tqdm):  # type: ignore[misc,valid-type]
        def update(self, n: float | None = 1) -> bool | None:
            shown = super().update(n)
            emit(ModelDownload(int(self.n), int(self.total or 0)))
            return shown

    return EngineDownloadProgress


class _Busy:
    """Context manager counting work in progress, so :meth:`Engine.wait_until_idle` never returns too early."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def __enter__(self) -> None:
        with self.engine._changed:
            self.engine._busy += 1

    def __exit__(self, *exc: object) -> None:
        with self.engine._changed:
            self.engine._busy -= 1
            self.engine._changed.notify_all()


class _ProgressMeter:
    """Done count and throughput over the current backlog."""

    def __init__(self) -> None:
        self.done = 0
        self.started = time.perf_counter()

    def advance(self, done: int, pending: int) -> Progress:
        self.done += done
        elapsed = time.perf_counter() - self.started
        rate = self.done / elapsed if elapsed > 0 else 0.0
        return Progress(done=self.done, total=self.done + pending, photos_per_second=rate)
