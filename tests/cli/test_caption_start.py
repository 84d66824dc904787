"""``caption`` loads the model on a thread of its own while it scans and decodes, and only when there is likely
something to caption: a folder new to the library loads it at once; a rerun on an unchanged folder never does."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from photoscribe.captioning import Captioner
from photoscribe.ingest import register_files
from photoscribe.library import Library
from photoscribe.worker import CaptionWorker
from tests.conftest import CliRunner

PROBE = """
import json, os, sys
from photoscribe.cli import main
code = main(sys.argv[1:])
with open(os.environ["PROBE_OUT"], "w") as out:
    json.dump({"code": code, "torch": "torch" in sys.modules}, out)
"""


def _caption_in_a_process(tmp_path: Path, cli: CliRunner, folder: Path) -> tuple[dict[str, object], str]:
    out = tmp_path / "probe.json"
    command = [sys.executable, "-c", PROBE, "caption", str(folder), "--library", str(cli.library)]
    command += ["--model", str(cli.model), "--text-model", ""]
    done = subprocess.run(command, env={**os.environ, "PROBE_OUT": str(out)}, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return json.loads(out.read_text()), done.stdout


def test_a_new_folder_is_captioned_as_the_worker_alone_captions_it(
    cli: CliRunner, colour_folder: dict[str, list[Path]], tmp_path: Path, tiny_captioner: Captioner
) -> None:
    photos = sorted(p for paths in colour_folder.values() for p in paths)
    with Library(tmp_path / "reference.sqlite3") as reference:
        register_files(reference, photos)
        CaptionWorker(reference, tiny_captioner).run()
        expected = [reference.photo(p).caption for p in photos]  # type: ignore[union-attr]
    probe, out = _caption_in_a_process(tmp_path, cli, photos[0].parent)
    assert probe == {"code": 0, "torch": True} and "Captioned 12 photos" in out
    with Library(cli.library) as library:
        assert [library.photo(p).caption for p in photos] == expected  # type: ignore[union-attr]


def test_a_rerun_on_an_unchanged_folder_never_loads_the_model(
    cli: CliRunner, colour_folder: dict[str, list[Path]], tmp_path: Path
) -> None:
    folder = colour_folder["red"][0].parent
    assert cli("caption", str(folder), "--text-model", "")[0] == 0
    probe, out = _caption_in_a_process(tmp_path, cli, folder)
    assert probe == {"code": 0, "torch": False}
    assert "Captioned 0 photos, skipped 12 unchanged" in out
