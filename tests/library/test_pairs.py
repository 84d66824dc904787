"""RAW+JPEG pairs on real files: one photo captioned from the JPEG; either half keeps the caption alone.

The RAW halves are real camera files (copied from ../shared/samples/raw); nothing here decodes them: a paired
RAW is never claimed, and the tests pass whether RAW decoding works or not.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from photoscribe.ingest import reconcile, register_files
from photoscribe.library import CaptionResult, Library, PhotoStatus
from photoscribe.library.paths import CASE_INSENSITIVE
from tests.library.common import make_photo


def raw_copy(samples: Path, target: Path, sample: str = "FujiFilm.raf") -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(samples / "raw" / sample, target)
    return target


@pytest.fixture
def pair(tmp_path: Path, samples: Path) -> tuple[Path, Path]:
    """IMG_1.RAF (a real Fujifilm RAW) and IMG_1.JPG side by side in tmp_path/card."""
    return raw_copy(samples, tmp_path / "card" / "IMG_1.RAF"), make_photo(tmp_path / "card" / "IMG_1.JPG")


def scan(library: Library, folder: Path) -> None:
    """What ``caption FOLDER`` and the engine's scan do: register what is there, mark missing what is not."""
    reconcile(library, folder, library.add_folder(folder))


def caption(library: Library, text: str = "a red wall", keywords: tuple[str, ...] = ("red", "wall")) -> list[str]:
    """Caption every pending photo as the worker would; returns the names claimed."""
    claimed = library.claim_batch(100)
    library.save_results([CaptionResult(c.id, text, list(keywords), "test-model") for c in claimed])
    return sorted(c.path.name for c in claimed)


def test_registration_records_each_files_kind(tmp_path: Path, samples: Path, library: Library) -> None:
    files = [
        make_photo(tmp_path / "a.jpg"),
        make_photo(tmp_path / "b.JPEG"),
        raw_copy(samples, tmp_path / "c.CR3", "Canon-R6-pruned.CR3"),
        raw_copy(samples, tmp_path / "d.raf"),
    ]
    from PIL import Image

    Image.new("RGB", (8, 8), "blue").save(tmp_path / "e.png")
    files.append(tmp_path / "e.png")
    register_files(library, files)
    assert {Path(p.path).name: p.file_kind for p in library.photos()} == {
        "a.jpg": "jpeg",
        "b.JPEG": "jpeg",
        "c.CR3": "raw",
        "d.raf": "raw",
        "e.png": "raster",
    }


def test_a_raw_and_its_jpeg_are_one_photo_captioned_from_the_jpeg(
    tmp_path: Path, library: Library, pair: tuple[Path, Path]
) -> None:
    raw, jpeg = pair
    scan(library, jpeg.parent)
    (shown,) = library.photos()
    assert (shown.path, shown.companion_path, shown.file_kind) == (str(jpeg), str(raw), "jpeg")
    assert library.photo(raw).status == PhotoStatus.PAIRED and library.photo(raw).companion_path is None
    stats = library.stats()
    assert (stats.photos, stats.paired, stats.pending) == (1, 1, 1)
    assert caption(library) == ["IMG_1.JPG"]  # the RAW half is never claimed
    assert library.photo_ids() == [shown.id]
    assert [h.photo.path for h in library.search("IMG_1")] == [str(jpeg)]  # found once, by either name
    assert [h.photo.path for h in library.search("red")] == [str(jpeg)]
    assert library.photos(status="paired")[0].path == str(raw)
    assert library.records([shown.id])[shown.id].companion_path == str(raw)
    assert library.requeue([library.photo(raw).id]) == 0  # re-captioning is asked of the pair, not its RAW
    assert library.photo(raw).status == PhotoStatus.PAIRED


