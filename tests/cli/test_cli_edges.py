"""The command line's edges: options no other test uses, every error as one line, pipes, odd file names."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import CliRunner
from tests.tiny_blip import colour_image


def test_caption_path_captions_only_that_path_and_says_what_else_waits(cli: CliRunner, tmp_path: Path) -> None:
    from photoscribe.ingest import register_files
    from photoscribe.library import Library

    backlog, new = tmp_path / "archive", tmp_path / "new"
    for folder, count in ((backlog, 5), (new, 2)):
        folder.mkdir()
        for i in range(count):
            colour_image("red", size=(64, 48)).save(folder / f"{i}.jpg")
    with Library(cli.library) as library:  # a backlog the app queued and the user paused
        register_files(library, sorted(backlog.iterdir()), library.add_folder(backlog))
    code, out, _ = cli("caption", str(new))
    assert code == 0 and "Captioned 2 photos" in out
    assert "5 other photos are waiting" in out
    status = cli.json("status")
    assert (status["captioned"], status["pending"]) == (2, 5)


def test_retry_failed_retries_the_failures_under_the_path_only(cli: CliRunner, tmp_path: Path) -> None:
    here, there = tmp_path / "here", tmp_path / "there"
    good = {}
    for folder in (here, there):
        folder.mkdir()
        colour_image("green", size=(64, 48)).save(folder / "a.jpg")
        good[folder] = (folder / "a.jpg").read_bytes()
        stat = (folder / "a.jpg").stat()
        (folder / "a.jpg").write_bytes(b"\0" * len(good[folder]))  # e.g. a card read error, same size
        os.utime(folder / "a.jpg", ns=(stat.st_atime_ns, stat.st_mtime_ns))
    for folder in (here, there):
        assert "failed 1" in cli("caption", str(folder))[1]
    for folder in (here, there):  # the read error is gone; size and mtime are as before
        stat = (folder / "a.jpg").stat()
        (folder / "a.jpg").write_bytes(good[folder])
        os.utime(folder / "a.jpg", ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert cli("caption", str(here))[1].startswith("Captioned 0 photos, skipped 1 unchanged")
    code, out, _ = cli("caption", str(here), "--retry-failed")
    assert code == 0 and out.startswith("Captioned 1 photo,")
    status = cli.json("status")
    assert (status["captioned"], status["failed"]) == (1, 1)  # the other folder's failure was not touched


def test_search_limit_and_queries_that_look_like_options(cli: CliRunner, colour_folder: dict[str, list[Path]]) -> None:
    cli("caption", str(colour_folder["red"][0].parent))
    assert len(cli.json("search", "wall", "--limit", "3")) == 3
    from photoscribe.cli import main

    cli.capsys.readouterr()
    options = ["--json", "--library", str(cli.library), "--model", str(cli.model)]
    assert main(["search", *options, "--", "-red", "wall"]) == 0  # after --, "-red" is an excluded word
    assert len(json.loads(cli.capsys.readouterr().out)) == 9
    code, out, err = cli("search", "--red")  # a query, not an unknown option
    assert code == 0 and "usage" not in err and "photos found" in err


def test_set_caption_without_text_goes_back_to_the_models(cli: CliRunner, colour_folder: dict[str, list[Path]]) -> None:
    photo = colour_folder["blue"][0]
    cli("caption", str(photo))
    cli("set-caption", str(photo), "the sea")
    code, out, _ = cli("set-caption", str(photo))
    assert code == 0 and out.strip().endswith(": a photo of a blue wall")


def test_write_metadata_writes_only_under_the_given_path(cli: CliRunner, tmp_path: Path) -> None:
    one, two = tmp_path / "one", tmp_path / "two"
    for folder in (one, two):
        folder.mkdir()
        colour_image("yellow", size=(64, 48)).save(folder / "a.jpg")
        cli("caption", str(folder))
    code, out, _ = cli("write-metadata", str(one), "--write-metadata", "sidecar")
    assert code == 0 and "written 1" in out
    assert (one / "a.jpg.xmp").exists() and not (two / "a.jpg.xmp").exists()


def test_caption_with_metadata_writing_catches_up_what_a_killed_run_left(cli: CliRunner, tmp_path: Path) -> None:
    from photoscribe.captioning import Captioner, choose_hardware
    from photoscribe.ingest import register_files
    from photoscribe.library import Library
    from photoscribe.worker import CaptionWorker

    folder = tmp_path / "card"
    folder.mkdir()
    colour_image("red", size=(64, 48)).save(folder / "a.jpg")
    with Library(cli.library) as library:  # captioned with writing on, then killed before the write
        register_files(library, [folder / "a.jpg"], library.add_folder(folder))
        captioner = Captioner.load(str(cli.model), choose_hardware("cpu", "fp32"))
        CaptionWorker(library, captioner, metadata_pending=True).run()
    code, out, _ = cli("caption", str(folder), "--write-metadata", "sidecar")
    assert code == 0 and "written 1" in out
    assert "a photo of a red wall" in (folder / "a.jpg.xmp").read_text(encoding="utf-8")


def test_export_to_a_folder_that_does_not_exist_is_one_line(cli: CliRunner, tmp_path: Path) -> None:
    code, _, err = cli("export", "-o", str(tmp_path / "no" / "such" / "x.csv"))
    assert code == 2 and "Traceback" not in err
    assert err.strip().splitlines() == [
        f"photoscribe: error: cannot write {tmp_path / 'no' / 'such' / 'x.csv'}: No such file or directory"
    ]


def test_status_works_when_the_configured_device_is_absent(cli: CliRunner) -> None:
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has the device")
    status = cli.json("status", "--device", "cuda")
    assert status["device"] == "cuda (not available)"


def test_an_unexpected_error_is_one_line_and_its_traceback_needs_v(
    cli: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    from photoscribe.library import Library

    def broken(self, within=None):  # type: ignore[no-untyped-def]
        raise KeyError("a bug somewhere")

    monkeypatch.setattr(Library, "stats", broken)
    code, out, err = cli("status")
    assert code == 2 and "Traceback" not in err
    assert err.splitlines() == [
        "photoscribe: error: unexpected KeyError: 'a bug somewhere'",
        "photoscribe: run with -v for details",
    ]
    code, _, err = cli("status", "-v")
    assert code == 2 and "Traceback" in err and "KeyError" in err


def run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "photoscribe", *args], env=env, capture_output=True, timeout=180)


@pytest.mark.slow
def test_a_closed_pipe_and_a_name_that_is_not_utf8_are_no_trouble(tiny_model_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "card"
    folder.mkdir()
    odd = os.fsdecode(os.fsencode(folder) + b"/caf\xe9.jpg")  # a Latin-1 name on a UTF-8 system
    colour_image("red", size=(64, 48)).save(odd, format="JPEG")
    for name in ("b.jpg", "c.jpg"):
        colour_image("red", size=(64, 48)).save(folder / name)
    env = {**os.environ, "PHOTOSCRIBE_LIBRARY": str(tmp_path / "lib.sqlite3"), "PHOTOSCRIBE_MODEL": str(tiny_model_dir)}
    caption = run("caption", str(folder), env=env)
    assert caption.returncode == 0, caption.stderr.decode()
    assert b"Captioned 3 photos" in caption.stdout
    search = run("search", "red", env=env)
    assert search.returncode == 0 and b"Traceback" not in search.stderr
    assert "caf\ufffd.jpg" in search.stdout.decode("utf-8")
    hits = json.loads(run("search", "red", "--json", env=env).stdout)
    assert len(hits) == 3
    piped = subprocess.run(
        f"{sys.executable} -m photoscribe search red | head -0", shell=True, env=env, capture_output=True, timeout=180
    )
    assert b"BrokenPipeError" not in piped.stderr and b"Traceback" not in piped.stderr, piped.stderr.decode()


def test_roots_are_listed_added_and_mapped_per_machine(cli, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    share = tmp_path / "nas"
    share.mkdir()
    assert cli("roots")[1].startswith("No roots")
    code, out, _ = cli("roots", "add", "nas", str(share))
    assert (code, out) == (0, f"nas: {share}, here at the same path\n")
    monkeypatch.setenv("PHOTOSCRIBE_HOST", "render-box")
    code, out, _ = cli("roots", "set", "nas", "/mnt/not-here")
    assert code == 0 and "here at /mnt/not-here  (not reachable here" in out
    assert cli("roots", "set", "studio", "/x")[0] == 2  # no such root: a clear error
    monkeypatch.setenv("PHOTOSCRIBE_HOST", "first")
    assert cli("roots")[1] == f"nas: {share}, here at the same path\n"  # the other machine's mount is its own
