"""The program's entry imports the command line without garbage collection passes, and runs it."""

from __future__ import annotations

import json
import subprocess
import sys

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
