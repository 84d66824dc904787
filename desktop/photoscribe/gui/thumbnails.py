"""Thumbnails decoded off the GUI thread and cached on disk, so a 100,000-photo grid scrolls smoothly."""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

from PIL import Image
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QImage

from photoscribe.errors import UnreadableImageError
from photoscribe.gui.tasks import TaskRunner
from photoscribe.imaging import load_for_model

log = logging.getLogger(__name__)

THUMBNAIL_EDGE = 256


class ThumbnailCache(QObject):
    """Thumbnails by photo id; ``ready(photo_id)`` fires (GUI thread) when one is loaded or found unreadable."""

    ready = Signal(int)

    def __init__(self, folder: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.folder = folder
        self._images: dict[int, QImage] = {}
        self._loading: set[int] = set()
        self._unreadable: set[int] = set()
        self._runner = TaskRunner(2, "thumbnail", self)

    def get(self, photo_id: int, path: str, size: int, mtime_key: str) -> QImage | None:
        """The thumbnail if it is loaded; otherwise start loading it and return ``None``."""
        image = self._images.get(photo_id)
        if image is not None or photo_id in self._loading or photo_id in self._unreadable:
            return image
        self._loading.add(photo_id)
        cache_file = (
            self.folder / f"{hashlib.blake2b(f'{path}|{size}|{mtime_key}'.encode(), digest_size=16).hexdigest()}.jpg"
        )
        self._runner.run(lambda: _make(Path(path), cache_file), lambda **r: self._loaded(photo_id, **r))
        return None

    def loaded(self, photo_id: int) -> QImage | None:
        """The thumbnail if it is already loaded (never starts loading)."""
        return self._images.get(photo_id)

    def unreadable(self, photo_id: int) -> bool:
        """True when the photo could not be decoded for a thumbnail."""
        return photo_id in self._unreadable

    def forget(self, photo_id: int) -> None:
        """Drop a thumbnail (its photo changed)."""
        self._images.pop(photo_id, None)
        self._unreadable.discard(photo_id)

    def shutdown(self) -> None:
        """Stop the loader threads."""
        self._runner.shutdown()

    def _loaded(self, photo_id: int, result: object, error: object) -> None:
        self._loading.discard(photo_id)
        if isinstance(result, QImage):
            self._images[photo_id] = result
        else:
            self._unreadable.add(photo_id)
        self.ready.emit(photo_id)


def _make(path: Path, cache_file: Path) -> QImage | None:
    """Load a cached thumbnail or make one (runs on a loader thread; QImage is safe off the GUI thread)."""
    if cache_file.exists():
        image = QImage(str(cache_file))
        if not image.isNull():
            return image
    try:
        picture = load_for_model(path, edge=THUMBNAIL_EDGE // 3 + 1)
    except UnreadableImageError:
        return None
    picture.thumbnail((THUMBNAIL_EDGE, THUMBNAIL_EDGE), Image.Resampling.BILINEAR)
    try:
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        picture.save(cache_file, quality=85)
    except OSError as exc:
        log.debug("cannot cache a thumbnail in %s: %s", cache_file, exc)
    data = picture.tobytes("raw", "RGB")
    return QImage(data, picture.width, picture.height, picture.width * 3, QImage.Format.Format_RGB888).copy()
