"""``photoscribe worker`` on a shared PostgreSQL library: the studio's acceptance run, with a worker killed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from sqlalchemy import text

from photoscribe.library import Library
from tests.helpers import save_colour, wait_for
from tests.tiny_blip import COLOURS

pytestmark = pytest.mark.slow
PHOTOS = 160


def photoscribe(*args: str, library: str, model: Path) -> subprocess.Popen[str]:
    options = ["--library", library, "--model", str(model), "--batch-size", "4", "--precision", "fp32"]
    command = [sys.executable, "-m", "photoscribe", *args, *options]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


class Lines:
    """The stdout lines of a process, read on a thread, with an event set once ``count`` of them start with
    ``prefix``."""

    def __init__(self, process: subprocess.Popen[str], prefix: str, count: int) -> None:
        self.lines: list[str] = []
        self.reached = threading.Event()
        self._thread = threading.Thread(target=self._read, args=(process, prefix, count), daemon=True)
        self._thread.start()

    def _read(self, process: subprocess.Popen[str], prefix: str, count: int) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            self.lines.append(line)
            if sum(x.startswith(prefix) for x in self.lines) >= count:
                self.reached.set()
        self.reached.set()  # the process ended

    def join(self) -> list[str]:
        self._thread.join(timeout=60)
        return self.lines


def test_two_workers_one_killed_caption_every_photo_once_and_search_finds_them(
    tmp_path: Path, tiny_model_dir: Path, postgres_url: str
) -> None:
    folder = tmp_path / "studio"
    colours = list(COLOURS)
    for i in range(PHOTOS):
        photo = save_colour(folder / f"IMG_{i:04d}.jpg", colours[i % 4])
        os.utime(photo, (1_000_000, 1_000_000))
    added = photoscribe("add", str(folder), library=postgres_url, model=tiny_model_dir)
    out, err = added.communicate(timeout=120)
    assert added.returncode == 0, err
    assert f"{PHOTOS} photos in the library wait to be captioned (run `photoscribe worker`" in out

    first = photoscribe("worker", "--poll-seconds", "1", library=postgres_url, model=tiny_model_dir)
    second = photoscribe("worker", "--poll-seconds", "1", library=postgres_url, model=tiny_model_dir)
    first_lines, second_lines = Lines(first, "captioned:", 20), Lines(second, "captioned:", PHOTOS + 1)
    library = Library(postgres_url)
    try:
        assert first_lines.reached.wait(timeout=240), "the first worker never captioned 20 photos"
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
        wait_for(lambda: library.stats().captioned == PHOTOS, timeout=300, what="every photo captioned")
        second.send_signal(signal.SIGTERM)
        _, err = second.communicate(timeout=120)
        assert second.returncode == 0, err
        assert "Worker stopped" in err
        killed = sum(line.startswith("captioned:") for line in first_lines.join())
        survived = sum(line.startswith("captioned:") for line in second_lines.join())
        assert killed >= 20 and survived >= 1
        with library.db.reading() as session:
            revisions = dict(session.execute(text("SELECT revision, count(*) FROM captions GROUP BY revision")).all())
        assert revisions == {1: PHOTOS}  # none captioned twice
        assert killed + survived <= PHOTOS  # a line is printed once its batch is stored
    finally:
        for process in (first, second):
            if process.poll() is None:
                process.kill()
        library.close()

    searched = photoscribe("search", "red", "--exact", "--json", library=postgres_url, model=tiny_model_dir)
    out, err = searched.communicate(timeout=120)
    assert searched.returncode == 0, err
    import json

    hits = json.loads(out)
    assert len(hits) == PHOTOS // 4
    assert {Path(hit["path"]).name for hit in hits} == {f"IMG_{i:04d}.jpg" for i in range(0, PHOTOS, 4)}
