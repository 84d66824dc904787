"""Named schema migrations of the library file, applied in order; the library records how many it has had."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable

from sqlalchemy import Connection, Engine, text

from photoscribe.errors import LibraryError
from photoscribe.formats import kind_of_name
from photoscribe.library import search
from photoscribe.library.models import Base
from photoscribe.library.paths import path_key

log = logging.getLogger(__name__)


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


def _leases_and_path_bytes(conn: Connection) -> None:
    """Queue leases, metadata pending, expected own writes; paths as the file system's bytes plus an identity key.

    SQLite cannot change a column's declared type, but a BLOB value keeps its storage class in a TEXT column, so
    converting the values is enough: every comparison is then between bytes. A replaced model caption leaves the
    search index (with the model's keywords, which were made from it).
    """
    for statement in (
        "ALTER TABLE photos ADD COLUMN path_key BLOB",
        "ALTER TABLE photos ADD COLUMN lease_owner VARCHAR(255)",
        "ALTER TABLE photos ADD COLUMN lease_expires FLOAT",
        "ALTER TABLE photos ADD COLUMN metadata_pending BOOLEAN NOT NULL DEFAULT 0",
        "ALTER TABLE photos ADD COLUMN own_write_size INTEGER",
        "ALTER TABLE photos ADD COLUMN own_write_mtime FLOAT",
        "ALTER TABLE photos ADD COLUMN own_write_fingerprint VARCHAR(64)",
        "UPDATE photos SET path = CAST(path AS BLOB) WHERE typeof(path) = 'text'",
        "UPDATE folders SET path = CAST(path AS BLOB) WHERE typeof(path) = 'text'",
    ):
        conn.execute(text(statement))
    keys = [
        {"id": photo_id, "key": os.fsencode(path_key(os.fsdecode(bytes(path))))}
        for photo_id, path in conn.execute(text("SELECT id, path FROM photos"))
    ]
    if keys:
        conn.execute(text("UPDATE photos SET path_key = :key WHERE id = :id"), keys)
    conn.execute(text("CREATE INDEX ix_photos_path_key ON photos (path_key)"))
    conn.execute(
        text(
            f"UPDATE {search.FTS_TABLE} SET model_caption = '', keywords = coalesce(("
            f"SELECT group_concat(word, ' ') FROM keywords k WHERE k.photo_id = {search.FTS_TABLE}.rowid "
            "AND k.source = 'file'), '') "
            "WHERE rowid IN (SELECT photo_id FROM captions WHERE user_caption IS NOT NULL) "
            "AND rowid NOT IN (SELECT photo_id FROM keywords WHERE source = 'user')"
        )
    )
    conn.execute(
        text(
            f"UPDATE {search.FTS_TABLE} SET model_caption = '' "
            "WHERE rowid IN (SELECT photo_id FROM captions WHERE user_caption IS NOT NULL)"
        )
    )


def _file_kinds_pairs_and_left_out(conn: Connection) -> None:
    """Each photo's kind (by its name), the RAW half of a RAW+JPEG pair pointing at the JPEG it is shown as, and
    per-folder counts of the files that are not photos.

    Versions before this one never registered RAW files, so an old library holds no pair to form: the next scan
    registers the RAW halves and pairs them.
    """
    for statement in (
        "ALTER TABLE photos ADD COLUMN file_kind VARCHAR(16)",
        "ALTER TABLE photos ADD COLUMN companion_id INTEGER REFERENCES photos (id) ON DELETE SET NULL",
        "CREATE INDEX ix_photos_companion_id ON photos (companion_id)",
        "CREATE TABLE left_out_files (folder_id INTEGER NOT NULL REFERENCES folders (id) ON DELETE CASCADE, "
        "kind VARCHAR(16) NOT NULL, extension VARCHAR(32) NOT NULL, count INTEGER NOT NULL, "
        "PRIMARY KEY (folder_id, kind, extension))",
    ):
        conn.execute(text(statement))
    kinds = []
    for photo_id, path in conn.execute(text("SELECT id, path FROM photos")):
        kind = kind_of_name(os.fsdecode(bytes(path)))
        if kind is not None:
            kinds.append({"id": photo_id, "kind": kind.value})
    if kinds:
        conn.execute(text("UPDATE photos SET file_kind = :kind WHERE id = :id"), kinds)


def _text_and_image_vectors(conn: Connection) -> None:
    """Vectors for search by meaning (the text a photo is found by) and for similar photos (its image), each
    recording the model that made it; nothing is embedded here: the engine embeds an existing library by itself."""
    for table, text_hash in (("text_vectors", "text_hash VARCHAR(40), "), ("image_vectors", "")):
        conn.execute(
            text(
                f"CREATE TABLE {table} (photo_id INTEGER NOT NULL PRIMARY KEY "
                f"REFERENCES photos (id) ON DELETE CASCADE, model_ref TEXT NOT NULL, {text_hash}"
                "vector BLOB NOT NULL, changed INTEGER NOT NULL DEFAULT 0)"
            )
        )
        conn.execute(text(f"CREATE INDEX ix_{table}_changed ON {table} (changed)"))


def _reviewed(conn: Connection) -> None:
    """When someone last looked at a photo's captions (see ``Caption.reviewed_at``). Photos the photographer
    already edited (caption or keywords) count as reviewed then; other model captions are to review."""
    conn.execute(text("ALTER TABLE captions ADD COLUMN reviewed_at DATETIME"))
    conn.execute(
        text(
            "UPDATE captions SET reviewed_at = coalesce(user_edited_at, captioned_at, CURRENT_TIMESTAMP) "
            "WHERE user_caption IS NOT NULL OR photo_id IN (SELECT photo_id FROM keywords WHERE source = 'user')"
        )
    )


#: Named migrations, applied in order to an existing library; it records how many it has had. Append, never
#: edit. A new library is created from the models at the latest version and runs none of them.
MIGRATIONS: list[tuple[str, Callable[[Connection], None]]] = [
    ("0001_initial_schema", _initial_schema),
    ("0002_folder_options_and_caption_revisions", _folder_options_and_caption_revisions),
    ("0003_camera_and_prompt", _camera_and_prompt),
    ("0004_file_captions", _file_captions),
    ("0005_leases_and_path_bytes", _leases_and_path_bytes),
    ("0006_file_kinds_pairs_and_left_out", _file_kinds_pairs_and_left_out),
    ("0007_text_and_image_vectors", _text_and_image_vectors),
    ("0008_reviewed", _reviewed),
]
SCHEMA_VERSION = len(MIGRATIONS)


def schema_version(conn: Connection) -> int:
    """How many migrations the library has had (0 for a new file)."""
    has_meta = conn.execute(text("SELECT 1 FROM sqlite_master WHERE type='table' AND name='meta'")).first()
    if not has_meta:
        return 0
    row = conn.execute(text("SELECT value FROM meta WHERE key = 'schema_version'")).first()
    return int(row[0]) if row else 0


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
    """Bring the library's schema up to :data:`SCHEMA_VERSION`; returns the number of migrations applied.

    Runs under the write lock and checks the version again there, so two processes opening an old library at
    once migrate it once.
    """
    with engine.connect().execution_options(immediate=True) as conn:
        with conn.begin():
            current = schema_version(conn)
            _refuse_newer(current)
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
