"""``photoscribe add``: registers (and queues) photos without captioning and without importing torch, in a real
process; progress on standard error, a summary on standard output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from photoscribe.library import Library, PhotoStatus
from tests.helpers import save_colour

#: Runs ``photoscribe add`` as ``python -m photoscribe`` does, then says which heavy modules it imported.
DRIVER = """
import json, sys
from photoscribe.cli import main
code = main(sys.argv[1:])
print(json.dumps({"code": code, "heavy": sorted(m for m in ("torch", "transformers") if m in sys.modules)}))
"""


def add(*args: str, library: Path) -> tuple[dict, dict, str]:  # type: ignore[type-arg]
    """Run ``photoscribe add ARGS --json`` in a new process: (its summary, the driver's report, stderr)."""
    command = [sys.executable, "-c", DRIVER, "add", *args, "--json", "--library", str(library)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, env={**os.environ})
    assert done.returncode == 0, done.stderr
    summary_text, _, report = done.stdout.rpartition("\n{")
    return json.loads(summary_text), json.loads("{" + report), done.stderr


def test_add_registers_and_queues_without_captioning_or_torch(tmp_path: Path) -> None:
    shoot = tmp_path / "shoot"
    for i in range(5):
        save_colour(shoot / "day1" / f"IMG_{i}.jpg", "red")
    save_colour(shoot / "IMG_9.jpg", "blue")
    (shoot / "clip.mov").write_bytes(b"not a photo")
    (shoot / "IMG_9.xmp").write_text("<x:xmpmeta xmlns:x='adobe:ns:meta/'/>")
    single = save_colour(tmp_path / "elsewhere" / "one.jpg", "green")
    library = tmp_path / "library.sqlite3"

    summary, report, _ = add(str(shoot), str(single), str(tmp_path / "nothing-here"), library=library)

    assert report == {"code": 0, "heavy": []}  # no torch, no transformers
    assert summary["registered"] == 7 and summary["already_known"] == 0
    assert summary["left_out"] == 2 and summary["not_found"] == [f"{tmp_path / 'nothing-here'}: no such file or folder"]
    with Library(library) as lib:
        assert [f.path for f in lib.folders()] == [shoot]  # the folder is a library folder; the single file is not
        assert {p.status for p in lib.photos()} == {PhotoStatus.PENDING}  # queued, nothing captioned
        assert lib.stats().pending == 7 and lib.stats().captioned == 0

    again, _, _ = add(str(shoot), "--poll", library=library)
    assert (again["registered"], again["already_known"]) == (0, 6)
    with Library(library) as lib:
        assert lib.folders()[0].polling


def test_progress_goes_to_stderr_and_the_summary_to_stdout(tmp_path: Path) -> None:
    for i in range(3):
        save_colour(tmp_path / "photos" / f"{i}.jpg", "yellow")
    command = [sys.executable, "-m", "photoscribe", "add", str(tmp_path / "photos")]
    done = subprocess.run(
        [*command, "--library", str(tmp_path / "l.sqlite3")], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Registered 3 photos (queued for captioning), 0 already known, 0 left out")
    assert "wait to be captioned" in done.stdout
    assert "\r" not in done.stderr  # not a terminal: whole lines (one a second), never rewritten in place


def test_nothing_to_add_is_an_error(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "photoscribe", "add", str(tmp_path / "absent")]
    done = subprocess.run([*command, "--library", str(tmp_path / "l.sqlite3")], capture_output=True, text=True)
    assert done.returncode == 2
    assert "nothing to add" in done.stderr
