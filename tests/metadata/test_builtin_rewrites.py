"""The built-in writer rewrites a JPEG's EXIF in place of its own earlier write instead of piling up IFD0s."""

from __future__ import annotations

from pathlib import Path

from photoscribe.metadata import MetadataWriter, WriteOptions
from tests.metadata.conftest import copies, lost, pixels, reference_read


def test_forty_rewrites_keep_the_exif_block_from_growing(samples: Path, tmp_path: Path) -> None:
    """Old code: every write appended a whole new IFD0, so a Canon file passed JPEG's 64 KB limit after a few
    dozen re-captions and was then refused for good."""
    photo = next(p for p in copies(samples, tmp_path, "camera") if p.name == "Canon_40D.jpg")
    before, original_pixels = reference_read(photo), pixels(photo)
    writer = MetadataWriter(None, WriteOptions("embed"))
    sizes = []
    for i in range(40):
        outcome = writer.write(photo, f"a caption that changes {i}", [f"word{i}", "tree"])
        assert outcome.written, (i, outcome.reason)
        sizes.append(photo.stat().st_size)
    assert sizes[-1] - sizes[1] <= 16, sizes  # the captions differ by a digit or two, nothing more
    after = reference_read(photo)
    assert after["IFD0:ImageDescription"] == "a caption that changes 39"
    assert lost(before, after) == {}
    assert pixels(photo) == original_pixels
