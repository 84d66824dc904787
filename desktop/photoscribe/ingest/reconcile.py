"""Catching up with a folder: register what is on disk, mark missing what is not.

Events get lost (the app was closed, a buffer overflowed, a network share said nothing), so every watched folder
is reconciled when watching starts and periodically after. Files modified within the settle time may still be
being copied: they are handed to ``defer`` (the watcher's settle tracker) instead of being registered.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from photoscribe.ingest.registration import register_files
from photoscribe.ingest.scanner import iter_photos
from photoscribe.library import Library, Registration, normalise

log = logging.getLogger(__name__)


def reconcile(
    library: Library,
    folder: Path,
    folder_id: int | None = None,
    settle_seconds: float = 0.0,
    defer: Callable[[Path], None] | None = None,
    left_out: Counter[tuple[str, str]] | None = None,
) -> Counter[Registration]:
    """Register every settled photo under ``folder``; mark the library's photos no longer there missing.

    With ``folder_id`` (a library folder), the files there that are not photos are counted for ``status``; they
    are also added to ``left_out`` when it is given.
    """
    found: Counter[tuple[str, str]] = Counter()
    on_disk = [normalise(p) for p in iter_photos(folder, found)]
    if folder_id is not None:
        library.set_left_out(folder_id, found)
    if left_out is not None:
        left_out.update(found)
    settled_before = time.time() - settle_seconds
    recent = [p for p in on_disk if defer is not None and _mtime(p) > settled_before]
    for path in recent:
        defer(path)  # type: ignore[misc]
    recent_set = set(recent)
    outcomes = register_files(library, (p for p in on_disk if p not in recent_set), folder_id)
    present = set(on_disk)
    gone = [p for p in library.paths_under(folder) if p not in present and not p.exists()]
    if gone:
        outcomes[Registration.VANISHED] += library.mark_missing(gone)
    log.info("reconciled %s: %s", folder, {k.value: v for k, v in outcomes.items()})
    return outcomes


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0