def test_deleting_the_jpeg_leaves_the_raw_with_the_pairs_caption(library: Library, pair: tuple[Path, Path]) -> None:
    raw, jpeg = pair
    scan(library, jpeg.parent)
    caption(library)
    library.set_user_keywords(jpeg, ["Brighton", "pier"])
    jpeg.unlink()
    scan(library, jpeg.parent)
    alone = library.photo(raw)
    assert (alone.status, alone.caption, alone.keywords) == (PhotoStatus.DONE, "a red wall", ("Brighton", "pier"))
    assert (alone.model_ref, alone.revision, alone.companion_path) == ("test-model", 1, None)
    assert library.photo_ids() == [alone.id]
    assert [h.photo.path for h in library.search("pier")] == [str(raw)]
    assert library.claim_batch(10) == []  # it keeps the caption: nothing is captioned again
    stats = library.stats()
    assert (stats.photos, stats.paired, stats.captioned, stats.missing) == (1, 0, 1, 1)


def test_deleting_the_raw_keeps_the_jpeg_as_it_was(library: Library, pair: tuple[Path, Path]) -> None:
    raw, jpeg = pair
    scan(library, jpeg.parent)
    caption(library)
    raw.unlink()
    scan(library, jpeg.parent)
    shown = library.photo(jpeg)
    assert (shown.status, shown.caption, shown.companion_path) == (PhotoStatus.DONE, "a red wall", None)
    assert library.photo(raw).status == PhotoStatus.MISSING
    assert (library.stats().photos, library.stats().paired) == (1, 0)


def test_a_pair_never_captioned_leaves_its_raw_to_be_captioned(library: Library, pair: tuple[Path, Path]) -> None:
    raw, jpeg = pair
    scan(library, jpeg.parent)
    library.mark_missing([jpeg])
    assert library.photo(raw).status == PhotoStatus.PENDING
    assert [c.path for c in library.claim_batch(10)] == [raw]


@pytest.mark.parametrize("how", ["watcher", "scan"])
def test_moving_the_jpeg_to_another_folder_unpairs_and_both_keep_the_caption(
    tmp_path: Path, library: Library, pair: tuple[Path, Path], how: str
) -> None:
    raw, jpeg = pair
    scan(library, tmp_path)
    caption(library)
    target = tmp_path / "elsewhere" / "IMG_1.JPG"
    target.parent.mkdir()
    os.rename(jpeg, target)
    if how == "watcher":
        assert library.move_photo(jpeg, target)
    else:
        scan(library, tmp_path)
    assert library.photo(target).caption == "a red wall"
    alone = library.photo(raw)
    assert (alone.status, alone.caption, alone.companion_path) == (PhotoStatus.DONE, "a red wall", None)
    assert len(library.photo_ids()) == 2 and library.stats().paired == 0


def test_renaming_the_jpeg_unpairs(library: Library, pair: tuple[Path, Path]) -> None:
    raw, jpeg = pair
    scan(library, jpeg.parent)
    caption(library)
    renamed = jpeg.with_name("IMG_1-edit.JPG")
    os.rename(jpeg, renamed)
    library.move_photo(jpeg, renamed)
    assert library.photo(raw).status == PhotoStatus.DONE and library.photo(renamed).companion_path is None
    os.rename(renamed, jpeg)  # renamed back: one photo again
    library.move_photo(renamed, jpeg)
    assert library.photo(raw).status == PhotoStatus.PAIRED and library.photo(jpeg).companion_path == str(raw)


def test_moving_the_raw_away_keeps_its_row_and_the_pairs_caption(
    tmp_path: Path, library: Library, pair: tuple[Path, Path]
) -> None:
    raw, jpeg = pair
    scan(library, tmp_path)
    caption(library, "a castle", ("castle",))
    raw_id = library.photo(raw).id
    target = tmp_path / "raws" / "IMG_1.RAF"
    target.parent.mkdir()
    os.rename(raw, target)
    scan(library, tmp_path)
    moved = library.photo(target)
    assert (moved.id, moved.status, moved.caption, moved.keywords) == (
        raw_id,
        PhotoStatus.DONE,
        "a castle",
        ("castle",),
    )
    assert library.photo(jpeg).companion_path is None


