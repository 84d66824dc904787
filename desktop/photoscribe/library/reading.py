"""Reading the library: records, the grid's photo ids, and search. Nothing here takes the write lock."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import select

from photoscribe.library import search as fts
from photoscribe.library.database import Database
from photoscribe.library.models import Caption, Photo, PhotoStatus
from photoscribe.library.query import parse_query
from photoscribe.library.records import PhotoRecord, SearchHit
from photoscribe.library.rows import HIDDEN, find_photo, records, with_details, within


def photo(db: Database, path: Path | str) -> PhotoRecord | None:
    """The record of the photo at ``path`` (any Unicode form; any case where the file system ignores it)."""
    with db.reading() as session:
        found = find_photo(session, path)
        if found is None:
            return None
        return records(session, [session.scalar(with_details(select(Photo).where(Photo.id == found.id)))])[0]


def photos(db: Database, status: str | None = None) -> list[PhotoRecord]:
    """Every photo (optionally only those with ``status``), in the order they were added.

    A RAW+JPEG pair is one photo, its JPEG (the RAW halves are listed only when ``status`` asks for ``"paired"``).
    """
    query = select(Photo).order_by(Photo.id)
    if status is not None:
        query = query.where(Photo.status == status)
    else:
        query = query.where(Photo.status != PhotoStatus.PAIRED)
    with db.reading() as session:
        return records(session, list(session.scalars(with_details(query))))


def photo_ids(db: Database, text: str = "", status: str | None = None, folder: Path | str | None = None) -> list[int]:
    """Ids of the photos to show for a search (best first) or, with no query, all of them newest first.

    Missing photos and the RAW halves of pairs are left out. ``status`` keeps one state (``"edited"`` keeps
    photos with a user caption); ``folder`` keeps photos inside that folder.
    """
    query = parse_query(text)
    with db.reading() as session:
        ranked = [pid for pid, _ in fts.matching_ids(session, query)] if not query.is_empty else None
        rows = select(Photo.id).where(Photo.status.not_in(HIDDEN))
        if status == "edited":
            rows = rows.join(Caption).where(Caption.user_caption.is_not(None))
        elif status is not None:
            rows = rows.where(Photo.status == status)
        if folder is not None:
            rows = rows.where(within([folder]))
        allowed = list(session.scalars(rows.order_by(Photo.id.desc())))
    if ranked is None:
        return allowed
    keep = set(allowed)
    return [pid for pid in ranked if pid in keep]


def records_by_id(db: Database, ids: Sequence[int]) -> dict[int, PhotoRecord]:
    """Records of the given photos by id (unknown ids are left out)."""
    with db.reading() as session:
        query = with_details(select(Photo).where(Photo.id.in_(list(ids))))
        return {r.id: r for r in records(session, list(session.scalars(query)))}


def search(db: Database, text: str, limit: int | None = None) -> list[SearchHit]:
    """Photos matching ``text`` in the search language of :mod:`photoscribe.library.query`, best first.

    Missing photos and the RAW halves of pairs (found through their JPEG) are left out.
    """
    query = parse_query(text)
    with db.reading() as session:
        matches = fts.matching_ids(session, query)
        matched = select(Photo).where(Photo.id.in_([photo_id for photo_id, _ in matches]))
        shown = [p for p in session.scalars(with_details(matched)) if p.status not in HIDDEN]
        found = {r.id: r for r in records(session, shown)}
    hits = [SearchHit(found[pid], score) for pid, score in matches if pid in found]
    return hits[:limit] if limit is not None else hits
