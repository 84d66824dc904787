"""Starting the desktop app: ``photoscribe`` with no command, or ``python -m photoscribe``."""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QTimer
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

ICON = Path(__file__).resolve().parents[1] / "icons" / "photoscribe.png"


def run(settings: Settings, argv: Sequence[str] = (), quit_after_ms: int | None = None) -> int:
    """Open the main window on ``settings``' library and run until it is closed; returns the exit code."""
    app = QApplication.instance() or QApplication([sys.argv[0], *argv])
    app.setApplicationName(APP_NAME)
    app.setApplicationVersion(__version__)
    app.setWindowIcon(QIcon(str(ICON)))
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
    if quit_after_ms is not None:
        QTimer.singleShot(quit_after_ms, window.close)
    code = app.exec()
    collector.restore()
    priority.restore()
    engine.library.close()
    return code
