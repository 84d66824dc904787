"""Registering files in the library: only writes. Every file was read before (``photoscribe.ingest.registration``),
so the write lock is held for a few milliseconds per chunk however slow the disk or the network share is."""

from __future__ import annotations

import logging
import os
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, selectinload

from photoscribe.library import pairs, search
from photoscribe.library import paths as path_rules
from photoscribe.library.database import Database
from photoscribe.library.models import (
    VECTORS_REMOVED,
    Caption,
    Folder,
    ImageVector,
    KeywordSource,
    Photo,
    PhotoStatus,
)
from photoscribe.library.new_photos import insert_new, is_plain
from photoscribe.library.paths import key_range, normalise, path_key
from photoscribe.library.records import FileDetails, PhotoFacts, Registration
from photoscribe.library.rows import (
    count_change,
    find_photo,
    index_new_photos,
    now,
    photos_deleted,
    reindex,
    replace_keywords,
)

log = logging.getLogger(__name__)

QUERY_CHUNK = 500  # paths per IN (...) list


def register(db: Database, facts: Sequence[PhotoFacts], folder_id: int | None = None) -> Counter[Registration]:
    """Add or refresh photos from facts read beforehand; new and changed ones are queued for captioning.

    A photo whose size and mtime did not change is left alone; one whose content fingerprint did not change
    either (a touch), or that is PhotoScribe's own metadata write, keeps its caption. A ``folder_id`` that was
    removed meanwhile is not an error: the photos are kept without a folder, and new ones are not queued.
    """
    outcomes: Counter[Registration] = Counter()
    with db.writing() as session:
        folder_gone = folder_id is not None and session.get(Folder, folder_id) is None
        changed: list[tuple[Registration, Photo, PhotoFacts]] = []
        touched: list[str] = []  # paths whose pairs may change: added, moved (both places), brought back
        with session.no_autoflush:
            rows = _Rows(_rows_for(session, {f.path for f in facts}))
            unknown = {f.fingerprint for f in facts if f.fingerprint and rows.get(f.path) is None}
            moves = _MoveSources(session, unknown)
            plain: dict[str, PhotoFacts] = {}  # new files with nothing of their own: inserted in bulk below
            for fact in facts:
                known = rows.get(fact.path)
                if path_key(fact.path) in plain:  # the same file twice in one chunk
                    outcomes[Registration.UNCHANGED] += 1
                    continue
                if known is None and is_plain(fact) and not moves.may_take(fact.fingerprint):
                    plain[path_key(fact.path)] = fact
                    outcomes[Registration.NEW] += 1
                    continue
                outcome, photo = _register(fact, known, moves, folder_gone, touched)
                if photo is not None:
                    session.add(photo)
                    rows.add(photo)
                    photo.folder_id = folder_id if folder_id is not None and not folder_gone else photo.folder_id
                    changed.append((outcome, photo, fact))
                outcomes[outcome] += 1
        session.flush()  # one flush gives every new photo its id
        insert_new(session, list(plain.values()), None if folder_gone else folder_id, folder_gone)
        touched += [fact.path for fact in plain.values()]
        for outcome, photo, fact in changed:
            if outcome in (Registration.NEW, Registration.CHANGED):
                _take_file_metadata(session, photo, fact.details)
            if outcome in (Registration.MOVED, Registration.CHANGED):
                reindex(session, photo)
        index_new_photos(session, [photo for outcome, photo, _ in changed if outcome == Registration.NEW])
        _forget_image_vectors(session, [p.id for outcome, p, _ in changed if outcome == Registration.CHANGED])
        pairs.settle(session, touched)
    return outcomes


def _forget_image_vectors(session: Session, photo_ids: list[int]) -> None:
    """Changed files: their image vectors showed the old content (a new one comes with the next caption)."""
    for start in range(0, len(photo_ids), QUERY_CHUNK):
        query = delete(ImageVector).where(ImageVector.photo_id.in_(photo_ids[start : start + QUERY_CHUNK]))
        if session.execute(query.execution_options(synchronize_session=False)).rowcount:
            count_change(session, VECTORS_REMOVED)


