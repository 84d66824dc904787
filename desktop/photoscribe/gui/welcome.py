"""The first run: a welcome in place of the empty grid while no folder is watched (what PhotoScribe does, *Add
folder…*, *Add network folder…*, "or drop a folder"), the caption model's state where the user looks (ready, to be
downloaded, not found offline: with *Download*, *Choose a model folder…* and *Working offline*), and the engine's
model errors said in the app's words rather than the command line's.
"""

from __future__ import annotations

import dataclasses
import enum
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QFileDialog, QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from photoscribe.config import save_settings
from photoscribe.gui.grid_refresh import STATUS_FILTERS
from photoscribe.model_refs import OFFLINE_HINT, looks_like_path

if TYPE_CHECKING:
    from photoscribe.gui.main_window import MainWindow

APP_HINT = (
    "Connect to the internet and press Download (about 1 GB, once), or use Choose a model folder… to pick a folder "
    "holding a copy of the model (Help > Working offline says how to make one)."
)
NO_FOLDERS = "No folders yet: add one to start"


class ModelState(enum.Enum):
    """What the welcome says of the caption model before it is loaded."""

    FOLDER = "folder"  # a local folder that exists
    CACHED = "cached"  # a Hub id already in the Hugging Face cache
    TO_DOWNLOAD = "to download"  # a Hub id to be downloaded on first use
    MISSING = "missing"  # a folder that does not exist, or a Hub id not cached while offline


def model_state(ref: str) -> ModelState:
    """The caption model's state, from the file system and the Hugging Face cache only (nothing is loaded)."""
    path = Path(ref).expanduser()
    if path.is_dir():
        return ModelState.FOLDER
    if looks_like_path(ref) or path.exists():
        return ModelState.MISSING
    from huggingface_hub import try_to_load_from_cache

    try:
        cached = try_to_load_from_cache(ref, "config.json")
    except Exception:  # an id the Hub would refuse: the engine says why when it loads
        return ModelState.MISSING
    if isinstance(cached, str):
        return ModelState.CACHED
    offline = os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes", "on")
    return ModelState.MISSING if offline else ModelState.TO_DOWNLOAD


def describe(ref: str, state: ModelState) -> str:
    """One line on the model for the welcome."""
    return {
        ModelState.FOLDER: f"Caption model: {ref} (a folder on this computer), ready.",
        ModelState.CACHED: f"Caption model: {ref}, downloaded and ready.",
        ModelState.TO_DOWNLOAD: f"Caption model: {ref}, downloaded (about 1 GB) when you add your first folder.",
        ModelState.MISSING: f"Caption model: {ref} is not on this computer and cannot be downloaded now. {APP_HINT}",
    }[state]


def for_the_app(message: str) -> str:
    """An engine message about the model, with the command line's advice replaced by the app's."""
    message = message.replace(OFFLINE_HINT, APP_HINT)
    return message.replace("or point --model at a local folder", "or choose a model folder")


