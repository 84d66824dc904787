"""Records and id lists read as plain rows, without ORM objects: what the grid's pages, its requeries and search
hits read many of at once.

A page of 200 records takes ~10 ms this way against 21-26 ms through loaded ``Photo`` objects with their
caption and keywords (Python that holds the GIL beside the GUI thread, at 100,000 photos); the record is the same
(``rows.record`` is the reference, and the tests compare the two).
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from photoscribe.library.models import Caption, Keyword, KeywordSource, Photo, PhotoStatus
from photoscribe.library.paths import ROOTS_ATTRIBUTE
from photoscribe.library.records import PhotoRecord, SortOrder
from photoscribe.library.rows import HIDDEN, chosen_keywords, companions

#: Ids asked for in one statement (SQLite allows 32,766 parameters; a page of the grid is 200).
CHUNK = 500

_COLUMNS = (
    Photo.id,
    Photo.path,
    Photo.status,
    Photo.error,
    Photo.width,
    Photo.height,
    Photo.taken_at,
    Photo.size,
    Photo.camera,
    Photo.metadata_pending,
    Photo.file_kind,
    Caption.photo_id.label("has_caption"),
    Caption.model_caption,
    Caption.user_caption,
    Caption.file_caption,
    Caption.model_ref,
    Caption.settings,
    Caption.captioned_at,
    Caption.revision,
    Caption.reviewed_at,
)


def records_by_id(
    session: Session, photo_ids: Sequence[int], where: ColumnElement[bool] | None = None
) -> dict[int, PhotoRecord]:
    """Records of the given photos by id (those ``where`` keeps; unknown ids are left out)."""
    found: dict[int, PhotoRecord] = {}
    ids = list(dict.fromkeys(photo_ids))
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        query = select(*_COLUMNS).outerjoin(Caption, Caption.photo_id == Photo.id).where(Photo.id.in_(chunk))
        rows = session.execute(query if where is None else query.where(where)).all()
        if not rows:
            continue
        words: dict[int, list[tuple[str, str]]] = {}
        keywords = (
            select(Keyword.photo_id, Keyword.word, Keyword.source)
            .where(Keyword.photo_id.in_([row.id for row in rows]))
            .order_by(Keyword.photo_id, Keyword.position, Keyword.id)
        )
        for photo_id, word, source in session.execute(keywords):
            words.setdefault(photo_id, []).append((word, source))
        raws = companions(session, [row.id for row in rows])
        for row in rows:
            found[row.id] = _record(row, words.get(row.id, []), raws.get(row.id))
    return found


def _record(row: Any, keywords: list[tuple[str, str]], companion_path: str | None) -> PhotoRecord:
    captioned = row.has_caption is not None
    return PhotoRecord(
        id=row.id,
        path=row.path,
        status=PhotoStatus(row.status),
        error=row.error,
        model_caption=row.model_caption,
        user_caption=row.user_caption,
        keywords=chosen_keywords(keywords, captioned and row.user_caption is not None),
        width=row.width,
        height=row.height,
        taken_at=row.taken_at,
        size=row.size,
        model_ref=row.model_ref,
        settings=json.loads(row.settings) if row.settings else None,
        captioned_at=row.captioned_at,
        revision=row.revision if captioned else 0,
        camera=row.camera,
        file_caption=row.file_caption,
        file_keywords=tuple(word for word, source in keywords if source == KeywordSource.FILE),
        metadata_pending=bool(row.metadata_pending),
        file_kind=row.file_kind,
        companion_path=companion_path,
        reviewed_at=row.reviewed_at,
    )


def driver_rows(session: Session, sql: str, values: Sequence[object] = ()) -> list[tuple[Any, ...]]:
    """The rows of ``sql`` read through the driver's own cursor: plain tuples, without the Python of SQLAlchemy's
    rows (which held the GIL beside the GUI thread for 90-140 ms per 100,000 rows)."""
    cursor = session.connection().connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(sql, tuple(values))
        return cursor.fetchall()
    finally:
        cursor.close()


def _shown_where(session: Session, status: PhotoStatus | None = None) -> tuple[str, tuple[str, ...]]:
    """The WHERE clause (with its values) of the shown photos, or of those in ``status``."""
    mark = "?" if session.connection().dialect.paramstyle == "qmark" else "%s"
    if status is None:
        return f"status NOT IN ({', '.join(mark for _ in HIDDEN)})", tuple(hidden.value for hidden in HIDDEN)
    return f"status = {mark}", (PhotoStatus(status).value,)


def stored_path(value: object) -> str:
    """A path as read by :func:`driver_rows` (the file name's bytes on SQLite), as ``str`` with surrogate escapes,
    the way ``PathBytes`` gives it through the ORM."""
    return os.fsdecode(bytes(value)) if isinstance(value, (bytes, memoryview)) else str(value or "")  # type: ignore[arg-type]


def shown_ids(session: Session, status: PhotoStatus | None = None) -> list[int]:
    """Ids of every shown photo (not missing, not the RAW half of a pair), or of those in ``status``, newest first.

    Read through the driver's own cursor from the covering index on (status, id), then sorted: 40 ms for 100,000
    photos where SQLAlchemy's rows took 90-140 ms of Python holding the GIL (the grid asks on every requery).
    """
    where, values = _shown_where(session, status)
    ids = [row[0] for row in driver_rows(session, f"SELECT id FROM {Photo.__tablename__} WHERE {where}", values)]
    ids.sort(reverse=True)
    return ids


def shown_paths(session: Session) -> list[str]:
    """The path of every shown photo (about 0.1 s at 100,000 photos)."""
    where, values = _shown_where(session)
    rows = driver_rows(session, f"SELECT path FROM {Photo.__tablename__} WHERE {where}", values)
    roots = getattr(session.get_bind().dialect, ROOTS_ATTRIBUTE, None)  # (read past PathBytes: map them here)
    if roots is not None:
        return [stored_path(roots.to_local(bytes(row[0]))) for row in rows]
    return [stored_path(row[0]) for row in rows]


def ordered_ids(session: Session, ids: list[int], order: SortOrder) -> list[int]:
    """``ids`` (newest added first, or best first) in ``order``: ``ADDED`` keeps them as they are. One read of
    the sort key of every photo through the driver's cursor (a date or a path per row), sorted in Python; ties
    newest added (highest id) first."""
    if order == SortOrder.ADDED or not ids:
        return ids
    column = "taken_at" if order == SortOrder.TAKEN else "path"
    keys = dict(driver_rows(session, f"SELECT id, {column} FROM {Photo.__tablename__}"))
    if order == SortOrder.TAKEN:  # (stored as ISO text on SQLite: text order is time order)
        dated = sorted((pid for pid in ids if keys.get(pid) is not None), key=lambda pid: (str(keys[pid]), pid))
        dated.reverse()
        return dated + sorted((pid for pid in ids if keys.get(pid) is None), reverse=True)
    return sorted(ids, key=lambda pid: (_name(keys.get(pid)), -pid))


def _name(path: object) -> str:
    """The case-folded file name of a stored path."""
    return stored_path(path).rsplit("/", 1)[-1].rsplit("\\", 1)[-1].casefold()
