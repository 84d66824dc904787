"""The program's entry imports the command line without garbage collection passes, and runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from photoscribe import __version__

PROBE = """
import gc, json
passes = []
gc.callbacks.append(lambda phase, info: passes.append(info["generation"]) if phase == "start" else None)
from photoscribe.command import import_command_line
before = len(passes)
run = import_command_line()
print(json.dumps({"passes": passes[before:], "enabled": gc.isenabled(), "frozen": gc.get_freeze_count(),
                  "cli": run.__module__}))
"""


def test_the_command_line_is_imported_without_a_collection_pass() -> None:
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True)
    probe = json.loads(done.stdout)
    assert probe["passes"] == []  # about 130 without the pause
    assert probe["enabled"] and probe["frozen"] > 10_000  # the collector is back; what was imported is left out
    assert probe["cli"] == "photoscribe.cli"


def test_python_dash_m_runs_the_command_line() -> None:
    done = subprocess.run([sys.executable, "-m", "photoscribe", "--version"], capture_output=True, text=True)
    assert done.returncode == 0 and __version__ in done.stdout


_WAITING_THREAD = """
import threading, torch
from photoscribe.command import leave_at_once
go = threading.Event()
worker = threading.Thread(target=go.wait)  # a thread a normal exit waits for
worker.start()
leave_at_once(0)
print("returned", flush=True)
go.set()
"""


def test_a_thread_still_working_keeps_the_process_to_a_normal_exit() -> None:
    done = subprocess.run([sys.executable, "-c", _WAITING_THREAD], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "returned" in done.stdout


def test_without_pytorch_loaded_the_interpreter_ends_as_usual() -> None:
    probe = "from photoscribe.command import leave_at_once; leave_at_once(3); print('returned')"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "returned" in done.stdout


def test_a_caption_run_ends_at_once_with_its_output_and_library_complete(tiny_model_dir: Path, tmp_path: Path) -> None:
    from photoscribe.library import Library
    from tests.helpers import save_colour

    photos = tmp_path / "photos"
    photos.mkdir()
    for colour in ("red", "blue", "green"):
        save_colour(photos / f"{colour}.jpg", colour)
    library = tmp_path / "library.sqlite3"
    env = {**os.environ, "PHOTOSCRIBE_CONFIG": str(tmp_path / "none.toml"), "PHOTOSCRIBE_DATA_DIR": str(tmp_path)}
    command = [sys.executable, "-m", "photoscribe", "caption", "-v", str(photos), "--library", str(library)]
    done = subprocess.run(
        [*command, "--model", str(tiny_model_dir)], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert "ending the process without tearing down the interpreter" in done.stderr
    assert done.stdout.startswith("Captioned 3 photos, skipped 0 unchanged, failed 0")
    with Library(library) as lib:
        assert lib.stats().captioned == 3
