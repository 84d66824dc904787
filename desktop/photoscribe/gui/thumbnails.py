"""Thumbnails decoded off the GUI thread and cached on disk, so a 100,000-photo grid scrolls smoothly.

In memory only the most recently used ones are kept (:data:`MEMORY_BUDGET` bytes); the others come back from the
disk cache when they are shown again. Every format goes through :func:`photoscribe.imaging.load_for_model` (RAW
files through their embedded previews or a demosaic, HEIC through pillow-heif); a photo that cannot be decoded keeps
the one-line reason, shown instead of its thumbnail.
"""

from __future__ import annotations

import hashlib
import logging
from collections import OrderedDict
from pathlib import Path

from PIL import Image
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QImage

from photoscribe.errors import UnreadableImageError, one_line
from photoscribe.gui.tasks import TaskRunner
from photoscribe.imaging import load_for_model

log = logging.getLogger(__name__)

THUMBNAIL_EDGE = 256
MEMORY_BUDGET = 160 * 1024 * 1024  # about 1,300 thumbnails of 256 × 170: many screens of a grid


class ThumbnailCache(QObject):
    """Thumbnails by photo id; ``ready(photo_id)`` fires (GUI thread) when one is loaded or found unreadable."""

    ready = Signal(int)

    def __init__(self, folder: Path, parent: QObject | None = None, memory_budget: int = MEMORY_BUDGET) -> None:
        super().__init__(parent)
        self.folder = folder
        self.memory_budget = memory_budget
        self._images: OrderedDict[int, QImage] = OrderedDict()  # least recently used first
        self._bytes = 0
        self._loading: set[int] = set()
        self._unreadable: dict[int, str] = {}  # photo id -> why it could not be decoded
        self._runner = TaskRunner(2, "thumbnail", self)
        self._closed = False

    def get(self, photo_id: int, path: str, size: int, mtime_key: str) -> QImage | None:
        """The thumbnail if it is loaded; otherwise start loading it and return ``None``."""
        image = self.loaded(photo_id)
        if image is not None or photo_id in self._loading or photo_id in self._unreadable or self._closed:
            return image
        self._loading.add(photo_id)
        cache_file = (
            self.folder / f"{hashlib.blake2b(f'{path}|{size}|{mtime_key}'.encode(), digest_size=16).hexdigest()}.jpg"
        )
        self._runner.run(lambda: _make(Path(path), cache_file), lambda **r: self._loaded(photo_id, **r))
        return None

    def loaded(self, photo_id: int) -> QImage | None:
        """The thumbnail if it is already loaded (never starts loading)."""
        image = self._images.get(photo_id)
        if image is not None:
            self._images.move_to_end(photo_id)
        return image

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
        image = self._images.pop(photo_id, None)
        if image is not None:
            self._bytes -= image.sizeInBytes()
        self._unreadable.pop(photo_id, None)

    def shutdown(self) -> None:
        """Stop the loader threads: the thumbnails being made are finished, those still queued are dropped."""
        self._closed = True
        self._runner.shutdown(drop_queued=True)

    def _loaded(self, photo_id: int, result: object, error: object) -> None:
        self._loading.discard(photo_id)
        if isinstance(result, QImage):
            self.forget(photo_id)
            self._images[photo_id] = result
            self._bytes += result.sizeInBytes()
            while self._bytes > self.memory_budget and len(self._images) > 1:
                _, evicted = self._images.popitem(last=False)
                self._bytes -= evicted.sizeInBytes()
        else:
            failed = one_line(error) if isinstance(error, BaseException) else "it could not be decoded"
            self._unreadable[photo_id] = result if isinstance(result, str) else failed
        self.ready.emit(photo_id)


def _make(path: Path, cache_file: Path) -> QImage | str:
    """Load a cached thumbnail or make one (runs on a loader thread; QImage is safe off the GUI thread); for a
    photo that cannot be decoded, the reason."""
    if cache_file.exists():
        image = QImage(str(cache_file))
        if not image.isNull():
            return image
    try:
        picture = load_for_model(path, edge=THUMBNAIL_EDGE // 3 + 1)
    except UnreadableImageError as exc:
        return exc.reason
    picture.thumbnail((THUMBNAIL_EDGE, THUMBNAIL_EDGE), Image.Resampling.BILINEAR)
    try:
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        picture.save(cache_file, quality=85)
    except OSError as exc:
        log.debug("cannot cache a thumbnail in %s: %s", cache_file, exc)
    data = picture.tobytes("raw", "RGB")
    return QImage(data, picture.width, picture.height, picture.width * 3, QImage.Format.Format_RGB888).copy()
