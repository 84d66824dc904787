"""What the library knows about files about to be registered: read before any file is, so that a file known with
its current size and mtime is never read (``photoscribe.ingest.registration``)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import select

from photoscribe.library import paths as path_rules
from photoscribe.library.database import Database
from photoscribe.library.models import Photo, PhotoStatus
from photoscribe.library.paths import normalise, path_key
from photoscribe.library.records import KnownFile

QUERY_CHUNK = 500  # paths per IN (...) list


def known_files(db: Database, paths: Sequence[Path | str]) -> dict[str, KnownFile]:
    """What the library holds about each of ``paths`` (by normalised path; unknown ones are left out). A read of
    the few columns it needs (no photo objects: a rescan of 100,000 unchanged files asks for all of them)."""
    wanted = [str(normalise(p)) for p in paths]
    keys = sorted({path_key(p) for p in wanted})
    columns = (Photo.path, Photo.path_key, Photo.size, Photo.mtime, Photo.status, Photo.content_hash)
    by_path: dict[str, KnownFile] = {}
    by_key: dict[str, KnownFile] = {}
    with db.reading() as session:
        for start in range(0, len(keys), QUERY_CHUNK):
            query = select(*columns, Photo.own_write_fingerprint).where(
                Photo.path_key.in_(keys[start : start + QUERY_CHUNK])
            )
            for path, key, size, mtime, status, fingerprint, own_write in session.execute(query):
                known = KnownFile(size, mtime, status == PhotoStatus.MISSING, fingerprint, own_write)
                by_path[path] = known
                by_key.setdefault(key, known)
    found: dict[str, KnownFile] = {}
    for path in wanted:
        known = by_path.get(path)
        if known is None and path_rules.CASE_INSENSITIVE:
            known = by_key.get(path_key(path))
        if known is not None:
            found[path] = known
    return found
