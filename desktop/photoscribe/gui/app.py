"""Starting the desktop app: ``photoscribe`` with no command, or ``python -m photoscribe``."""

from __future__ import annotations

import importlib
import logging
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QMetaObject, Qt, QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QMessageBox

from photoscribe import APP_NAME, __version__
from photoscribe.config import Settings
from photoscribe.engine import Engine
from photoscribe.engine_parts import settle_loaded_objects
from photoscribe.errors import PhotoScribeError
from photoscribe.gui.collector import IdleCollector
from photoscribe.gui.main_window import MainWindow
from photoscribe.gui.priority import BackgroundPriority

log = logging.getLogger(__name__)

PRELOAD_THREAD = "import-pytorch"
ICON = Path(__file__).resolve().parents[1] / "icons" / "photoscribe.png"


def run(
    settings: Settings, argv: Sequence[str] = (), quit_after_ms: int | None = None, quit_when_idle: bool = False
) -> int:
    """Open the main window on ``settings``' library and run until it is closed; returns the exit code.
    ``quit_when_idle`` closes the window once the engine has started and has nothing left to do (smoke tests)."""
    app = QApplication.instance() or QApplication([sys.argv[0], *argv])
    app.setApplicationName(APP_NAME)
    app.setApplicationVersion(__version__)
    app.setWindowIcon(QIcon(str(ICON)))
    import_pytorch_early()
    try:
        engine = Engine(settings)
    except PhotoScribeError as exc:
        QMessageBox.critical(None, APP_NAME, str(exc))
        return 2
    window = MainWindow(engine)
    priority = BackgroundPriority(window)  # every other thread yields the CPU (and sooner the GIL) to this one
    collector = IdleCollector(window)  # full garbage collections while the grid is still, not automatically
    window.grid.verticalScrollBar().valueChanged.connect(collector.active)
    settle_loaded_objects()  # Qt, SQLAlchemy and the app's objects out of full collections (a 0.15-0.25 s pause
    window.show()  # of every thread each time the grid's records churned enough to start one)
    QTimer.singleShot(0, engine.start)  # once the window is up; it returns at once (the scan has its own thread)
    if quit_when_idle:
        QTimer.singleShot(0, lambda: close_when_idle(engine, window))  # (after engine.start: queued after it)
    if quit_after_ms is not None:
        QTimer.singleShot(quit_after_ms, window.close)
    code = app.exec()
    collector.restore()
    priority.restore()
    engine.library.close()
    return code


def close_when_idle(engine: Engine, window: MainWindow) -> threading.Thread:
    """Close ``window`` (on its own thread) once ``engine`` is idle: scanned, captioned, nothing settling."""

    def wait() -> None:
        while not engine.wait_until_idle(3600):
            pass
        QMetaObject.invokeMethod(window, "close", Qt.ConnectionType.QueuedConnection)

    thread = threading.Thread(target=wait, name="quit-when-idle", daemon=True)
    thread.start()
    return thread


def import_pytorch_early() -> threading.Thread:
    """Start importing PyTorch on a thread of its own while the window is built.

    PyTorch's module setup holds the interpreter lock in long stretches (its C extension alone about 0.25 s in one
    call), so when the caption thread imported it, once the window was up, the window froze for 0.25-0.35 s while
    a folder was scanned. Begun here, that happens while the window is being built: it shows a little later
    (about 1.2 s instead of 0.8-1.0 s at 100,000 photos) and never freezes for it. The engine still imports the
    captioning code itself when it loads a model (it finds PyTorch imported or being imported)."""
    thread = threading.Thread(target=importlib.import_module, args=("torch",), name=PRELOAD_THREAD, daemon=True)
    thread.start()
    return thread
