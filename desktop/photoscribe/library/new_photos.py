"""Photos new to the library, written in bulk: the common case of a first scan (100,000 files, none known).

A new file with no caption or keywords of its own and no known photo of the same content (a move) needs only its
row and its search row (its file name): both are inserted with one statement per chunk instead of an ORM object
each. Everything else (changes, moves, files bringing their own captions) goes through the ORM path in
``registration.py``, which applies the same rules one photo at a time.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from photoscribe.library import search
from photoscribe.library.models import Photo, PhotoStatus
from photoscribe.library.pairs import placement
from photoscribe.library.paths import display_path
from photoscribe.library.records import PhotoFacts
from photoscribe.library.rows import now
from photoscribe.library.search import SearchRow

PATHS_PER_SELECT = 500


def is_plain(fact: PhotoFacts) -> bool:
    """True when the file brings nothing of its own to store beside its row (no caption, no keywords)."""
    details = fact.details
    return details is None or (details.caption is None and not details.keywords)


def insert_new(session: Session, facts: Sequence[PhotoFacts], folder_id: int | None, unwanted: bool) -> list[int]:
    """Insert rows for these new files (queued, or cancelled when ``unwanted``: their folder was removed meanwhile)
    with their search rows; returns their ids in the same order."""
    if not facts:
        return []
    stamp = now()
    status = PhotoStatus.CANCELLED if unwanted else PhotoStatus.PENDING
    rows = [
        {
            **placement(fact.path),
            "folder_id": folder_id,
            "size": fact.size,
            "mtime": fact.mtime,
            "content_hash": fact.fingerprint,
            "width": fact.details.width if fact.details else None,
            "height": fact.details.height if fact.details else None,
            "taken_at": fact.details.taken_at if fact.details else None,
            "camera": fact.details.camera if fact.details else None,
            "status": status,
            "added_at": stamp,
            "updated_at": stamp,
            "metadata_pending": False,
        }
        for fact in facts
    ]
    session.execute(insert(Photo), rows)  # one executemany (asking for the ids back costs a statement a row)
    by_path: dict[str, int] = {}
    paths = [fact.path for fact in facts]
    for start in range(0, len(paths), PATHS_PER_SELECT):
        query = select(Photo.path, Photo.id).where(Photo.path.in_(paths[start : start + PATHS_PER_SELECT]))
        by_path.update((path, photo_id) for path, photo_id in session.execute(query))
    ids = [by_path[path] for path in paths]
    names = [display_path(Path(path).name) for path in paths]
    search.index_photos(session, [SearchRow(photo_id, name, None, None, ()) for photo_id, name in zip(ids, names)])
    return ids
