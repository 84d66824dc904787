"""RAW+JPEG pairs: cameras write both halves of one shot; PhotoScribe shows and captions it once, from the JPEG.

The rule, in this one place: a RAW row and a JPEG/HEIF row (``formats.PAIRED_WITH_RAW``), both present (not
missing), in the same folder with the same stem compared by :func:`~photoscribe.library.paths.path_key` are a
pair: the RAW row gets ``status = PAIRED`` and ``companion_id`` = the JPEG's id. A paired RAW is never claimed,
listed or counted as a photo; the JPEG's record carries its path (``PhotoRecord.companion_path``).

- One pair per stem: the RAW already paired (else the oldest) with its current companion (else a JPEG before a
  HEIF, then the oldest). Other RAW files of that stem stay photos of their own.
- Pairing never hides a user edit: the RAW's own caption and keywords go to the JPEG when it has none.
- A RAW being captioned when it pairs keeps its lease: the queue stores its result, and it stays paired.
- Unpairing (the JPEG deleted, moved or renamed, or the RAW moved away): the RAW takes a copy of the pair's
  caption record (model and user captions, model and user keywords) and is done when the pair was captioned,
  else pending. A RAW that is itself missing keeps that copy for when it comes back.

:func:`settle` re-applies the rule, in the caller's transaction, to the stems of the paths it is given: the
registration, move, missing and folder jobs call it for every path they add, move or mark.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from photoscribe.formats import PAIRED_WITH_RAW, FileKind, kind_of_name
from photoscribe.library.models import Caption, KeywordSource, Photo, PhotoStatus
from photoscribe.library.paths import path_key
from photoscribe.library.rows import reindex, replace_keywords

STEMS_PER_QUERY = 100  # two range bounds each: well under SQLite's expression depth and variable limits

Stem = tuple[str, str]  # (folder key, stem key)


def place(photo: Photo, path: str) -> None:
    """Give ``photo`` the (normalised) ``path``: its identity key and its kind follow the name."""
    for column, value in placement(path).items():
        setattr(photo, column, value)


def placement(path: str) -> dict[str, str | None]:
    """The columns that follow a photo's (normalised) ``path``: the path, its identity key, its kind."""
    kind = kind_of_name(path)
    return {"path": path, "path_key": path_key(path), "file_kind": kind.value if kind else None}


def stem_of(path: str) -> Stem:
    """The folder and the stem of ``path`` by its identity key (``IMG_1.CR2`` and ``IMG_1.jpg``: ``IMG_1``)."""
    folder, name = os.path.split(path_key(path))
    return folder, os.path.splitext(name)[0]


def settle(session: Session, paths: Iterable[str]) -> None:
    """Form and undo the pairs of the stems of ``paths`` (flushes the session first)."""
    wanted = {stem_of(p) for p in paths if kind_of_name(p) is not None}
    if not wanted:
        return
    session.flush()
    wanted &= _stems_with_raw_rows(session, {folder for folder, _ in wanted})
    if not wanted:
        return
    groups: dict[Stem, list[Photo]] = {}
    for photo in _rows_for(session, sorted(wanted)):
        stem = stem_of(photo.path)
        if stem in wanted:
            groups.setdefault(stem, []).append(photo)
    for rows in groups.values():
        _settle_group(session, rows)
    session.flush()


def release_companions_of(session: Session, photo_ids: Iterable[int]) -> None:
    """These photos are about to be deleted: RAW halves paired with them (and not deleted too) leave the pair."""
    doomed = set(photo_ids)
    if not doomed:
        return
    for raw in session.scalars(select(Photo).where(Photo.companion_id.in_(sorted(doomed)))):
        if raw.id not in doomed:
            _leave(session, raw)
    session.flush()


def _kind(photo: Photo) -> FileKind | None:
    return FileKind(photo.file_kind) if photo.file_kind else kind_of_name(photo.path)


def _stems_with_raw_rows(session: Session, folders: set[str]) -> set[Stem]:
    """Stems in these folders (or below) that have a RAW row or a row in a pair: the only stems the rule can
    change. A scan of 100,000 JPEGs with no RAW beside them reads a few index ranges, not a row per photo."""
    found: set[Stem] = set()
    raw_or_paired = or_(
        Photo.file_kind == FileKind.RAW.value,
        Photo.file_kind.is_(None),  # a row of an older library: its kind is found by its name
        Photo.companion_id.is_not(None),
        Photo.status == PhotoStatus.PAIRED,
    )
    for folder in sorted(folders):
        low = os.fsencode(folder.rstrip(os.sep) + os.sep)
        inside = and_(Photo.path_key >= low, Photo.path_key < low[:-1] + bytes([low[-1] + 1]))
        found.update(stem_of(p) for p in session.scalars(select(Photo.path).where(inside, raw_or_paired)))
    return found


