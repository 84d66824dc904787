"""The library's photo folders: added once, watched by polling or paused, removed with or without their photos."""

from __future__ import annotations

from pathlib import Path

import pytest

from photoscribe.errors import LibraryError
from photoscribe.ingest import register_files
from photoscribe.library import Library, PhotoStatus
from photoscribe.library.search import FTS_TABLE
from tests.library.common import caption_all, make_photo


def test_a_folder_is_added_once_and_keeps_how_it_is_watched(tmp_path: Path, library: Library) -> None:
    (tmp_path / "card").mkdir()
    (tmp_path / "nas").mkdir()
    first = library.add_folder(tmp_path / "card")
    share = library.add_folder(tmp_path / "nas", polling=True)
    assert library.add_folder(tmp_path / "card") == first  # idempotent, same id
    assert [(f.id, f.path.name, f.polling, f.paused) for f in library.folders()] == [
        (first, "card", False, False),
        (share, "nas", True, False),
    ]
    library.add_folder(tmp_path / "nas")  # adding again without saying how keeps polling
    assert library.folders()[1].polling is True
    library.add_folder(tmp_path / "nas", polling=False)  # saying it changes it
    assert library.folders()[1].polling is False


def test_folder_options_change_one_thing_at_a_time(tmp_path: Path, library: Library) -> None:
    library.add_folder(tmp_path)
    library.set_folder_options(tmp_path, paused=True)
    assert (library.folders()[0].polling, library.folders()[0].paused) == (False, True)
    library.set_folder_options(tmp_path, polling=True)
    assert (library.folders()[0].polling, library.folders()[0].paused) == (True, True)
    library.set_folder_options(tmp_path, paused=False)
    assert (library.folders()[0].polling, library.folders()[0].paused) == (True, False)


def test_an_unknown_folder_is_a_clear_error_naming_it(tmp_path: Path, library: Library) -> None:
    library.add_folder(tmp_path / "known")
    for change in (
        lambda: library.set_folder_options(tmp_path / "elsewhere", paused=True),
        lambda: library.remove_folder(tmp_path / "elsewhere"),
    ):
        with pytest.raises(LibraryError, match=r"elsewhere is not one of the library's folders"):
            change()


def test_removing_a_folder_cancels_its_waiting_photos_and_keeps_its_captions(tmp_path: Path, library: Library) -> None:
    done, waiting = make_photo(tmp_path / "trip" / "done.jpg"), make_photo(tmp_path / "trip" / "waiting.jpg")
    other = make_photo(tmp_path / "home" / "other.jpg")
    trip, home = library.add_folder(tmp_path / "trip"), library.add_folder(tmp_path / "home")
    register_files(library, [done], trip)
    caption_all(library, {"done.jpg": "a red wall"})
    register_files(library, [waiting], trip)
    register_files(library, [other], home)
    assert library.remove_folder(tmp_path / "trip") == 1  # how many left the queue
    assert [f.path.name for f in library.folders()] == ["home"]
    assert library.photo(waiting).status == PhotoStatus.CANCELLED
    assert (library.photo(done).status, library.photo(done).caption) == (PhotoStatus.DONE, "a red wall")
    assert library.photo(other).status == PhotoStatus.PENDING  # another folder's photo stays queued
    assert library.search("wall")[0].photo.path == str(done)  # photos stay, searchable, unless forgotten


def test_a_photo_another_folder_still_holds_stays_queued(tmp_path: Path, library: Library) -> None:
    inner = make_photo(tmp_path / "2026" / "june" / "a.jpg")
    library.add_folder(tmp_path / "2026")
    june = library.add_folder(tmp_path / "2026" / "june")
    register_files(library, [inner], june)
    assert library.remove_folder(tmp_path / "2026" / "june") == 0
    assert library.photo(inner).status == PhotoStatus.PENDING


def test_forgetting_a_folders_photos_removes_them_and_their_search_rows(tmp_path: Path, library: Library) -> None:
    done, waiting = make_photo(tmp_path / "trip" / "done.jpg"), make_photo(tmp_path / "trip" / "waiting.jpg")
    kept = make_photo(tmp_path / "home" / "kept.jpg")
    trip, home = library.add_folder(tmp_path / "trip"), library.add_folder(tmp_path / "home")
    register_files(library, [done], trip)
    register_files(library, [kept], home)
    caption_all(library, {"done.jpg": "a red wall", "kept.jpg": "a red car"})
    register_files(library, [waiting], trip)
    assert library.remove_folder(tmp_path / "trip", forget_photos=True) == 1
    assert library.photo(done) is None and library.photo(waiting) is None
    assert [Path(h.photo.path).name for h in library.search("red")] == ["kept.jpg"]
    assert [Path(r.path).name for r in library.photos()] == ["kept.jpg"]
    assert library.stats().photos == 1
    with library.db.reading() as session:  # nothing of the forgotten photos is left in the search index
        assert session.connection().exec_driver_sql(f"SELECT count(*) FROM {FTS_TABLE}").scalar() == 1


@pytest.mark.sqlite_only("SQLite gives a new row a deleted row's id; PostgreSQL's sequences never do")
def test_a_photo_added_after_forgetting_is_not_found_by_the_forgotten_photos_words(
    tmp_path: Path, library: Library
) -> None:
    # SQLite gives a new row the id of the deleted newest one: a search row left behind would describe it
    gone = make_photo(tmp_path / "trip" / "gone.jpg")
    register_files(library, [gone], library.add_folder(tmp_path / "trip"))
    caption_all(library, {"gone.jpg": "a red wall"})
    gone_id = library.photo(gone).id
    library.remove_folder(tmp_path / "trip", forget_photos=True)
    new = make_photo(tmp_path / "home" / "new.jpg")
    register_files(library, [new])
    assert library.photo(new).id == gone_id  # the situation this test is about
    assert library.search("wall") == []
