"""A non-modal banner above the grid for a problem that stops captioning (the model cannot load): one banner
whatever how often the engine reports it, with the two ways out as buttons."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

from photoscribe.gui import theme


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
        self.retry = QPushButton("Retry")
        row = QHBoxLayout(self)
        row.setContentsMargins(10, 6, 10, 6)
        row.addWidget(self.message, 1)
        row.addWidget(self.settings)
        row.addWidget(self.retry)
        self.settings.clicked.connect(self.settings_requested)
        self.retry.clicked.connect(self.retry_requested)
        self.hide()

    def _use_colours(self, colours: theme.Colours) -> None:
        self.setStyleSheet(
            f"#errorBanner {{ background: {colours.banner}; border-radius: 4px; }}"
            f" QLabel {{ color: {colours.banner_text}; }}"
        )

    def show_error(self, message: str) -> None:
        """Show (or update) the banner; it never stacks."""
        self.message.setText(f"<b>Captioning stopped.</b> {message}<br>Fix the model in Settings, then press Retry.")
        self.show()
