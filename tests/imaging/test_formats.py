"""The one list of photo kinds: names decide the kind (RAW files are never modified), content decides the decoder."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from photoscribe.formats import FileKind, LeftOut, content_kind, is_raw_name, kind_of_name, left_out_kind, sniff


@pytest.mark.parametrize(
    ("name", "kind"),
    [("a.JPG", FileKind.JPEG), ("b.heic", FileKind.HEIF), ("c.CR3", FileKind.RAW), ("d.dng", FileKind.RAW),
     ("e.avif", FileKind.RASTER), ("f.tiff", FileKind.RASTER), ("g.mov", None), ("h", None)],
)  # fmt: skip
def test_the_kind_comes_from_the_name(name: str, kind: FileKind | None) -> None:
    assert kind_of_name(name) is kind
    assert is_raw_name(name) == (kind is FileKind.RAW)


@pytest.mark.parametrize(
    ("name", "why"),
    [("clip.MP4", LeftOut.VIDEO), ("IMG_1.xmp", LeftOut.SIDECAR), ("notes.txt", LeftOut.OTHER), ("x.jpg", None)],
)
def test_files_that_are_not_photos_are_left_out_with_a_kind(name: str, why: LeftOut | None) -> None:
    assert left_out_kind(name) is why


def test_the_decoder_comes_from_the_content(samples: Path, tmp_path: Path) -> None:
    assert content_kind(samples / "raw" / "Issue_247-1.nef") is FileKind.JPEG  # a JPEG named .nef
    assert content_kind(samples / "raw" / "Canon-R6-pruned.CR3") is FileKind.RAW
    assert content_kind(samples / "raw" / "CanonRaw.cr2") is FileKind.RAW  # TIFF inside: goes by its name
    heic = tmp_path / "IMG_1.JPG"
    Image.new("RGB", (16, 16), (10, 20, 30)).save(heic, "HEIF")
    assert content_kind(heic) is FileKind.HEIF


def test_sniffing_knows_the_unambiguous_headers() -> None:
    assert sniff(b"\xff\xd8\xff\xe1") is FileKind.JPEG
    assert sniff(b"RIFF\0\0\0\0WEBPVP8 ") is FileKind.RASTER
    assert sniff(b"\0\0\0\x18ftypheic") is FileKind.HEIF
    assert sniff(b"II*\0\x08\0\0\0") is None  # TIFF: most RAW formats are TIFF inside
