"""FolderTree on real temp folders: a later look lists only the directories whose mtime changed."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from photoscribe.ingest.tree import FolderTree

LONG_AGO = 1_000_000_000  # 2001: far from now, so no directory counts as changed "just now" (racy)


def _photo(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\xff\xd8 not decoded here")
    return path


def _settle_mtimes(root: Path) -> None:
    """Every directory's mtime set long ago, as on a share nobody touched for a while."""
    for folder, subfolders, _ in os.walk(root):
        os.utime(folder, (LONG_AGO, LONG_AGO))


def test_a_second_look_lists_only_what_changed(tmp_path: Path) -> None:
    root = tmp_path / "share"
    for name in ("a", "b", "c", "deep/er"):
        _photo(root / name / "1.jpg")
    _photo(root / "b" / "2.jpg")
    (root / "a" / "clip.mov").write_bytes(b"video")
    _settle_mtimes(root)
    tree = FolderTree(root)
    first = tree.look(full=True)
    assert first.photos_seen == 5 and not first.gone_files
    assert set(tree.listings) == {root, root / "a", root / "b", root / "c", root / "deep", root / "deep/er"}
    assert tree.left_out() == {("video", ".mov"): 1}

    nothing = tree.look()
    assert not nothing.changed and nothing.folders_seen == 6
    assert set(tree.listings.values()) == {1}  # no directory listed again

    new = _photo(root / "deep" / "er" / "new.jpg")
    (root / "b" / "2.jpg").unlink()
    shutil.rmtree(root / "c")
    later = tree.look()

    assert {folder for folder, _ in later.listed} == {root / "deep/er", root / "b", root}
    assert dict(later.listed)[root / "deep/er"] == [root / "deep/er/1.jpg", new]  # sorted by name
    assert later.gone_files == [root / "b" / "2.jpg"]
    assert later.gone_folders == [root / "c"]
    assert tree.listings[root / "a"] == 1 and tree.listings[root / "deep"] == 1  # unchanged: never listed again


def test_folders_are_listed_newest_first(tmp_path: Path) -> None:
    root = tmp_path / "photos"
    for year, stamp in (("2019", 1_500_000_000), ("2024", 1_700_000_000), ("2021", 1_600_000_000)):
        _photo(root / year / "shot.jpg")
        os.utime(root / year, (stamp, stamp))
    os.utime(root, (LONG_AGO, LONG_AGO))
    look = FolderTree(root).look(full=True)
    assert [folder.name for folder, _ in look.listed] == ["2024", "2021", "2019", "photos"]


def test_a_directory_changed_just_now_is_listed_again_next_time(tmp_path: Path) -> None:
    """Its mtime may not move for a change within the file system's timestamp granularity (FAT, SMB: 1-2 s)."""
    root = tmp_path / "share"
    _photo(root / "1.jpg")
    tree = FolderTree(root)
    tree.look(full=True)
    tree.look()
    assert tree.listings[root] == 2  # changed just now: looked at again
    os.utime(root, (LONG_AGO, LONG_AGO))
    tree.look()
    tree.look()
    assert tree.listings[root] == 3  # an old mtime, then unchanged: listed once more, then left alone
