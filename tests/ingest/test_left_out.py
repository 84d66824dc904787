"""Files that are not photos, in a real folder: the scan counts them by kind and extension, the library keeps the
counts per folder and sums them for ``status``."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pytest

from photoscribe.ingest import iter_photos, reconcile
from photoscribe.library import Library
from tests.library.common import make_photo


@pytest.fixture
def mixed_folder(tmp_path: Path, samples: Path) -> Path:
    """Photos of every kind beside videos, sidecars, documents, hidden, temporary and system files."""
    folder = tmp_path / "shoot"
    make_photo(folder / "IMG_1.JPG")
    shutil.copy(samples / "raw" / "FujiFilm.raf", folder / "IMG_1.RAF")
    (folder / "sub").mkdir()
    shutil.copy(samples / "raw" / "Canon-R6-pruned.CR3", folder / "sub" / "IMG_2.CR3")
    for name in ("clip.MOV", "sub/clip2.mp4", "IMG_1.xmp", "notes.txt", "README"):
        (folder / name).write_bytes(b"not a photo")
    for name in (".DS_Store", "._IMG_1.JPG", "copying.jpg.part", "Thumbs.db", ".hidden/clip.mov"):
        (folder / name).parent.mkdir(exist_ok=True)
        (folder / name).write_bytes(b"never counted")
    return folder


def test_the_scan_yields_every_photo_kind_and_counts_the_rest(mixed_folder: Path) -> None:
    left_out: Counter[tuple[str, str]] = Counter()
    found = [p.relative_to(mixed_folder).as_posix() for p in iter_photos(mixed_folder, left_out)]
    assert found == ["IMG_1.JPG", "IMG_1.RAF", "sub/IMG_2.CR3"]
    assert left_out == {
        ("video", ".mov"): 1,
        ("video", ".mp4"): 1,
        ("sidecar", ".xmp"): 1,
        ("other", ".txt"): 1,
        ("other", ""): 1,
    }
    assert list(iter_photos(mixed_folder)) == [mixed_folder / p for p in found]  # counting is optional


def test_reconcile_records_a_folders_counts_and_status_sums_them(
    tmp_path: Path, mixed_folder: Path, library: Library
) -> None:
    folder_id = library.add_folder(mixed_folder)
    reconcile(library, mixed_folder, folder_id)
    assert library.stats().left_out == (
        ("other", "", 1),
        ("other", ".txt", 1),
        ("sidecar", ".xmp", 1),
        ("video", ".mov", 1),
        ("video", ".mp4", 1),
    )
    assert (library.stats().photos, library.stats().paired) == (2, 1)
    (mixed_folder / "clip.MOV").rename(mixed_folder / "clip2.mov")
    (mixed_folder / "notes.txt").unlink()
    (mixed_folder / "README").unlink()
    reconcile(library, mixed_folder, folder_id)  # the folder's counts are replaced, not added to
    assert library.stats().left_out == (("sidecar", ".xmp", 1), ("video", ".mov", 1), ("video", ".mp4", 1))


def test_counts_are_per_folder_nested_folders_count_once_and_leave_with_their_folder(
    tmp_path: Path, library: Library
) -> None:
    outer, inner, other = tmp_path / "photos", tmp_path / "photos" / "2024", tmp_path / "phone"
    for folder in (inner, other):
        folder.mkdir(parents=True)
    outer_id, inner_id, other_id = (library.add_folder(f) for f in (outer, inner, other))
    library.set_left_out(outer_id, {("video", ".mov"): 3, ("sidecar", ".xmp"): 1})
    library.set_left_out(inner_id, {("video", ".mov"): 2})  # also counted by the outer folder's scan
    library.set_left_out(other_id, {("video", ".MOV"): 4, ("other", ".pdf"): 0})
    assert library.stats().left_out == (("video", ".mov", 7), ("sidecar", ".xmp", 1))
    assert library.stats(within=[inner]).left_out == (("video", ".mov", 2),)
    library.remove_folder(outer)
    assert library.stats().left_out == (("video", ".mov", 6),)  # the inner folder counts on its own again
    library.remove_folder(other)
    library.remove_folder(inner)
    assert library.stats().left_out == ()
    library.set_left_out(inner_id, {("video", ".mov"): 1})  # a folder removed meanwhile: nothing recorded
    assert library.stats().left_out == ()
