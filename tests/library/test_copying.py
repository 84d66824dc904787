"""Copying a library into an empty one (``library/copying.py``): a real SQLite file and a real PostgreSQL server,
both directions. Each table is compared row by row, as stored (paths as bytes, vectors, datetimes, counters)."""

from __future__ import annotations

import os
import shutil
import sqlite3
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import numpy as np
import psycopg
import pytest
from sqlalchemy import MetaData, create_engine, select

from photoscribe.errors import LibraryError
from photoscribe.library import CaptionResult, FileDetails, LeaseOwner, Library, PhotoFacts, PhotoStatus
from photoscribe.library.copying import CopyReport, copy_library
from photoscribe.library.location import engine_url, is_server_url
from photoscribe.library.models import Base
from tests.library.common import DATA, facts, fake_fingerprint
from tests.postgres import PostgresServer

#: Tables compared between libraries of different kinds (each kind has its own search table: compared within one).
COMPARED = (*Base.metadata.tables, "alembic_version")
NON_UTF8 = b"caf\xe9.jpg"  # a Latin-1 file name


def unit_vector(seed: int, size: int = 8) -> np.ndarray:
    vector = np.random.default_rng(seed).standard_normal(size).astype(np.float32)
    return vector / np.linalg.norm(vector)


def build(location: str, photos: Path) -> None:
    """A library holding one of everything a photographer has (through the library's own API)."""
    odd = os.fsdecode(os.fsencode(photos) + b"/" + NON_UTF8)
    names = [odd, str(photos / "IMG_1.RAF"), str(photos / "beach.jpg"), str(photos / "broken.jpg")]
    names += [str(photos / "mine.jpg"), str(photos / "waiting.jpg")]
    own = FileDetails(640, 480, datetime(2021, 5, 1, 12, 0), "FUJIFILM X-T4", "grandma's garden", ("garden", "family"))
    photos.mkdir(parents=True, exist_ok=True)  # (the root is reachable here: its photos can be claimed)
    with Library(location) as library:
        folder = library.add_folder(photos, polling=True)
        library.set_folder_options(photos, paused=True)
        library.add_folder(photos.parent / "elsewhere")
        library.set_left_out(folder, {("video", ".mov"): 2, ("sidecar", ".xmp"): 1})
        library.register([facts(name) for name in names], folder)
        garden = str(photos / "garden.jpg")
        library.register([PhotoFacts(garden, 5_000_000_000, 1.5, fake_fingerprint(garden), own)], folder)
        library.register([facts(str(photos / "IMG_1.JPG"))], folder)  # the RAW's companion comes after it
        claimed = {c.path.name: c.id for c in library.claim_batch(100)}
        captioned = [n for n in claimed if n not in ("broken.jpg", "waiting.jpg")]
        results = [
            CaptionResult(
                claimed[n], f"a dog on a beach ({i})", ["dog", "beach"], "tiny-blip", {"beams": 1}, unit_vector(i)
            )
            for i, n in enumerate(captioned)
        ]
        library.save_results(results, failures=[(claimed["broken.jpg"], "cannot identify image file")])
        library.release([claimed["waiting.jpg"]])
        library.set_user_caption(photos / "mine.jpg", "my own words")
        library.set_user_keywords(photos / "mine.jpg", ["Paris", "John Smith"])
        library.mark_reviewed([claimed["beach.jpg"]])
        todo = library.text_vector_todo("minilm", 100)
        library.store_text_vectors("minilm", [(i, text, unit_vector(100 + i)) for i, text in todo])
        library.roots.add("nas", photos)
    with Library(location, host="studio-mac") as mac:
        mac.roots.set_mount("nas", "/Volumes/photos")