def _register(
    fact: PhotoFacts, photo: Photo | None, moves: _MoveSources, folder_gone: bool, touched: list[str]
) -> tuple[Registration, Photo | None]:
    """What this file is to the library, with the photo row brought up to date (``None``: nothing to write)."""
    if (
        photo is not None
        and photo.status != PhotoStatus.MISSING
        and (photo.size, photo.mtime) == (fact.size, fact.mtime)
    ):
        return Registration.UNCHANGED, None
    fingerprint = fact.fingerprint
    if photo is None:
        photo = moves.take(fingerprint)
        outcome = Registration.MOVED if photo else Registration.NEW
        if photo is None:  # relationships set now, so that nothing is lazily loaded for a new photo
            photo = Photo(path=fact.path, added_at=now(), status=PhotoStatus.PENDING, caption=None, keywords=[])
        else:
            touched.append(photo.path)
        pairs.place(photo, fact.path)
    elif fingerprint is not None and fingerprint in (photo.content_hash, photo.own_write_fingerprint):
        outcome = Registration.RESTORED if photo.status == PhotoStatus.MISSING else Registration.UNCHANGED
    else:
        outcome = Registration.CHANGED
    touched.append(fact.path)
    if fingerprint is not None and fingerprint == photo.own_write_fingerprint:
        photo.own_write_size = photo.own_write_mtime = photo.own_write_fingerprint = None
    photo.size, photo.mtime, photo.content_hash = fact.size, fact.mtime, fingerprint
    photo.updated_at = now()
    if outcome in (Registration.NEW, Registration.CHANGED):
        _take_facts(photo, fact.details)
        if photo.status in (PhotoStatus.FAILED, PhotoStatus.CANCELLED):
            photo.prompt = None  # a one-off prompt was for the old content
        new_and_unwanted = outcome == Registration.NEW and folder_gone
        photo.status = PhotoStatus.CANCELLED if new_and_unwanted else PhotoStatus.PENDING
        photo.error, photo.metadata_pending = None, False
        photo.lease_owner = photo.lease_expires = photo.claimed_at = None
    elif photo.status == PhotoStatus.MISSING:
        _bring_back(photo)
    return outcome, photo


def _rows_for(session: Session, paths: set[str]) -> list[Photo]:
    """Photos whose identity key matches any of ``paths`` (a superset of the exact matches)."""
    keys = sorted({path_key(p) for p in paths})
    rows: list[Photo] = []
    for start in range(0, len(keys), QUERY_CHUNK):
        query = select(Photo).where(Photo.path_key.in_(keys[start : start + QUERY_CHUNK]))
        rows += session.scalars(query.options(selectinload(Photo.caption), selectinload(Photo.keywords)))
    return rows


class _Rows:
    """Loaded photos found by exact path, or (where the file system ignores case) by identity key."""

    def __init__(self, photos: Iterable[Photo]) -> None:
        self.by_path: dict[str, Photo] = {}
        self.by_key: dict[str | None, Photo] = {}
        for photo in photos:
            self.add(photo)

    def add(self, photo: Photo) -> None:
        self.by_path[photo.path] = photo
        self.by_key.setdefault(photo.path_key, photo)

    def get(self, path: str) -> Photo | None:
        found = self.by_path.get(path)
        if found is None and path_rules.CASE_INSENSITIVE:
            found = self.by_key.get(path_key(path))
        return found


def _take_facts(photo: Photo, details: FileDetails | None) -> None:
    """The image facts read from the file (``None``: its content changed between reading and writing, so the
    next registration reads it)."""
    if details is not None:
        photo.width, photo.height = details.width, details.height
        photo.taken_at, photo.camera = details.taken_at, details.camera


def _take_file_metadata(session: Session, photo: Photo, details: FileDetails | None) -> None:
    """The file's own caption and keywords, marked as the file's."""
    if details is None or (photo.caption is None and details.caption is None and not details.keywords):
        return
    if photo.caption is None:
        photo.caption = Caption()
    photo.caption.file_caption = details.caption
    replace_keywords(session, photo, KeywordSource.FILE, list(details.keywords))


