"""Copying a whole library into an empty one: a desktop library (a SQLite file) into a studio's PostgreSQL
database, and back, or file to file (``photoscribe library copy``).

Everything the photographer has is carried, row for row and with the same ids: folders and their options, photos
(paths as their stored bytes, facts, status, errors), captions (the model's, the user's, the file's, revisions,
settings, when reviewed), keywords with their sources and positions, counts of files left out, text and image
vectors with the counters that date them, RAW+JPEG pairs, and the roots with each machine's mount points. Leases
are not: a photo being captioned in the source is queued again in the copy. The search index is built again in
the target (each database has its own kind).

The target must be a new file or an empty database: a library with anything in it, or a database holding other
tables, is refused and left untouched. The copy runs in chunks (a million photos never sit in memory at once),
all inside one transaction on the target, so a failure at any point leaves the target empty. The source is only
read, in one snapshot; opening a library made by an older PhotoScribe migrates it first, as any command does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Column, Connection, MetaData, Table, bindparam, delete, func, insert, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from sqlalchemy.types import TypeDecorator

from photoscribe.errors import LibraryError, one_line
from photoscribe.library import search
from photoscribe.library.database import Database, existing_tables
from photoscribe.library.location import engine_url, is_server_url, shown_location
from photoscribe.library.migrations import ALEMBIC_VERSION, SCHEMA_VERSION_KEY
from photoscribe.library.models import (
    Base,
    Caption,
    Folder,
    ImageVector,
    Keyword,
    KeywordSource,
    LeftOutFile,
    Meta,
    Photo,
    PhotoStatus,
    Root,
    RootMount,
    TextVector,
)
from photoscribe.library.queue import UNLEASED
from photoscribe.library.rows import index_new_photos, with_details

#: Rows read, written and indexed at a time.
CHUNK_ROWS = 2_000
#: The photographer's tables, each after those it refers to (a RAW's companion is linked once every photo is in).
TABLES = (Folder, Photo, Caption, Keyword, LeftOutFile, Root, RootMount, TextVector, ImageVector)
#: Tables whose ids PostgreSQL hands out from a sequence: set past the ids copied.
NUMBERED = (Folder, Photo, Keyword, Root)

#: ``progress(stage, rows done, rows in all)``: stage is a table's name, or ``search`` while the index is built.
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class CopyReport:
    """What the target holds once the copy is committed."""

    photos: int
    folders: int
    captions: int
    edits: int  # photos with the photographer's own caption or keywords
    keywords: int
    text_vectors: int
    image_vectors: int

    @property
    def vectors(self) -> int:
        return self.text_vectors + self.image_vectors


def copy_library(
    source: Path | str, target: Path | str, progress: Progress | None = None, chunk_rows: int = CHUNK_ROWS
) -> CopyReport:
    """Copy the library at ``source`` into ``target``, a new file or an empty database (see the module)."""
    if _same_place(source, target):
        raise LibraryError("the source and the target are the same library")
    _check_source(source)
    _check_target(target)
    source_db = Database(source)
    try:
        target_db = Database(target)  # created at the current schema
        try:
            return _copy(source_db, target_db, progress or _quiet, chunk_rows)
        finally:
            target_db.close()
    finally:
        source_db.close()


def _quiet(stage: str, done: int, total: int) -> None:
    """No progress shown."""


def _copy(source: Database, target: Database, progress: Progress, chunk_rows: int) -> CopyReport:
    where, stage = shown_location(str(target.path)), "the target"
    try:
        with _snapshot(source) as reader, target.writing() as session:
            _refuse_rows(session, where)
            for model in TABLES:
                stage = model.__tablename__
                _copy_table(reader, session, _raw(model.__table__), progress, chunk_rows)
            stage = "RAW+JPEG pairs"
            _link_companions(reader, session, chunk_rows)
            stage = "the library's counters"
            _copy_meta(reader, session)
            stage = "the search index"
            _index(session, progress, chunk_rows)
            if target.server:
                _reset_sequences(session)
            return _report(session)
    except DBAPIError as exc:
        raise LibraryError(
            f"copying {stage} into {where} failed: {one_line(exc.orig or exc)}; nothing was copied, the target "
            "is left empty"
        ) from exc


@contextmanager
def _snapshot(source: Database) -> Iterator[Connection]:
    """A connection to the source reading one consistent snapshot, and never writing: a read-only repeatable-read
    transaction on PostgreSQL; SQLite's deferred transaction reads one snapshot already (WAL)."""
    with source.engine.connect() as conn:
        if source.server:
            conn = conn.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
        with conn.begin() as transaction:
            yield conn
            transaction.rollback()


def _raw(table: Table) -> Table:
    """``table`` with the stored values as they are: path columns as bytes, without this machine's root mapping."""
    columns = []
    for column in table.columns:
        kind = column.type.impl if isinstance(column.type, TypeDecorator) else column.type
        columns.append(Column(column.name, kind, primary_key=column.primary_key))
    return Table(table.name, MetaData(), *columns)


def _chunks(reader: Connection, query: Any, chunk_rows: int) -> Iterator[Sequence[Any]]:
    """The rows of ``query`` a chunk at a time (a server-side cursor on PostgreSQL)."""
    yield from reader.execution_options(yield_per=chunk_rows).execute(query).partitions()


