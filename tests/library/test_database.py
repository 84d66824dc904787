"""Opening library files: real old libraries are migrated, and reading never needs the write lock."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import time
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import pytest

from photoscribe.errors import LibraryError
from photoscribe.ingest import register_files
from photoscribe.library import Library, PhotoStatus
from photoscribe.library.database import SCHEMA_VERSION
from tests.library.common import DATA, caption_all, make_photo

ROOT = "/tmp/photoscribe-fixture/photos"  # where tests/data/make_old_libraries.py made the photos

HOLD_WRITE_LOCK = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN IMMEDIATE")
conn.execute("INSERT INTO meta(key, value) VALUES ('held-by', 'another program')")
print("locked", flush=True)
sys.stdin.readline()
conn.execute("ROLLBACK")
"""


def names(hits) -> list[str]:  # type: ignore[no-untyped-def]
    return sorted(Path(h.photo.path).name for h in hits)


@pytest.mark.parametrize("version", [1, 4])
def test_a_real_old_library_is_migrated_and_keeps_everything(tmp_path: Path, version: int) -> None:
    """The files were written by PhotoScribe itself at commits 6884c5f (schema 1) and 57df7fd (schema 4)."""
    path = tmp_path / "old.sqlite3"
    shutil.copy(DATA / f"library-v{version}.sqlite3", path)
    with Library(path) as library:
        barn = library.photo(f"{ROOT}/barn.jpg")
        assert (barn.caption, barn.model_caption, barn.revision) == ("Grandma's barn", "a green barn", 1)
        assert library.search("green") == []  # the model's words the user replaced are no longer searchable
        assert names(library.search("barn")) == ["barn.jpg"]
        cafe = library.photo(unicodedata.normalize("NFD", f"{ROOT}/café.jpg"))  # found in either Unicode form
        assert (cafe.caption, cafe.keywords, cafe.status) == ("a blue cup", ("blue", "cup"), PhotoStatus.DONE)
        assert [f.path for f in library.folders()] == [Path(ROOT)]
        captioned = 4 if version == 4 else 3
        stats = library.stats()
        assert (stats.photos, stats.captioned, stats.pending, stats.running) == (captioned + 2, captioned, 2, 1)
        if version == 4:
            paris = library.photo(f"{ROOT}/paris.jpg")
            assert (paris.caption, paris.file_keywords) == ("Eiffel tower at night", ("paris", "john smith"))
        assert library.reclaim_expired() == 1  # left running by a killed worker of the old version
        assert sorted(p.path.name for p in library.claim_batch(10)) == ["running.jpg", "zz-queued.jpg"]
        photo = make_photo(tmp_path / "new.jpg")
        assert register_files(library, [photo], library.add_folder(tmp_path)).total() == 1
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()[0] == str(SCHEMA_VERSION)
    assert {
        row[0] for row in conn.execute("SELECT typeof(path) FROM photos UNION SELECT typeof(path) FROM folders")
    } == {"blob"}
    conn.close()


@pytest.fixture
def captioned_library(tmp_path: Path) -> Path:
    path = tmp_path / "lib.sqlite3"
    with Library(path) as library:
        register_files(library, [make_photo(tmp_path / "wall.jpg")])
        caption_all(library, {"wall.jpg": "a red brick wall"})
    return path