class _MoveSources:
    """Known photos that a new path may be a move of: same content, file gone from a place that is still there.

    A photo on an unplugged drive or an unmounted share is not the source of a move: its folder (the library
    folder it was found in, else the folder holding it) is gone with the drive, and a copy elsewhere must not
    take over its row and the photographer's caption.
    """

    def __init__(self, session: Session, fingerprints: set[str | None]) -> None:
        self.by_fingerprint: dict[str, list[Photo]] = {}
        wanted = sorted(f for f in fingerprints if f)
        for start in range(0, len(wanted), QUERY_CHUNK):
            query = select(Photo).where(Photo.content_hash.in_(wanted[start : start + QUERY_CHUNK]))
            options = (selectinload(Photo.folder), selectinload(Photo.caption), selectinload(Photo.keywords))
            for photo in session.scalars(query.order_by(Photo.id).options(*options)):
                self.by_fingerprint.setdefault(photo.content_hash or "", []).append(photo)

    def may_take(self, fingerprint: str | None) -> bool:
        """True when a known photo has this content: the new path may be its move (:meth:`take` decides)."""
        return bool(self.by_fingerprint.get(fingerprint or ""))

    def take(self, fingerprint: str | None) -> Photo | None:
        """The first source of a move with this content (each is taken once), or ``None``."""
        candidates = self.by_fingerprint.get(fingerprint or "", [])
        for photo in candidates:
            if photo.status == PhotoStatus.MISSING or not os.path.lexists(photo.path):
                if _place_present(photo):
                    candidates.remove(photo)
                    return photo
        return None


def _place_present(photo: Photo) -> bool:
    root = photo.folder.path if photo.folder is not None else None
    inside = root is not None and path_key(photo.path).startswith(path_key(root.rstrip(os.sep) + os.sep))
    return os.path.isdir(root if inside else os.path.dirname(photo.path))


def _bring_back(photo: Photo) -> None:
    """A missing photo reappeared: done if it has a caption, else queued."""
    has_caption = photo.caption is not None and photo.caption.in_force is not None
    photo.status = PhotoStatus.DONE if has_caption else PhotoStatus.PENDING


def mark_missing(db: Database, paths: Iterable[Path | str]) -> int:
    """Mark photos whose files are gone as missing (their captions are kept); returns how many."""
    keys = [str(normalise(p)) for p in paths]
    count = 0
    with db.writing() as session:
        for start in range(0, len(keys), QUERY_CHUNK):
            result = session.execute(
                update(Photo)
                .where(Photo.path.in_(keys[start : start + QUERY_CHUNK]))
                .values(status=PhotoStatus.MISSING, updated_at=now(), lease_owner=None, lease_expires=None)
            )
            count += result.rowcount or 0
        pairs.settle(session, keys)  # a RAW missing, or the JPEG of a pair: the other half stands alone
    return count


def move_photo(db: Database, source: Path | str, target: Path | str) -> bool:
    """Follow a rename or move: the photo keeps its captions under its new path. False if ``source`` is unknown."""
    target_path = str(normalise(target))
    with db.writing() as session:
        photo = find_photo(session, source)
        if photo is None:
            return False
        replaced = session.scalar(select(Photo).where(Photo.path == target_path))
        if replaced is not None and replaced.id != photo.id:  # the move overwrote another known photo
            pairs.release_companions_of(session, [replaced.id])
            search.remove_photo(session, replaced.id)
            photos_deleted(session)
            session.delete(replaced)
            session.flush()
        source_path = photo.path
        pairs.place(photo, target_path)
        photo.updated_at = now()
        if photo.status == PhotoStatus.MISSING:
            _bring_back(photo)
        session.flush()
        reindex(session, photo)
        pairs.settle(session, [source_path, target_path])
        return True


def paths_under(db: Database, folder: Path | str) -> list[Path]:
    """Paths of known, not-missing photos inside ``folder`` (recursively)."""
    low, high = key_range(folder)
    with db.reading() as session:
        query = select(Photo.path).where(
            Photo.status != PhotoStatus.MISSING, Photo.path_key >= low, Photo.path_key < high
        )
        return [Path(p) for p in session.scalars(query)]
