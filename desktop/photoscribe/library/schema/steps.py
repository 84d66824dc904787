"""The steps of the libraries made before Alembic, as they were (their SQL is SQLite's: only SQLite libraries
ever had these versions; a PostgreSQL library is created at the latest schema). Each Alembic revision in
``versions/`` runs one of them. Never edit one: a new change is a new revision.
"""

from __future__ import annotations

import logging
import os

from sqlalchemy import Connection, text

from photoscribe.errors import LibraryError
from photoscribe.formats import kind_of_name
from photoscribe.library import search
from photoscribe.library.paths import path_key

log = logging.getLogger(__name__)


def initial_schema(conn: Connection) -> None:
    """Version 1: libraries at version 1 or later already have it, so this step never runs on old files."""
    raise LibraryError("a library without a schema version cannot be migrated")  # pragma: no cover


def folder_options_and_caption_revisions(conn: Connection) -> None:
    """Per-folder watching options, and a count of model captions per photo (each should be made once)."""
    for statement in (
        "ALTER TABLE folders ADD COLUMN polling BOOLEAN NOT NULL DEFAULT 0",
        "ALTER TABLE folders ADD COLUMN paused BOOLEAN NOT NULL DEFAULT 0",
        "ALTER TABLE captions ADD COLUMN revision INTEGER NOT NULL DEFAULT 0",
        "UPDATE captions SET revision = 1 WHERE model_caption IS NOT NULL",
    ):
        conn.execute(text(statement))


def camera_and_prompt(conn: Connection) -> None:
    """The camera that took a photo, and a one-off prompt for its next caption."""
    conn.execute(text("ALTER TABLE photos ADD COLUMN camera VARCHAR(128)"))
    conn.execute(text("ALTER TABLE photos ADD COLUMN prompt TEXT"))


def file_captions(conn: Connection) -> None:
    """Captions found in the photos' own metadata, kept apart from the model's and the user's."""
    conn.execute(text("ALTER TABLE captions ADD COLUMN file_caption TEXT"))


def leases_and_path_bytes(conn: Connection) -> None:
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


def file_kinds_pairs_and_left_out(conn: Connection) -> None:
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


def text_and_image_vectors(conn: Connection) -> None:
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


def reviewed(conn: Connection) -> None:
    """When someone last looked at a photo's captions (see ``Caption.reviewed_at``). Photos the photographer
    already edited (caption or keywords) count as reviewed then; other model captions are to review."""
    conn.execute(text("ALTER TABLE captions ADD COLUMN reviewed_at DATETIME"))
    conn.execute(
        text(
            "UPDATE captions SET reviewed_at = coalesce(user_edited_at, captioned_at, CURRENT_TIMESTAMP) "
            "WHERE user_caption IS NOT NULL OR photo_id IN (SELECT photo_id FROM keywords WHERE source = 'user')"
        )
    )