def _copy_table(reader: Connection, session: Session, table: Table, progress: Progress, chunk_rows: int) -> None:
    total = reader.execute(select(func.count()).select_from(table)).scalar_one()
    done = 0
    progress(table.name, done, total)
    ordered = select(table).order_by(*table.primary_key.columns)
    for rows in _chunks(reader, ordered, chunk_rows):
        values = [row._asdict() for row in rows]
        if table.name == Photo.__tablename__:
            for photo in values:
                photo["companion_id"] = None  # linked once every photo is in (see _link_companions)
                photo.update(UNLEASED)
                if photo["status"] == PhotoStatus.RUNNING:
                    photo["status"] = PhotoStatus.PENDING.value
        session.execute(insert(table), values)
        done += len(values)
        progress(table.name, done, total)


def _link_companions(reader: Connection, session: Session, chunk_rows: int) -> None:
    """Each RAW half of a pair points at its JPEG again (the ids are the source's)."""
    photos = _raw(Photo.__table__)
    query = select(photos.c.id, photos.c.companion_id).where(photos.c.companion_id.is_not(None)).order_by(photos.c.id)
    link = update(photos).where(photos.c.id == bindparam("photo")).values(companion_id=bindparam("companion"))
    for rows in _chunks(reader, query, chunk_rows):
        session.execute(link, [{"photo": photo, "companion": companion} for photo, companion in rows])


def _copy_meta(reader: Connection, session: Session) -> None:
    """The library's counters (those dating vectors); the schema's version is the target's own."""
    rows = reader.execute(select(Meta.key, Meta.value).where(Meta.key != SCHEMA_VERSION_KEY)).all()
    if rows:
        session.execute(delete(Meta).where(Meta.key.in_([key for key, _ in rows])))
        session.execute(insert(Meta.__table__), [{"key": key, "value": value} for key, value in rows])


def _index(session: Session, progress: Progress, chunk_rows: int) -> None:
    """Build the target's search rows from what was copied, as registration writes them for new photos."""
    total = session.execute(select(func.count()).select_from(Photo)).scalar_one()
    done, after = 0, 0
    while True:
        photos = session.scalars(
            with_details(select(Photo).where(Photo.id > after).order_by(Photo.id)).limit(chunk_rows)
        ).all()
        if not photos:
            return
        index_new_photos(session, photos)
        done, after = done + len(photos), photos[-1].id
        session.expunge_all()
        progress("search", done, total)


def _reset_sequences(session: Session) -> None:
    """PostgreSQL's next ids follow the ids copied."""
    for model in NUMBERED:
        name = model.__tablename__
        session.execute(
            text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), COALESCE(MAX(id), 0) + 1, false) FROM {name}")
        )


def _report(session: Session) -> CopyReport:
    def count(model: type[Base], *where: Any) -> int:
        return session.execute(select(func.count()).select_from(model).where(*where)).scalar_one()

    edited = select(Caption.photo_id).where(Caption.user_caption.is_not(None))
    typed = select(Keyword.photo_id).where(Keyword.source == KeywordSource.USER)
    return CopyReport(
        photos=count(Photo),
        folders=count(Folder),
        captions=count(Caption),
        edits=count(Photo, Photo.id.in_(edited) | Photo.id.in_(typed)),
        keywords=count(Keyword),
        text_vectors=count(TextVector),
        image_vectors=count(ImageVector),
    )


# -- what may be copied where ------------------------------------------------------------------------------------


def _library_table(name: str) -> bool:
    """True for the tables a library consists of (its search tables included, whatever their kind)."""
    return name in Base.metadata.tables or name == ALEMBIC_VERSION.name or name.startswith(search.FTS_TABLE)


def _check_source(source: Path | str) -> None:
    tables = existing_tables(source)
    if tables is None:
        raise LibraryError(f"there is no library at {shown_location(str(source))}")
    if Photo.__tablename__ not in tables:
        raise LibraryError(f"{shown_location(str(source))} is not a PhotoScribe library")


def _check_target(target: Path | str) -> None:
    """Refuse a target that is not a new file or an empty database, before anything is written there."""
    tables = existing_tables(target) or {}
    where = shown_location(str(target))
    foreign = sorted(name for name in tables if not _library_table(name))
    if foreign:
        raise LibraryError(
            f"{where} is not empty: it holds other tables ({', '.join(foreign[:5])}); copy into a new library file "
            "or an empty database"
        )
    filled = [model.__tablename__ for model in TABLES if tables.get(model.__tablename__)]
    if filled:
        raise LibraryError(_not_empty(where, filled))


def _refuse_rows(session: Session, where: str) -> None:
    """The same check inside the copy's transaction (another process may have written meanwhile)."""
    filled = [m.__tablename__ for m in TABLES if session.execute(select(m.__table__).limit(1)).first() is not None]
    if filled:
        raise LibraryError(_not_empty(where, filled))


def _not_empty(where: str, filled: list[str]) -> str:
    return (
        f"the library {where} is not empty (it has {', '.join(filled)}); a library is copied only into a new file "
        "or an empty database, never merged into another"
    )


def _same_place(source: Path | str, target: Path | str) -> bool:
    if is_server_url(source) or is_server_url(target):
        if not (is_server_url(source) and is_server_url(target)):
            return False
        from sqlalchemy.engine import make_url

        a, b = make_url(engine_url(str(source))), make_url(engine_url(str(target)))
        return (a.host, a.port, a.database) == (b.host, b.port, b.database)
    return Path(source).resolve() == Path(target).resolve()
