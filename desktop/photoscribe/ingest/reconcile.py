"""Catching up with a folder: register what is on disk, mark missing what is not.

Events get lost (the app was closed, a buffer overflowed, a network share said nothing), so every watched folder
is reconciled when watching starts and periodically after; a polled folder (a network share) is looked at every
poll interval, listing only the directories whose mtime changed (:class:`~photoscribe.ingest.tree.FolderTree`).
Folders are registered newest first (by directory mtime), in chunks, so the newest photos are in the library, and
queued, first. Files modified within the settle time may still be being copied: they are handed to ``defer`` (the
watcher's settle tracker) instead of being registered.
"""

from __future__ import annotations

import logging
import os
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path

from photoscribe.ingest.pace import paced
from photoscribe.ingest.registration import REGISTER_CHUNK, register_files
from photoscribe.ingest.tree import FolderTree, TreeLook
from photoscribe.library import Library, Registration, normalise

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ScanCount:
    """How far one folder's scan is: photos found so far, photos registered (or found unchanged) so far."""

    files_seen: int
    registered: int


def reconcile(
    library: Library,
    folder: Path,
    folder_id: int | None = None,
    settle_seconds: float = 0.0,
    defer: Callable[[Path], None] | None = None,
    left_out: Counter[tuple[str, str]] | None = None,
    *,
    tree: FolderTree | None = None,
    full: bool = True,
    on_progress: Callable[[ScanCount], None] | None = None,
    on_chunk: Callable[[], None] | None = None,
    chunk: int = REGISTER_CHUNK,
    readers: Executor | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> Counter[Registration]:
    """Register every settled photo under ``folder``; mark the library's photos no longer there missing.

    With ``tree`` (kept between calls) and not ``full``, only the directories whose mtime changed since the last
    look are listed. ``on_progress`` hears how far the scan is as it goes, ``on_chunk`` after each chunk of
    ``chunk`` files written. ``readers`` (a process pool) read the files when there is more than a chunk of them.
    ``should_stop`` ends the registration between two files (see ``register_files``).
    With ``folder_id`` (a library folder), the files there that are not photos are counted for ``status``; they are
    also added to ``left_out`` when it is given.
    """
    folder = normalise(folder)
    tree = tree or FolderTree(folder)
    seen = [0]

    def listed(photos: int) -> None:
        seen[0] += photos
        if on_progress is not None:
            on_progress(ScanCount(seen[0], 0))

    look = tree.look(full=full, on_listed=listed)
    if folder_id is not None and (full or look.changed):
        library.set_left_out(folder_id, tree.left_out())
    if left_out is not None:
        left_out.update(tree.left_out())
    on_disk = [path for _, paths in look.listed for path in paths]
    wanted = _settled(on_disk, settle_seconds, defer)
    done = [0]

    def written(count: int) -> None:
        done[0] += count
        if on_chunk is not None:
            on_chunk()
        if on_progress is not None:
            on_progress(ScanCount(seen[0], done[0]))

    pool = readers if len(wanted) > chunk else None
    outcomes = register_files(
        library, wanted, folder_id, on_chunk=written, chunk=chunk, readers=pool, should_stop=should_stop
    )
    gone = _gone(library, folder, look, full, set(on_disk))
    if gone:
        outcomes[Registration.VANISHED] += library.mark_missing(gone)
    log.info("reconciled %s: %s", folder, {k.value: v for k, v in outcomes.items()})
    return outcomes


def _settled(on_disk: list[Path], settle_seconds: float, defer: Callable[[Path], None] | None) -> list[Path]:
    """The files to register now; those changed within the settle time go to ``defer``."""
    if defer is None:
        return on_disk
    settled_before = time.time() - settle_seconds
    wanted = []
    for path in paced(on_disk):
        if _mtime(path) > settled_before:
            defer(path)
        else:
            wanted.append(path)
    return wanted


def _gone(library: Library, folder: Path, look: TreeLook, full: bool, present: set[Path]) -> list[Path]:
    """The library's photos that are no longer on disk: under the whole folder after a full look, else in the
    directories listed again and the directories gone."""
    if full:
        known = library.paths_under(folder)
    else:
        known = list(look.gone_files)
        for gone_folder in look.gone_folders:
            known += library.paths_under(gone_folder)
    return [p for p in paced(known) if p not in present and not os.path.lexists(p)]


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0