@pytest.fixture
def write_lock_held(captioned_library: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Another process holds the library's write lock (``BEGIN IMMEDIATE``) until the test ends."""
    monkeypatch.setattr("photoscribe.library.database.BUSY_TIMEOUT_MS", 2000)  # a wrong wait fails in 2 s, not 30
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_WRITE_LOCK, str(captioned_library)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout.readline().strip() == "locked"
    yield captioned_library
    holder.communicate("done\n", timeout=30)


def test_status_and_search_work_while_another_process_holds_the_write_lock(write_lock_held: Path) -> None:
    started = time.perf_counter()
    with Library(write_lock_held) as library:
        assert library.stats().captioned == 1
        assert names(library.search("brick")) == ["wall.jpg"]
        assert len(library.photos()) == 1 and library.photo_ids("wall") == [1]
    assert time.perf_counter() - started < 1.5, "reading waited for the write lock"
    with Library(write_lock_held) as library, pytest.raises(Exception, match="locked"):
        library.set_user_caption(write_lock_held.parent / "wall.jpg", "mine")  # writes still wait, as they must


@pytest.fixture
def read_only(captioned_library: Path) -> Iterator[Path]:
    """The library and its folder made read-only for real: ``chattr +i`` as root (who ignores modes), else chmod."""
    targets = [captioned_library, captioned_library.parent]
    if os.geteuid() == 0:
        if shutil.which("chattr") is None or subprocess.run(["chattr", "+i", *map(str, targets)]).returncode:
            pytest.skip("cannot make a file read-only for root here (no chattr +i)")
        yield captioned_library
        subprocess.run(["chattr", "-i", *map(str, targets)], check=True)
    else:
        for target in targets:
            target.chmod(0o555)
        yield captioned_library
        for target in targets:
            target.chmod(0o755)


def test_a_read_only_library_can_be_searched(read_only: Path) -> None:
    with Library(read_only) as library:
        assert library.read_only
        assert names(library.search("red")) == ["wall.jpg"] and library.stats().captioned == 1
        with pytest.raises(LibraryError, match="read-only"):
            library.set_user_caption(read_only.parent / "wall.jpg", "mine")


def test_a_library_from_a_newer_version_is_refused_clearly(tmp_path: Path) -> None:
    Library(tmp_path / "lib.sqlite3").close()
    conn = sqlite3.connect(tmp_path / "lib.sqlite3")
    conn.execute("UPDATE meta SET value='999' WHERE key='schema_version'")
    conn.commit()
    conn.close()
    with pytest.raises(LibraryError, match="newer PhotoScribe"):
        Library(tmp_path / "lib.sqlite3")


def test_migration_6_gives_old_photos_their_kind_and_pairs_work_after_it(tmp_path: Path, samples: Path) -> None:
    """The schema-4 file (written by PhotoScribe at 57df7fd) gets file kinds from the paths, the companion column
    with its foreign key, and the left-out table; a RAW+JPEG pair registered after the update is one photo."""
    path = tmp_path / "old.sqlite3"
    shutil.copy(DATA / "library-v4.sqlite3", path)
    conn = sqlite3.connect(path)
    assert "file_kind" not in {row[1] for row in conn.execute("PRAGMA table_info(photos)")}
    conn.close()
    with Library(path) as library:
        assert {p.file_kind for p in library.photos()} == {"jpeg"}
        folder = tmp_path / "card"
        shutil.copy(samples / "raw" / "FujiFilm.raf", make_photo(folder / "IMG_1.JPG").with_suffix(".RAF"))
        folder_id = library.add_folder(folder)
        register_files(library, sorted(folder.iterdir()), folder_id)
        library.set_left_out(folder_id, {("video", ".mov"): 2})
        assert library.photo(folder / "IMG_1.JPG").companion_path == str(folder / "IMG_1.RAF")
        stats = library.stats()
        assert (stats.photos, stats.paired, stats.left_out) == (7, 1, (("video", ".mov", 2),))
    conn = sqlite3.connect(path)
    (fk,) = [r for r in conn.execute("PRAGMA foreign_key_list(photos)") if r[3] == "companion_id"]
    assert (fk[2], fk[6]) == ("photos", "SET NULL")
    assert "ix_photos_companion_id" in {r[1] for r in conn.execute("PRAGMA index_list(photos)")}
    assert conn.execute("SELECT count(*) FROM photos WHERE file_kind IS NULL").fetchone()[0] == 0
    conn.close()


def test_migration_7_adds_vectors_and_an_old_library_is_searched_by_meaning(tmp_path: Path, minilm) -> None:  # type: ignore[no-untyped-def]
    """The schema-4 file gets the vector tables (deleted with their photo); its captions in force are embedded
    with the real MiniLM and found by meaning, the user's caption over the model's words it replaced."""
    from tests.library.meaning import MODEL, embed_all, hybrid

    path = tmp_path / "old.sqlite3"
    shutil.copy(DATA / "library-v4.sqlite3", path)
    with Library(path) as library:
        todo = dict(library.text_vector_todo(MODEL, 100))
        barn = library.photo(f"{ROOT}/barn.jpg")
        assert todo[barn.id] == "Grandma's barn"
        assert embed_all(library, minilm) == len(todo) and library.text_vector_todo(MODEL, 100) == []
        assert names(hybrid(library, minilm, "farm building")[:1]) == ["barn.jpg"]
        assert names(hybrid(library, minilm, "coffee mug")[:1]) == ["café.jpg"]
    conn = sqlite3.connect(path)
    for table in ("text_vectors", "image_vectors"):
        (fk,) = conn.execute(f"PRAGMA foreign_key_list({table})").fetchall()
        assert (fk[2], fk[3], fk[6]) == ("photos", "photo_id", "CASCADE")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("DELETE FROM photos WHERE id = ?", (barn.id,))
    assert conn.execute("SELECT count(*) FROM text_vectors WHERE photo_id = ?", (barn.id,)).fetchone()[0] == 0
    conn.close()


def test_the_revisions_known_here_are_alembics_chain_in_order() -> None:
    from alembic.script import ScriptDirectory

    from photoscribe.library.migrations import HEAD, REVISIONS, SCRIPTS

    scripts = ScriptDirectory(str(SCRIPTS))
    chain = [script.revision for script in scripts.walk_revisions()]  # head first
    assert (scripts.get_current_head(), chain[::-1]) == (HEAD, list(REVISIONS))


def test_a_library_at_a_revision_unknown_here_is_refused_clearly(tmp_path: Path) -> None:
    Library(tmp_path / "lib.sqlite3").close()
    conn = sqlite3.connect(tmp_path / "lib.sqlite3")
    conn.execute("UPDATE alembic_version SET version_num = '0042'")  # written by a newer PhotoScribe
    conn.commit()
    conn.close()
    with pytest.raises(LibraryError, match="newer PhotoScribe"):
        Library(tmp_path / "lib.sqlite3")


def test_a_new_postgresql_library_is_created_at_the_head_revision(postgres_url: str) -> None:
    from sqlalchemy import text

    from photoscribe.library.migrations import HEAD

    with Library(postgres_url) as library:
        with library.db.reading() as session:
            assert session.execute(text("SELECT version_num FROM alembic_version")).scalar() == HEAD
    with Library(postgres_url) as library:  # opened again: nothing to migrate, the same library
        assert library.stats().photos == 0


def test_an_unreachable_server_is_a_clear_error(postgres_url: str) -> None:
    wrong_port = postgres_url.rsplit(":", 1)[0] + ":1/photos"
    with pytest.raises(LibraryError, match="cannot open the library postgresql://postgres:\\*\\*\\*@") as error:
        Library(wrong_port.replace("postgres@", "postgres:secret@"))
    assert "secret" not in str(error.value)  # the password is never printed
