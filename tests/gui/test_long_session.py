"""Long sessions: hundreds of thousands of Qt calls do not crash the interpreter (PySide6 6.12 on Python 3.11 drops
a reference to ``None`` per ``void`` call and to ``True`` per signal emit: see ``photoscribe.gui``), and the app's
startup objects are out of the garbage collector's full passes (which paused scrolling for 0.15-0.25 s)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("pytestqt")

CALLS = """
import sys
import photoscribe.gui
from PySide6.QtCore import QCoreApplication, QObject, QTimer, Signal
app = QCoreApplication([])
class Sender(QObject):
    sent = Signal(int)
sender, timer = Sender(), QTimer()
for _ in range(200_000):  # more than the references None and True start with
    timer.start(10)
    sender.sent.emit(1)
    app.processEvents()
print("done")
"""


def test_hundreds_of_thousands_of_qt_calls_do_not_crash_python() -> None:
    done = subprocess.run(
        [sys.executable, "-c", CALLS],
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0 and done.stdout.strip() == "done", done.stderr[-2000:]


APP = """
import gc, sys
from photoscribe.config import Settings
from photoscribe.gui.app import run
settings = Settings(library=sys.argv[1], model=sys.argv[2], text_model="")  # no model loads: the app alone
code = run(settings, quit_after_ms=300)
print(code, gc.get_freeze_count())
"""


def run_app(script: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """``script`` run in a fresh offscreen Python with a new library and a model folder that does not exist."""
    return subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "l.sqlite3"), str(tmp_path / "no-model")],
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_app_takes_its_startup_objects_out_of_full_collections(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A full collection walks every object alive: the grid's records churn enough to start one every few
    seconds of scrolling, and each paused every thread for 0.15-0.25 s while Qt's, SQLAlchemy's and the app's
    own startup objects were walked again. The app freezes them once its window is built."""
    done = run_app(APP, tmp_path)
    code, frozen = map(int, done.stdout.split()[-2:])
    assert code == 0, done.stderr[-2000:]
    assert frozen > 10_000, f"only {frozen} objects frozen"


EARLY = """
import sys, threading
from photoscribe.config import Settings
from photoscribe.gui import app, main_window
seen = []
built = main_window.MainWindow.__init__
def noting(self, *args, **kwargs):
    seen.append(app.PRELOAD_THREAD in [t.name for t in threading.enumerate()])
    built(self, *args, **kwargs)
main_window.MainWindow.__init__ = noting
app.MainWindow = main_window.MainWindow
code = app.run(Settings(library=sys.argv[1], model=sys.argv[2], text_model=""), quit_after_ms=300)
print(code, seen)
"""


def test_the_app_starts_importing_pytorch_while_its_window_is_built(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """PyTorch's setup holds the interpreter lock ~0.25 s in one go: imported once the window was up (by the caption
    thread loading a model) it froze the window that long while a folder was scanned. The app quits here while the
    import may still run: that must not crash it either."""
    done = run_app(EARLY, tmp_path)
    assert done.returncode == 0 and done.stdout.split()[-2:] == ["0", "[True]"], done.stderr[-2000:]