def test_a_user_edit_on_the_raw_is_never_hidden_by_pairing(tmp_path: Path, samples: Path, library: Library) -> None:
    """The RAW was there first and the photographer captioned it; the camera's JPEG is copied in afterwards."""
    raw = raw_copy(samples, tmp_path / "IMG_1.RAF")
    other_raw = raw_copy(samples, tmp_path / "IMG_2.RAF", "RAW_KODAK_DC50_é.KDC")
    register_files(library, [raw, other_raw])
    library.set_user_caption(raw, "Grandma's barn")
    library.set_user_keywords(raw, ["barn", "Grandma"])
    library.set_user_caption(other_raw, "not this one")
    jpeg, other_jpeg = make_photo(tmp_path / "IMG_1.JPG"), make_photo(tmp_path / "IMG_2.JPG")
    register_files(library, [jpeg, other_jpeg])
    library.set_user_caption(other_jpeg, "the JPEG's own")  # the JPEG's own edit wins over the RAW's
    register_files(library, [other_raw])  # unchanged: the pair stays as it is
    shown = library.photo(jpeg)
    assert (shown.caption, shown.keywords, shown.companion_path) == ("Grandma's barn", ("barn", "Grandma"), str(raw))
    assert [h.photo.path for h in library.search("grandma")] == [str(jpeg)]
    assert library.photo(other_jpeg).caption == "the JPEG's own"


def test_an_edit_through_the_raws_name_edits_the_pair(library: Library, pair: tuple[Path, Path]) -> None:
    raw, jpeg = pair
    scan(library, jpeg.parent)
    edited = library.set_user_caption(raw, "the pier at dusk")
    assert (edited.path, edited.caption, edited.companion_path) == (str(jpeg), "the pier at dusk", str(raw))
    assert library.set_user_keywords(raw, ["pier"]).path == str(jpeg)


def test_a_raw_being_captioned_when_it_pairs_keeps_its_result_and_stays_paired(
    tmp_path: Path, samples: Path, library: Library
) -> None:
    """The RAW was copied first and claimed by a worker; the JPEG arrives while the RAW is being captioned."""
    raw = raw_copy(samples, tmp_path / "IMG_1.RAF")
    register_files(library, [raw])
    (claimed,) = library.claim_batch(10)
    jpeg = make_photo(tmp_path / "IMG_1.JPG")
    register_files(library, [jpeg])
    assert library.photo(raw).status == PhotoStatus.PAIRED
    assert library.save_results([CaptionResult(claimed.id, "a building", ["building"], "m")]) == [claimed.id]
    kept = library.photo(raw)
    assert (kept.status, kept.model_caption) == (PhotoStatus.PAIRED, "a building")
    stats = library.stats()
    assert (stats.photos, stats.pending, stats.running, stats.captioned) == (1, 1, 0, 0)
    assert caption(library) == ["IMG_1.JPG"]


def test_one_pair_per_stem_in_one_folder(tmp_path: Path, samples: Path, library: Library) -> None:
    """Same stem and folder only: not another folder, not a longer stem, not another case (Linux keeps case);
    RAW+HEIF pairs too, and a JPEG is preferred to a HEIF."""
    from PIL import Image

    raw = raw_copy(samples, tmp_path / "IMG_1.RAF")
    jpeg = make_photo(tmp_path / "IMG_1.jpg")
    Image.new("RGB", (8, 8), "red").save(tmp_path / "IMG_1.HEIC")
    heif_raw = raw_copy(samples, tmp_path / "IMG_2.RAF")
    Image.new("RGB", (8, 8), "red").save(tmp_path / "IMG_2.HEIC")
    make_photo(tmp_path / "sub" / "IMG_3.JPG")
    lonely = [raw_copy(samples, tmp_path / "IMG_3.RAF"), raw_copy(samples, tmp_path / "IMG_1.x.RAF")]
    if not CASE_INSENSITIVE:  # Linux: IMG_4 and img_4 are two names (macOS and Windows pair them)
        make_photo(tmp_path / "img_4.jpg")
        lonely.append(raw_copy(samples, tmp_path / "IMG_4.RAF"))
    scan(library, tmp_path)
    assert {r.path: r.companion_path for r in library.photos() if r.companion_path} == {
        str(jpeg): str(raw),
        str(tmp_path / "IMG_2.HEIC"): str(heif_raw),
    }
    assert all(library.photo(p).status == PhotoStatus.PENDING for p in lonely)
    assert library.photo(tmp_path / "IMG_1.HEIC").companion_path is None


