"""Opening the library's SQLite file: pragmas, transactions and named schema migrations.

WAL mode and a busy timeout let a watcher and a ``photoscribe status`` in another process share one file
(beets #903). Write transactions start with ``BEGIN IMMEDIATE`` so two writers queue instead of failing halfway.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import DatabaseError
from sqlalchemy.orm import Session

from photoscribe.errors import LibraryError
from photoscribe.library import search
from photoscribe.library.models import Base

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 30_000


def _create_current_schema(conn: Connection) -> None:
    """A new library gets today's tables straight from the models (no migration steps needed)."""
    Base.metadata.create_all(conn)
    search.create_index(conn)


def _initial_schema(conn: Connection) -> None:
    """Version 1: libraries at version 1 or later already have it, so this step never runs on old files."""
    raise LibraryError("a library without a schema version cannot be migrated")  # pragma: no cover


def _folder_options_and_caption_revisions(conn: Connection) -> None:
    """Per-folder watching options, and a count of model captions per photo (each should be made once)."""
    for statement in (
        "ALTER TABLE folders ADD COLUMN polling BOOLEAN NOT NULL DEFAULT 0",
        "ALTER TABLE folders ADD COLUMN paused BOOLEAN NOT NULL DEFAULT 0",
        "ALTER TABLE captions ADD COLUMN revision INTEGER NOT NULL DEFAULT 0",
        "UPDATE captions SET revision = 1 WHERE model_caption IS NOT NULL",
    ):
        conn.execute(text(statement))


def _camera_and_prompt(conn: Connection) -> None:
    """The camera that took a photo, and a one-off prompt for its next caption."""
    conn.execute(text("ALTER TABLE photos ADD COLUMN camera VARCHAR(128)"))
    conn.execute(text("ALTER TABLE photos ADD COLUMN prompt TEXT"))


def _file_captions(conn: Connection) -> None:
    """Captions found in the photos' own metadata, kept apart from the model's and the user's."""
    conn.execute(text("ALTER TABLE captions ADD COLUMN file_caption TEXT"))


#: Named migrations, applied in order to an existing library; it records how many it has had. Append, never
#: edit. A new library is created from the models at the latest version and runs none of them.
MIGRATIONS: list[tuple[str, Callable[[Connection], None]]] = [
    ("0001_initial_schema", _initial_schema),
    ("0002_folder_options_and_caption_revisions", _folder_options_and_caption_revisions),
    ("0003_camera_and_prompt", _camera_and_prompt),
    ("0004_file_captions", _file_captions),
]
SCHEMA_VERSION = len(MIGRATIONS)


class Database:
    """A SQLAlchemy engine on one library file, with short read and write sessions."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise LibraryError(f"cannot create the library folder {path.parent}: {exc}") from exc
        self.engine = _make_engine(path)
        try:
            migrate(self.engine)
        except (DatabaseError, sqlite3.DatabaseError) as exc:
            self.engine.dispose()
            raise LibraryError(f"cannot open the library {path}: {getattr(exc, 'orig', None) or exc}") from exc

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A session for reads (a deferred transaction; never blocks writers in WAL mode)."""
        with Session(self.engine, expire_on_commit=False) as session:
            yield session

    @contextmanager
    def writing(self) -> Iterator[Session]:
        """A session whose transaction takes the write lock at once and commits on success."""
        with Session(self.engine, expire_on_commit=False) as session:
            session.connection(execution_options={"immediate": True})
            yield session
            session.commit()

    def close(self) -> None:
        """Release every connection."""
        self.engine.dispose()


def _make_engine(path: Path) -> Engine:
    engine = create_engine(
        URL.create("sqlite", database=str(path)),
        # Pooled connections move between the engine's threads, one thread at a time.
        connect_args={"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: sqlite3.Connection, _record: object) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves (see _on_begin)
        cursor = dbapi_conn.cursor()
        for pragma in (
            "journal_mode = WAL",
            "synchronous = NORMAL",
            f"busy_timeout = {BUSY_TIMEOUT_MS}",
            "foreign_keys = ON",
        ):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get("immediate", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def schema_version(conn: Connection) -> int:
    """How many migrations the library has had (0 for a new file)."""
    has_meta = conn.execute(text("SELECT 1 FROM sqlite_master WHERE type='table' AND name='meta'")).first()
    if not has_meta:
        return 0
    row = conn.execute(text("SELECT value FROM meta WHERE key = 'schema_version'")).first()
    return int(row[0]) if row else 0


def migrate(engine: Engine) -> int:
    """Bring the library's schema up to :data:`SCHEMA_VERSION`; returns the number of migrations applied."""
    with engine.connect().execution_options(immediate=True) as conn:
        with conn.begin():
            current = schema_version(conn)
            if current > SCHEMA_VERSION:
                raise LibraryError(
                    f"this library was made by a newer PhotoScribe (schema {current}, this version knows "
                    f"{SCHEMA_VERSION}); update PhotoScribe or use another --library"
                )
            if current == 0:
                _create_current_schema(conn)
            else:
                for name, step in MIGRATIONS[current:]:
                    log.info("library migration %s", name)
                    step(conn)
            if current < SCHEMA_VERSION:
                conn.execute(
                    text("INSERT OR REPLACE INTO meta(key, value) VALUES ('schema_version', :v)"),
                    {"v": str(SCHEMA_VERSION)},
                )
    return SCHEMA_VERSION - current
