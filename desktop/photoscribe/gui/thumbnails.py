"""Thumbnails decoded off the GUI thread and cached on disk, so a 100,000-photo grid scrolls smoothly in bounded
memory.

In memory only the most recently used ones are kept (:data:`MEMORY_BUDGET` bytes); the others come back from the
disk cache when they are shown again. Decoding goes through a :class:`~photoscribe.gui.decode_queue.DecodeQueue`:
newest request first, bounded, with requests for rows scrolled away dropped (:meth:`ThumbnailCache.keep_only`).
The disk cache stays under :data:`~photoscribe.gui.disk_cache.DISK_BUDGET` (see :mod:`photoscribe.gui.disk_cache`).
Every format goes through :func:`photoscribe.imaging.load_for_model` (RAW files through their embedded previews or
a demosaic, HEIC through pillow-heif); a photo that cannot be decoded keeps the one-line reason, shown instead of
its thumbnail.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Container
from pathlib import Path

from PIL import Image
from PySide6.QtCore import QObject, QSize, Qt, Signal
from PySide6.QtGui import QImage

from photoscribe.errors import UnreadableImageError, one_line
from photoscribe.gui.decode_queue import MAX_WAITING, DecodeQueue
from photoscribe.gui.disk_cache import DISK_BUDGET, DiskCache, remove_stale
from photoscribe.imaging import load_for_model

log = logging.getLogger(__name__)

THUMBNAIL_EDGE = 256
MEMORY_BUDGET = 160 * 1024 * 1024  # about 1,300 thumbnails of 256 × 170: many screens of a grid
DECODERS = 2


class ThumbnailCache(QObject):
    """Thumbnails by photo id; ``ready(photo ids)`` fires (GUI thread) when some are loaded or found unreadable.

    Decoders hand their results over in batches: a result waits in a list, and only the first of a batch wakes the
    GUI thread, which takes them all and says so in one ``ready``. (A signal emitted on the GUI thread lets go of
    the interpreter lock and waits to take it back from the busy threads: 50-120 µs each with one busy thread,
    milliseconds with five. One per thumbnail, and one repaint each, was a good part of a page's cost.)
    """

    ready = Signal(object)  # list of photo ids
    _made = Signal()  # results wait in _results: from a decoder thread

    def __init__(
        self,
        folder: Path,
        parent: QObject | None = None,
        memory_budget: int = MEMORY_BUDGET,
        disk_budget: int = DISK_BUDGET,
        decoders: int | None = None,
        fit: QSize | None = None,
        ratio: float = 1.0,
    ) -> None:
        super().__init__(parent)
        self.folder = folder
        self.fit, self.ratio = fit, ratio  # each thumbnail also fitted in ``fit`` at ``ratio`` (for the grid)
        self.memory_budget = memory_budget
        self.disk = DiskCache(folder, disk_budget)
        self._images: OrderedDict[int, tuple[QImage, QImage]] = OrderedDict()  # (as made, fitted), least recently
        # used first
        self._bytes = 0
        self._loading: set[int] = set()
        self._unreadable: dict[int, str] = {}  # photo id -> why it could not be decoded
        self._refit: set[int] = set()  # loaded photos fitted in an earlier fit, to fit again when shown
        self._results: list[tuple[int, object, object]] = []  # made, not yet taken by the GUI thread
        self._results_lock = threading.Lock()
        self._made.connect(self._take_results)
        self._queue = DecodeQueue(self._deliver, DECODERS if decoders is None else decoders, MAX_WAITING)
        self._closed = False
        self.disk.prune_later()  # what earlier runs left may be over the limit

    def get(self, photo_id: int, path: str, size: int, mtime_key: str) -> QImage | None:
        """The thumbnail if it is loaded; otherwise ask for it (newest request first) and return ``None``."""
        image = self.loaded(photo_id)
        if image is not None or photo_id in self._loading or photo_id in self._unreadable or self._closed:
            return image
        self._loading.add(photo_id)
        cache_file, stale = self.disk.file_for(photo_id, path, size, mtime_key)
        fit, ratio = self.fit, self.ratio
        disk = self.disk
        job = lambda: _fitted(_make(Path(path), cache_file, stale, disk), fit, ratio)  # noqa: E731
        self._dropped(self._queue.submit(photo_id, job))
        return None

    def set_fit(self, fit: QSize) -> None:
        """Fit thumbnails in ``fit`` from now on (the grid's thumbnails changed size). Those fitted before are
        fitted again on a decoder thread when they are next shown (the grid scales them meanwhile)."""
        if fit != self.fit:
            self.fit = QSize(fit)
            self._refit = set(self._images)

    def keep_only(self, photo_ids: Container[int]) -> None:
        """Drop the waiting requests for photos not in ``photo_ids`` (their rows were scrolled away)."""
        self._dropped(self._queue.keep_only(photo_ids))

    def _dropped(self, photo_ids: list[int]) -> None:
        """Requests dropped from the queue: asked for again if painted again."""
        self._loading.difference_update(photo_ids)
        self._refit.update(photo_id for photo_id in photo_ids if photo_id in self._images)

    def waiting(self) -> list[int]:
        """Photos whose thumbnails wait to be decoded, oldest request first."""
        return self._queue.waiting()

    def loaded(self, photo_id: int) -> QImage | None:
        """The thumbnail if it is already loaded (never starts loading)."""
        return self._used(photo_id, 0)

    def fitted(self, photo_id: int) -> QImage | None:
        """The thumbnail fitted in :attr:`fit` (made on a decoder thread: painted without scaling), if loaded;
        one fitted in an earlier :attr:`fit` is returned while it is fitted again."""
        image = self._used(photo_id, 1)
        if photo_id in self._refit and image is not None and not self._closed:
            self._refit.discard(photo_id)
            self._loading.add(photo_id)
            made, fit, ratio = self._images[photo_id][0], self.fit, self.ratio
            self._dropped(self._queue.submit(photo_id, lambda: _fitted(made, fit, ratio)))
        return image

    def _used(self, photo_id: int, which: int) -> QImage | None:
        """One of a loaded photo's two images (0: as decoded, 1: fitted), marked most recently used."""
        images = self._images.get(photo_id)
        if images is None:
            return None
        self._images.move_to_end(photo_id)
        return images[which]

    def memory_used(self) -> int:
        """Bytes held by the thumbnails in memory."""
        return self._bytes

    def unreadable(self, photo_id: int) -> bool:
        """True when the photo could not be decoded for a thumbnail."""
        return photo_id in self._unreadable

    def reason(self, photo_id: int) -> str | None:
        """Why the photo could not be decoded for a thumbnail (``None``: it could, or it is not loaded yet)."""
        return self._unreadable.get(photo_id)

    def no_preview_text(self, photo_id: int) -> str:
        """What to show instead of the thumbnail: that it is loading, or why there is none."""
        reason = self._unreadable.get(photo_id)
        return "loading…" if reason is None else f"no preview: {reason}"

    def forget(self, photo_id: int) -> None:
        """Drop a thumbnail (its photo changed)."""
        images = self._images.pop(photo_id, None)
        if images is not None:
            self._bytes -= _bytes(images)
        self._unreadable.pop(photo_id, None)
        self._refit.discard(photo_id)

    def shutdown(self, wait: bool = True) -> None:
        """Stop decoding: the thumbnails being made are finished (waited for with ``wait``), those still queued
        are dropped."""
        self._closed = True
        self._queue.close(wait)

    def _deliver(self, photo_id: int, result: object, error: object) -> None:
        """A decoder's result (decoder thread): the first of a batch wakes the GUI thread."""
        with self._results_lock:
            first = not self._results
            self._results.append((photo_id, result, error))
        if first:
            self._made.emit()

    def _take_results(self) -> None:
        with self._results_lock:
            results, self._results = self._results, []
        for photo_id, _, _ in results:
            self._loading.discard(photo_id)
        if self._closed or not results:
            return
        for result in results:
            self._loaded(*result)
        self.ready.emit([photo_id for photo_id, _, _ in results])

    def _loaded(self, photo_id: int, result: object, error: object) -> None:
        if isinstance(result, tuple):
            made, fitted, fit = result
            self.forget(photo_id)
            self._images[photo_id] = images = (made, fitted)
            self._bytes += _bytes(images)
            if fit != self.fit:  # (made before the fit changed)
                self._refit.add(photo_id)
            while self._bytes > self.memory_budget and len(self._images) > 1:
                evicted_id, evicted = self._images.popitem(last=False)
                self._bytes -= _bytes(evicted)
                self._refit.discard(evicted_id)
        else:
            failed = one_line(error) if isinstance(error, BaseException) else "it could not be decoded"
            self._unreadable[photo_id] = result if isinstance(result, str) else failed


def _bytes(images: tuple[QImage, QImage]) -> int:
    full, fitted = images
    return full.sizeInBytes() + (0 if fitted is full else fitted.sizeInBytes())


def _fitted(made: QImage | str, fit: QSize | None, ratio: float) -> tuple[QImage, QImage, QSize | None] | str:
    """The thumbnail, its copy fitted in ``fit`` (``ratio`` device pixels a pixel) in the format screens paint
    fastest, and ``fit``; the reason instead for a photo that cannot be decoded."""
    if not isinstance(made, QImage) or fit is None:
        return (made, made, fit) if isinstance(made, QImage) else made
    box = made.size().scaled(fit * ratio, Qt.AspectRatioMode.KeepAspectRatio)
    scaled = made.scaled(box, Qt.AspectRatioMode.IgnoreAspectRatio, Qt.TransformationMode.SmoothTransformation)
    fitted = scaled.convertToFormat(QImage.Format.Format_ARGB32_Premultiplied)
    fitted.setDevicePixelRatio(ratio)
    return made, fitted, fit


def _make(path: Path, cache_file: Path, stale: Path | None, disk: DiskCache) -> QImage | str:
    """Load a cached thumbnail or make one (runs on a decoder thread; QImage is safe off the GUI thread); for a
    photo that cannot be decoded, the reason. ``stale``: the photo's earlier thumbnail file, removed."""
    remove_stale(stale)
    if cache_file.exists():
        image = QImage(str(cache_file))
        if not image.isNull():
            disk.used(cache_file)
            return image
    try:
        picture = load_for_model(path, edge=THUMBNAIL_EDGE // 3 + 1)
    except UnreadableImageError as exc:
        return exc.reason
    picture.thumbnail((THUMBNAIL_EDGE, THUMBNAIL_EDGE), Image.Resampling.BILINEAR)
    try:
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        picture.save(cache_file, quality=85)
        disk.written(cache_file)
    except OSError as exc:
        log.debug("cannot cache a thumbnail in %s: %s", cache_file, exc)
    data = picture.tobytes("raw", "RGB")
    return QImage(data, picture.width, picture.height, picture.width * 3, QImage.Format.Format_RGB888).copy()
