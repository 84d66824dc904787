"""The Library API on a real SQLite file: registration, the queue, captions, user edits, search, schema."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

from photoscribe.errors import LibraryError
from photoscribe.ingest import register_files
from photoscribe.library import CaptionResult, Library, PhotoStatus, Registration
from photoscribe.library.database import SCHEMA_VERSION
from tests.library.common import caption_all, facts, make_photo


@pytest.mark.sqlite_only("WAL and the file's schema")
def test_a_new_library_is_a_wal_sqlite_file_at_the_current_schema(tmp_path: Path, library: Library) -> None:
    conn = sqlite3.connect(library.path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()[0] == str(SCHEMA_VERSION)
    conn.close()


def test_a_file_that_is_not_a_library_is_refused_clearly(tmp_path: Path) -> None:
    path = tmp_path / "holiday.jpg"
    make_photo(path)
    with pytest.raises(LibraryError, match="cannot open the library"):
        Library(path)


def test_registration_queues_new_and_changed_files_only(tmp_path: Path, library: Library) -> None:
    photo = make_photo(tmp_path / "a.jpg")
    assert register_files(library, [photo])[Registration.NEW] == 1
    caption_all(library, {"a.jpg": "a red wall"})
    assert register_files(library, [photo])[Registration.UNCHANGED] == 1
    assert library.stats().pending == 0
    make_photo(photo, (0, 0, 255))
    os.utime(photo, (1_000, 2_000_000_000))
    assert register_files(library, [photo])[Registration.CHANGED] == 1
    assert library.photo(photo).status == PhotoStatus.PENDING


def test_a_touched_but_identical_file_keeps_its_caption(tmp_path: Path, library: Library) -> None:
    photo = make_photo(tmp_path / "a.jpg")
    register_files(library, [photo])
    caption_all(library, {"a.jpg": "a red wall"})
    os.utime(photo, (1_000, 2_000_000_000))
    assert register_files(library, [photo])[Registration.UNCHANGED] == 1
    record = library.photo(photo)
    assert (record.status, record.caption) == (PhotoStatus.DONE, "a red wall")


def test_facts_are_recorded(tmp_path: Path, library: Library) -> None:
    photo = make_photo(tmp_path / "a.jpg")
    register_files(library, [photo])
    record = library.photo(photo)
    assert (record.width, record.height, record.size) == (32, 24, photo.stat().st_size)


def test_a_missing_photo_keeps_its_caption_and_is_found_again_after_a_move(tmp_path: Path, library: Library) -> None:
    photo = make_photo(tmp_path / "a.jpg")
    register_files(library, [photo])
    caption_all(library, {"a.jpg": "a red wall"})
    moved = tmp_path / "sub" / "renamed.jpg"
    moved.parent.mkdir()
    photo.rename(moved)
    assert library.mark_missing([photo]) == 1
    assert library.stats().missing == 1
    assert library.search("red") == []
    assert register_files(library, [moved])[Registration.MOVED] == 1
    record = library.photo(moved)
    assert (record.status, record.caption) == (PhotoStatus.DONE, "a red wall")
    assert library.photo(photo) is None
    assert [h.photo.path for h in library.search("renamed")] == [str(moved)]


def test_failures_keep_their_reason_and_are_not_retried_unless_asked(tmp_path: Path, library: Library) -> None:
    photo = make_photo(tmp_path / "a.jpg")
    register_files(library, [photo])
    (claimed,) = library.claim_batch(1)
    library.save_results([], [(claimed.id, "the image data is corrupt")])
    record = library.photo(photo)
    assert (record.status, record.error) == (PhotoStatus.FAILED, "the image data is corrupt")
    register_files(library, [photo])
    assert library.claim_batch(1) == []
    assert library.requeue([claimed.id]) == 1
    assert library.photo(photo).error is None
    assert len(library.claim_batch(1)) == 1


def test_the_users_caption_wins_and_survives_recaptioning(tmp_path: Path, library: Library) -> None:
    photo = make_photo(tmp_path / "a.jpg")
    register_files(library, [photo])
    caption_all(library, {"a.jpg": "a red wall"})
    record = library.set_user_caption(photo, "Grandma's red barn in Vermont")
    assert record.caption == "Grandma's red barn in Vermont"
    assert record.model_caption == "a red wall"
    assert record.keywords == ()  # the model's words described the caption the user replaced
    library.requeue([record.id])
    caption_all(library, {"a.jpg": "a blue wall"})
    record = library.photo(photo)
    assert (record.caption, record.model_caption) == ("Grandma's red barn in Vermont", "a blue wall")
    assert [h.photo.path for h in library.search("barn")] == [str(photo)]
    cleared = library.set_user_caption(photo, "")
    assert (cleared.caption, cleared.user_caption) == ("a blue wall", None)
    assert library.search("barn") == []


def test_setting_a_caption_on_an_unknown_photo_is_a_clear_error(tmp_path: Path, library: Library) -> None:
    with pytest.raises(LibraryError, match="not in the library"):
        library.set_user_caption(tmp_path / "nope.jpg", "x")


@pytest.fixture
def searchable(tmp_path: Path, library: Library) -> dict[str, Path]:
    captions = {
        "1.jpg": "a dog running on the beach",
        "2.jpg": "two dogs playing on a sandy beach next to the sea and a dog house",
        "3.jpg": "a red stone wall",
        "4.jpg": "a wall of red stones and a beach bar",
        "5.jpg": "a bear in the forest",
    }
    paths = {name: make_photo(tmp_path / name) for name in captions}
    register_files(library, paths.values())
    caption_all(library, captions)
    return paths


def names(hits) -> list[str]:  # type: ignore[no-untyped-def]
    return [Path(h.photo.path).name for h in hits]


def test_search_finds_words_and_plurals(library: Library, searchable: dict[str, Path]) -> None:
    assert sorted(names(library.search("dogs"))) == ["1.jpg", "2.jpg"]
    assert sorted(names(library.search("beach dog"))) == ["1.jpg", "2.jpg"]


def test_search_ranks_best_matches_first(library: Library, searchable: dict[str, Path]) -> None:
    hits = library.search("red wall")
    assert names(hits) == ["3.jpg", "4.jpg"]
    assert hits[0].score > hits[1].score


def test_search_prefixes(library: Library, searchable: dict[str, Path]) -> None:
    assert sorted(names(library.search("bea*"))) == ["1.jpg", "2.jpg", "4.jpg", "5.jpg"]


def test_search_phrases(library: Library, searchable: dict[str, Path]) -> None:
    assert names(library.search('"stone wall"')) == ["3.jpg"]
    assert sorted(names(library.search("stone wall"))) == ["3.jpg", "4.jpg"]
    assert sorted(names(library.search('"red stone"'))) == ["3.jpg", "4.jpg"]  # "red stones" too


def test_search_excludes(library: Library, searchable: dict[str, Path]) -> None:
    assert names(library.search("beach -dog")) == ["4.jpg"]
    assert sorted(names(library.search("-beach"))) == ["3.jpg", "5.jpg"]
    assert names(library.search('bea* -"dog running" -bar -forest')) == ["2.jpg"]


def test_search_by_file_name_and_limit(library: Library, searchable: dict[str, Path]) -> None:
    assert names(library.search("5")) == ["5.jpg"]
    assert len(library.search("bea*", limit=2)) == 2


def test_a_limited_search_fills_its_limit_past_many_hidden_best_matches(library: Library) -> None:
    """The database sends only the best few matches of a limited search; when the best ones are hidden (missing
    photos), it is asked again for more, so the limit is still filled with shown photos, best first."""
    gone = [f"/photos/gone-{i:02d}.jpg" for i in range(40)]
    kept = [f"/photos/kept-{i}.jpg" for i in range(5)]
    library.register([facts(path) for path in gone + kept])
    claimed = {p.path.name: p.id for p in library.claim_batch(100)}
    results = [CaptionResult(claimed[Path(p).name], "red red red", ["red"], "m") for p in gone]
    results += [CaptionResult(claimed[Path(p).name], f"a red wall {i}", [], "m") for i, p in enumerate(kept)]
    library.save_results(results)
    library.mark_missing(gone)
    assert len(library.search("red", limit=3)) == 3
    assert {Path(h.photo.path).name for h in library.search("red", limit=10)} == {Path(p).name for p in kept}


def test_search_handles_odd_input_without_errors(library: Library, searchable: dict[str, Path]) -> None:
    for text in ['"', "AND", "OR NOT", "a*b", "NEAR(", "col:umn", "-", "üñíçødé"]:
        library.search(text)
    assert len(library.search("")) == 5


def test_stats_count_each_state(tmp_path: Path, library: Library) -> None:
    paths = [make_photo(tmp_path / f"{i}.jpg") for i in range(4)]
    library.add_folder(tmp_path)
    register_files(library, paths)
    (first,) = library.claim_batch(1)
    library.save_results([CaptionResult(first.id, "a red wall", ["red", "wall"], "m")])
    (second,) = library.claim_batch(1)
    library.save_results([], [(second.id, "broken")])
    library.mark_missing([paths[3]])
    stats = library.stats()
    assert (stats.photos, stats.captioned, stats.pending, stats.failed, stats.missing, stats.folders) == (
        3,
        1,
        1,
        1,
        1,
        1,
    )


def test_two_library_objects_on_one_file_see_each_others_writes(tmp_path: Path, library: Library) -> None:
    other = Library(library.path)
    register_files(other, [make_photo(tmp_path / "a.jpg")])
    assert library.stats().pending == 1
    other.close()


def test_photo_ids_filter_by_query_status_folder_and_edits(tmp_path: Path, library: Library) -> None:
    paths = [
        make_photo(tmp_path / "a" / "1.jpg"),
        make_photo(tmp_path / "a" / "2.jpg"),
        make_photo(tmp_path / "b" / "3.jpg"),
    ]
    register_files(library, paths)
    caption_all(library, {"1.jpg": "a red wall", "2.jpg": "a blue wall", "3.jpg": "a red car"})
    ids = {Path(r.path).name: r.id for r in library.photos()}
    assert library.photo_ids() == [ids["3.jpg"], ids["2.jpg"], ids["1.jpg"]]  # newest first
    assert set(library.photo_ids("red")) == {ids["1.jpg"], ids["3.jpg"]}
    assert library.photo_ids("red", folder=tmp_path / "a") == [ids["1.jpg"]]
    library.set_user_caption(paths[1], "my wall")
    assert library.photo_ids(status="edited") == [ids["2.jpg"]]
    assert library.photo_ids(status="failed") == []
    record = library.set_user_keywords(paths[1], ["Garden", "wall"])
    assert record.keywords == ("Garden", "wall")
    assert library.records([ids["2.jpg"], 999]).keys() == {ids["2.jpg"]}
