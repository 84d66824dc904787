"""The Help menu: *About PhotoScribe* (the versions of PhotoScribe, Python, PySide6/Qt, PyTorch and Transformers, the
caption model, device and precision in use, where the library, settings and thumbnails are), *Troubleshooting*
(the README's Troubleshooting section) and *Working offline* (the same, at its entry on copying the caption model
to a computer that is offline).

Versions are read from the installed packages' metadata (``importlib.metadata``), so the About box never imports
PyTorch. The Troubleshooting text ships in the package (``troubleshooting.md`` beside this module: an installed app
has no README beside it); a test keeps it identical to the README's section.
"""

from __future__ import annotations

import importlib.metadata
import importlib.resources
import platform
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt, qVersion
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QTextBrowser, QVBoxLayout, QWidget

from photoscribe import APP_NAME
from photoscribe.config import config_path
from photoscribe.events import EngineState

if TYPE_CHECKING:
    from photoscribe.gui.main_window import MainWindow

OFFLINE_ENTRY = "cannot download model"  # the Troubleshooting entry on using the app offline (copying the model)
NOT_INSTALLED = "not installed"


def version_of(*distributions: str) -> str:
    """The installed version of the first of ``distributions`` that is installed (without importing it)."""
    for name in distributions:
        try:
            return importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return NOT_INSTALLED


def versions() -> dict[str, str]:
    """Name -> version of PhotoScribe and what it runs on."""
    return {
        APP_NAME: version_of("photoscribe"),
        "Python": platform.python_version(),
        "PySide6": f"{version_of('PySide6', 'PySide6-Essentials')} (Qt {qVersion()})",
        "PyTorch": version_of("torch"),
        "Transformers": version_of("transformers"),
    }


def troubleshooting_text() -> str:
    """The README's Troubleshooting section (Markdown), as shipped in the package."""
    return importlib.resources.files(__package__).joinpath("troubleshooting.md").read_text(encoding="utf-8")


class HelpMenu(QObject):
    """The Help menu of ``window``; remembers the model, device and precision the engine reports."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.model_in_use: str | None = None  # the caption model loaded (None: not loaded yet)
        self.hardware: str | None = None  # e.g. "cpu bf16", as the engine reports it once the model is loaded
        self._loading: str | None = None
        self.dialogs: dict[type[QDialog], QDialog] = {}
        menu = window.menuBar().addMenu("&Help")
        about = QAction(f"&About {APP_NAME}", window, menuRole=QAction.MenuRole.AboutRole)
        about.triggered.connect(self.show_about)
        troubleshooting = QAction("&Troubleshooting", window)
        troubleshooting.triggered.connect(self.show_troubleshooting)
        offline = QAction("Working &offline", window)
        offline.setToolTip("How to copy the caption model to a computer that is not connected")
        offline.triggered.connect(self.show_offline)
        menu.addActions([about, troubleshooting, offline])
        self.menu_action = menu.menuAction()
        window.menuBar().installEventFilter(self)  # Help stays the last menu when others are added after it
        window.bridge.state_changed.connect(self._engine_state)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.ActionAdded and event.action() is not self.menu_action:  # type: ignore[attr-defined]
            bar = self.window.menuBar()
            bar.removeAction(self.menu_action)
            bar.addAction(self.menu_action)
        return False

    def show_about(self) -> AboutDialog:
        """Open the About box (non-modal)."""
        settings = self.window.engine.settings
        model = self.model_in_use or f"{settings.model} (not loaded yet)"
        hardware = self.hardware or (
            f"chosen when the model loads (settings: device {settings.device}, precision {settings.precision})"
        )
        places = {
            "Library": self.window.library.shown_location,
            "Settings": str(config_path()),
            "Thumbnails": str(self.window.thumbnails.folder),
        }
        facts = {**versions(), "Caption model": model, "Device and precision": hardware, **places}
        return self._show(AboutDialog(facts, self.window))  # type: ignore[return-value]

    def show_troubleshooting(self) -> TroubleshootingDialog:
        """Open the Troubleshooting text (non-modal)."""
        return self._show(TroubleshootingDialog(troubleshooting_text(), self.window))  # type: ignore[return-value]

    def show_offline(self) -> TroubleshootingDialog:
        """Open the Troubleshooting text at its entry on copying the caption model to an offline computer."""
        dialog = self.show_troubleshooting()
        dialog.show_entry(OFFLINE_ENTRY)
        return dialog

    def _show(self, dialog: QDialog) -> QDialog:
        old = self.dialogs.pop(type(dialog), None)
        if old is not None:
            old.close()
        self.dialogs[type(dialog)] = dialog
        dialog.show()
        return dialog

    def _engine_state(self, state: str, detail: str) -> None:
        if state == EngineState.LOADING_MODEL:
            self._loading, self.model_in_use, self.hardware = detail, None, None
        elif state == EngineState.CAPTIONING and detail:  # (the detail is the device and precision in use)
            self.model_in_use = self._loading or self.model_in_use or self.window.engine.settings.model
            self.hardware = detail


class AboutDialog(QDialog):
    """Name -> value rows; :attr:`values` holds each row's label."""

    def __init__(self, facts: dict[str, str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"About {APP_NAME}")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        form = QFormLayout()
        self.values: dict[str, QLabel] = {}
        for name, value in facts.items():
            label = QLabel(value, wordWrap=True)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            label.setTextFormat(Qt.TextFormat.PlainText)
            self.values[name] = label
            form.addRow(name, label)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(f"<b>{APP_NAME}</b>: captions your photos and finds them by what is in them"))
        layout.addLayout(form)
        layout.addWidget(buttons)
        self.setMinimumWidth(560)


class TroubleshootingDialog(QDialog):
    """The Troubleshooting text, with a link to the entry on working offline."""

    def __init__(self, markdown: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"{APP_NAME}: Troubleshooting")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.offline_link = QLabel('<a href="#offline">Working offline: copying the caption model to this computer</a>')
        self.offline_link.linkActivated.connect(lambda _link: self.show_entry(OFFLINE_ENTRY))
        self.browser = QTextBrowser(openExternalLinks=True)
        self.browser.setMarkdown(markdown)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        for widget in (self.offline_link, self.browser, buttons):
            layout.addWidget(widget)
        self.resize(760, 560)

    def show_entry(self, text: str) -> None:
        """Scroll to the entry that holds ``text`` and select that text."""
        found = self.browser.document().find(text)
        if found.isNull():
            return
        self.browser.setTextCursor(found)
        bar = self.browser.verticalScrollBar()
        bar.setValue(bar.value() + self.browser.cursorRect().top() - self.browser.fontMetrics().height() // 2)
