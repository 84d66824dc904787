"""Storing a batch of model captions in a few statements for the whole batch, whatever its size.

A worker stores each batch in one transaction (``Queue.save_results``). Written photo by photo through the ORM,
a batch of 32 took 227 statements (7 a photo: keywords deleted and inserted, caption and photo updated, search row
replaced, text vector checked) and about 120 ms of the worker's CPU, which held a studio's workers at about half
their GPU's speed (``benchmarks/bench_studio.py``). Here each table gets one statement (or one executemany) per
batch; what is stored is the same as :func:`photoscribe.library.rows.reindex` and ``rows.replace_keywords`` write.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from photoscribe.library.models import Caption, Keyword, KeywordSource, Photo, PhotoStatus
from photoscribe.library.records import CaptionResult, storable
from photoscribe.library.rows import dedupe, now, reindex_many


def store_captions(session: Session, stored: Sequence[tuple[Photo, CaptionResult]], metadata_pending: bool) -> None:
    """Store each photo's new model caption, keywords and state; ``stored`` photos are loaded with their caption
    and keywords (``rows.with_details``) and held by the caller's lease."""
    if not stored:
        return
    _replace_model_keywords(session, stored)
    stamp = now()
    for photo, result in stored:
        caption = photo.caption
        if caption is None:
            caption = photo.caption = Caption()
        caption.model_caption, caption.model_ref = storable(result.caption), result.model_ref
        caption.settings = json.dumps(result.settings, sort_keys=True)
        caption.captioned_at, caption.revision = stamp, (caption.revision or 0) + 1
        caption.reviewed_at = None  # a new model caption nobody has looked at yet
        if photo.status == PhotoStatus.PAIRED:  # paired while captioned: its JPEG's caption is the pair's
            photo.error, photo.prompt = None, None
        else:
            photo.status, photo.error, photo.prompt = PhotoStatus.DONE, None, None
            photo.metadata_pending = metadata_pending
        photo.lease_owner = photo.lease_expires = photo.claimed_at = None
    session.flush()
    reindex_many(session, [photo for photo, _ in stored])


def _replace_model_keywords(session: Session, stored: Sequence[tuple[Photo, CaptionResult]]) -> None:
    """Each photo's model keywords replaced by its result's (as ``rows.replace_keywords`` stores them): one
    DELETE, one executemany INSERT (no ids asked back: SQLite would return them one statement a row), one read of
    the photos' keywords for what is computed from them next (search rows, text to embed)."""
    ids = [photo.id for photo, _ in stored]
    session.execute(  # the new words may repeat the old ones: delete first
        delete(Keyword)
        .where(Keyword.photo_id.in_(ids), Keyword.source == KeywordSource.MODEL)
        .execution_options(synchronize_session=False)
    )
    for photo, _ in stored:
        for keyword in photo.keywords:
            if keyword.source == KeywordSource.MODEL:
                session.expunge(keyword)  # its row is gone
    rows = [
        {"photo_id": photo.id, "word": word, "source": KeywordSource.MODEL, "position": position}
        for photo, result in stored
        for position, word in enumerate(dedupe(result.keywords))
    ]
    if rows:
        session.execute(insert(Keyword.__table__), rows)
    found: dict[int, list[Keyword]] = {photo_id: [] for photo_id in ids}
    for keyword in session.scalars(select(Keyword).where(Keyword.photo_id.in_(ids)).order_by(Keyword.id)):
        found[keyword.photo_id].append(keyword)
    for photo, _ in stored:
        set_committed_value(photo, "keywords", found[photo.id])
