"""Library roots: one shared folder, mounted in different places by different machines (hosts)."""

from __future__ import annotations

from pathlib import Path

import pytest

from photoscribe.errors import LibraryError
from photoscribe.ingest import register_files
from photoscribe.library import CaptionResult, Library, PhotoStatus
from tests.library.common import make_photo

pytestmark = pytest.mark.parametrize("library_location", ["sqlite", "postgresql"], indirect=True)


@pytest.fixture
def share(tmp_path: Path) -> tuple[Path, Path]:
    """One folder of photos seen by machine A at ``a/nas`` and by machine B at ``b/photos`` (a symlink)."""
    a = tmp_path / "a" / "nas"
    for name in ("one.jpg", "two.jpg"):
        make_photo(a / "2024" / name)
    b = tmp_path / "b" / "photos"
    b.parent.mkdir()
    b.symlink_to(a, target_is_directory=True)
    return a, b


def test_each_machine_works_with_its_own_paths_of_a_shared_root(
    library_location: str, share: tuple[Path, Path]
) -> None:
    a, b = share
    machine_a, machine_b = Library(library_location, host="a"), Library(library_location, host="b")
    try:
        machine_a.roots.add("nas", a)
        register_files(machine_a, sorted((a / "2024").iterdir()), machine_a.add_folder(a))
        machine_b.roots.refresh()
        machine_b.roots.set_mount("nas", b)
        claimed = machine_b.claim_batch(10)
        assert sorted(str(p.path) for p in claimed) == [str(b / "2024" / "one.jpg"), str(b / "2024" / "two.jpg")]
        machine_b.save_results([CaptionResult(p.id, "a shared photo", (), "m", {}) for p in claimed])
        seen_by_b = machine_b.photo(b / "2024" / "one.jpg")  # found by B's own path
        assert (seen_by_b.status, seen_by_b.caption) == (PhotoStatus.DONE, "a shared photo")
        assert str(seen_by_b.path) == str(b / "2024" / "one.jpg")
        assert [f.path for f in machine_b.folders()] == [b]
        assert machine_b.stats(within=[b / "2024"]).captioned == 2
        assert machine_a.photo(a / "2024" / "one.jpg").caption == "a shared photo"  # A sees its own paths
        assert machine_a.photo(b / "2024" / "one.jpg") is None  # stored once, under the root's own path
        assert sorted(machine_b.directory_counts()) == sorted(
            p.replace(str(a), str(b)) for p in machine_a.directory_counts()
        )
    finally:
        machine_a.close()
        machine_b.close()


def test_a_machine_that_cannot_see_a_root_leaves_its_photos_queued(
    library_location: str, share: tuple[Path, Path], tmp_path: Path
) -> None:
    a, _ = share
    outside = make_photo(tmp_path / "desk" / "local.jpg")
    machine_a, machine_c = Library(library_location, host="a"), Library(library_location, host="c")
    try:
        machine_a.roots.add("nas", a)
        register_files(machine_a, [*sorted((a / "2024").iterdir()), outside])
        machine_c.roots.set_mount("nas", tmp_path / "c" / "not-mounted")  # C's mount point is not there
        assert [p.path.name for p in machine_c.claim_batch(10)] == ["local.jpg"]  # only what C can see
        left = [machine_a.photo(a / "2024" / name).status for name in ("one.jpg", "two.jpg")]
        assert left == [PhotoStatus.PENDING, PhotoStatus.PENDING]  # neither claimed nor failed
        assert sorted(p.path.name for p in machine_a.claim_batch(10)) == ["one.jpg", "two.jpg"]
    finally:
        machine_a.close()
        machine_c.close()


def test_roots_are_named_once_and_a_mount_needs_a_known_root(library_location: str, tmp_path: Path) -> None:
    library = Library(library_location, host="a")
    try:
        library.roots.add("nas", tmp_path / "nas")
        with pytest.raises(LibraryError, match="already exists"):
            library.roots.add("nas", tmp_path / "elsewhere")
        with pytest.raises(LibraryError, match="no root named 'studio'"):
            library.roots.set_mount("studio", tmp_path / "x")
        assert [(r.name, r.path, r.mount) for r in library.roots] == [("nas", str(tmp_path / "nas"), None)]
    finally:
        library.close()
