"""Which photos need a text vector, and how far the text vectors are: plain SQL, no numpy (``photoscribe
status`` reports the progress without importing it; :mod:`photoscribe.library.vectors` holds the vectors)."""

from __future__ import annotations

from sqlalchemy import exists, func, or_, select

from photoscribe.library.database import Database
from photoscribe.library.models import Caption, Keyword, Photo, TextVector
from photoscribe.library.rows import HIDDEN, embedding_text, with_details


def _has_text():  # type: ignore[no-untyped-def]
    """Photos with any text to embed (a caption or a keyword): the SQL twin of a non-empty ``embedding_text``."""
    captions = [func.coalesce(c, "") != "" for c in (Caption.user_caption, Caption.file_caption, Caption.model_caption)]
    return or_(
        exists().where(Caption.photo_id == Photo.id, or_(*captions)),
        exists().where(Keyword.photo_id == Photo.id),
    )


def _current(model_ref: str):  # type: ignore[no-untyped-def]
    return exists().where(
        TextVector.photo_id == Photo.id, TextVector.model_ref == model_ref, TextVector.text_hash.is_not(None)
    )


def text_vector_todo(db: Database, model_ref: str, limit: int, after: int = 0) -> list[tuple[int, str]]:
    """Up to ``limit`` photos to embed with ``model_ref``, as (photo id, text), ids above ``after`` in order:
    those whose vector is missing, stale or made by another model. Photos without text, missing ones and RAW
    halves of pairs are skipped. (A caller going through the library passes the last id it got as ``after``, so
    each batch starts where the last ended instead of scanning the photos already done again.)"""
    query = select(Photo).where(Photo.id > after, Photo.status.not_in(HIDDEN), _has_text(), ~_current(model_ref))
    with db.reading() as session:
        photos = session.scalars(with_details(query.order_by(Photo.id).limit(limit)))
        found = [(photo.id, embedding_text(photo)) for photo in photos]
    return [(photo_id, text) for photo_id, text in found if text]


def text_vector_progress(db: Database, model_ref: str) -> tuple[int, int]:
    """(photos with a current vector of ``model_ref``, photos with text), over the photos shown."""
    shown = select(func.count()).select_from(Photo).where(Photo.status.not_in(HIDDEN), _has_text())
    with db.reading() as session:
        total = session.scalar(shown) or 0
        done = session.scalar(shown.where(_current(model_ref))) or 0
    return done, total
