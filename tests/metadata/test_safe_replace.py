"""The replace at the end of a write keeps everything a file is besides its bytes, and never overwrites an edit."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from photoscribe.metadata import WriteOptions
from tests.metadata.conftest import reference_read, state, temporaries


def photo_in(folder: Path, name: str = "a.jpg") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    Image.new("RGB", (40, 30), (30, 140, 70)).save(path)
    return path


def test_permission_bits_are_kept(make_writer, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    for mode in (0o600, 0o640, 0o664):
        photo = photo_in(tmp_path, f"{mode:o}.jpg")
        os.chmod(photo, mode)
        assert make_writer(WriteOptions("embed")).write(photo, "a green wall", ["green"]).written
        assert stat.S_IMODE(photo.stat().st_mode) == mode


def test_extended_attributes_are_kept(make_writer, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    if not hasattr(os, "setxattr"):
        pytest.skip("no extended attributes on this platform")
    photo = photo_in(tmp_path)
    try:
        os.setxattr(photo, "user.xdg.tags", b"holiday,best")
    except OSError as exc:
        pytest.skip(f"this file system has no user extended attributes: {exc}")
    assert make_writer(WriteOptions("embed")).write(photo, "a green wall", ["green"]).written
    assert os.getxattr(photo, "user.xdg.tags") == b"holiday,best"


def test_a_symlinked_photo_stays_a_symlink_and_its_target_is_written(make_writer, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    real = photo_in(tmp_path / "archive")
    link = tmp_path / "albums" / "a.jpg"
    link.parent.mkdir()
    link.symlink_to(real)
    outcome = make_writer(WriteOptions("embed")).write(link, "a green wall", ["green"])
    assert outcome.written and outcome.target == link
    assert link.is_symlink() and link.resolve() == real
    assert reference_read(real)["XMP-dc:Description"] == "a green wall"
    assert not temporaries(link.parent) and not temporaries(real.parent)


def test_a_read_only_photo_is_refused_with_a_reason(make_writer, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    photo = photo_in(tmp_path)
    os.chmod(photo, 0o444)
    before = state(photo)
    outcome = make_writer(WriteOptions("embed")).write(photo, "a green wall", ["green"])
    assert not outcome.written and "read-only" in outcome.reason
    assert state(photo) == before
    assert not temporaries(tmp_path)


def test_a_read_only_folder_is_refused_with_a_reason(make_writer, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    photo = photo_in(tmp_path / "card")
    before = state(photo)
    os.chmod(photo.parent, 0o555)
    try:
        for mode in ("embed", "sidecar"):
            outcome = make_writer(WriteOptions(mode)).write(photo, "a green wall", ["green"])
            assert not outcome.written and "read-only" in outcome.reason, mode
        assert sorted(os.listdir(photo.parent)) == ["a.jpg"]
        assert state(photo) == before
    finally:
        os.chmod(photo.parent, 0o755)


def test_a_read_only_file_system_is_refused(make_writer, mounted, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    card = mounted(tmp_path / "card", "size=4m")
    photo = photo_in(card)
    before = state(photo)
    subprocess.run(["mount", "-o", "remount,ro", str(card)], check=True)  # the card's lock switch
    outcome = make_writer(WriteOptions("embed")).write(photo, "a green wall", ["green"])
    assert not outcome.written and outcome.reason
    assert state(photo) == before


def test_a_full_disk_leaves_the_photo_byte_identical(make_writer, kind, mounted, samples: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    source = samples / "camera" / "Reconyx_HC500_Hyperfire.jpg"  # 416 KiB
    disk = mounted(tmp_path / "disk", "size=600k")  # room for the photo, not for a second copy of it
    photo = disk / source.name
    shutil.copyfile(source, photo)
    before = state(photo)
    outcome = make_writer(WriteOptions("embed")).write(photo, "a deer at night", ["deer"])
    assert not outcome.written and ("space" in outcome.reason or "exiftool" in outcome.reason), outcome.reason
    assert state(photo) == before
    assert os.listdir(disk) == [photo.name], "no temporary file is left on the full disk"
    if kind == "builtin":
        sidecar = make_writer(WriteOptions("sidecar")).write(photo, "a deer at night", ["deer"])
        assert sidecar.written, sidecar.reason  # a small sidecar still fits


def test_a_write_keeps_the_first_original_as_the_backup_even_if_a_backup_write_fails(
    make_writer, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    photo = photo_in(tmp_path)
    original = photo.read_bytes()
    writer = make_writer(WriteOptions("embed", backup=True))
    os.chmod(photo, 0o444)
    assert not writer.write(photo, "first", ["one"]).written  # refused: no backup of an unwritten photo
    assert not (tmp_path / "a.jpg.photoscribe-backup").exists()
    os.chmod(photo, 0o644)
    for text in ("first", "second", "third"):
        assert writer.write(photo, text, [text]).written
    assert (tmp_path / "a.jpg.photoscribe-backup").read_bytes() == original


def test_another_programs_edit_during_the_write_is_kept(make_writer, exiftool, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    photo = photo_in(tmp_path)
    exiftool.write(photo, ["-XMP-xmp:Rating=2"])

    def lightroom_edits(target: Path, temporary: Path) -> None:  # runs between the verification and the replace
        subprocess.run(["exiftool", "-q", "-overwrite_original", "-XMP-xmp:Rating=5", str(photo)], check=True)

    outcome = make_writer(WriteOptions("embed"), before_replace=lightroom_edits).write(photo, "a green wall", [])
    assert not outcome.written and "another program changed" in outcome.reason
    tags = reference_read(photo)
    assert tags["XMP-xmp:Rating"] == 5 and "XMP-dc:Description" not in tags
    assert not temporaries(tmp_path)


def test_an_edit_that_keeps_size_and_mtime_is_still_noticed(make_writer, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    photo = photo_in(tmp_path)

    def sneaky_edit(target: Path, temporary: Path) -> None:
        data, times = bytearray(photo.read_bytes()), os.stat(photo)
        data[-3] ^= 0x01  # same size; mtime put back: only the content fingerprint can tell
        photo.write_bytes(bytes(data))
        os.utime(photo, ns=(times.st_atime_ns, times.st_mtime_ns))

    outcome = make_writer(WriteOptions("embed"), before_replace=sneaky_edit).write(photo, "a green wall", [])
    assert not outcome.written and "another program changed" in outcome.reason
    assert "XMP-dc:Description" not in reference_read(photo)  # the edited file, not ours


def test_a_sidecar_rewritten_by_another_program_during_the_write_is_kept(make_writer, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    photo = photo_in(tmp_path)
    sidecar = tmp_path / "a.jpg.xmp"
    assert make_writer(WriteOptions("sidecar")).write(photo, "a green wall", ["green"]).written
    darktable = sidecar.read_bytes().replace(b"</rdf:Description>", b"<!-- darktable history 8 --></rdf:Description>")

    def darktable_saves(target: Path, temporary: Path) -> None:
        sidecar.write_bytes(darktable)

    writer = make_writer(WriteOptions("sidecar"), before_replace=darktable_saves)
    outcome = writer.write(photo, "a red wall", ["red"])
    assert not outcome.written and "another program changed" in outcome.reason
    assert sidecar.read_bytes() == darktable


def test_a_new_sidecar_created_meanwhile_by_another_program_is_kept(make_writer, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    photo = photo_in(tmp_path)
    sidecar = tmp_path / "a.jpg.xmp"

    def digikam_creates(target: Path, temporary: Path) -> None:
        sidecar.write_text("<x:xmpmeta xmlns:x='adobe:ns:meta/'/>")

    outcome = make_writer(WriteOptions("sidecar"), before_replace=digikam_creates).write(photo, "a wall", [])
    assert not outcome.written and "another program created" in outcome.reason
    assert sidecar.read_text() == "<x:xmpmeta xmlns:x='adobe:ns:meta/'/>"


def test_a_vanished_photo_is_a_refusal_not_an_exception(make_writer, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    photo = photo_in(tmp_path)

    def moved_away(target: Path, temporary: Path) -> None:
        photo.rename(tmp_path / "elsewhere.jpg")

    outcome = make_writer(WriteOptions("embed"), before_replace=moved_away).write(photo, "a wall", [])
    assert not outcome.written and "moved or deleted" in outcome.reason
    assert not photo.exists() and not temporaries(tmp_path)
    missing = make_writer(WriteOptions("embed")).write(tmp_path / "never.jpg", "a wall", [])
    assert not missing.written and missing.reason
