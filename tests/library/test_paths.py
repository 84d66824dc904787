"""Paths as the file system gives them: any bytes, either Unicode form, either case; drives that come and go."""

from __future__ import annotations

import os
import unicodedata
from pathlib import Path

import pytest

from photoscribe.ingest import iter_photos, register_files
from photoscribe.library import Library, PhotoStatus, Registration, path_key
from photoscribe.library.paths import display_path
from tests.library.common import caption_all, facts, make_photo


def test_a_name_that_is_not_utf8_is_registered_and_round_trips(tmp_path: Path, library: Library) -> None:
    folder = tmp_path / "scans"
    make_photo(folder / "a.jpg")
    raw = os.fsencode(folder) + b"/caf\xe9.jpg"  # Latin-1 "café" from an old Windows disk
    make_photo(Path(os.fsdecode(raw)))
    make_photo(folder / "z.jpg")
    walked = list(iter_photos(folder))  # os.walk hands the name over with a surrogate escape
    assert register_files(library, walked, library.add_folder(folder))[Registration.NEW] == 3
    record = library.photo(os.fsdecode(raw))
    assert os.fsencode(record.path) == raw and record.status == PhotoStatus.PENDING
    claimed = {os.fsencode(p.path) for p in library.claim_batch(10)}
    assert raw in claimed and Path(os.fsdecode(raw)).read_bytes()  # the claimed path opens the file
    assert display_path(record.path).endswith("caf\ufffd.jpg")
    assert [os.fsencode(p) for p in library.paths_under(folder)].count(raw) == 1
    assert register_files(library, walked)[Registration.UNCHANGED] == 3


def test_a_photo_is_found_by_its_name_in_the_other_unicode_form(tmp_path: Path, library: Library) -> None:
    nfc = tmp_path / unicodedata.normalize("NFC", "Zoë in Málaga.jpg")
    register_files(library, [make_photo(nfc)])
    nfd = tmp_path / unicodedata.normalize("NFD", nfc.name)
    assert str(nfd) != str(nfc)
    assert library.photo(nfd).path == str(nfc)
    assert library.set_user_caption(nfd, "Zoë at the beach").caption == "Zoë at the beach"
    assert library.photo(nfc).user_caption == "Zoë at the beach"


def test_where_the_file_system_ignores_case_one_file_is_one_photo(
    tmp_path: Path, library: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What can be tested on Linux: the rule itself, with the platform switch turned as on macOS and Windows."""
    assert path_key("/Photos/IMG.JPG", fold_case=True) == path_key("/photos/img.jpg", fold_case=True)
    assert path_key("/Photos/IMG.JPG", fold_case=False) != path_key("/photos/img.jpg", fold_case=False)
    monkeypatch.setattr("photoscribe.library.paths.CASE_INSENSITIVE", True)
    assert library.add_folder("/Users/ann/Pictures") == library.add_folder("/Users/ann/pictures")
    library.register([facts("/Users/ann/Pictures/IMG_1.JPG", "x")])
    outcome = library.register([facts("/Users/ann/pictures/img_1.jpg", "x")])
    assert outcome == {Registration.UNCHANGED: 1} and library.stats().photos == 1
    assert library.photo("/USERS/ANN/PICTURES/img_1.jpg").path == "/Users/ann/Pictures/IMG_1.JPG"
    assert library.stats(within=["/users/ann/pictures"]).photos == 1


def test_a_photo_on_an_unplugged_drive_is_not_taken_over_by_its_copy(tmp_path: Path, library: Library) -> None:
    drive = tmp_path / "media" / "Archive"
    archived = make_photo(drive / "photos" / "2019" / "barn.jpg")
    register_files(library, [archived], library.add_folder(drive / "photos"))
    caption_all(library, {"barn.jpg": "a red barn"})
    library.set_user_caption(archived, "Grandma's barn in Vermont")
    drive.rename(tmp_path / "media" / "unplugged")  # the drive goes away; its photo is not known missing yet
    copy = tmp_path / "laptop" / "barn.jpg"
    copy.parent.mkdir()
    copy.write_bytes((tmp_path / "media" / "unplugged" / "photos" / "2019" / "barn.jpg").read_bytes())
    assert register_files(library, [copy])[Registration.NEW] == 1
    assert library.photo(archived).user_caption == "Grandma's barn in Vermont"
    assert library.photo(copy).user_caption is None
    (tmp_path / "media" / "unplugged").rename(drive)  # plugged in again: nothing was lost
    assert register_files(library, [archived])[Registration.UNCHANGED] == 1


def test_a_photo_moved_within_a_present_folder_keeps_its_caption(tmp_path: Path, library: Library) -> None:
    photo = make_photo(tmp_path / "photos" / "2019" / "barn.jpg")
    register_files(library, [photo], library.add_folder(tmp_path / "photos"))
    caption_all(library, {"barn.jpg": "a red barn"})
    moved = tmp_path / "photos" / "sorted" / "barn.jpg"
    moved.parent.mkdir()
    photo.rename(moved)
    (tmp_path / "photos" / "2019").rmdir()  # the old folder is gone too, but the library folder is there
    assert register_files(library, [moved])[Registration.MOVED] == 1
    assert library.photo(moved).caption == "a red barn"
