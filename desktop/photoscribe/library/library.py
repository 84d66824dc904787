"""The Library API: the only code that writes the photo library (folders, photos, captions, keywords, search)."""

from __future__ import annotations

import json
import logging
import os
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session, selectinload

from photoscribe.captioning.keywords import keywords_from_caption
from photoscribe.config import default_library_path
from photoscribe.errors import LibraryError, UnreadableImageError
from photoscribe.imaging import read_facts
from photoscribe.library import search
from photoscribe.library.database import Database
from photoscribe.library.fingerprint import content_fingerprint
from photoscribe.library.models import Caption, Folder, Keyword, KeywordSource, Photo, PhotoStatus
from photoscribe.library.query import parse_query
from photoscribe.library.records import (
    CaptionResult,
    ClaimedPhoto,
    FolderRecord,
    LibraryStats,
    PhotoRecord,
    Registration,
    SearchHit,
)
from photoscribe.metadata import read_file_metadata

log = logging.getLogger(__name__)

REGISTER_CHUNK = 200  # files registered per transaction


def now() -> datetime:
    """The current UTC time without tzinfo (SQLite stores naive datetimes)."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def normalise(path: Path | str) -> Path:
    """Absolute, normalised form of ``path`` as stored in the library (symlinks are kept, not resolved)."""
    return Path(os.path.normpath(os.path.abspath(os.path.expanduser(path))))


class Library:
    """A photo library in one SQLite file. Thread-safe: every call uses its own short session."""

    def __init__(self, path: Path | str | None = None) -> None:
        self.path = normalise(path or default_library_path())
        self.db = Database(self.path)

    def __enter__(self) -> Library:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Release the database file."""
        self.db.close()

    # -- folders -------------------------------------------------------------------------------------------

    def add_folder(self, path: Path | str, polling: bool | None = None) -> int:
        """Remember ``path`` as a photo folder (idempotent); returns its id."""
        key = str(normalise(path))
        with self.db.writing() as session:
            folder = session.scalar(select(Folder).where(Folder.path == key))
            if folder is None:
                folder = Folder(path=key, added_at=now(), polling=bool(polling), paused=False)
                session.add(folder)
            elif polling is not None:
                folder.polling = polling
            session.flush()
            return folder.id

    def set_folder_options(self, path: Path | str, polling: bool | None = None, paused: bool | None = None) -> None:
        """Change how a folder is watched: polling (for network shares) or paused."""
        with self.db.writing() as session:
            folder = _folder_at(session, path)
            if polling is not None:
                folder.polling = polling
            if paused is not None:
                folder.paused = paused

    def remove_folder(self, path: Path | str, forget_photos: bool = False) -> None:
        """Stop treating ``path`` as a photo folder; with ``forget_photos`` its photos leave the library too."""
        with self.db.writing() as session:
            folder = _folder_at(session, path)
            if forget_photos:
                ids = list(session.scalars(select(Photo.id).where(Photo.folder_id == folder.id)))
                for photo_id in ids:
                    search.remove_photo(session, photo_id)
                session.execute(delete(Photo).where(Photo.id.in_(ids)))
            session.delete(folder)

    def folders(self) -> list[FolderRecord]:
        """The photo folders, in the order they were added."""
        with self.db.reading() as session:
            return [
                FolderRecord(f.id, Path(f.path), bool(f.polling), bool(f.paused))
                for f in session.scalars(select(Folder).order_by(Folder.id))
            ]

    # -- registering files -----------------------------------------------------------------------------------

    def register_files(self, paths: Iterable[Path], folder_id: int | None = None) -> Counter[Registration]:
        """Add or refresh photos; new and changed ones are queued for captioning.

        A photo whose size and mtime did not change is left alone; one whose content fingerprint did not change
        either (a touch) keeps its caption. Returns how many files ended up in each :class:`Registration`.
        """
        outcomes: Counter[Registration] = Counter()
        chunk: list[Path] = []
        for path in paths:
            chunk.append(normalise(path))
            if len(chunk) >= REGISTER_CHUNK:
                outcomes.update(self._register_chunk(chunk, folder_id))
                chunk = []
        if chunk:
            outcomes.update(self._register_chunk(chunk, folder_id))
        return outcomes

    def _register_chunk(self, paths: list[Path], folder_id: int | None) -> list[Registration]:
        with self.db.writing() as session:
            return [self._register(session, path, folder_id) for path in paths]

    def _register(self, session: Session, path: Path, folder_id: int | None) -> Registration:
        try:
            stat = path.stat()
        except OSError:
            return Registration.VANISHED
        photo = session.scalar(select(Photo).where(Photo.path == str(path)))
        if (
            photo is not None
            and photo.status != PhotoStatus.MISSING
            and (photo.size == stat.st_size and photo.mtime == stat.st_mtime)
        ):
            return Registration.UNCHANGED
        fingerprint = _fingerprint_or_none(path)
        if photo is None:
            photo = _find_moved(session, fingerprint)
            outcome = Registration.MOVED if photo else Registration.NEW
            if photo is None:
                photo = Photo(path=str(path), added_at=now(), status=PhotoStatus.PENDING)
                session.add(photo)
            photo.path = str(path)
        elif fingerprint is not None and photo.content_hash == fingerprint:
            outcome = Registration.RESTORED if photo.status == PhotoStatus.MISSING else Registration.UNCHANGED
        else:
            outcome = Registration.CHANGED
        photo.size, photo.mtime, photo.content_hash = stat.st_size, stat.st_mtime, fingerprint
        photo.folder_id = folder_id if folder_id is not None else photo.folder_id
        photo.updated_at = now()
        if outcome in (Registration.NEW, Registration.CHANGED):
            _read_facts_into(photo, path)
            _read_file_metadata_into(session, photo, path)
            photo.status, photo.error = PhotoStatus.PENDING, None
        elif photo.status == PhotoStatus.MISSING:
            _bring_back(photo)
        session.flush()
        if outcome in (Registration.NEW, Registration.MOVED, Registration.CHANGED):
            _reindex(session, photo)
        return outcome

    def note_own_write(self, path: Path | str) -> None:
        """PhotoScribe itself rewrote this photo's metadata: take its new size, mtime and fingerprint as-is,
        so that the change is not mistaken for a new version needing a new caption."""
        key = normalise(path)
        with self.db.writing() as session:
            photo = session.scalar(select(Photo).where(Photo.path == str(key)))
            if photo is not None:
                stat = key.stat()
                photo.size, photo.mtime, photo.content_hash = stat.st_size, stat.st_mtime, _fingerprint_or_none(key)

    def mark_missing(self, paths: Iterable[Path | str]) -> int:
        """Mark photos whose files are gone as missing (their captions are kept); returns how many."""
        keys = [str(normalise(p)) for p in paths]
        with self.db.writing() as session:
            result = session.execute(
                update(Photo).where(Photo.path.in_(keys)).values(status=PhotoStatus.MISSING, updated_at=now())
            )
            return result.rowcount or 0

    def move_photo(self, source: Path | str, target: Path | str) -> bool:
        """Follow a rename or move: the photo keeps its captions under its new path. False if ``source`` is unknown."""
        with self.db.writing() as session:
            photo = session.scalar(select(Photo).where(Photo.path == str(normalise(source))))
            if photo is None:
                return False
            replaced = session.scalar(select(Photo).where(Photo.path == str(normalise(target))))
            if replaced is not None:  # the move overwrote another known photo
                search.remove_photo(session, replaced.id)
                session.delete(replaced)
                session.flush()
            photo.path = str(normalise(target))
            photo.updated_at = now()
            if photo.status == PhotoStatus.MISSING:
                _bring_back(photo)
            session.flush()
            _reindex(session, photo)
            return True

    def paths_under(self, folder: Path | str) -> list[Path]:
        """Paths of known, not-missing photos inside ``folder`` (recursively)."""
        prefix = str(normalise(folder)).rstrip(os.sep) + os.sep
        with self.db.reading() as session:
            inside = func.substr(Photo.path, 1, len(prefix)) == prefix
            rows = session.scalars(select(Photo.path).where(Photo.status != PhotoStatus.MISSING, inside))
            return [Path(p) for p in rows]

    # -- the captioning queue --------------------------------------------------------------------------------

    def requeue_running(self) -> int:
        """Put photos claimed by a worker that died back in the queue; returns how many."""
        with self.db.writing() as session:
            result = session.execute(
                update(Photo)
                .where(Photo.status == PhotoStatus.RUNNING)
                .values(status=PhotoStatus.PENDING, claimed_at=None)
            )
            return result.rowcount or 0

    def requeue(self, photo_ids: Iterable[int], prompt: str | None = None) -> int:
        """Queue photos for captioning again (the user asked, e.g. to retry failures); returns how many.

        ``prompt`` is used for these photos' next caption instead of the settings' prompt.
        """
        ids = list(photo_ids)
        with self.db.writing() as session:
            result = session.execute(
                update(Photo)
                .where(Photo.id.in_(ids), Photo.status != PhotoStatus.MISSING)
                .values(status=PhotoStatus.PENDING, error=None, claimed_at=None, prompt=prompt)
            )
            return result.rowcount or 0

    def cancel_pending(self) -> int:
        """Take every waiting photo off the queue (they return when asked or when their file changes)."""
        with self.db.writing() as session:
            result = session.execute(
                update(Photo).where(Photo.status == PhotoStatus.PENDING).values(status=PhotoStatus.CANCELLED)
            )
            return result.rowcount or 0

    def claim_batch(self, limit: int) -> list[ClaimedPhoto]:
        """Atomically take up to ``limit`` pending photos, oldest first, and mark them running."""
        with self.db.writing() as session:
            photos = session.scalars(
                select(Photo).where(Photo.status == PhotoStatus.PENDING).order_by(Photo.id).limit(limit)
            ).all()
            claimed_at = now()
            for photo in photos:
                photo.status, photo.claimed_at = PhotoStatus.RUNNING, claimed_at
            return [ClaimedPhoto(photo.id, Path(photo.path), photo.prompt) for photo in photos]

    def release(self, photo_ids: Iterable[int]) -> None:
        """Give claimed photos back to the queue unprocessed (a worker stopping early)."""
        ids = list(photo_ids)
        with self.db.writing() as session:
            session.execute(
                update(Photo)
                .where(Photo.id.in_(ids), Photo.status == PhotoStatus.RUNNING)
                .values(status=PhotoStatus.PENDING, claimed_at=None)
            )

    def save_results(self, captions: Sequence[CaptionResult], failures: Sequence[tuple[int, str]] = ()) -> None:
        """Store a batch's captions and failures in one transaction.

        A photo whose file changed while it was being captioned stays queued, so its new content gets captioned.
        """
        with self.db.writing() as session:
            for result in captions:
                photo = session.get(Photo, result.photo_id)
                if photo is not None:
                    _store_caption(session, photo, result)
            for photo_id, reason in failures:
                photo = session.get(Photo, photo_id)
                if photo is not None and photo.status == PhotoStatus.RUNNING:
                    photo.status, photo.error, photo.claimed_at = PhotoStatus.FAILED, reason, None

    # -- the photographer's edits ----------------------------------------------------------------------------

    def set_user_caption(self, path: Path | str, caption: str | None) -> PhotoRecord:
        """Set (or with ``None``/empty text, clear) the user's caption of the photo at ``path``.

        The user's caption wins over the model's everywhere and is never overwritten by re-captioning; its
        keywords become the photo's keywords in force.
        """
        text = (caption or "").strip() or None
        with self.db.writing() as session:
            photo = _photo_at(session, path)
            if photo.caption is None:
                photo.caption = Caption()
            photo.caption.user_caption = text
            photo.caption.user_edited_at = now() if text else None
            words = keywords_from_caption(text) if text else []
            _replace_keywords(session, photo, KeywordSource.USER, words)
            session.flush()
            _reindex(session, photo)
            return _record(photo)

    # -- reading ---------------------------------------------------------------------------------------------

    def photo(self, path: Path | str) -> PhotoRecord | None:
        """The record of the photo at ``path``, or ``None`` when the library does not know it."""
        with self.db.reading() as session:
            photo = session.scalar(_with_details(select(Photo).where(Photo.path == str(normalise(path)))))
            return _record(photo) if photo else None

    def photos(self, status: str | None = None) -> list[PhotoRecord]:
        """Every photo (optionally only those with ``status``), in the order they were added."""
        query = select(Photo).order_by(Photo.id)
        if status is not None:
            query = query.where(Photo.status == status)
        with self.db.reading() as session:
            return [_record(p) for p in session.scalars(_with_details(query))]

    def photo_ids(self, text: str = "", status: str | None = None, folder: Path | str | None = None) -> list[int]:
        """Ids of the photos to show for a search (best first) or, with no query, all of them newest first.

        Missing photos are left out. ``status`` keeps one state (``"edited"`` keeps photos with a user caption);
        ``folder`` keeps photos inside that folder.
        """
        query = parse_query(text)
        with self.db.reading() as session:
            ranked = [pid for pid, _ in search.matching_ids(session, query)] if not query.is_empty else None
            rows = select(Photo.id).where(Photo.status != PhotoStatus.MISSING)
            if status == "edited":
                rows = rows.join(Caption).where(Caption.user_caption.is_not(None))
            elif status is not None:
                rows = rows.where(Photo.status == status)
            if folder is not None:
                prefix = str(normalise(folder)).rstrip(os.sep) + os.sep
                rows = rows.where(func.substr(Photo.path, 1, len(prefix)) == prefix)
            allowed = list(session.scalars(rows.order_by(Photo.id.desc())))
        if ranked is None:
            return allowed
        keep = set(allowed)
        return [pid for pid in ranked if pid in keep]

    def records(self, photo_ids: Sequence[int]) -> dict[int, PhotoRecord]:
        """Records of the given photos by id (unknown ids are left out)."""
        with self.db.reading() as session:
            query = _with_details(select(Photo).where(Photo.id.in_(list(photo_ids))))
            return {p.id: _record(p) for p in session.scalars(query)}

    def set_user_keywords(self, path: Path | str, keywords: Sequence[str] | None) -> PhotoRecord:
        """Set the photographer's own keywords (they replace the model's); ``None`` or empty goes back to them."""
        with self.db.writing() as session:
            photo = _photo_at(session, path)
            _replace_keywords(session, photo, KeywordSource.USER, list(keywords or []))
            _reindex(session, photo)
            return _record(photo)

    def search(self, text: str, limit: int | None = None) -> list[SearchHit]:
        """Photos matching ``text`` in the search language of :mod:`photoscribe.library.query`, best first.

        Missing photos are left out.
        """
        query = parse_query(text)
        with self.db.reading() as session:
            matches = search.matching_ids(session, query)
            matched = select(Photo).where(Photo.id.in_([photo_id for photo_id, _ in matches]))
            photos = {p.id: p for p in session.scalars(_with_details(matched))}
        hits = [
            SearchHit(_record(photos[pid]), score)
            for pid, score in matches
            if pid in photos and photos[pid].status != PhotoStatus.MISSING
        ]
        return hits[:limit] if limit is not None else hits

    def stats(self) -> LibraryStats:
        """How many photos are in each state."""
        with self.db.reading() as session:
            counts = dict(session.execute(select(Photo.status, func.count()).group_by(Photo.status)).all())
            folders = session.scalar(select(func.count()).select_from(Folder)) or 0
        missing = counts.get(PhotoStatus.MISSING, 0)
        return LibraryStats(
            photos=sum(counts.values()) - missing,
            captioned=counts.get(PhotoStatus.DONE, 0),
            pending=counts.get(PhotoStatus.PENDING, 0) + counts.get(PhotoStatus.RUNNING, 0),
            failed=counts.get(PhotoStatus.FAILED, 0),
            missing=missing,
            cancelled=counts.get(PhotoStatus.CANCELLED, 0),
            folders=folders,
        )


