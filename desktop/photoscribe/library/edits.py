"""The photographer's changes: photo folders, their own captions and keywords (kept apart from each other), and
which photos' captions they have reviewed (any edit counts; a new model caption is to review again, see queue)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

from sqlalchemy import and_, delete, not_, or_, select, update
from sqlalchemy.orm import Session

from photoscribe.errors import LibraryError
from photoscribe.library import pairs, search
from photoscribe.library.database import Database
from photoscribe.library.models import Caption, Folder, KeywordSource, Photo, PhotoStatus
from photoscribe.library.paths import display_path, normalise, path_key
from photoscribe.library.records import FolderRecord, PhotoRecord, storable
from photoscribe.library.rows import (
    dedupe,
    keywords_in_force,
    now,
    photo_at,
    photos_deleted,
    records,
    reindex,
    replace_keywords,
    with_details,
    within,
)


def add_folder(db: Database, path: Path | str, polling: bool | None = None) -> int:
    """Remember ``path`` as a photo folder (idempotent, by :func:`path_key`); returns its id."""
    key = str(normalise(path))
    with db.writing() as session:
        folder = _find_folder(session, key)
        if folder is None:
            folder = Folder(path=key, added_at=now(), polling=bool(polling), paused=False)
            session.add(folder)
        elif polling is not None:
            folder.polling = polling
        session.flush()
        return folder.id


def set_folder_options(db: Database, path: Path | str, polling: bool | None = None, paused: bool | None = None) -> None:
    """Change how a folder is watched: polling (for network shares) or paused."""
    with db.writing() as session:
        folder = _folder_at(session, path)
        if polling is not None:
            folder.polling = polling
        if paused is not None:
            folder.paused = paused


def remove_folder(db: Database, path: Path | str, forget_photos: bool = False) -> int:
    """Stop treating ``path`` as a photo folder; returns how many of its waiting photos left the queue.

    Its pending photos are cancelled (unless another library folder still holds them); with ``forget_photos``
    its photos leave the library too.
    """
    with db.writing() as session:
        folder = _folder_at(session, path)
        others = [f.path for f in session.scalars(select(Folder).where(Folder.id != folder.id))]
        mine = or_(Photo.folder_id == folder.id, within([folder.path]))
        still_wanted = within(others) if others else None
        if still_wanted is not None:
            mine = and_(mine, not_(still_wanted))
        cancelled = session.execute(
            update(Photo).where(mine, Photo.status == PhotoStatus.PENDING).values(status=PhotoStatus.CANCELLED)
        ).rowcount
        if forget_photos:
            ids = list(session.scalars(select(Photo.id).where(Photo.folder_id == folder.id)))
            pairs.release_companions_of(session, ids)
            for photo_id in ids:
                search.remove_photo(session, photo_id)
            photos_deleted(session)
            session.execute(delete(Photo).where(Photo.id.in_(ids)))
        session.delete(folder)
        return cancelled or 0


def folders(db: Database) -> list[FolderRecord]:
    """The photo folders, in the order they were added."""
    with db.reading() as session:
        return [
            FolderRecord(f.id, Path(f.path), bool(f.polling), bool(f.paused))
            for f in session.scalars(select(Folder).order_by(Folder.id))
        ]


def set_user_caption(db: Database, path: Path | str, caption: str | None) -> PhotoRecord:
    """Set (or with ``None``/empty text, clear) the user's caption of the photo at ``path``.

    The user's caption wins over the model's everywhere and is never overwritten by re-captioning. It does not
    touch the keywords: the user's own keywords stay as they are (the model's, made from the caption the user
    replaced, are no longer in force). The RAW half of a pair is edited through its JPEG: the pair is one photo.
    """
    text = (storable(caption) or "").strip() or None
    with db.writing() as session:
        photo = _shown(session, photo_at(session, path))
        if photo.caption is None:
            photo.caption = Caption()
        photo.caption.user_caption = text
        photo.caption.user_edited_at = now() if text else None
        photo.caption.reviewed_at = now()  # an edit counts as having looked at it
        session.flush()
        reindex(session, photo)
        return records(session, [photo])[0]


def set_user_keywords(db: Database, path: Path | str, keywords: Sequence[str] | None) -> PhotoRecord:
    """Set the photographer's own keywords (they replace the others), as written; ``None`` or empty removes them.

    The RAW half of a pair is edited through its JPEG."""
    with db.writing() as session:
        photo = _shown(session, photo_at(session, path))
        replace_keywords(session, photo, KeywordSource.USER, list(keywords or []))
        _reviewed(photo)
        reindex(session, photo)
        return records(session, [photo])[0]


def mark_reviewed(db: Database, photo_ids: Sequence[int]) -> int:
    """The photographer looked at these photos' captions and accepts them (they leave the *To review* photos
    until the model captions them again); returns how many photos with captions were marked."""
    marked = 0
    for chunk in _chunks(photo_ids):
        with db.writing() as session:
            query = update(Caption).where(Caption.photo_id.in_(chunk)).values(reviewed_at=now())
            marked += session.execute(query.execution_options(synchronize_session=False)).rowcount or 0
    return marked


def change_keywords(
    db: Database, photo_ids: Sequence[int], add: Sequence[str] = (), remove: Sequence[str] = ()
) -> dict[int, tuple[str, ...]]:
    """Add and remove keywords (ignoring case) on each of these photos: its keywords in force, changed, become the
    photographer's own (as :func:`set_user_keywords`). Returns the keywords in force before, for the photos that
    changed (what an undo puts back with :func:`set_keywords_of`)."""
    gone = {" ".join(word.split()).casefold() for word in remove}
    before: dict[int, tuple[str, ...]] = {}
    for chunk in _chunks(photo_ids):
        with db.writing() as session:
            for photo in _loaded(session, chunk):
                old = keywords_in_force(photo)
                new = dedupe([word for word in old if word.casefold() not in gone] + list(add))
                if tuple(new) != old:
                    replace_keywords(session, photo, KeywordSource.USER, new)
                    _reviewed(photo)
                    reindex(session, photo)
                    before[photo.id] = old
    return before


def set_keywords_of(db: Database, keywords: Mapping[int, Sequence[str]]) -> None:
    """Set the photographer's own keywords of each photo by id (as :func:`set_user_keywords`)."""
    for chunk in _chunks(list(keywords)):
        with db.writing() as session:
            for photo in _loaded(session, chunk):
                replace_keywords(session, photo, KeywordSource.USER, list(keywords[photo.id]))
                _reviewed(photo)
                reindex(session, photo)


