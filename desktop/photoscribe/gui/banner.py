"""A non-modal banner above the grid for a problem that stops captioning (the model cannot load): one banner
whatever how often the engine reports it, with the ways out as buttons: *Settings…*, *Choose a model folder…*,
*Working offline*, and *Retry* (*Download* when the model is missing)."""

from __future__ import annotations

import html

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

from photoscribe.gui import theme
from photoscribe.gui.welcome import APP_HINT, for_the_app


class ErrorBanner(QFrame):
    """Shows the latest fatal error; ``retry_requested`` and ``settings_requested`` are the user's answers."""

    retry_requested = Signal()
    settings_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("errorBanner")
        theme.watch(self, self._use_colours)
        self.message = QLabel(wordWrap=True)
        self.settings = QPushButton("Settings…")
        self.choose_model = QPushButton("Choose a model folder…")
        self.offline = QPushButton("Working offline")
        self.retry = QPushButton("Retry")
        row = QHBoxLayout(self)
        row.setContentsMargins(10, 6, 10, 6)
        row.addWidget(self.message, 1)
        for button in (self.settings, self.choose_model, self.offline, self.retry):
            row.addWidget(button)
        self.settings.clicked.connect(self.settings_requested)
        self.retry.clicked.connect(self.retry_requested)
        self.hide()

    def _use_colours(self, colours: theme.Colours) -> None:
        self.setStyleSheet(
            f"#errorBanner {{ background: {colours.banner}; border-radius: 4px; }}"
            f" QLabel {{ color: {colours.banner_text}; }}"
        )

    def show_error(self, message: str) -> None:
        """Show (or update) the banner; it never stacks. Advice meant for the command line is said the app's way."""
        message = for_the_app(message)
        missing = APP_HINT in message
        self.retry.setText("Download" if missing else "Retry")
        self.choose_model.setVisible(missing)
        self.offline.setVisible(missing)
        after = "" if missing else "<br>Fix the model in Settings, then press Retry."
        self.message.setText(f"<b>Captioning stopped.</b> {html.escape(message)}{after}")
        self.show()