# -- helpers (module level so that every one stays small) ------------------------------------------------------


def _fingerprint_or_none(path: Path) -> str | None:
    try:
        return content_fingerprint(path)
    except OSError as exc:
        log.warning("cannot read %s: %s", path, exc)
        return None


def _find_moved(session: Session, fingerprint: str | None) -> Photo | None:
    """A known photo with this content whose file is gone (marked missing, or its deletion not yet noticed)."""
    if fingerprint is None:
        return None
    candidates = session.scalars(select(Photo).where(Photo.content_hash == fingerprint).order_by(Photo.id))
    for photo in candidates:
        if photo.status == PhotoStatus.MISSING or not Path(photo.path).exists():
            return photo
    return None


def _bring_back(photo: Photo) -> None:
    """A missing photo reappeared: done if it has a caption, else queued."""
    has_caption = photo.caption is not None and photo.caption.in_force is not None
    photo.status = PhotoStatus.DONE if has_caption else PhotoStatus.PENDING


def _read_facts_into(photo: Photo, path: Path) -> None:
    try:
        facts = read_facts(path)
    except UnreadableImageError:
        photo.width = photo.height = photo.taken_at = photo.camera = None  # the worker says why when it decodes
        return
    photo.width, photo.height, photo.taken_at, photo.camera = facts.width, facts.height, facts.taken_at, facts.camera


