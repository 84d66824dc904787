"""The photoscribe command end to end: real files, a real library, the tiny trained BLIP."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from tests.conftest import CliRunner
from tests.tiny_blip import colour_image


def fingerprint(folder: Path) -> dict[str, tuple[str, float]]:
    """Content hash and mtime of every file under ``folder``."""
    return {
        str(p): (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime)
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_caption_then_search_finds_exactly_the_red_photos(cli: CliRunner, colour_folder: dict[str, list[Path]]) -> None:
    folder = colour_folder["red"][0].parent
    code, out, _ = cli("caption", str(folder))
    assert code == 0
    assert "Captioned 12 photos, skipped 0 unchanged, failed 0" in out
    hits = cli.json("search", "red")
    assert sorted(h["path"] for h in hits) == sorted(str(p) for p in colour_folder["red"])
    assert all(h["caption"] == "a photo of a red wall" and h["keywords"] == ["red", "wall"] for h in hits)
    assert all(isinstance(h["score"], float) and h["score"] > 0 for h in hits)
    assert len(cli.json("search", "wall", "-red", "-blue")) == 6


def test_a_rerun_captions_nothing_and_a_changed_file_is_captioned_again(
    cli: CliRunner, colour_folder: dict[str, list[Path]]
) -> None:
    folder = colour_folder["red"][0].parent
    cli("caption", str(folder))
    code, out, _ = cli("caption", str(folder))
    assert (code, out.splitlines()[0]) == (0, "Captioned 0 photos, skipped 12 unchanged, failed 0.")
    repainted = colour_folder["red"][0]
    colour_image("blue", size=(64, 48)).save(repainted, quality=90)
    os.utime(repainted, (1_000, 2_000_000_000))
    code, out, _ = cli("caption", str(folder))
    assert out.startswith("Captioned 1 photo, skipped 11 unchanged, failed 0")
    assert str(repainted) in [h["path"] for h in cli.json("search", "blue")]
    assert str(repainted) not in [h["path"] for h in cli.json("search", "red")]


def test_a_users_caption_survives_a_rerun_and_a_recaption(cli: CliRunner, colour_folder: dict[str, list[Path]]) -> None:
    folder = colour_folder["red"][0].parent
    cli("caption", str(folder))
    photo = colour_folder["green"][0]
    code, out, _ = cli("set-caption", str(photo), "Aunt Mary's green door")
    assert code == 0 and "Aunt Mary's green door" in out
    colour_image("yellow", size=(64, 48)).save(photo)
    os.utime(photo, (1_000, 2_000_000_000))
    cli("caption", str(folder))
    code, out, _ = cli("export", "--format", "json")
    rows = {r["path"]: r for r in json.loads(out)}
    row = rows[str(photo)]
    assert row["caption"] == "Aunt Mary's green door"
    assert row["user_caption"] == "Aunt Mary's green door"
    assert row["model_caption"] == "a photo of a yellow wall"
    assert "aunt" not in row["keywords"]  # a caption edit is not a keyword edit
    assert [h["path"] for h in cli.json("search", '"green door"')] == [str(photo)]


def test_unreadable_files_fail_with_reasons_and_stay_byte_identical(cli: CliRunner, tmp_path: Path) -> None:
    folder = tmp_path / "card"
    folder.mkdir()
    colour_image("red").save(folder / "good.jpg")
    (folder / "zero.jpg").write_bytes(b"")
    whole = tmp_path / "whole.jpg"
    Image.effect_noise((400, 300), 50).convert("RGB").save(whole, quality=92)
    (folder / "truncated.jpg").write_bytes(whole.read_bytes()[:6000])
    (folder / "invoice.jpg").write_text("%PDF-1.4 not a photo")
    (folder / "readme.txt").write_text("not a photo and not an image name")
    before = fingerprint(folder)
    code, out, _ = cli("caption", str(folder))
    assert code == 0
    assert "Captioned 1 photo, skipped 0 unchanged, failed 3" in out
    assert f"{folder / 'zero.jpg'}: the file is empty (0 bytes)" in out
    assert f"{folder / 'truncated.jpg'}: the file is truncated" in out
    assert f"{folder / 'invoice.jpg'}: not an image file" in out
    assert fingerprint(folder) == before
    code, out, _ = cli("export", "--format", "json")
    failed = {Path(r["path"]).name: r["error"] for r in json.loads(out) if r["status"] == "failed"}
    assert set(failed) == {"zero.jpg", "truncated.jpg", "invoice.jpg"}
    status = cli.json("status")
    assert (status["photos"], status["captioned"], status["failed"], status["pending"]) == (4, 1, 3, 0)


def test_a_failed_photo_is_retried_when_it_is_fixed(cli: CliRunner, tmp_path: Path) -> None:
    photo = tmp_path / "copying.jpg"
    photo.write_bytes(b"\xff\xd8\xff")  # a copy that has barely started
    cli("caption", str(photo))
    colour_image("yellow").save(photo)  # the copy finished
    code, out, _ = cli("caption", str(photo))
    assert out.startswith("Captioned 1 photo")
    assert cli.json("search", "yellow")[0]["path"] == str(photo)


@pytest.mark.parametrize("kind", ["invalid", "camera"])
def test_real_camera_files_and_broken_exif_are_captioned_and_untouched(
    cli: CliRunner, samples: Path, kind: str
) -> None:
    """Real cameras' files (maker notes, odd EXIF) and files whose EXIF is broken: all captioned, none changed."""
    folder = samples / kind
    before = fingerprint(folder)
    code, out, _ = cli("caption", str(folder))
    count = len(list(folder.glob("*.jpg")))
    assert code == 0 and f"Captioned {count} photos, skipped 0 unchanged, failed 0" in out
    assert fingerprint(folder) == before


