"""Which model captions the photographer has looked at: accepted or edited photos leave *To review*, a new model
caption brings a photo back, keyword edits of many photos at once, and old library files gain the fact."""

from __future__ import annotations

import shutil
import sqlite3
import unicodedata
from pathlib import Path

import pytest

from photoscribe.ingest import register_files
from photoscribe.library import CaptionResult, Library, PhotoFilter, PhotoStatus
from photoscribe.library.database import SCHEMA_VERSION
from tests.library.common import DATA, caption_all, make_photo

ROOT = "/tmp/photoscribe-fixture/photos"  # where tests/data/make_old_libraries.py made the photos
CAPTIONS = {"a.jpg": "a red wall", "b.jpg": "a blue sky", "c.jpg": "a green lawn", "d.jpg": "a red door"}


def to_review(library: Library, **filters: object) -> list[str]:
    """The names of the photos *To review* shows (``filters``: a search text, a folder)."""
    ids = library.photo_ids(status=PhotoFilter.TO_REVIEW, **filters)  # type: ignore[arg-type]
    return sorted(unicodedata.normalize("NFC", Path(r.path).name) for r in library.records(ids).values())


@pytest.fixture
def captioned(tmp_path: Path, library: Library) -> dict[str, Path]:
    folder = tmp_path / "shoot"
    photos = {name: make_photo(folder / name) for name in CAPTIONS}
    register_files(library, list(photos.values()), library.add_folder(folder))
    caption_all(library, CAPTIONS)
    register_files(library, [make_photo(folder / "queued.jpg")])  # not captioned yet: nothing to review
    return photos


def test_accepting_or_editing_a_photo_reviews_it_and_a_new_model_caption_does_not(
    library: Library, captioned: dict[str, Path]
) -> None:
    assert to_review(library) == ["a.jpg", "b.jpg", "c.jpg", "d.jpg"]
    assert all(library.photo(p).to_review for p in captioned.values())
    assert library.photo(captioned["a.jpg"].with_name("queued.jpg")).to_review is False
    assert library.mark_reviewed([library.photo(captioned["a.jpg"]).id]) == 1
    library.set_user_caption(captioned["b.jpg"], "The sky over Vermont")
    library.set_user_keywords(captioned["c.jpg"], ["lawn", "Garden"])
    assert to_review(library) == ["d.jpg"]
    assert library.photo(captioned["a.jpg"]).reviewed_at is not None and not library.photo(captioned["a.jpg"]).to_review
    assert to_review(library, text="red") == ["d.jpg"]  # with a search
    assert to_review(library, folder=captioned["a.jpg"].parent) == ["d.jpg"]  # and in a folder
    photo_ids = [library.photo(captioned[name]).id for name in ("a.jpg", "b.jpg")]
    assert library.requeue(photo_ids) == 2  # re-captioned: the new model captions are to review again
    assert to_review(library) == ["d.jpg"]  # (queued, not captioned yet)
    claimed = library.claim_batch(10)
    library.save_results([CaptionResult(c.id, "a new caption", ["new"], "m") for c in claimed if c.id in photo_ids])
    assert to_review(library) == ["a.jpg", "b.jpg", "d.jpg"]
    assert library.photo(captioned["b.jpg"]).user_caption == "The sky over Vermont"  # (the user's caption stays)


def test_keywords_of_many_photos_change_at_once_and_go_back(library: Library, captioned: dict[str, Path]) -> None:
    ids = {name: library.photo(path).id for name, path in captioned.items()}
    library.set_user_keywords(captioned["b.jpg"], ["sky", "Holiday"])
    before = library.change_keywords(list(ids.values()), add=["Holiday", "Anna"], remove=["RED"])
    keywords = {name: library.photo(path).keywords for name, path in captioned.items()}
    assert keywords == {
        "a.jpg": ("wall", "Holiday", "Anna"),
        "b.jpg": ("sky", "Holiday", "Anna"),
        "c.jpg": ("green", "lawn", "Holiday", "Anna"),
        "d.jpg": ("door", "Holiday", "Anna"),
    }
    assert before[ids["a.jpg"]] == ("red", "wall") and before[ids["b.jpg"]] == ("sky", "Holiday")
    assert to_review(library) == []  # an edit counts as reviewed
    assert sorted(Path(h.photo.path).name for h in library.search("anna")) == sorted(captioned)  # searchable
    assert library.change_keywords([ids["a.jpg"]], add=["anna"]) == {}  # already there (case ignored): unchanged
    library.set_keywords_of(before)  # what an undo does
    assert {name: library.photo(path).keywords for name, path in captioned.items()} == {
        "a.jpg": ("red", "wall"),
        "b.jpg": ("sky", "Holiday"),
        "c.jpg": ("green", "lawn"),
        "d.jpg": ("red", "door"),
    }


@pytest.mark.parametrize("version", [1, 4])
def test_an_old_library_file_gains_the_reviewed_state(tmp_path: Path, version: int) -> None:
    """Real files written by old PhotoScribe versions (see tests/data/make_old_libraries.py): the photo the
    photographer edited counts as reviewed, the model's captions are to review."""
    path = tmp_path / "old.sqlite3"
    shutil.copy(DATA / f"library-v{version}.sqlite3", path)
    with Library(path) as library:
        expected = ["café.jpg", "wall.jpg"] + (["paris.jpg"] if version == 4 else [])
        assert to_review(library) == sorted(expected)
        barn = library.photo(f"{ROOT}/barn.jpg")
        assert barn.reviewed_at is not None and barn.status == PhotoStatus.DONE and not barn.to_review
        wall = library.photo(f"{ROOT}/wall.jpg")
        library.mark_reviewed([wall.id])
        assert library.photo(wall.path).reviewed_at is not None
    conn = sqlite3.connect(path)
    assert "reviewed_at" in {row[1] for row in conn.execute("PRAGMA table_info(captions)")}
    assert conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()[0] == str(SCHEMA_VERSION)
    conn.close()
