"""The thumbnail folder on disk, kept under a size limit.

A thumbnail file is named after the photo's path, size and caption time. Each use touches the file's mtime, so
pruning removes the thumbnails used least recently first (atime is not reliable: ``noatime``/``relatime``), down to
:data:`PRUNE_TO` of the limit so that it does not run again at once. Pruning runs on its own thread, once at start
and whenever the thumbnails written since the last count could have passed the limit. A photo whose thumbnail
file changes name (it was captioned again) loses its old file at once. No Qt here.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections import OrderedDict
from pathlib import Path

log = logging.getLogger(__name__)

#: The thumbnail folder's size limit: about 80,000 thumbnails of 13 kB.
DISK_BUDGET = 1024 * 1024 * 1024
#: Pruning removes thumbnails until the folder holds this share of the limit.
PRUNE_TO = 0.9
#: Photos whose thumbnail file name is remembered (to remove the old file when it changes).
NAMES_KEPT = 20_000
SUFFIX = ".jpg"


class DiskCache:
    """Thumbnail files in ``folder``, at most ``budget`` bytes of them (checked in the background)."""

    def __init__(self, folder: Path, budget: int = DISK_BUDGET) -> None:
        self.folder = folder
        self.budget = budget
        self._lock = threading.Lock()
        self._names: OrderedDict[int, str] = OrderedDict()  # photo id -> its thumbnail's file name
        self._bytes: int | None = None  # the folder's size as last counted plus what was written since
        self._added = 0  # bytes written since the count in hand began
        self._pruning: threading.Thread | None = None
        self._running = False  # a prune is counting (set and cleared under the lock)

    def file_for(self, photo_id: int, path: str, size: int, key: str) -> tuple[Path, Path | None]:
        """The thumbnail file of this version of the photo, and the photo's earlier thumbnail file to remove (its
        name changed: the photo was captioned again), if any."""
        name = file_name(path, size, key)
        with self._lock:
            before = self._names.pop(photo_id, None)
            self._names[photo_id] = name
            while len(self._names) > NAMES_KEPT:
                self._names.popitem(last=False)
        return self.folder / name, (self.folder / before if before not in (None, name) else None)

    def used(self, file: Path) -> None:
        """``file`` was read: it is the most recently used now."""
        try:
            os.utime(file)
        except OSError:
            pass

    def written(self, file: Path) -> None:
        """``file`` was written: prune if the folder may be over its limit now."""
        try:
            added = file.stat().st_size
        except OSError:
            return
        with self._lock:
            self._added += added  # (a prune counting now sees it before it stops)
            if self._bytes is not None:
                self._bytes += added
            over = self._bytes is None or self._bytes > self.budget
        if over:
            self.prune_later()

    def prune_later(self) -> threading.Thread | None:
        """Prune on a background thread unless a prune is counting (it counts what was written meanwhile)."""
        with self._lock:
            if self._running:
                return self._pruning
            self._running = True
            self._pruning = threading.Thread(target=self._prune_in_background, name="thumbnail-prune", daemon=True)
        self._pruning.start()
        return self._pruning

    def _prune_in_background(self) -> None:
        try:
            self.prune()
        finally:
            with self._lock:
                self._running = False

    def prune(self) -> int:
        """Remove the least recently used thumbnails until the folder is within its limit; returns how many.
        (Thumbnails written while it counts are counted too: it goes round again if they put it over.)"""
        removed = 0
        while True:
            with self._lock:
                self._added = 0
            gone, total = self._prune_once()
            removed += gone
            with self._lock:
                self._bytes = total + self._added
                if self._bytes <= self.budget or not (gone or self._added):  # (nothing removable: stop)
                    if threading.current_thread() is self._pruning:
                        self._running = False  # (in the same hold of the lock: no write goes unseen)
                    return removed

    def _prune_once(self) -> tuple[int, int]:
        files = []
        try:
            with os.scandir(self.folder) as entries:
                for entry in entries:
                    if entry.name.endswith(SUFFIX) and entry.is_file(follow_symlinks=False):
                        stat = entry.stat(follow_symlinks=False)
                        files.append((stat.st_mtime, stat.st_size, entry.path))
        except FileNotFoundError:
            pass
        total = sum(size for _, size, _ in files)
        removed = 0
        if total > self.budget:
            files.sort()  # least recently used first
            for _, size, path in files:
                if total <= self.budget * PRUNE_TO:
                    break
                if _remove(Path(path)):
                    total -= size
                    removed += 1
            log.info("thumbnail cache pruned: %d files removed, %d bytes left", removed, total)
        return removed, total

    def size(self) -> int:
        """Bytes of thumbnails in the folder (counted now)."""
        try:
            with os.scandir(self.folder) as entries:
                return sum(e.stat().st_size for e in entries if e.name.endswith(SUFFIX) and e.is_file())
        except FileNotFoundError:
            return 0


def file_name(path: str, size: int, key: str) -> str:
    """The thumbnail file name of a photo at ``path`` of ``size`` bytes, ``key`` naming its version."""
    data = f"{path}|{size}|{key}".encode("utf-8", "surrogateescape")  # (a name that is not UTF-8: its own bytes)
    return hashlib.blake2b(data, digest_size=16).hexdigest() + SUFFIX


def remove_stale(file: Path | None) -> None:
    """Remove a photo's earlier thumbnail file (if there is one)."""
    if file is not None:
        _remove(file)


def _remove(file: Path) -> bool:
    try:
        file.unlink()
    except FileNotFoundError:
        return False
    except OSError as exc:
        log.debug("cannot remove the thumbnail %s: %s", file, exc)
        return False
    return True