class Welcome(QFrame):
    """What the grid's place shows while no folder is watched."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("welcome")
        title = QLabel("<h2>Welcome to PhotoScribe</h2>")
        line = QLabel(
            "PhotoScribe describes every photo in your folders in plain words and keywords, keeps watching them "
            "for new photos, and finds any photo by what is in it."
        )
        line.setWordWrap(True)
        self.add = QPushButton("Add folder…")
        self.add.setDefault(True)
        self.add_network = QPushButton("Add network folder…")
        drop = QLabel("or drop a folder onto this window")
        self.model = QLabel(wordWrap=True)
        self.model.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.choose_model = QPushButton("Choose a model folder…")
        self.offline = QPushButton("Working offline")
        box = QVBoxLayout(self)
        box.addStretch(1)
        for widget in (title, line):
            widget.setAlignment(Qt.AlignmentFlag.AlignCenter)
            box.addWidget(widget)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        for widget in (self.add, self.add_network, drop):
            buttons.addWidget(widget)
        buttons.addStretch(1)
        box.addLayout(buttons)
        box.addSpacing(24)
        self.model.setAlignment(Qt.AlignmentFlag.AlignCenter)
        box.addWidget(self.model)
        model_buttons = QHBoxLayout()
        model_buttons.addStretch(1)
        model_buttons.addWidget(self.choose_model)
        model_buttons.addWidget(self.offline)
        model_buttons.addStretch(1)
        box.addLayout(model_buttons)
        box.addStretch(2)
        for widget in (line, self.model):  # (full width, text centred: a wrapped label sized to its hint is cut)
            widget.setAlignment(Qt.AlignmentFlag.AlignCenter)
            widget.setMinimumHeight(widget.fontMetrics().lineSpacing() * 3)
        box.setContentsMargins(40, 0, 40, 0)

    def show_model(self, ref: str, state: ModelState) -> None:
        self.model.setText(describe(ref, state))
        missing = state == ModelState.MISSING
        self.choose_model.setVisible(missing)
        self.offline.setVisible(missing)


class FirstRun(QObject):
    """Shows :class:`Welcome` instead of the grid while no folder is watched, and lets the user pick the model.

    ``pick_folder(parent, title)`` returns the folder chosen ("" when cancelled); tests set it."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.pick_folder: Callable[[QWidget, str], str] = QFileDialog.getExistingDirectory
        self.welcome = Welcome()
        window.grid.parentWidget().layout().addWidget(self.welcome, 1)
        self.welcome.hide()
        self.shown_once = False  # the grid or the welcome chosen once the library was read
        self.welcome.add.clicked.connect(lambda: window.folders._pick(False))
        self.welcome.add_network.clicked.connect(lambda: window.folders._pick(True))
        self.welcome.choose_model.clicked.connect(self.choose_model_folder)
        self.welcome.offline.clicked.connect(self.show_offline_help)
        banner = window.status_area.banner
        banner.choose_model.clicked.connect(self.choose_model_folder)
        banner.offline.clicked.connect(self.show_offline_help)
        window.refresher.folders_shown.connect(self.update)
        window.refresher.shown.connect(self.update)
        window.setAcceptDrops(True)
        window.installEventFilter(self)  # folders dropped anywhere on the window are added

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() in (QEvent.Type.DragEnter, QEvent.Type.Drop):
            folders = [url.toLocalFile() for url in event.mimeData().urls() if Path(url.toLocalFile()).is_dir()]  # type: ignore[attr-defined]
            if folders:
                event.acceptProposedAction()  # type: ignore[attr-defined]
                if event.type() == QEvent.Type.Drop:
                    for folder in folders:
                        self.window.add_folder(folder)
                return True
        return False

    def update(self, *_args: object) -> None:
        """Show the welcome in the grid's place while no folder is watched and the library shows no photo (photos
        captioned from the command line have no folder and still show); the grid otherwise."""
        window = self.window
        has_folders = window.folders.list.count() > 1  # (the first row is "All photos")
        unfiltered = not window.search.text().strip() and STATUS_FILTERS[window.status_filter.currentText()] is None
        empty = window.model.rowCount() == 0 and unfiltered and window.folder is None
        welcome = not has_folders and empty
        window.status_area.set_has_folders(has_folders)
        if welcome == self.welcome.isVisible() and self.shown_once:
            return
        self.shown_once = True
        if welcome:
            ref = window.engine.settings.model
            self.welcome.show_model(ref, model_state(ref))
        self.welcome.setVisible(welcome)
        window.grid.setVisible(not welcome)

    def choose_model_folder(self) -> None:
        """Pick a folder holding the caption model; used at once (no restart), saved in the settings."""
        folder = self.pick_folder(self.window, "Choose the folder holding the caption model")
        if not folder:
            return
        settings = dataclasses.replace(self.window.engine.settings, model=folder)
        save_settings(settings)
        self.window.engine.apply_settings(settings)
        self.welcome.show_model(folder, model_state(folder))
        if self.window.status_area.stopped_by_error:
            self.window.status_area.retry()

    def show_offline_help(self) -> None:
        self.window.help.show_offline()
