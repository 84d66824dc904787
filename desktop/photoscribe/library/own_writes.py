"""PhotoScribe's own metadata writes: announced before the rewritten file is put in place, then taken as the
known version of the photo, so that registration never treats them as the photographer's changes."""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import update

from photoscribe.library.database import Database
from photoscribe.library.fingerprint import content_fingerprint
from photoscribe.library.models import Photo
from photoscribe.library.paths import normalise
from photoscribe.library.rows import find_photo


def expect_own_write(db: Database, path: Path | str, size: int, mtime: float, fingerprint: str) -> None:
    """PhotoScribe is about to put a rewritten file with these facts in place of the photo at ``path``."""
    with db.writing() as session:
        photo = find_photo(session, path)
        if photo is not None:
            photo.own_write_size, photo.own_write_mtime, photo.own_write_fingerprint = size, mtime, fingerprint


def note_own_write(db: Database, path: Path | str) -> None:
    """PhotoScribe rewrote this photo's metadata: take the new file as the known version (never raises when the
    file is gone; a file changed since by another program is left to registration)."""
    key = normalise(path)
    try:
        stat = os.stat(key)
    except OSError:
        return
    with db.reading() as session:
        photo = find_photo(session, key)
        expected = None if photo is None else (photo.own_write_size, photo.own_write_mtime, photo.own_write_fingerprint)
    if photo is None:
        return
    if expected[2] is not None:
        if (stat.st_size, stat.st_mtime) != expected[:2]:
            return  # not the file we wrote (or its mtime was set after): registration compares fingerprints
        fingerprint = expected[2]
    else:  # a writer that did not announce the write: read the new file now, outside the write lock
        try:
            fingerprint = content_fingerprint(key)
        except OSError:
            return
    with db.writing() as session:
        session.execute(
            update(Photo)
            .where(Photo.id == photo.id)
            .values(size=stat.st_size, mtime=stat.st_mtime, content_hash=fingerprint)
            .values(own_write_size=None, own_write_mtime=None, own_write_fingerprint=None)
        )
