"""``caption`` and ``status`` on a real camera folder: a RAW+JPEG pair is one photo captioned from its JPEG (the
RAW half is never decoded: here it is a CR2 no decoder can read), and the files that are not photos are named."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import CliRunner
from tests.tiny_blip import colour_image

LEFT_OUT = "Left out (not photos): 2 videos (.mov, .mp4), 1 sidecar (.xmp), 1 other file (.txt)"


@pytest.fixture
def card(tmp_path: Path, samples: Path) -> Path:
    folder = tmp_path / "DCIM"
    folder.mkdir()
    colour_image("red").save(folder / "IMG_1.JPG")
    shutil.copy(samples / "raw" / "CanonRaw.cr2", folder / "IMG_1.CR2")  # unreadable: fails if ever decoded
    colour_image("blue").save(folder / "IMG_2.JPG")
    for name in ("MVI_3.MOV", "MVI_4.mp4", "IMG_5.xmp", "notes.txt", ".DS_Store", "IMG_6.JPG.part"):
        (folder / name).write_bytes(b"not a photo")
    return folder


def test_caption_and_status_count_a_pair_once_and_name_the_files_left_out(cli: CliRunner, card: Path) -> None:
    code, out, _ = cli("caption", str(card))
    assert code == 0
    assert "Captioned 2 photos, skipped 0 unchanged, failed 0" in out
    assert "1 RAW+JPEG pair counts as one photo (captioned from the JPEG)." in out
    assert LEFT_OUT in out
    code, out, _ = cli("status")
    assert code == 0 and LEFT_OUT in out and "1 RAW+JPEG pair counts as one photo" in out
    status = cli.json("status")
    assert (status["photos"], status["captioned"], status["failed"], status["raw_jpeg_pairs"]) == (2, 2, 0, 1)
    assert status["left_out"] == [
        {"kind": "other", "extension": ".txt", "count": 1},
        {"kind": "sidecar", "extension": ".xmp", "count": 1},
        {"kind": "video", "extension": ".mov", "count": 1},
        {"kind": "video", "extension": ".mp4", "count": 1},
    ]
    rows = json.loads(cli("export", "--format", "json")[1])
    assert {Path(r["path"]).name: r["raw_companion"] for r in rows} == {
        "IMG_1.JPG": str(card / "IMG_1.CR2"),
        "IMG_2.JPG": None,
    }
    assert [h["path"] for h in cli.json("search", "red")] == [str(card / "IMG_1.JPG")]


def test_the_raw_keeps_the_pairs_caption_when_the_jpeg_is_deleted(cli: CliRunner, card: Path) -> None:
    cli("caption", str(card))
    cli("set-caption", str(card / "IMG_1.CR2"), "the old mill")  # an edit through the RAW's name edits the pair
    (card / "IMG_1.JPG").unlink()
    code, out, _ = cli("caption", str(card))
    assert code == 0 and "Captioned 0 photos, skipped 2 unchanged, failed 0" in out
    assert "RAW+JPEG" not in out
    rows = {Path(r["path"]).name: r for r in json.loads(cli("export", "--format", "json")[1])}
    raw = rows["IMG_1.CR2"]
    assert (raw["status"], raw["caption"], raw["model_caption"]) == ("done", "the old mill", "a photo of a red wall")
    assert rows["IMG_1.JPG"]["status"] == "missing"
    status = cli.json("status")
    assert (status["photos"], status["missing"], status["raw_jpeg_pairs"]) == (2, 1, 0)
