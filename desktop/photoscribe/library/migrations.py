"""Schema migrations of the library, SQLite file or PostgreSQL database alike, run by Alembic.

A new library is created from the models at the latest schema (no migration runs) and recorded at Alembic's head.
An older library is brought up by Alembic's revisions (``schema/versions/``), inside one transaction holding the
library's write lock. Libraries made before Alembic recorded their version as a count of migrations in the
``meta`` table; they are stamped with the matching revision first. The count is still written there, so that an
older PhotoScribe refuses a newer library instead of damaging it.

Opening an up-to-date library only reads two small tables: Alembic itself is imported only to upgrade.
"""

from __future__ import annotations

import logging
from pathlib import Path

from sqlalchemy import Column, Connection, Engine, MetaData, String, Table, delete, insert, inspect, select

from photoscribe.errors import LibraryError
from photoscribe.library import search
from photoscribe.library.models import Base, Meta

log = logging.getLogger(__name__)

#: Alembic's revisions in order; a library's schema version is how many of them it has had.
REVISIONS = ("0001", "0002", "0003", "0004", "0005", "0006", "0007", "0008", "0009", "0010")
SCHEMA_VERSION = len(REVISIONS)
HEAD = REVISIONS[-1]
SCRIPTS = Path(__file__).with_name("schema")
SCHEMA_VERSION_KEY = "schema_version"

_alembic = MetaData()
#: The table Alembic keeps its revision in (the same definition Alembic creates).
ALEMBIC_VERSION = Table("alembic_version", _alembic, Column("version_num", String(32), primary_key=True))


def schema_version(conn: Connection) -> int:
    """How many revisions the library has had (0 for a new one): Alembic's record, or the count in ``meta`` that
    libraries made before Alembic keep, whichever is further (a newer version may have moved either)."""
    tables = inspect(conn)
    counted = 0
    if tables.has_table(Meta.__tablename__):
        value = conn.execute(select(Meta.value).where(Meta.key == SCHEMA_VERSION_KEY)).scalar()
        counted = int(value) if value else 0
    if tables.has_table(ALEMBIC_VERSION.name):
        revision = conn.execute(select(ALEMBIC_VERSION.c.version_num)).scalar()
        if revision is not None:
            return max(counted, REVISIONS.index(revision) + 1 if revision in REVISIONS else _newer(revision))
    return counted


def _newer(revision: str) -> int:
    """A revision this version does not know was made by a newer PhotoScribe."""
    log.warning("the library is at schema revision %s, unknown to this version", revision)
    return SCHEMA_VERSION + 1


def _refuse_newer(current: int) -> None:
    if current > SCHEMA_VERSION:
        raise LibraryError(
            f"this library was made by a newer PhotoScribe (schema {current}, this version knows "
            f"{SCHEMA_VERSION}); update PhotoScribe or use another --library"
        )


def needs_migration(engine: Engine) -> bool:
    """True when the library is behind :data:`SCHEMA_VERSION` (a plain read: no write lock is taken)."""
    with engine.connect() as conn:
        current = schema_version(conn)
    _refuse_newer(current)
    return current < SCHEMA_VERSION


def migrate(engine: Engine) -> int:
    """Bring the library's schema up to :data:`SCHEMA_VERSION`; returns the number of revisions applied.

    Runs under the write lock and checks the version again there, so two processes opening an old library at
    once migrate it once.
    """
    with engine.connect().execution_options(immediate=True) as conn:
        with conn.begin():
            current = schema_version(conn)
            _refuse_newer(current)
            if current == 0:
                Base.metadata.create_all(conn)
                search.create_index(conn)
                _record(conn, HEAD)
            elif current < SCHEMA_VERSION:
                _record(conn, REVISIONS[current - 1])  # stamps a library made before Alembic
                _upgrade(conn)
                _record(conn, HEAD)
    return SCHEMA_VERSION - current


def _upgrade(conn: Connection) -> None:
    """Alembic's ``upgrade head`` on ``conn``, inside its transaction."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(SCRIPTS))
    config.attributes["connection"] = conn
    log.info("library migration to revision %s", HEAD)
    command.upgrade(config, "head")


def _record(conn: Connection, revision: str) -> None:
    """Write ``revision`` as Alembic's, and its count where versions before Alembic look for it."""
    _alembic.create_all(conn)
    conn.execute(delete(ALEMBIC_VERSION))
    conn.execute(insert(ALEMBIC_VERSION).values(version_num=revision))
    conn.execute(delete(Meta).where(Meta.key == SCHEMA_VERSION_KEY))
    conn.execute(insert(Meta).values(key=SCHEMA_VERSION_KEY, value=str(REVISIONS.index(revision) + 1)))