def dump(location: str) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every library table, in key order, as stored, and the search rows (of either kind)."""
    url = engine_url(location) if is_server_url(location) else f"sqlite:///{location}"
    engine = create_engine(url)
    tables = MetaData()
    tables.reflect(engine, only=COMPARED)
    rows: dict[str, list[tuple[object, ...]]] = {}
    with engine.connect() as conn:
        for name, table in tables.tables.items():
            query = select(table).order_by(*(table.primary_key.columns or table.columns))
            rows[name] = [
                tuple(bytes(v) if isinstance(v, memoryview) else v for v in row) for row in conn.execute(query)
            ]
        search = (
            "SELECT * FROM photo_search ORDER BY 1"
            if is_server_url(location)
            else ("SELECT rowid, * FROM photo_search ORDER BY rowid")
        )
        rows["photo_search"] = [tuple(r) for r in conn.exec_driver_sql(search)]
    engine.dispose()
    return rows


def data_rows(rows: dict[str, list[tuple[object, ...]]]) -> int:
    return sum(len(rows[name]) for name in Base.metadata.tables if name != "meta")


@pytest.fixture
def source(tmp_path: Path) -> str:
    location = str(tmp_path / "desktop.sqlite3")
    build(location, tmp_path / "photos")
    return location


@pytest.fixture
def other_url(postgres_server: PostgresServer) -> Iterator[str]:
    """A second fresh PostgreSQL database (the first is ``postgres_url``)."""
    url = postgres_server.new_database()
    yield url
    postgres_server.drop_database(url)


def test_a_desktop_library_goes_to_postgresql_and_back_with_every_row(
    source: str, postgres_url: str, tmp_path: Path
) -> None:
    before = dump(source)
    assert data_rows(before) > 30 and all(before[name] for name in Base.metadata.tables)  # every table has rows

    report = copy_library(source, postgres_url)
    back = str(tmp_path / "back" / "desktop.sqlite3")
    again = copy_library(postgres_url, back)

    studio = dump(postgres_url)
    assert {name: studio[name] for name in COMPARED} == {name: before[name] for name in COMPARED}
    assert dump(back) == before  # the search rows too, built again from what was copied
    assert (
        report
        == again
        == CopyReport(photos=8, folders=2, captions=5, edits=1, keywords=14, text_vectors=5, image_vectors=5)
    )
    with Library(postgres_url) as library:
        odd = next(p for p in library.photos() if os.fsencode(p.path).endswith(NON_UTF8))
        assert odd.status == PhotoStatus.DONE and odd.caption == "a dog on a beach (0)"
        mine = next(p for p in library.photos() if p.path.endswith("mine.jpg"))
        assert (mine.caption, mine.keywords) == ("my own words", ("Paris", "John Smith"))
        assert [p.error for p in library.photos(PhotoStatus.FAILED)] == ["cannot identify image file"]
        jpeg = next(p for p in library.photos() if p.path.endswith("IMG_1.JPG"))
        assert jpeg.companion_path is not None and jpeg.companion_path.endswith("IMG_1.RAF")
        assert len(library.similar(odd.id)) == 4  # the image vectors came along
        assert [Path(hit.photo.path).name for hit in library.search("paris")] == ["mine.jpg"]  # its search index
        assert len(studio["photo_search"]) == 8
    with Library(back) as library:
        assert [Path(hit.photo.path).name for hit in library.search("paris")] == ["mine.jpg"]


@pytest.mark.parametrize("direction", ["sqlite-to-sqlite", "postgresql-to-sqlite", "postgresql-to-postgresql"])
def test_a_library_of_either_kind_is_copied_to_either_kind(
    direction: str, tmp_path: Path, postgres_url: str, other_url: str
) -> None:
    kinds = direction.split("-to-")
    source = postgres_url if kinds[0] == "postgresql" else str(tmp_path / "a.sqlite3")
    target = other_url if kinds[1] == "postgresql" else str(tmp_path / "b.sqlite3")
    build(source, tmp_path / "photos")

    copy_library(source, target)

    before, after = dump(source), dump(target)
    if kinds[0] == kinds[1]:
        assert after == before  # the search rows too, built again from what was copied
    else:
        assert {name: after[name] for name in COMPARED} == {name: before[name] for name in COMPARED}
    with Library(target) as library:  # new ids follow the ids copied (PostgreSQL's sequences were set)
        library.register([facts(str(tmp_path / "photos" / "new.jpg"))], None)
        assert library.photo(tmp_path / "photos" / "new.jpg").id == max(row[0] for row in before["photos"]) + 1
        assert library.add_folder(tmp_path / "third") == 3


def test_a_photo_being_captioned_is_queued_again_in_the_copy(source: str, postgres_url: str) -> None:
    with Library(source, owner=LeaseOwner("gpu-box", 4242, 1)) as worker:
        [held] = worker.claim_batch(1)  # a worker is captioning it while the library is copied
        copy_library(source, postgres_url)
    with Library(postgres_url) as library:
        assert library.photo(held.path).status == PhotoStatus.PENDING
        assert library.claim_batch(5)[0].id == held.id  # no one's lease is carried: it is claimed again at once


def test_an_old_desktop_library_is_brought_up_to_date_and_copied(tmp_path: Path, postgres_url: str) -> None:
    old = tmp_path / "library-v4.sqlite3"
    shutil.copy(DATA / "library-v4.sqlite3", old)
    report = copy_library(str(old), postgres_url)
    with Library(old) as desktop, Library(postgres_url) as studio:
        assert report.photos == len(desktop.photos()) > 0
        assert [(p.path, p.caption, p.keywords) for p in studio.photos()] == [
            (p.path, p.caption, p.keywords) for p in desktop.photos()
        ]


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_a_library_with_anything_in_it_is_refused_and_left_untouched(
    kind: str, source: str, postgres_url: str, tmp_path: Path
) -> None:
    target = postgres_url if kind == "postgresql" else str(tmp_path / "studio.sqlite3")
    with Library(target) as library:
        library.add_folder(tmp_path / "their-photos")  # no photos yet, but it is someone's library
    before = dump(target)

    with pytest.raises(LibraryError, match="is not empty .*folders.*never merged"):
        copy_library(source, target)
    assert dump(target) == before


def test_a_database_holding_other_tables_is_refused_and_nothing_is_created_there(
    source: str, postgres_url: str
) -> None:
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE invoices (id integer)")
    with pytest.raises(LibraryError, match=r"holds other tables \(invoices\)"):
        copy_library(source, postgres_url)
    with psycopg.connect(postgres_url) as conn:
        tables = conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'").fetchall()
    assert tables == [("invoices",)]


def test_the_source_must_be_a_library(tmp_path: Path, postgres_url: str) -> None:
    missing = tmp_path / "no-such.sqlite3"
    with pytest.raises(LibraryError, match="there is no library at"):
        copy_library(str(missing), postgres_url)
    assert not missing.exists()
    with pytest.raises(LibraryError, match="is not a PhotoScribe library"):
        copy_library(postgres_url, str(tmp_path / "target.sqlite3"))  # an empty database: nothing created there
    with psycopg.connect(postgres_url) as conn:
        assert conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").fetchone() == (0,)
    with pytest.raises(LibraryError, match="the same library"):
        copy_library(str(missing), str(tmp_path / "." / "no-such.sqlite3"))


def test_a_target_cut_off_mid_copy_is_left_empty(
    source: str, postgres_url: str, postgres_server: PostgresServer
) -> None:
    seen: list[tuple[str, int, int]] = []

    def cut_off(stage: str, done: int, total: int) -> None:
        seen.append((stage, done, total))
        if stage == "photos" and done == 4:  # the server ends the copy's session (a restart, an administrator)
            with psycopg.connect(postgres_server.admin_url, autocommit=True) as admin:
                admin.execute(
                    "SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity WHERE datname = %s",  # and waits
                    (postgres_url.rsplit("/", 1)[1],),
                )

    with pytest.raises(LibraryError, match="copying photos into .* failed: .*nothing was copied"):
        copy_library(source, postgres_url, progress=cut_off, chunk_rows=4)
    assert seen[-2:] == [("photos", 0, 8), ("photos", 4, 8)]  # chunks of 4
    assert data_rows(dump(postgres_url)) == 0
    copy_library(source, postgres_url)  # the empty library left behind takes the copy
    assert data_rows(dump(postgres_url)) == data_rows(dump(source))


def test_a_value_postgresql_cannot_hold_fails_the_copy_and_leaves_the_target_empty(
    source: str, postgres_url: str
) -> None:
    with sqlite3.connect(source) as conn:  # a keyword longer than its column, written by another program:
        conn.execute("UPDATE keywords SET word = ? WHERE id = (SELECT min(id) FROM keywords)", ("x" * 200,))
    conn.close()  # (SQLite does not enforce a column's length; PostgreSQL does)
    with pytest.raises(LibraryError, match="copying keywords into .* failed: .*too long"):
        copy_library(source, postgres_url)
    assert data_rows(dump(postgres_url)) == 0


def test_a_file_failing_mid_copy_is_left_empty(postgres_url: str, tmp_path: Path) -> None:
    build(postgres_url, tmp_path / "photos")
    target = tmp_path / "desktop.sqlite3"
    Library(target).close()  # an empty library, whose database refuses the first keyword written to it
    with sqlite3.connect(target) as conn:
        conn.execute("CREATE TRIGGER refuse AFTER INSERT ON keywords BEGIN SELECT RAISE(ABORT, 'disk says no'); END")
    with pytest.raises(LibraryError, match="copying keywords into .* failed: .*disk says no"):
        copy_library(postgres_url, str(target))
    assert data_rows(dump(str(target))) == 0