def test_a_move_over_the_jpeg_of_a_pair_gives_the_raw_the_old_caption_then_pairs_again(
    tmp_path: Path, library: Library, pair: tuple[Path, Path]
) -> None:
    raw, jpeg = pair
    scan(library, tmp_path)
    caption(library, "a red wall")
    newer = make_photo(tmp_path / "IMG_9.JPG", (0, 0, 200))
    register_files(library, [newer])
    os.replace(newer, jpeg)
    assert library.move_photo(newer, jpeg)
    assert library.photo(raw).caption == "a red wall"  # a copy of the replaced JPEG's record
    assert (library.photo(raw).status, library.photo(jpeg).companion_path) == (PhotoStatus.PAIRED, str(raw))


def test_forgetting_a_folder_with_the_jpeg_leaves_the_raw_its_caption(
    tmp_path: Path, library: Library, pair: tuple[Path, Path]
) -> None:
    """Nested library folders: the JPEG was registered with the inner folder, the RAW with the outer one."""
    raw, jpeg = pair
    register_files(library, [raw], library.add_folder(tmp_path))
    register_files(library, [jpeg], library.add_folder(jpeg.parent))
    caption(library)
    library.remove_folder(jpeg.parent, forget_photos=True)
    alone = library.photo(raw)
    assert (library.photo(jpeg), alone.status, alone.caption) == (None, PhotoStatus.DONE, "a red wall")


def test_the_companion_is_a_real_foreign_key(tmp_path: Path, library: Library, pair: tuple[Path, Path]) -> None:
    raw, jpeg = pair
    scan(library, jpeg.parent)
    keys = inspect(library.db.engine).get_foreign_keys("photos")
    (key,) = [k for k in keys if k["constrained_columns"] == ["companion_id"]]
    assert (key["referred_table"], key["referred_columns"], key["options"]["ondelete"]) == (
        "photos",
        ["id"],
        "SET NULL",
    )
    with library.db.reading() as session:
        companions = session.execute(text("SELECT companion_id FROM photos WHERE file_kind = 'raw'")).scalars().all()
    assert companions == [library.photo(jpeg).id]


def test_a_raw_that_comes_back_does_not_take_over_the_pair(tmp_path: Path, samples: Path, library: Library) -> None:
    """Two RAW files of one stem (IMG_1.NEF and IMG_1.RAF): the one paired stays paired, else the oldest pairs."""
    older = raw_copy(samples, tmp_path / "IMG_1.NEF", "Issue_247-1.nef")
    jpeg = make_photo(tmp_path / "IMG_1.JPG")
    register_files(library, [older, jpeg])
    assert library.photo(jpeg).companion_path == str(older)
    library.mark_missing([older])
    newer = raw_copy(samples, tmp_path / "IMG_1.RAF")
    register_files(library, [newer])
    assert library.photo(jpeg).companion_path == str(newer)
    os.utime(older, (1_000, 1_000))  # seen again (restored): the pair it left is the newer RAW's now
    register_files(library, [older])
    assert library.photo(jpeg).companion_path == str(newer)
    assert library.photo(older).status == PhotoStatus.PENDING
    both = [raw_copy(samples, tmp_path / "IMG_2.NEF", "Issue_247-1.nef"), raw_copy(samples, tmp_path / "IMG_2.RAF")]
    register_files(library, [*both, make_photo(tmp_path / "IMG_2.JPG")])
    assert library.photo(tmp_path / "IMG_2.JPG").companion_path == str(both[0])  # the oldest
