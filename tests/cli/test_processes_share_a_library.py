"""Several real ``photoscribe`` processes on one library: no photo is captioned twice (queue leases)."""

from __future__ import annotations

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
PHOTOS = 120


def photoscribe(*args: str, library: Path, model: Path) -> subprocess.Popen[str]:
    options = ["--library", str(library), "--model", str(model), "--batch-size", "2", "--precision", "fp32"]
    command = [sys.executable, "-m", "photoscribe", *args, *options]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_two_caption_processes_and_a_watch_caption_every_photo_once(tmp_path: Path, tiny_model_dir: Path) -> None:
    folder = tmp_path / "card"
    for i in range(PHOTOS):
        photo = save_colour(folder / f"IMG_{i:04d}.jpg", list(COLOURS)[i % 4])
        os.utime(photo, (1_000_000, 1_000_000))
    library_path = tmp_path / "library.sqlite3"
    Library(library_path).close()  # created once, before the processes race to open it
    processes = [
        photoscribe("watch", str(folder), "--settle", "0.2", library=library_path, model=tiny_model_dir),
        photoscribe("caption", str(folder), library=library_path, model=tiny_model_dir),
        photoscribe("caption", str(folder), library=library_path, model=tiny_model_dir),
    ]
    watch, *captions = processes
    library = Library(library_path)
    try:
        for process in captions:
            out, err = process.communicate(timeout=240)
            assert process.returncode == 0, err
        wait_for(lambda: library.stats().captioned == PHOTOS, timeout=240, what="every photo captioned")
        watch.send_signal(signal.SIGTERM)
        _, err = watch.communicate(timeout=60)
        assert watch.returncode == 0, err
        photos = library.photos()
        assert len(photos) == PHOTOS
        twice = [(Path(p.path).name, p.revision) for p in photos if p.revision != 1]
        assert twice == []
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
        library.close()
