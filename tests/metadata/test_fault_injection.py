"""Faults injected into real writes: every broken result is refused and the original stays byte-identical.

The writers are the real ones (exiftool and the built-in writer); after their real write into the temporary file a
fault damages that file: a tag dropped, a time-zone offset changed, the photographer's Windows keywords lost, one
byte of the thumbnail or of the image data changed, the file cut short. A SIGKILL at random moments of a write
loop leaves either the original or the complete new file.
"""

from __future__ import annotations

import base64
import os
import random
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image

from photoscribe.metadata import MetadataWriter, WriteOptions
from photoscribe.metadata.exiftool import ExifTool
from tests.metadata.conftest import lost, pixels, reference_read, state, temporaries

ROOT = Path(__file__).resolve().parents[2]


def other_program(path: Path, *assignments: str) -> None:
    subprocess.run(["exiftool", "-q", "-overwrite_original", *assignments, str(path)], check=True)


def drop_artist(path: Path) -> None:
    other_program(path, "-IFD0:Artist=")


def shift_time_zone(path: Path) -> None:
    other_program(path, "-ExifIFD:OffsetTimeOriginal=+03:00")


def lose_the_photographers_windows_keywords(path: Path) -> None:
    other_program(path, "-IFD0:XPKeywords=green")


def flip_a_thumbnail_byte(path: Path) -> None:
    thumbnail = base64.b64decode(str(reference_read(path, binary=True)["IFD1:ThumbnailImage"])[len("base64:") :])
    data = bytearray(path.read_bytes())
    start = data.find(thumbnail)
    assert start > 0
    _flip_entropy_byte(data, start + len(thumbnail) // 2)  # same length: only the content differs
    path.write_bytes(bytes(data))


def flip_a_pixel_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    scan = data.rfind(b"\xff\xda")  # the main image's scan (the thumbnail's comes earlier)
    _flip_entropy_byte(data, scan + (len(data) - scan) // 2)
    path.write_bytes(bytes(data))


def truncate(path: Path) -> None:
    with open(path, "r+b") as handle:
        handle.truncate(path.stat().st_size // 2)


def _flip_entropy_byte(data: bytearray, at: int) -> None:
    while data[at] in (0xFF, 0xFE) or data[at - 1] == 0xFF:
        at += 1
    data[at] ^= 0x01


FAULTS = {
    "a tag dropped": drop_artist,
    "OffsetTimeOriginal changed": shift_time_zone,
    "the photographer's XPKeywords lost": lose_the_photographers_windows_keywords,
    "one thumbnail byte changed": flip_a_thumbnail_byte,
    "one pixel byte changed": flip_a_pixel_byte,
    "the file truncated": truncate,
}


@pytest.fixture
def faulty(kind: str, exiftool):  # type: ignore[no-untyped-def]
    """A real writer whose temporary file is damaged by ``fault`` right after the real write."""
    tools: list[ExifTool] = []

    def make(fault: Callable[[Path], None]) -> MetadataWriter:
        if kind == "exiftool":

            class Damaging(ExifTool):
                def write(self, path: Path, assignments: list[str]) -> None:
                    super().write(path, assignments)
                    fault(path)

            tool = Damaging()
            tools.append(tool)
            return MetadataWriter(tool, WriteOptions("embed"))

        class DamagingBuiltin(MetadataWriter):
            def _fill(self, temporary: Path, data: bytes) -> None:
                super()._fill(temporary, data)
                fault(temporary)

        return DamagingBuiltin(None, WriteOptions("embed"))

    yield make
    for tool in tools:
        tool.close()


@pytest.fixture
def camera_photo(samples: Path, tmp_path: Path) -> Path:
    """A real camera JPEG (maker notes, EXIF thumbnail) carrying the photographer's tags."""
    photo = tmp_path / "IMG_0001.jpg"
    shutil.copyfile(samples / "camera" / "Canon_40D.jpg", photo)
    other_program(
        photo,
        "-IFD0:Artist=Ansel Adams",
        "-ExifIFD:OffsetTimeOriginal=+02:00",
        "-IFD0:XPKeywords=Family;Holiday",
        "-XMP-dc:Subject=Family",
    )
    return photo


@pytest.mark.parametrize("fault", FAULTS, ids=list(FAULTS))
def test_a_damaged_write_is_refused_and_the_original_stays_byte_identical(
    faulty, camera_photo: Path, fault: str
) -> None:  # type: ignore[no-untyped-def]
    before = state(camera_photo)
    outcome = faulty(FAULTS[fault]).write(camera_photo, "a green wall", ["green"])
    assert not outcome.written and outcome.reason.startswith(("left unchanged", "not written")), outcome
    assert state(camera_photo) == before
    assert not temporaries(camera_photo.parent)


def test_the_same_writers_without_a_fault_write_the_photo(faulty, camera_photo: Path) -> None:  # type: ignore[no-untyped-def]
    outcome = faulty(lambda path: None).write(camera_photo, "a green wall", ["green"])
    assert outcome.written, outcome.reason  # so the refusals above are the faults' doing
    tags = reference_read(camera_photo)
    assert tags["IFD0:XPKeywords"] == "Family;Holiday;green" and tags["ExifIFD:OffsetTimeOriginal"] == "+02:00"


def undecodable_jpeg(path: Path) -> Path:
    """A JPEG cut short in its image data: Pillow refuses to decode it, exiftool still writes it."""
    Image.effect_noise((200, 150), 60).convert("RGB").save(path, quality=90)
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * 0.7)])
    with Image.open(path) as img, pytest.raises(OSError):
        img.tobytes()
    return path


def test_a_photo_pillow_cannot_decode_is_written_only_with_its_image_bytes_unchanged(faulty, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    clean = undecodable_jpeg(tmp_path / "clean.jpg")
    outcome = faulty(lambda path: None).write(clean, "a cut-off photo", ["noise"])
    assert outcome.written, outcome.reason
    damaged = undecodable_jpeg(tmp_path / "damaged.jpg")
    before = state(damaged)
    outcome = faulty(flip_a_pixel_byte).write(damaged, "a cut-off photo", ["noise"])
    assert not outcome.written and "image data" in outcome.reason
    assert state(damaged) == before


def test_a_png_pillow_cannot_decode_is_proved_unchanged_by_exiftool(exiftool, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import struct
    import zlib

    photo = tmp_path / "scan.png"
    Image.new("RGB", (64, 48), (10, 200, 30)).save(photo)
    data = bytearray(photo.read_bytes())
    at = data.find(b"IDAT")
    (length,) = struct.unpack(">I", data[at - 4 : at])
    data[at + 4 : at + 4 + length] = b"\x00" * length  # not zlib any more: Pillow cannot decode it
    data[at + 4 + length : at + 8 + length] = struct.pack(">I", zlib.crc32(data[at : at + 4 + length]))
    photo.write_bytes(bytes(data))

    class Damaging(ExifTool):
        damage = False

        def write(self, path: Path, assignments: list[str]) -> None:
            super().write(path, assignments)
            if self.damage:
                raw = bytearray(path.read_bytes())
                raw[raw.find(b"IDAT") + 8] ^= 0x01
                path.write_bytes(bytes(raw))

    with Damaging() as tool:
        tool.damage = True
        before = state(photo)
        outcome = MetadataWriter(tool, WriteOptions("embed")).write(photo, "a scan", ["scan"])
        assert not outcome.written and "image data" in outcome.reason
        assert state(photo) == before
        tool.damage = False
        outcome = MetadataWriter(tool, WriteOptions("embed")).write(photo, "a scan", ["scan"])
        assert outcome.written, outcome.reason
    assert reference_read(photo)["XMP-dc:Description"] == "a scan"


WRITE_LOOP = """
import sys
from pathlib import Path
sys.path.insert(0, sys.argv[3])
from photoscribe.metadata import MetadataWriter, WriteOptions
from photoscribe.metadata.exiftool import ExifTool
tool = ExifTool() if sys.argv[2] == "exiftool" else None
writer = MetadataWriter(tool, WriteOptions("embed"))
print("ready", flush=True)
i = 0
while True:
    outcome = writer.write(Path(sys.argv[1]), f"caption {i % 7}", [f"word{i % 7}"])
    assert outcome.written, outcome.reason
    print("wrote", i, flush=True)
    i += 1
"""


@pytest.mark.slow
def test_sigkill_during_writes_leaves_the_original_or_the_complete_new_file(kind, camera_photo: Path) -> None:  # type: ignore[no-untyped-def]
    photo = camera_photo
    original, original_pixels = photo.read_bytes(), pixels(photo)
    before = reference_read(photo, binary=True)
    seen = {"original": 0, "written": 0}
    chance = random.Random(os.getpid())
    for _ in range(6):
        process = subprocess.Popen(
            [sys.executable, "-c", WRITE_LOOP, str(photo), kind, str(ROOT / "desktop")],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert process.stdout is not None and process.stdout.readline().strip() == "ready"
        if chance.random() < 0.7:  # most kills land in the loop's later writes, some in its first
            assert process.stdout.readline().startswith("wrote")
        try:
            process.wait(chance.uniform(0.0, 0.3))  # a random moment: the loop never ends by itself
        except subprocess.TimeoutExpired:
            pass
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        process.stdout.close()
        if photo.read_bytes() == original:
            seen["original"] += 1
            continue
        seen["written"] += 1
        after = reference_read(photo, binary=True)
        assert str(after.get("XMP-dc:Description", "")).startswith("caption "), "a half-written photo"
        assert (
            after["IPTC:Caption-Abstract" if kind == "exiftool" else "IFD0:ImageDescription"]
            == after["XMP-dc:Description"]
        )
        assert lost(before, after) == {}
        assert pixels(photo) == original_pixels
    assert seen["written"] > 0, seen
    tool = ExifTool() if kind == "exiftool" else None
    try:
        assert MetadataWriter(tool, WriteOptions("embed")).write(photo, "x", []).written
    finally:
        if tool is not None:
            tool.close()
    assert not temporaries(photo.parent), "temporary files of killed writers are cleaned up by the next write"