def _loaded(session: Session, photo_ids: list[int], group: int = 20) -> Iterator[Photo]:
    """The photos with their captions and keywords, loaded a few at a time and let go once changed (flushed): each
    keyword replaced checks every object the session holds, so a session holding a whole chunk made it quadratic."""
    for start in range(0, len(photo_ids), group):
        yield from session.scalars(with_details(select(Photo).where(Photo.id.in_(photo_ids[start : start + group]))))
        session.flush()
        session.expunge_all()


def _reviewed(photo: Photo) -> None:
    """The photographer edited the photo: they have looked at its captions."""
    if photo.caption is not None:
        photo.caption.reviewed_at = now()


def _chunks(photo_ids: Sequence[int], size: int = 500) -> list[list[int]]:
    """Ids in chunks of ``size``, each written in a transaction of its own (short: other writers wait less)."""
    ids = list(dict.fromkeys(photo_ids))
    return [ids[start : start + size] for start in range(0, len(ids), size)]


def _shown(session: Session, photo: Photo) -> Photo:
    """The photo that stands for ``photo``: the JPEG of its pair for a paired RAW, else itself."""
    if photo.status == PhotoStatus.PAIRED and photo.companion_id is not None:
        return session.get(Photo, photo.companion_id) or photo
    return photo


def _find_folder(session: Session, path: str) -> Folder | None:
    """The folder at ``path``: exactly, else the one folder with the same :func:`path_key`."""
    all_folders = list(session.scalars(select(Folder)))
    exact = next((f for f in all_folders if f.path == path), None)
    if exact is not None:
        return exact
    same = [f for f in all_folders if path_key(f.path) == path_key(path)]
    return same[0] if len(same) == 1 else None


def _folder_at(session: Session, path: Path | str) -> Folder:
    folder = _find_folder(session, str(normalise(path)))
    if folder is None:
        raise LibraryError(f"{display_path(path)} is not one of the library's folders")
    return folder
