"""Records read as plain rows (``library/plain.py``: the grid's pages and search hits) equal the records built
from loaded ORM photos (``rows.records``, the reference), for every kind of photo the library holds."""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

from sqlalchemy import select

from photoscribe.ingest import reconcile
from photoscribe.library import CaptionResult, Library, PhotoFacts, PhotoStatus
from photoscribe.library.models import Photo
from photoscribe.library.records import FileDetails
from photoscribe.library.rows import records, with_details
from tests.library.common import make_photo


def reference(library: Library) -> dict[int, object]:
    """Every photo's record the ORM way."""
    with library.db.reading() as session:
        return {r.id: r for r in records(session, list(session.scalars(with_details(select(Photo)))))}


def varied_library(library: Library, tmp_path: Path, samples: Path) -> None:
    card = tmp_path / "card"
    make_photo(card / "IMG_1.JPG")
    shutil.copy(samples / "raw" / "FujiFilm.raf", card / "IMG_1.RAF")  # a RAW+JPEG pair
    for name in ("model.jpg", "edited.jpg", "user-keywords.jpg", "failed.jpg", "pending.jpg", "gone.jpg"):
        make_photo(card / name)
    reconcile(library, card, library.add_folder(card))
    details = FileDetails(
        640, 480, datetime(2021, 5, 2, 10, 30), "FUJIFILM X-T3", "Grandma's garden", ("roses", "Anna")
    )
    library.register([PhotoFacts(str(card / "from-file.jpg"), 10, 1.0, "fp-file", details)])
    claimed = {c.path.name: c.id for c in library.claim_batch(100)}
    library.release([claimed.pop("pending.jpg")])
    failed = claimed.pop("failed.jpg")
    library.save_results(
        [
            CaptionResult(pid, f"a red wall {name}", ["wall", "red", "Red"], "tiny", {"beams": 3, "prompt": None})
            for name, pid in claimed.items()
        ],
        failures=[(failed, "cannot decode: truncated")],
        metadata_pending=True,
    )
    library.set_user_caption(card / "edited.jpg", "my own words")
    library.set_user_keywords(card / "user-keywords.jpg", ["Paris", "James", "paris"])
    library.mark_missing([card / "gone.jpg"])


def test_plain_records_equal_the_orm_records_of_every_kind_of_photo(
    tmp_path: Path, samples: Path, library: Library
) -> None:
    varied_library(library, tmp_path, samples)
    expected = reference(library)
    statuses = {r.status for r in expected.values()}  # type: ignore[attr-defined]
    assert {PhotoStatus.DONE, PhotoStatus.FAILED, PhotoStatus.PENDING, PhotoStatus.MISSING} <= statuses
    assert PhotoStatus.PAIRED in statuses
    assert any(r.companion_path for r in expected.values())  # type: ignore[attr-defined]
    assert any(r.file_keywords and r.keywords for r in expected.values())  # type: ignore[attr-defined]
    found = library.records([*expected, 10_000])  # an unknown id is left out
    assert found == expected


def test_search_hits_carry_the_same_records_as_the_orm_and_leave_hidden_photos_out(
    tmp_path: Path, samples: Path, library: Library
) -> None:
    varied_library(library, tmp_path, samples)
    expected = reference(library)
    hits = [hit for words in ("red", "garden", "words", "IMG_1", "gone") for hit in library.search(words)]
    assert hits and all(hit.photo == expected[hit.photo.id] for hit in hits)
    shown = {hit.photo.path.rsplit("/", 1)[-1] for hit in hits}
    assert "gone.jpg" not in shown and "IMG_1.RAF" not in shown
    assert {"IMG_1.JPG", "from-file.jpg", "edited.jpg", "model.jpg"} <= shown
    everything = library.search("red")
    assert len(everything) > 2
    assert [h.photo for h in library.search("red", limit=2)] == [h.photo for h in everything[:2]]


def test_the_grids_id_lists_are_every_shown_photo_newest_first_whatever_the_filter(
    tmp_path: Path, samples: Path, library: Library
) -> None:
    varied_library(library, tmp_path, samples)
    expected = reference(library)
    shown = sorted(
        (pid for pid, r in expected.items() if r.status not in (PhotoStatus.MISSING, PhotoStatus.PAIRED)),  # type: ignore[attr-defined]
        reverse=True,
    )
    assert len(shown) == len(expected) - 2
    assert library.photo_ids() == shown
    for status in (PhotoStatus.FAILED, PhotoStatus.DONE, PhotoStatus.PENDING, PhotoStatus.MISSING):
        assert library.photo_ids(status=status) == sorted(
            (pid for pid, r in expected.items() if r.status == status),
            reverse=True,  # type: ignore[attr-defined]
        )
    assert library.photo_ids(status="edited") == [pid for pid in shown if expected[pid].user_caption]  # type: ignore[attr-defined]
    assert set(library.photo_ids("red")) == {h.photo.id for h in library.search("red")}
    assert library.photo_ids("red", status=PhotoStatus.DONE) == [
        h.photo.id for h in library.search("red") if h.photo.status == PhotoStatus.DONE
    ]
