"""Opening the library's SQLite file: pragmas, transactions, and migration only when the file is behind.

WAL mode and a busy timeout let a watcher and a ``photoscribe status`` in another process share one file
(beets #903). Write transactions start with ``BEGIN IMMEDIATE`` so two writers queue instead of failing halfway;
reads never take the write lock, and opening an up-to-date library only reads (so ``status`` and ``search`` work
while another process writes, and a read-only library file can be searched).
"""

from __future__ import annotations

import logging
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.exc import DatabaseError
from sqlalchemy.orm import Session
from sqlalchemy.pool import QueuePool

from photoscribe.errors import LibraryError
from photoscribe.library.migrations import MIGRATIONS, SCHEMA_VERSION, migrate, needs_migration, schema_version

__all__ = ["BUSY_TIMEOUT_MS", "MIGRATIONS", "SCHEMA_VERSION", "Database", "migrate", "schema_version"]

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 30_000


class Database:
    """A SQLAlchemy engine on one library file, with short read and write sessions."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.read_only = path.exists() and not os.access(path, os.W_OK)
        if not self.read_only:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise LibraryError(f"cannot create the library folder {path.parent}: {exc}") from exc
        try:
            self.engine = _open_read_only(path) if self.read_only else _make_engine(path, "rwc")
            if needs_migration(self.engine):
                if self.read_only:
                    raise LibraryError(f"the library {path} is read-only and needs an update PhotoScribe cannot write")
                migrate(self.engine)
        except (DatabaseError, sqlite3.DatabaseError) as exc:
            if hasattr(self, "engine"):
                self.engine.dispose()
            raise LibraryError(f"cannot open the library {path}: {getattr(exc, 'orig', None) or exc}") from exc
        except LibraryError:
            if hasattr(self, "engine"):
                self.engine.dispose()
            raise

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A session for reads (a deferred transaction; never blocks writers in WAL mode)."""
        with Session(self.engine, expire_on_commit=False) as session:
            yield session

    @contextmanager
    def writing(self) -> Iterator[Session]:
        """A session whose transaction takes the write lock at once and commits on success."""
        if self.read_only:
            raise LibraryError(f"the library {self.path} is read-only")
        with Session(self.engine, expire_on_commit=False) as session:
            session.connection(execution_options={"immediate": True})
            yield session
            session.commit()

    def close(self) -> None:
        """Release every connection."""
        self.engine.dispose()


def _uri(path: Path, options: str) -> str:
    return f"file:{quote(os.fsencode(path))}?{options}"


def _open_read_only(path: Path) -> Engine:
    """A read-only file: ``mode=ro`` when SQLite can share its WAL index, else ``immutable`` (read-only media)."""
    engine = _make_engine(path, "ro")
    try:
        with engine.connect() as conn:
            schema_version(conn)
        return engine
    except DatabaseError:
        engine.dispose()
        log.info("opening the read-only library %s as immutable", path)
        return _make_engine(path, "ro&immutable=1")


def _make_engine(path: Path, mode: str) -> Engine:
    uri = _uri(path, f"mode={mode}")
    engine = create_engine(
        "sqlite://",
        # Pooled connections move between the engine's threads, one thread at a time.
        creator=lambda: sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False),
        poolclass=QueuePool,
    )
    writable = mode == "rwc"

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: sqlite3.Connection, _record: object) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves (see _on_begin)
        cursor = dbapi_conn.cursor()
        pragmas = [f"busy_timeout = {BUSY_TIMEOUT_MS}", "foreign_keys = ON"]
        if writable:
            pragmas += ["journal_mode = WAL", "synchronous = NORMAL"]
        for pragma in pragmas:
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get("immediate", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine
