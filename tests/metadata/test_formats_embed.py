"""Embedding into every format exiftool writes besides JPEG: HEIC, AVIF, WebP, PNG (8- and 16-bit) and TIFF.

Each has its own places for metadata: IPTC exists only in JPEG and TIFF (exiftool writes none into HEIC, AVIF or
WebP, and only a non-standard block into PNG), and HEIC/AVIF keep EXIF and XMP inside their media-data box, so
that box grows. A write must still read back, keep the pixels and every other tag, and never be refused for those
format facts.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import photoscribe.imaging  # noqa: F401  (registers the HEIF opener)
from photoscribe.metadata import MetadataWriter, WriteOptions
from tests.metadata.conftest import lost, reference_read
from tests.tiny_blip import colour_image


def make(path: Path) -> Path:
    if path.name == "deep.png":
        grey16 = (np.full((32, 48), 40000, dtype=np.uint16) + np.arange(48, dtype=np.uint16)).astype(np.uint16)
        Image.fromarray(grey16).save(path)
    elif path.suffix == ".tif":
        colour_image("green", size=(48, 32)).save(path, compression="tiff_lzw")
    else:
        colour_image("red", size=(48, 32)).save(path, quality=90)
    return path


def decoded(path: Path) -> bytes:
    with Image.open(path) as img:
        return img.tobytes()


@pytest.mark.parametrize("name", ["phone.heic", "web.avif", "web.webp", "scan.png", "deep.png", "export.tif"])
def test_embedding_into_each_format_reads_back_and_keeps_pixels_and_tags(tmp_path: Path, exiftool, name: str) -> None:  # type: ignore[no-untyped-def]
    photo = make(tmp_path / name)
    before, pixels_before = reference_read(photo, binary=True), decoded(photo)
    outcome = MetadataWriter(exiftool, WriteOptions(mode="embed")).write(photo, "a red wall", ["wall", "Paris"])
    assert outcome.written and outcome.target == photo, outcome.reason
    assert not (tmp_path / f"{name}.xmp").exists()
    after = reference_read(photo, binary=True)
    assert after["XMP-dc:Description"] == "a red wall"
    assert after["IFD0:ImageDescription"] == "a red wall"
    assert sorted(map(str, after["XMP-dc:Subject"])) == ["Paris", "wall"]  # type: ignore[arg-type]
    iptc = {k for k in after if k in ("IPTC:Caption-Abstract", "IPTC:Keywords")}
    assert bool(iptc) == (photo.suffix == ".tif"), iptc
    assert decoded(photo) == pixels_before
    containers = ("QuickTime:MediaDataSize", "QuickTime:MediaDataOffset")  # the box EXIF and XMP went into
    assert {k: v for k, v in lost(before, after).items() if k not in containers} == {}
