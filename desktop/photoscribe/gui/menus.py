"""The main window's menus: File (add folder, settings, quit), Edit (undo, redo), Captioning (clear the queue,
retry failed photos), Find (Ctrl+F to the search bar) and Help (see help_menu.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtGui import QAction, QKeySequence

from photoscribe.gui.help_menu import HelpMenu

if TYPE_CHECKING:
    from photoscribe.gui.main_window import MainWindow


def build_menus(window: MainWindow) -> QAction:
    """Add the menus to ``window``; returns the *Clear the queue* action."""
    menu = window.menuBar().addMenu("&File")
    add = QAction("&Add folder…", window, shortcut=QKeySequence.StandardKey.Open)
    add.triggered.connect(lambda: window.folders._pick(False))
    settings = QAction("&Settings…", window, shortcut=QKeySequence.StandardKey.Preferences)
    settings.triggered.connect(window.open_settings)
    quit_action = QAction("&Quit", window, shortcut=QKeySequence.StandardKey.Quit)
    quit_action.triggered.connect(window.close)
    menu.addActions([add, settings, quit_action])
    edit = window.menuBar().addMenu("&Edit")
    undo = window.undo.createUndoAction(window, "&Undo")
    undo.setShortcut(QKeySequence.StandardKey.Undo)
    redo = window.undo.createRedoAction(window, "&Redo")
    redo.setShortcut(QKeySequence.StandardKey.Redo)
    edit.addActions([undo, redo])
    captioning = window.menuBar().addMenu("&Captioning")
    clear_queue = QAction("&Clear the queue", window)
    clear_queue.setToolTip("Set aside every photo waiting to be captioned (they come back when they change)")
    clear_queue.triggered.connect(window.cancel_queue)
    recaption_failed = QAction("&Retry failed photos", window)
    recaption_failed.triggered.connect(window.retry_failed)
    captioning.addActions([clear_queue, recaption_failed])
    find = QAction("Find", window, shortcut=QKeySequence.StandardKey.Find)
    find.triggered.connect(window.search.setFocus)
    window.addAction(find)
    window.help = HelpMenu(window)
    return clear_queue