def test_the_capture_date_of_a_camera_file_is_recorded(cli: CliRunner, samples: Path) -> None:
    cli("caption", str(samples / "camera" / "Canon_40D.jpg"))
    (row,) = json.loads(cli("export", "--format", "json")[1])
    assert row["taken_at"].startswith("2008-")


def test_a_unicode_path_is_captioned_and_found(cli: CliRunner, tmp_path: Path) -> None:
    folder = tmp_path / "Ferien 日本 été"
    folder.mkdir()
    photo = folder / "фото ü.jpg"
    colour_image("green").save(photo)
    assert cli("caption", str(folder))[0] == 0
    assert [h["path"] for h in cli.json("search", "green")] == [str(photo)]
    assert [h["path"] for h in cli.json("search", "фото")] == [str(photo)]


def test_a_prompt_gives_conditional_captions_without_prompt_keywords(cli: CliRunner, tmp_path: Path) -> None:
    colour_image("blue").save(tmp_path / "sky.jpg")
    cli("caption", str(tmp_path / "sky.jpg"), "--prompt", "a photography of", "--precision", "fp32")
    (row,) = json.loads(cli("export", "--format", "json")[1])
    assert row["caption"] == "a photography of a blue wall"
    assert row["keywords"] == ["blue", "wall"]


def test_export_csv_has_a_row_per_photo(cli: CliRunner, colour_folder: dict[str, list[Path]], tmp_path: Path) -> None:
    cli("caption", str(colour_folder["red"][0].parent))
    target = tmp_path / "out.csv"
    code, _, err = cli("export", "--format", "csv", "-o", str(target))
    assert code == 0 and "Exported 12 photos" in err
    lines = target.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("path,caption,model_caption,user_caption,file_caption,keywords,status,error")
    assert len(lines) == 13
    assert any(
        line.endswith(",") is False and "a photo of a red wall" in line and "red; wall" in line for line in lines
    )


def test_status_reports_figures_model_and_device(cli: CliRunner, colour_folder: dict[str, list[Path]]) -> None:
    cli("caption", str(colour_folder["red"][0]))
    status = cli.json("status")
    assert {k: status[k] for k in ("photos", "captioned", "pending", "failed")} == {
        "photos": 1,
        "captioned": 1,
        "pending": 0,
        "failed": 0,
    }
    assert status["model"] == str(cli.model)
    assert status["device"] == "cpu" and status["precision"] in ("bf16", "fp32")
    assert status["batch_size"] == {"bf16": 24, "fp32": 12}[status["precision"]]  # automatic: set by the precision


def test_missing_paths_are_reported_and_nothing_to_do_is_an_error(cli: CliRunner, tmp_path: Path) -> None:
    code, _, err = cli("caption", str(tmp_path / "nowhere"))
    assert code == 2
    assert "no such file or folder" in err and "nothing to caption" in err


def test_offline_with_a_model_that_is_not_downloaded_says_what_to_do(
    cli: CliRunner, colour_folder: dict[str, list[Path]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "empty-cache"))
    cli.model = "Salesforce/blip-image-captioning-base"  # type: ignore[assignment]
    code, out, err = cli("caption", str(colour_folder["red"][0]))
    assert code == 2
    assert "Traceback" not in err
    (line,) = [text for text in err.splitlines() if text.startswith("photoscribe: error:")]
    assert "offline" in line and "--model" in line and "local folder" in line


def test_a_model_folder_that_does_not_exist_says_so(
    cli: CliRunner, colour_folder: dict[str, list[Path]], tmp_path: Path
) -> None:
    cli.model = tmp_path / "no-such-model"
    code, _, err = cli("caption", str(colour_folder["red"][0]))
    assert code == 2
    assert f"model folder {tmp_path / 'no-such-model'} does not exist" in err


def test_a_folder_without_a_model_says_so(cli: CliRunner, colour_folder: dict[str, list[Path]], tmp_path: Path) -> None:
    (tmp_path / "empty-model").mkdir()
    cli.model = tmp_path / "empty-model"
    code, _, err = cli("caption", str(colour_folder["red"][0]))
    assert code == 2 and "does not hold a BLIP captioning model" in err


def test_help_lists_the_commands(capsys: pytest.CaptureFixture[str]) -> None:
    from photoscribe.cli import main

    with pytest.raises(SystemExit) as exited:
        main(["--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    assert all(command in out for command in ("caption", "watch", "search", "status", "export"))


@pytest.mark.slow
def test_the_installed_command_works_in_a_fresh_process(
    tiny_model_dir: Path, colour_folder: dict[str, list[Path]], tmp_path: Path
) -> None:
    env = {**os.environ, "PHOTOSCRIBE_LIBRARY": str(tmp_path / "lib.sqlite3"), "PHOTOSCRIBE_MODEL": str(tiny_model_dir)}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "photoscribe", *args]
        return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)

    caption = run("caption", str(colour_folder["yellow"][0].parent))
    assert caption.returncode == 0, caption.stderr
    search = run("search", "yellow", "--json")
    assert sorted(h["path"] for h in json.loads(search.stdout)) == sorted(map(str, colour_folder["yellow"]))
