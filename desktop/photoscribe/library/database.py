"""Opening the library (a SQLite file, or a PostgreSQL database): transactions, and migration only when behind.

SQLite: WAL mode and a busy timeout let a watcher and a ``photoscribe status`` in another process share one file
(beets #903). Write transactions start with ``BEGIN IMMEDIATE`` so two writers queue instead of failing halfway;
reads never take the write lock, and opening an up-to-date library only reads (so ``status`` and ``search`` work
while another process writes, and a read-only library file can be searched).

PostgreSQL (``postgresql://...``, the psycopg driver of the ``studio`` extra): a write session takes the library's
write lock too (a transaction-level advisory lock), so every write keeps SQLite's one-writer-at-a-time meaning;
the queue's own hot paths (claiming, storing results, the heartbeat) ask for ``serialised=False`` and rely on row
locks instead (``SELECT ... FOR UPDATE SKIP LOCKED``), so many workers claim and store at once.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import Connection, Engine, create_engine, event, inspect, literal, select, table
from sqlalchemy.exc import DatabaseError
from sqlalchemy.orm import Session
from sqlalchemy.pool import QueuePool

from photoscribe.errors import LibraryError
from photoscribe.library.location import engine_url, is_server_url, shown_location
from photoscribe.library.migrations import SCHEMA_VERSION, migrate, needs_migration, schema_version

__all__ = ["BUSY_TIMEOUT_MS", "SCHEMA_VERSION", "Database", "existing_tables", "migrate", "schema_version"]

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 30_000
#: The key of PostgreSQL's advisory lock that stands for SQLite's write lock (any constant unique to PhotoScribe).
WRITE_LOCK_KEY = 0x70686F746F  # "photo"
#: The first key of the advisory locks per photo (the second is the photo's id): see ``Database.photo_lock``.
PHOTO_LOCK_CLASS = 0x7068  # "ph"


class Database:
    """A SQLAlchemy engine on one library file, with short read and write sessions."""

    def __init__(self, location: Path | str) -> None:
        self.server = is_server_url(location)
        self.path = location if self.server else Path(location)
        self.read_only = False
        if self.server:
            self.engine = _make_server_engine(str(location))
            self._open()
            return
        path = Path(location)
        self.read_only = path.exists() and not os.access(path, os.W_OK)
        if not self.read_only:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise LibraryError(f"cannot create the library folder {path.parent}: {exc}") from exc
        try:
            self.engine = _open_read_only(path) if self.read_only else _make_engine(path, "rwc")
        except (DatabaseError, sqlite3.DatabaseError) as exc:
            raise LibraryError(f"cannot open the library {path}: {getattr(exc, 'orig', None) or exc}") from exc
        self._open()

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self.engine.dialect.name

    def _open(self) -> None:
        """Migrate the library when it is behind; a failure closes the engine and says what went wrong."""
        try:
            if needs_migration(self.engine):
                if self.read_only:
                    raise LibraryError(
                        f"the library {self.path} is read-only and needs an update PhotoScribe cannot write"
                    )
                migrate(self.engine)
        except (DatabaseError, sqlite3.DatabaseError) as exc:
            self.engine.dispose()
            where = shown_location(str(self.path))
            raise LibraryError(f"cannot open the library {where}: {getattr(exc, 'orig', None) or exc}") from exc
        except LibraryError:
            self.engine.dispose()
            raise

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A session for reads (a deferred transaction; never blocks writers in WAL mode)."""
        with Session(self.engine, expire_on_commit=False) as session:
            yield session

    @contextmanager
    def writing(self, serialised: bool = True) -> Iterator[Session]:
        """A session whose transaction takes the write lock at once and commits on success.

        ``serialised=False`` (PostgreSQL only; SQLite has one writer at a time whatever is asked) leaves the
        library's write lock alone: for statements whose row locks are enough (see the module's docstring)."""
        if self.read_only:
            raise LibraryError(f"the library {self.path} is read-only")
        with Session(self.engine, expire_on_commit=False) as session:
            session.connection(execution_options={"immediate": serialised or not self.server})
            yield session
            session.commit()

    @contextmanager
    def photo_lock(self, photo_id: int) -> Iterator[None]:
        """Held while one process writes a photo's metadata: on PostgreSQL an advisory lock per photo, so two
        machines never write one file at once (the second waits). SQLite libraries live on one machine, whose own
        writes are told apart by ``own_writes.py``: nothing to take there."""
        if not self.server:
            yield
            return
        with self.engine.connect() as conn:
            conn.exec_driver_sql(f"SELECT pg_advisory_lock({PHOTO_LOCK_CLASS}, {int(photo_id)})")
            conn.commit()
            try:
                yield
            finally:
                conn.exec_driver_sql(f"SELECT pg_advisory_unlock({PHOTO_LOCK_CLASS}, {int(photo_id)})")
                conn.commit()

    def close(self) -> None:
        """Release every connection."""
        self.engine.dispose()


def existing_tables(location: Path | str) -> dict[str, bool] | None:
    """The tables already in the database at ``location``, each with whether it holds a row, read without opening
    a library there (nothing is created or migrated); ``None`` where no file is there yet."""
    if is_server_url(location):
        engine = _make_server_engine(str(location))
    elif Path(location).exists():
        engine = _make_engine(Path(location), "ro")
    else:
        return None
    try:
        with engine.connect() as conn:
            names = inspect(conn).get_table_names()
            return {
                name: conn.execute(select(literal(1)).select_from(table(name)).limit(1)).first() is not None
                for name in names
            }
    except (DatabaseError, sqlite3.DatabaseError) as exc:
        where = shown_location(str(location))
        raise LibraryError(f"cannot open the library {where}: {getattr(exc, 'orig', None) or exc}") from exc
    finally:
        engine.dispose()


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


def _make_server_engine(location: str) -> Engine:
    """An engine on a PostgreSQL library: psycopg 3, a connection checked before use, and the library's write
    lock (an advisory lock) taken by every transaction that asks for ``immediate``."""
    try:
        import psycopg  # noqa: F401  (the studio extra)
    except ImportError as exc:
        raise LibraryError("a PostgreSQL library needs the psycopg driver: pip install 'photoscribe[studio]'") from exc
    try:
        engine = create_engine(
            engine_url(location),
            pool_pre_ping=True,
            pool_size=4,
            max_overflow=8,
            connect_args={
                "connect_timeout": 10,
                "application_name": "photoscribe",
                "options": f"-c lock_timeout={BUSY_TIMEOUT_MS}",
            },
        )
    except Exception as exc:  # a URL SQLAlchemy cannot parse
        raise LibraryError(f"cannot use the library {shown_location(location)}: {exc}") from exc

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        if conn.get_execution_options().get("immediate", False):
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({WRITE_LOCK_KEY})")

    return engine
