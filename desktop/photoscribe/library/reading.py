"""Reading the library: records, the grid's photo ids, search and similar photos. Nothing here takes the write
lock. Search by meaning and similar photos (``hybrid.py``, numpy) are imported only when asked for."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from photoscribe.library import plain
from photoscribe.library import search as fts
from photoscribe.library.database import Database
from photoscribe.library.models import Caption, ImageVector, Photo, PhotoStatus
from photoscribe.library.query import Query, parse_query
from photoscribe.library.records import MatchKind, PhotoFilter, PhotoRecord, SearchHit, SortOrder
from photoscribe.library.rows import HIDDEN, find_photo, records, with_details, within

if TYPE_CHECKING:
    import numpy as np

    from photoscribe.library.vectors import VectorIndex


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


def photo_ids(
    db: Database,
    text: str = "",
    status: PhotoStatus | PhotoFilter | str | None = None,
    folder: Path | str | None = None,
    *,
    query_vector: np.ndarray | None = None,
    model_ref: str | None = None,
    index: VectorIndex | None = None,
    order: SortOrder = SortOrder.ADDED,
) -> list[int]:
    """Ids of the photos to show for a search (best first, ranked as :func:`search`) or, with no query, all of
    them newest first; ``order`` other than ``ADDED`` sorts them by date taken or file name instead.

    Missing photos and the RAW halves of pairs are left out. ``status`` keeps one :class:`PhotoStatus`, or a
    :class:`PhotoFilter` (``EDITED``: photos with a user caption; ``TO_REVIEW``: model captions nobody has looked
    at); ``folder`` keeps photos inside that folder.
    """
    ids = _photo_ids(db, text, status, folder, query_vector, model_ref, index)
    if order == SortOrder.ADDED:
        return ids
    with db.reading() as session:
        return plain.ordered_ids(session, ids, order)


def _photo_ids(
    db: Database,
    text: str,
    status: PhotoStatus | PhotoFilter | str | None,
    folder: Path | str | None,
    query_vector: np.ndarray | None,
    model_ref: str | None,
    index: VectorIndex | None,
) -> list[int]:
    query = parse_query(text)
    with db.reading() as session:
        ranked = None
        if not query.is_empty:
            if _by_words(query, index, query_vector, model_ref):  # ids only, joined by the database: no scores
                ranked = fts.matching_id_array(session, query).tolist()
            else:
                ranked = _ranked(session, query, index, query_vector, model_ref).ids()  # type: ignore[attr-defined]
        if ranked is not None and status is None and folder is None:  # only the few hidden ones to leave out
            hidden = set(session.scalars(select(Photo.id).where(Photo.status.in_(HIDDEN))))
            return [pid for pid in ranked if pid not in hidden]
        filtered = status in (PhotoFilter.EDITED, PhotoFilter.TO_REVIEW)
        if folder is None and not filtered:
            allowed = plain.shown_ids(session, None if status is None else PhotoStatus(status))
            return allowed if ranked is None else _kept(ranked, allowed)
        rows = select(Photo.id).where(Photo.status.not_in(HIDDEN))
        if status == PhotoFilter.EDITED:
            rows = rows.join(Caption).where(Caption.user_caption.is_not(None))
        elif status == PhotoFilter.TO_REVIEW:
            rows = rows.join(Caption).where(
                Photo.status == PhotoStatus.DONE, Caption.model_caption.is_not(None), Caption.reviewed_at.is_(None)
            )
        elif status is not None:
            rows = rows.where(Photo.status == status)
        if folder is not None:
            rows = rows.where(within([folder]))
        allowed = list(session.scalars(rows.order_by(Photo.id.desc())))
    return allowed if ranked is None else _kept(ranked, allowed)


def _kept(ranked: list[int], allowed: list[int]) -> list[int]:
    keep = set(allowed)
    return [pid for pid in ranked if pid in keep]


def records_by_id(db: Database, ids: Sequence[int]) -> dict[int, PhotoRecord]:
    """Records of the given photos by id (unknown ids are left out)."""
    with db.reading() as session:
        return plain.records_by_id(session, ids)


def search(
    db: Database,
    text: str,
    limit: int | None = None,
    *,
    query_vector: np.ndarray | None = None,
    model_ref: str | None = None,
    index: VectorIndex | None = None,
) -> list[SearchHit]:
    """Photos matching ``text`` in the search language of :mod:`photoscribe.library.query`, best first.

    With ``query_vector`` (the query's text as encoded by the text model ``model_ref``, see
    ``query.meaning_text``) the search is hybrid (see ``hybrid.py``): photos matching the words come first
    (``MatchKind.EXACT``), then those close in meaning (``MatchKind.MEANING``). Missing photos and the RAW halves
    of pairs (found through their JPEG) are left out.
    """
    query = parse_query(text)
    with db.reading() as session:
        ranked = _ranked(session, query, index, query_vector, model_ref, limit)
        hits = _hits(session, ranked, limit)
        while limit is not None and isinstance(ranked, _TopOf) and len(hits) < limit and ranked.full:
            ranked = _ranked(session, query, index, query_vector, model_ref, ranked.asked * 4)  # hidden ones
            hits = _hits(session, ranked, limit)
        return hits


def similar(db: Database, index: VectorIndex, photo_id: int, limit: int = 20) -> list[SearchHit]:
    """The photos whose image vectors are nearest to ``photo_id``'s (made by the same captioning model), nearest
    first, scored by cosine similarity; the photo itself, missing photos and RAW halves of pairs are left out.

    [] for a photo without an image vector (not captioned yet, see :func:`has_image_vector`) or unknown.
    """
    from photoscribe.library.hybrid import nearest

    with db.reading() as session:
        model_ref = session.scalar(select(ImageVector.model_ref).where(ImageVector.photo_id == photo_id))
    if model_ref is None:
        return []
    ids, cosine = nearest(index, model_ref, photo_id)
    with db.reading() as session:
        return _hits(session, ((int(i), float(c), MatchKind.MEANING) for i, c in zip(ids, cosine)), limit)


def has_image_vector(db: Database, photo_id: int) -> bool:
    """True when the photo has an image vector (kept when it was captioned), so :func:`similar` can answer."""
    with db.reading() as session:
        return session.scalar(select(ImageVector.photo_id).where(ImageVector.photo_id == photo_id)) is not None


def _ranked(
    session: Session,
    query: Query,
    index: VectorIndex | None,
    query_vector: np.ndarray | None,
    model_ref: str | None,
    limit: int | None = None,
) -> Iterable[tuple[int, float, MatchKind]]:
    """Exact hits as a list, or a hybrid :class:`~photoscribe.library.hybrid.Ranking` (read as far as needed).

    With ``limit``, exact hits are the best ``limit`` and a few more (a :class:`_TopOf`): the database ranks every
    match but sorts and sends only those (at a million photos, a common word's 250,000 matches took 860 ms sent
    whole and 130 ms as the top 36); ``search`` asks again for more when too many of them are hidden."""
    if _by_words(query, index, query_vector, model_ref):
        if limit is not None:
            return _TopOf(fts.matching_ids(session, query, limit + EXTRA_HITS), limit + EXTRA_HITS)
        return [(photo_id, score, MatchKind.EXACT) for photo_id, score in fts.matching_ids(session, query)]
    from photoscribe.library.hybrid import rank

    return rank(session, query, index, query_vector, model_ref)


def _by_words(query: Query, index: VectorIndex | None, query_vector: np.ndarray | None, model_ref: str | None) -> bool:
    """True when the search is by words only (no vectors to search by meaning, or a query that asks for words)."""
    return query_vector is None or index is None or model_ref is None or not query.by_meaning


def _hits(session: Session, ranked: Iterable[tuple[int, float, MatchKind]], limit: int | None) -> list[SearchHit]:
    """Hits for ranked photos that are shown (not missing, not the RAW half of a pair), up to ``limit``; records
    are read in chunks, only as far as needed."""
    hits: list[SearchHit] = []
    ranked = iter(ranked)
    size = 500 if limit is None else min(500, limit + 16)  # a few more than asked: some may be hidden
    while limit is None or len(hits) < limit:
        chunk = list(islice(ranked, size))
        if not chunk:
            break
        if limit is not None:  # which are shown (cheap), then records for only as many as still wanted
            shown = set(session.scalars(select(Photo.id).where(Photo.id.in_([c[0] for c in chunk]), _SHOWN)))
            chunk = [c for c in chunk if c[0] in shown][: limit - len(hits)]
        found = plain.records_by_id(session, [pid for pid, _, _ in chunk], _SHOWN)
        hits += [SearchHit(found[pid], score, match) for pid, score, match in chunk if pid in found]
    return hits[:limit] if limit is not None else hits


_SHOWN = Photo.status.not_in(HIDDEN)
#: Hits asked for beyond a search's limit, for the few that may be hidden (missing, the RAW half of a pair).
EXTRA_HITS = 16


class _TopOf(list):  # type: ignore[type-arg]
    """The best exact hits, up to a limit and :data:`EXTRA_HITS` more; ``full`` when there may be more."""

    def __init__(self, found: list[tuple[int, float]], limit: int) -> None:
        super().__init__((photo_id, score, MatchKind.EXACT) for photo_id, score in found)
        self.asked = limit

    @property
    def full(self) -> bool:
        return len(self) >= self.asked
