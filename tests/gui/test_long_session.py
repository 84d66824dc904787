"""A long session of Qt calls does not crash the interpreter (PySide6 6.12 on Python 3.11 drops a reference to
``None`` per ``void`` call and to ``True`` per signal emit: see ``photoscribe.gui``)."""

from __future__ import annotations

import os
import subprocess
import sys

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
