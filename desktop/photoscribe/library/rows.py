"""Helpers every library job shares: finding a photo by path, keywords in force, the search row, records."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import ColumnElement, and_, delete, false, or_, select, update
from sqlalchemy.orm import Session, selectinload

from photoscribe.errors import LibraryError
from photoscribe.library import search
from photoscribe.library.models import (
    TEXT_VECTORS_CHANGED,
    VECTORS_REMOVED,
    Keyword,
    KeywordSource,
    Meta,
    Photo,
    PhotoStatus,
    TextVector,
)
from photoscribe.library.paths import display_path, key_range, normalise, path_key
from photoscribe.library.records import KEYWORD_CHARS, PhotoRecord, storable


def now() -> datetime:
    """The current UTC time without tzinfo (SQLite stores naive datetimes)."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def find_photo(session: Session, path: Path | str) -> Photo | None:
    """The photo at ``path``: its exact name, else the one photo whose name differs only by Unicode form (or
    case, where the file system ignores case), see :func:`photoscribe.library.paths.path_key`."""
    key = normalise(path)
    photo = session.scalar(select(Photo).where(Photo.path == str(key)))
    if photo is not None:
        return photo
    same = session.scalars(select(Photo).where(Photo.path_key == path_key(key)).limit(2)).all()
    return same[0] if len(same) == 1 else None


def photo_at(session: Session, path: Path | str) -> Photo:
    """Like :func:`find_photo`, but a photo the library does not know is a clear error."""
    photo = find_photo(session, path)
    if photo is None:
        raise LibraryError(f"{display_path(path)} is not in the library; add it with 'photoscribe caption' first")
    return photo


def within(paths: Sequence[Path | str] | None) -> ColumnElement[bool] | None:
    """A filter keeping photos at or under any of ``paths`` (``None``: no filter)."""
    if paths is None:
        return None
    clauses: list[ColumnElement[bool]] = []
    for path in paths:
        low, high = key_range(path)
        clauses.append(Photo.path_key == path_key(normalise(path)))
        clauses.append(and_(Photo.path_key >= low, Photo.path_key < high))
    return or_(*clauses) if clauses else false()


def replace_keywords(session: Session, photo: Photo, source: KeywordSource, words: Sequence[str]) -> None:
    """Store ``words`` as this source's keywords, as written; duplicates are found ignoring case."""
    session.execute(delete(Keyword).where(Keyword.photo_id == photo.id, Keyword.source == source))
    unique = dedupe(words)
    session.add_all(Keyword(photo_id=photo.id, word=w, source=source, position=i) for i, w in enumerate(unique))
    session.flush()
    session.expire(photo, ["keywords"])


def dedupe(words: Sequence[str]) -> list[str]:
    """Stripped, non-empty words, the first spelling of each kept ("Paris" and "paris" are one keyword)."""
    seen: dict[str, str] = {}
    for word in words:
        text = " ".join(storable(word, KEYWORD_CHARS).split())  # type: ignore[union-attr]
        if text and text.casefold() not in seen:
            seen[text.casefold()] = text
    return list(seen.values())


def keywords_in_force(photo: Photo) -> tuple[str, ...]:
    """The keywords in force of a loaded photo (see :func:`chosen_keywords`)."""
    ordered = sorted(photo.keywords, key=lambda k: k.position)
    replaced = photo.caption is not None and photo.caption.user_caption is not None
    return chosen_keywords(((k.word, k.source) for k in ordered), replaced)


def chosen_keywords(keywords: Iterable[tuple[str, str]], caption_replaced: bool) -> tuple[str, ...]:
    """The keywords in force, from a photo's (word, source) pairs in their order: the user's when there are any;
    otherwise those from the file, then the model's.

    The model's keywords were made from its caption: once the user replaced that caption, they are left out.
    """
    by_source: dict[str, list[str]] = {}
    for word, source in keywords:
        by_source.setdefault(source, []).append(word)
    if by_source.get(KeywordSource.USER):
        return tuple(dedupe(by_source[KeywordSource.USER]))
    model = [] if caption_replaced else by_source.get(KeywordSource.MODEL, [])
    return tuple(dedupe(by_source.get(KeywordSource.FILE, []) + model))


WORDS = re.compile(r"\w+", re.UNICODE)


def embedding_text(photo: Photo) -> str:
    """The text a photo is found by meaning (the one rule): the caption in force, the file's own caption when it
    differs, then the keywords in force whose words the captions do not already say. "" when it has no text."""
    caption = photo.caption
    parts = dedupe([c for c in (caption.in_force, caption.file_caption) if c]) if caption else []
    said = set(WORDS.findall(" ".join(parts).casefold()))
    extra = [k for k in keywords_in_force(photo) if not set(WORDS.findall(k.casefold())) <= said]
    if extra:
        parts.append(", ".join(extra))
    return ". ".join(parts)


