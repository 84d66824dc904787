"""What a folder tree held at the last look, directory by directory, so that a later look lists only the
directories that changed.

Adding, removing or renaming an entry changes its directory's mtime, so a directory whose mtime is unchanged is
not listed again: one ``stat`` per directory instead of one per file, which is what makes polling a network share
with 100,000 photos cheap. (A file rewritten in place leaves its directory's mtime alone: the periodic full look
catches it.) A directory whose mtime is within :data:`RACY_SECONDS` of the moment it was listed may change again
within the file system's timestamp granularity (FAT and SMB keep 1 to 2 s), so it is listed again next time.

Hidden subfolders are skipped, and so are symbolic links to folders (as ``os.walk`` does); an unreadable
subfolder is logged and keeps what it held at the last look, so its photos are never taken for deleted.
"""

from __future__ import annotations

import logging
import os
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from photoscribe.formats import is_photo_name, left_out_kind
from photoscribe.ingest.pace import pause
from photoscribe.ingest.scanner import is_users_file

log = logging.getLogger(__name__)

RACY_SECONDS = 2.0


@dataclass
class _Listing:
    mtime_ns: int
    photos: tuple[str, ...]  # file names, sorted
    subfolders: tuple[str, ...]
    left_out: Counter[tuple[str, str]]
    racy: bool  # changed too close to when it was listed: list it again next time


@dataclass
class TreeLook:
    """What one look found: the folders listed (newest first by mtime) with their photos, and what is gone."""

    listed: list[tuple[Path, list[Path]]] = field(default_factory=list)
    gone_files: list[Path] = field(default_factory=list)
    gone_folders: list[Path] = field(default_factory=list)
    folders_seen: int = 0  # listed or not
    photos_seen: int = 0  # in the folders listed

    @property
    def changed(self) -> bool:
        return bool(self.listed or self.gone_files or self.gone_folders)


class FolderTree:
    """One library folder's directories as last listed. Not thread-safe: one thread looks at a time."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._folders: dict[Path, _Listing] = {}
        self.listings: Counter[Path] = Counter()  # how many times each directory was listed (tests read it)

    def left_out(self) -> Counter[tuple[str, str]]:
        """Files that are not photos in the whole tree, by (``formats.LeftOut`` value, extension)."""
        total: Counter[tuple[str, str]] = Counter()
        for listing in self._folders.values():
            total.update(listing.left_out)
        return total

    def look(self, full: bool = False, on_listed: Callable[[int], None] | None = None) -> TreeLook:
        """Walk the tree: list every directory (``full``) or only those whose mtime changed since the last look.

        ``on_listed(photos)`` is called after each directory listed with the number of photos it holds."""
        look = TreeLook()
        stack = [self.root]
        while stack:
            folder = stack.pop()
            pause()  # (a directory of a few thousand photos is a few milliseconds of work)
            listing = self._look_at(folder, full, look, on_listed)
            if listing is not None:
                stack.extend(folder / name for name in reversed(listing.subfolders))
        look.listed.sort(key=lambda item: -self._folders[item[0]].mtime_ns)  # newest first (a stable sort)
        return look

    def _look_at(
        self, folder: Path, full: bool, look: TreeLook, on_listed: Callable[[int], None] | None
    ) -> _Listing | None:
        before = self._folders.get(folder)
        try:
            mtime_ns = os.stat(folder).st_mtime_ns
        except FileNotFoundError:
            self._forget(folder, look)
            return None
        except OSError as exc:
            log.warning("skipping %s: %s", folder, exc.strerror or exc)
            return before
        look.folders_seen += 1
        if before is not None and not full and not before.racy and before.mtime_ns == mtime_ns:
            return before
        listing = self._list(folder, mtime_ns)
        if listing is None:
            return before
        self._folders[folder] = listing
        if before is not None:
            look.gone_files += [folder / n for n in sorted(set(before.photos) - set(listing.photos))]
            for name in sorted(set(before.subfolders) - set(listing.subfolders)):
                self._forget(folder / name, look)
        look.listed.append((folder, [folder / name for name in listing.photos]))
        look.photos_seen += len(listing.photos)
        if on_listed is not None:
            on_listed(len(listing.photos))
        return listing

    def _list(self, folder: Path, mtime_ns: int) -> _Listing | None:
        photos: list[str] = []
        subfolders: list[str] = []
        left_out: Counter[tuple[str, str]] = Counter()
        listed_at = time.time_ns()
        try:
            self.listings[folder] += 1
            with os.scandir(folder) as entries:
                for entry in entries:
                    _sort_entry(entry, photos, subfolders, left_out)
        except OSError as exc:
            log.warning("skipping %s: %s", folder, exc.strerror or exc)
            return None
        racy = abs(listed_at - mtime_ns) < RACY_SECONDS * 1e9
        return _Listing(mtime_ns, tuple(sorted(photos)), tuple(sorted(subfolders)), left_out, racy)

    def _forget(self, folder: Path, look: TreeLook) -> None:
        """``folder`` is gone: it and everything listed below it."""
        look.gone_folders.append(folder)
        for known in [f for f in self._folders if f == folder or folder in f.parents]:
            del self._folders[known]


def _sort_entry(
    entry: os.DirEntry[str], photos: list[str], subfolders: list[str], left_out: Counter[tuple[str, str]]
) -> None:
    name = entry.name
    try:
        is_folder = entry.is_dir()
    except OSError:
        return
    if is_folder:
        if not name.startswith(".") and not entry.is_symlink():
            subfolders.append(name)
    elif is_users_file(name) and is_photo_name(name):  # is_candidate, without making a Path
        photos.append(name)
    elif is_users_file(name):
        kind = left_out_kind(name)
        if kind is not None:
            left_out[kind.value, os.path.splitext(name)[1].lower()] += 1
