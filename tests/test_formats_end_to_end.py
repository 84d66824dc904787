"""Issue 11's acceptance check, run as a photographer would: one folder with every kind of file they keep.

The shared RAW samples (a CR3 with only an exiftool preview, a RAF with LibRaw's thumbnail, a KDC that needs a
demosaic, a JPEG named ``.nef``, a truncated ARW with a rotated thumbnail, and the traps: a stripped NEF and CR2, a
RW2 that decodes to junk), a HEIC, a 16-bit PNG, a TIFF and a WebP, plus files that are not photos, captioned with
``--write-metadata embed`` by the real CLI with the tiny trained BLIP and real exiftool.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from photoscribe.metadata.exiftool import exiftool_path
from tests.conftest import CliRunner
from tests.tiny_blip import colour_image

#: What each shared RAW sample must give: captioned (True) or failed with a reason (False).
RAW_SAMPLES = {
    "Canon-R6-pruned.CR3": True,  # exiftool's PreviewImage
    "FujiFilm.raf": True,  # LibRaw's 160x120 thumbnail (exiftool's 8x8 PreviewImage is a placeholder)
    "RAW_KODAK_DC50_é.KDC": True,  # half-size demosaic
    "Issue_247-1.nef": True,  # a JPEG named .nef, read as the JPEG it is
    "fixture-sony-zv-e10.arw": True,  # truncated; exiftool's ThumbnailImage, turned upright
    "Nikon.nef": False,  # stripped: nothing to decode
    "CanonRaw.cr2": False,  # stripped: LibRaw cannot open it, no preview
    "Panasonic.rw2": False,  # a flat 8x8 preview and a demosaic of junk
}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def exiftool_json(*args: str) -> list[dict[str, object]]:
    done = subprocess.run(["exiftool", "-j", "-G1", *args], capture_output=True, text=True, check=False)
    return json.loads(done.stdout or "[]")


@pytest.fixture
def photographers_folder(tmp_path: Path, samples: Path) -> Path:
    folder = tmp_path / "card"
    folder.mkdir()
    for name in RAW_SAMPLES:
        shutil.copy2(samples / "raw" / name, folder / name)
    colour_image("red", size=(96, 64)).save(folder / "phone.heic", quality=90)
    grey16 = (np.full((48, 64), 40000, dtype=np.uint16) + np.arange(64, dtype=np.uint16)).astype(np.uint16)
    Image.fromarray(grey16).save(folder / "scan16.png")
    colour_image("green", size=(64, 48)).save(folder / "export.tif", compression="tiff_lzw")
    colour_image("blue", size=(64, 48)).save(folder / "web.webp", quality=90)
    (folder / "clip.mov").write_bytes(b"\x00\x00\x00\x14ftypqt  not really a movie")
    (folder / "notes.txt").write_text("shot list")
    return folder


def test_every_file_a_photographer_keeps_is_captioned_or_failed_with_a_reason(
    cli: CliRunner, photographers_folder: Path
) -> None:
    if exiftool_path() is None:
        if os.environ.get("CI") == "true":
            pytest.fail("exiftool is missing in CI: .ci/run installs libimage-exiftool-perl")
        pytest.skip("exiftool is not installed")
    folder = photographers_folder
    raw_before = {name: sha256(folder / name) for name in RAW_SAMPLES}

    code, out, err = cli("caption", str(folder), "--write-metadata", "embed")
    assert code == 0, err

    code, exported, err = cli("export", "--format", "json")
    assert code == 0, err
    rows = {Path(r["path"]).name: r for r in json.loads(exported)}
    others = {"phone.heic", "scan16.png", "export.tif", "web.webp"}
    assert set(rows) == set(RAW_SAMPLES) | others, "every photo file is in the library, nothing else"
    for name, captioned in RAW_SAMPLES.items():
        row = rows[name]
        if captioned:
            assert row["status"] == "done" and row["caption"], (name, row["error"])
        else:
            assert row["status"] == "failed", name
            reason = str(row["error"] or "")
            assert reason and "\n" not in reason and "Traceback" not in reason, (name, reason)
    for name in others:
        assert rows[name]["status"] == "done" and rows[name]["caption"], (name, rows[name]["error"])

    for name in RAW_SAMPLES:  # RAW files are never modified, whatever the mode
        assert sha256(folder / name) == raw_before[name], name
    for name, captioned in RAW_SAMPLES.items():
        sidecar = folder / f"{name}.xmp"
        if not captioned:
            assert not sidecar.exists(), name
            continue
        (tags,) = exiftool_json("-XMP-dc:Description", str(sidecar))
        assert tags.get("XMP-dc:Description") == rows[name]["caption"], name
    for name in others:  # embedded in the file itself, proved safe
        (tags,) = exiftool_json("-XMP-dc:Description", str(folder / name))
        assert tags.get("XMP-dc:Description") == rows[name]["caption"], name
        assert not (folder / f"{name}.xmp").exists(), name

    # The summary says what was left out on purpose, and status keeps saying it.
    assert "left out" in out.lower() and ".mov" in out and ".txt" in out
    code, status_out, _ = cli("status")
    assert code == 0 and ".mov" in status_out and ".txt" in status_out