def text_hash(text: str) -> str:
    """The sha1 of the text a vector was made from (stored with it: a different text makes it stale)."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def count_change(session: Session, key: str) -> int:
    """Add one to the meta counter ``key`` (see ``models.TEXT_VECTORS_CHANGED``); returns its new value."""
    meta = session.get(Meta, key)
    value = int(meta.value) + 1 if meta is not None else 1
    if meta is None:
        session.add(Meta(key=key, value=str(value)))
    else:
        meta.value = str(value)
    session.flush()
    return value


def photos_deleted(session: Session) -> None:
    """Photo rows are being deleted (their vectors go with them): processes holding vectors must reload them."""
    count_change(session, VECTORS_REMOVED)


def reindex(session: Session, photo: Photo) -> None:
    """Rewrite the photo's search row: a model caption the user replaced is no longer searchable. A text vector
    made from other text becomes stale."""
    reindex_many(session, [photo])


def reindex_many(session: Session, photos: Sequence[Photo]) -> None:
    """:func:`reindex` for many loaded photos at once: their search rows in few statements, their text vectors
    checked in one read (and marked stale in one write when any text changed)."""
    search.index_photos(session, [search.SearchRow(photo.id, *_search_texts(photo)) for photo in photos])
    digests = {photo.id: text_hash(embedding_text(photo)) for photo in photos}
    current = (TextVector.photo_id.in_(list(digests)), TextVector.text_hash.is_not(None))
    held = session.execute(select(TextVector.photo_id, TextVector.text_hash).where(*current)).all()
    stale = [photo_id for photo_id, digest in held if digest != digests[photo_id]]
    if stale:
        changed = count_change(session, TEXT_VECTORS_CHANGED)
        query = update(TextVector).where(TextVector.photo_id.in_(stale)).values(text_hash=None, changed=changed)
        session.execute(query.execution_options(synchronize_session=False))


def index_new_photos(session: Session, photos: Sequence[Photo]) -> None:
    """:func:`reindex` for photos just added (flushed, with ids): they have no text vector yet, so their search
    rows are all that is written, in few statements for them all (see ``search.index_photos``)."""
    search.index_photos(session, [search.SearchRow(photo.id, *_search_texts(photo)) for photo in photos])


def _search_texts(photo: Photo) -> tuple[str, str | None, str | None, list[str]]:
    """What the photo's search row holds: file name, model caption (unless the user replaced it), what people
    wrote (the user's and the file's own captions weigh the same in search), keywords in force."""
    caption = photo.caption
    people_wrote = " ".join(c for c in (caption.user_caption, caption.file_caption) if c) if caption else ""
    model = caption.model_caption if caption and caption.user_caption is None else None
    return display_path(Path(photo.path).name), model, people_wrote or None, list(keywords_in_force(photo))


def with_details(query):  # type: ignore[no-untyped-def]
    """``query`` loading each photo's caption and keywords in the same round trip."""
    return query.options(selectinload(Photo.caption), selectinload(Photo.keywords))


#: States of photos that are not shown on their own: gone, or the RAW half of a pair (shown as its JPEG).
HIDDEN = (PhotoStatus.MISSING, PhotoStatus.PAIRED)


def companions(session: Session, photo_ids: Sequence[int]) -> dict[int, str]:
    """The path of the RAW half paired with each of these photos (those that are the JPEG of a pair)."""
    found: dict[int, str] = {}
    ids = sorted(set(photo_ids))
    for start in range(0, len(ids), 500):
        query = select(Photo.companion_id, Photo.path).where(
            Photo.companion_id.in_(ids[start : start + 500]), Photo.status == PhotoStatus.PAIRED
        )
        found.update({companion: path for companion, path in session.execute(query)})
    return found


def records(session: Session, photos: Sequence[Photo]) -> list[PhotoRecord]:
    """Plain records of loaded photos, each with the RAW half of its pair if it has one."""
    raws = companions(session, [p.id for p in photos])
    return [record(p, raws.get(p.id)) for p in photos]


def record(photo: Photo, companion_path: str | None = None) -> PhotoRecord:
    """The plain record of a loaded photo (``companion_path``: the RAW half of its pair)."""
    caption = photo.caption
    return PhotoRecord(
        id=photo.id,
        path=photo.path,
        status=PhotoStatus(photo.status),
        error=photo.error,
        model_caption=caption.model_caption if caption else None,
        user_caption=caption.user_caption if caption else None,
        keywords=keywords_in_force(photo),
        width=photo.width,
        height=photo.height,
        taken_at=photo.taken_at,
        size=photo.size,
        model_ref=caption.model_ref if caption else None,
        settings=json.loads(caption.settings) if caption and caption.settings else None,
        captioned_at=caption.captioned_at if caption else None,
        revision=caption.revision if caption else 0,
        camera=photo.camera,
        file_caption=caption.file_caption if caption else None,
        file_keywords=tuple(
            k.word for k in sorted(photo.keywords, key=lambda k: k.position) if k.source == KeywordSource.FILE
        ),
        metadata_pending=bool(photo.metadata_pending),
        file_kind=photo.file_kind,
        companion_path=companion_path,
        reviewed_at=caption.reviewed_at if caption else None,
    )