def _read_file_metadata_into(session: Session, photo: Photo, path: Path) -> None:
    """Keep the caption and keywords the file (or its sidecar) already carries, marked as the file's."""
    found = read_file_metadata(path)
    if photo.caption is None and found.caption is None and not found.keywords:
        return
    session.flush()
    if photo.caption is None:
        photo.caption = Caption()
    photo.caption.file_caption = found.caption
    _replace_keywords(session, photo, KeywordSource.FILE, found.keywords)


def _store_caption(session: Session, photo: Photo, result: CaptionResult) -> None:
    if photo.caption is None:
        photo.caption = Caption()
    photo.caption.model_caption = result.caption
    photo.caption.model_ref = result.model_ref
    photo.caption.settings = json.dumps(result.settings, sort_keys=True)
    photo.caption.captioned_at = now()
    photo.caption.revision = (photo.caption.revision or 0) + 1
    _replace_keywords(session, photo, KeywordSource.MODEL, result.keywords)
    if photo.status == PhotoStatus.RUNNING:
        photo.status, photo.error, photo.claimed_at, photo.prompt = PhotoStatus.DONE, None, None, None
    session.flush()
    _reindex(session, photo)


def _replace_keywords(session: Session, photo: Photo, source: str, words: Sequence[str]) -> None:
    session.execute(delete(Keyword).where(Keyword.photo_id == photo.id, Keyword.source == source))
    unique = list(dict.fromkeys(w.strip().lower() for w in words if w.strip()))
    session.add_all(Keyword(photo_id=photo.id, word=w, source=source, position=i) for i, w in enumerate(unique))
    session.flush()
    session.expire(photo, ["keywords"])