def _rows_for(session: Session, stems: list[Stem]) -> list[Photo]:
    """Rows whose key starts with ``folder/stem.`` for any stem (an index range each; a superset of the stem)."""
    found: list[Photo] = []
    for start in range(0, len(stems), STEMS_PER_QUERY):
        ranges = []
        for folder, stem in stems[start : start + STEMS_PER_QUERY]:
            low = os.fsencode(os.path.join(folder, stem) + ".")
            ranges.append(and_(Photo.path_key >= low, Photo.path_key < low[:-1] + b"/"))  # "/" follows "."
        found += session.scalars(select(Photo).where(or_(*ranges)).order_by(Photo.id))
    return found


def _settle_group(session: Session, rows: list[Photo]) -> None:
    """Apply the rule to the rows of one stem."""
    present = [r for r in rows if r.status != PhotoStatus.MISSING]
    raws = [r for r in present if _kind(r) is FileKind.RAW]
    raws.sort(key=lambda r: (r.status != PhotoStatus.PAIRED, r.id))
    shown = [r for r in present if _kind(r) in PAIRED_WITH_RAW]
    raw = raws[0] if raws and shown else None
    if raw is not None:
        jpeg = min(shown, key=lambda r: (r.id != raw.companion_id, _kind(r) is not FileKind.JPEG, r.id))
        _join(session, raw, jpeg)
    for other in rows:
        if other is not raw and (other.companion_id is not None or other.status == PhotoStatus.PAIRED):
            _leave(session, other)


def _join(session: Session, raw: Photo, jpeg: Photo) -> None:
    if raw.companion_id == jpeg.id and raw.status == PhotoStatus.PAIRED:
        return
    if raw.companion_id is not None and raw.companion_id != jpeg.id:
        _leave(session, raw)  # paired with another JPEG before: take that pair's caption along first
    _hand_over_edits(session, raw, jpeg)
    raw.companion_id = jpeg.id
    raw.status, raw.error, raw.metadata_pending = PhotoStatus.PAIRED, None, False  # a lease held stays (see queue)


def _hand_over_edits(session: Session, raw: Photo, jpeg: Photo) -> None:
    """The RAW's user caption and user keywords go to the JPEG where the JPEG has none of its own."""
    mine, theirs = raw.caption, jpeg.caption
    changed = False
    if mine is not None and mine.user_caption is not None and (theirs is None or theirs.user_caption is None):
        if jpeg.caption is None:
            jpeg.caption = Caption()
        jpeg.caption.user_caption, jpeg.caption.user_edited_at = mine.user_caption, mine.user_edited_at
        changed = True
    user_words = _words(raw, KeywordSource.USER)
    if user_words and not _words(jpeg, KeywordSource.USER):
        replace_keywords(session, jpeg, KeywordSource.USER, user_words)
        changed = True
    if changed:
        session.flush()
        reindex(session, jpeg)


def _leave(session: Session, raw: Photo) -> None:
    """The RAW half leaves its pair with a copy of the pair's caption record."""
    companion = session.get(Photo, raw.companion_id) if raw.companion_id is not None else None
    if companion is not None:
        _copy_record(session, companion, raw)
    raw.companion_id = None
    if raw.status != PhotoStatus.MISSING:
        caption = raw.caption
        captioned = caption is not None and (caption.model_caption is not None or caption.user_caption is not None)
        raw.status, raw.error = (PhotoStatus.DONE if captioned else PhotoStatus.PENDING), None
        raw.lease_owner = raw.lease_expires = raw.claimed_at = None
    session.flush()
    reindex(session, raw)


def _copy_record(session: Session, source: Photo, target: Photo) -> None:
    """``target`` takes ``source``'s model and user captions and keywords (its own file caption stays). A source
    with nothing of the kind (never captioned nor edited) leaves ``target``'s record as it is."""
    caption = source.caption
    model_words, user_words = _words(source, KeywordSource.MODEL), _words(source, KeywordSource.USER)
    has_caption = caption is not None and (caption.model_caption is not None or caption.user_caption is not None)
    if not (has_caption or model_words or user_words):
        return
    if target.caption is None:
        target.caption = Caption()
    copy = target.caption
    if caption is not None:
        copy.model_caption, copy.model_ref, copy.settings = caption.model_caption, caption.model_ref, caption.settings
        copy.captioned_at, copy.revision = caption.captioned_at, caption.revision
        copy.user_caption, copy.user_edited_at = caption.user_caption, caption.user_edited_at
        copy.reviewed_at = caption.reviewed_at
    else:
        copy.model_caption = copy.user_caption = copy.user_edited_at = copy.reviewed_at = None
    session.flush()
    replace_keywords(session, target, KeywordSource.MODEL, model_words)
    replace_keywords(session, target, KeywordSource.USER, user_words)


def _words(photo: Photo, source: KeywordSource) -> list[str]:
    return [k.word for k in sorted(photo.keywords, key=lambda k: k.position) if k.source == source]
