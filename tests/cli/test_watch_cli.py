"""``photoscribe watch`` as a real process: killed mid-run it loses nothing and captions nothing twice."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from photoscribe.library import Library
from tests.helpers import save_colour, wait_for
from tests.tiny_blip import COLOURS

pytestmark = pytest.mark.slow
PHOTOS = 240


def start_watch(folder: Path, library: Path, model: Path) -> subprocess.Popen[str]:
    command = [
        sys.executable,
        "-m",
        "photoscribe",
        "watch",
        str(folder),
        "--library",
        str(library),
        "--model",
        str(model),
        "--batch-size",
        "2",
        "--precision",
        "fp32",
        "--settle",
        "0.2",
    ]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def captioned(library: Library) -> int:
    return library.stats().captioned


def test_sigkill_mid_run_loses_nothing_and_captions_nothing_twice(tmp_path: Path, tiny_model_dir: Path) -> None:
    folder = tmp_path / "card"
    for i in range(PHOTOS):
        save_colour(folder / f"IMG_{i:04d}.jpg", list(COLOURS)[i % 4])
    library_path = tmp_path / "library.sqlite3"
    first = start_watch(folder, library_path, tiny_model_dir)
    library = Library(library_path)
    try:
        wait_for(lambda: captioned(library) >= 10 or first.poll() is not None, timeout=120, what="first captions")
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
        done_at_kill = captioned(library)
        assert 0 < done_at_kill < PHOTOS, "the kill must land mid-run for this test to mean anything"

        second = start_watch(folder, library_path, tiny_model_dir)
        wait_for(lambda: captioned(library) == PHOTOS, timeout=180, what="every photo captioned")
        status = subprocess.run(
            [sys.executable, "-m", "photoscribe", "status", "--json", "--library", str(library_path)],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert status.returncode == 0, status.stderr
        figures = json.loads(status.stdout)
        assert (figures["photos"], figures["captioned"], figures["pending"]) == (PHOTOS, PHOTOS, 0)

        second.send_signal(signal.SIGTERM)
        out, err = second.communicate(timeout=60)
        assert second.returncode == 0, err
        assert "Stopping" in err
        photos = library.photos()
        assert len(photos) == PHOTOS
        assert [p for p in photos if p.revision != 1] == []
        assert all(p.status == "done" for p in photos)
    finally:
        for process in (first, locals().get("second")):
            if process is not None and process.poll() is None:
                process.kill()
        library.close()


def test_watch_without_folders_is_a_clear_error(tmp_path: Path, tiny_model_dir: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "photoscribe",
            "watch",
            "--library",
            str(tmp_path / "l.sqlite3"),
            "--model",
            str(tiny_model_dir),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ},
    )
    assert result.returncode == 2
    assert "no folders to watch" in result.stderr