def _keywords_in_force(photo: Photo) -> tuple[str, ...]:
    """The user's keywords when there are any; otherwise those from the file, then the model's."""
    by_source: dict[str, list[Keyword]] = {}
    for keyword in sorted(photo.keywords, key=lambda k: k.position):
        by_source.setdefault(keyword.source, []).append(keyword)
    if by_source.get(KeywordSource.USER):
        chosen = by_source[KeywordSource.USER]
    else:
        chosen = by_source.get(KeywordSource.FILE, []) + by_source.get(KeywordSource.MODEL, [])
    return tuple(dict.fromkeys(k.word for k in chosen))


def _reindex(session: Session, photo: Photo) -> None:
    caption = photo.caption
    people_wrote = " ".join(c for c in (caption.user_caption, caption.file_caption) if c) if caption else ""
    search.index_photo(
        session,
        photo.id,
        Path(photo.path).name,
        caption.model_caption if caption else None,
        people_wrote or None,  # the user's and the file's own captions weigh the same in search
        list(_keywords_in_force(photo)),
    )


def _folder_at(session: Session, path: Path | str) -> Folder:
    folder = session.scalar(select(Folder).where(Folder.path == str(normalise(path))))
    if folder is None:
        raise LibraryError(f"{path} is not one of the library's folders")
    return folder


def _photo_at(session: Session, path: Path | str) -> Photo:
    photo = session.scalar(select(Photo).where(Photo.path == str(normalise(path))))
    if photo is None:
        raise LibraryError(f"{path} is not in the library; add it with 'photoscribe caption' first")
    return photo


def _with_details(query):  # type: ignore[no-untyped-def]
    return query.options(selectinload(Photo.caption), selectinload(Photo.keywords))


def _record(photo: Photo) -> PhotoRecord:
    caption = photo.caption
    return PhotoRecord(
        id=photo.id,
        path=photo.path,
        status=photo.status,
        error=photo.error,
        model_caption=caption.model_caption if caption else None,
        user_caption=caption.user_caption if caption else None,
        keywords=_keywords_in_force(photo),
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
    )
