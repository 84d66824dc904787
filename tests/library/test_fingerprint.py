"""The content fingerprint that recognises a moved photo: what changes it, what (by design) does not, and that it
stays the same across versions (libraries store it: a changed formula would lose every move after an update)."""

from __future__ import annotations

from pathlib import Path

from photoscribe.library.fingerprint import content_fingerprint

MIB = 1 << 20


def pattern(size: int) -> bytearray:
    """Deterministic bytes that differ everywhere (a byte's value depends on its position)."""
    return bytearray((i * 7 + (i >> 8) * 13 + (i >> 16)) & 0xFF for i in range(size))


def write(path: Path, data: bytes | bytearray) -> Path:
    path.write_bytes(bytes(data))
    return path


def test_the_fingerprint_of_a_known_file_is_the_one_earlier_versions_stored(tmp_path: Path) -> None:
    # The formula has not changed since the first version (6884c5f); these values were computed by hand with
    # hashlib.blake2b(digest_size=20) over the size (8 bytes, little-endian), the first MiB and the last MiB.
    assert content_fingerprint(write(tmp_path / "small.jpg", pattern(1000))) == (
        "62482496f17b532fafcd8bdfc4fa4e11edfb298e"
    )
    assert content_fingerprint(write(tmp_path / "big.cr2", pattern(3 * MIB + 5))) == (
        "bea19b395c4300f3488d2b97f8411f1d9892e335"
    )


def test_a_change_at_the_end_of_a_big_file_changes_it(tmp_path: Path) -> None:
    data = pattern(5 * MIB)
    before = content_fingerprint(write(tmp_path / "a.cr2", data))
    data[-1] ^= 0xFF
    assert content_fingerprint(write(tmp_path / "a.cr2", data)) != before


def test_a_change_just_after_the_first_mib_of_a_file_under_two_mib_changes_it(tmp_path: Path) -> None:
    data = pattern(MIB + MIB // 2)
    before = content_fingerprint(write(tmp_path / "a.jpg", data))
    data[MIB + 10] ^= 0xFF
    assert content_fingerprint(write(tmp_path / "a.jpg", data)) != before


def test_a_change_in_the_first_byte_changes_it(tmp_path: Path) -> None:
    data = pattern(3 * MIB)
    before = content_fingerprint(write(tmp_path / "a.jpg", data))
    data[0] ^= 0xFF
    assert content_fingerprint(write(tmp_path / "a.jpg", data)) != before


def test_only_the_size_differs_and_it_changes(tmp_path: Path) -> None:
    head, tail = pattern(MIB), pattern(MIB)[::-1]
    a = content_fingerprint(write(tmp_path / "a.cr2", head + bytes(1000) + tail))
    b = content_fingerprint(write(tmp_path / "b.cr2", head + bytes(1001) + tail))
    assert a != b


def test_the_middle_of_a_big_file_is_not_read(tmp_path: Path) -> None:
    # By design (a 30 MB RAW file costs one MiB at each end): an edit never touches only the middle of a photo.
    data = pattern(5 * MIB)
    before = content_fingerprint(write(tmp_path / "a.cr2", data))
    data[2 * MIB] ^= 0xFF
    assert content_fingerprint(write(tmp_path / "a.cr2", data)) == before
