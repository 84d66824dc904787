"""The captioning controls: state, progress, speed and device in the status bar, the Pause / Resume / Retry
button, the first-run download dialog, the banner for an error that stopped captioning, and how far the scan of
new folders is ("Scanning 41,200 files…")."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QLabel, QMainWindow, QProgressBar, QProgressDialog, QPushButton

from photoscribe import APP_NAME
from photoscribe.engine import Engine
from photoscribe.events import EngineState, ScanProgress
from photoscribe.gui.banner import ErrorBanner
from photoscribe.gui.bridge import EngineBridge
from photoscribe.gui.welcome import NO_FOLDERS

STATE_TEXTS = {
    EngineState.CAPTIONING: "Captioning…",
    EngineState.PAUSED: "Paused",
    EngineState.IDLE: "Watching for new photos",
}


class CaptioningStatus(QObject):
    """Shows what the engine does and offers Pause, Resume and, after an error, Retry."""

    def __init__(self, window: QMainWindow, engine: Engine, bridge: EngineBridge) -> None:
        super().__init__(window)
        self.window, self.engine = window, engine
        self.state = QLabel("Starting…")
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(260)
        self.progress.setFormat("%v / %m photos")
        self.progress.hide()
        self.rate = QLabel()
        self.scan = QLabel()  # "Scanning 41,200 files…" while folders are scanned
        self.scan.hide()
        self._scanning: dict[Path, ScanProgress] = {}  # folder -> its latest progress, until it is done
        self.hardware = QLabel()
        self.pause_button = QPushButton("Pause")
        self.pause_button.clicked.connect(self._pause_clicked)
        self.banner = ErrorBanner()
        self.banner.retry_requested.connect(self.retry)
        self.download: QProgressDialog | None = None
        self.paused = False
        self.stopped_by_error = False
        self.has_folders = True  # (False: the welcome shows; the status bar does not claim to watch anything)
        self._idle_text = STATE_TEXTS[EngineState.IDLE]
        bar = window.statusBar()
        bar.addWidget(self.state, 1)
        for widget in (self.scan, self.progress, self.rate, self.hardware, self.pause_button):
            bar.addPermanentWidget(widget)
        bridge.progress.connect(self._show_progress)
        bridge.state_changed.connect(self._show_state)
        bridge.error.connect(self._show_error)
        bridge.download.connect(self._show_download)
        bridge.scan_progress.connect(self.show_scan)
        bridge.queue_empty.connect(lambda: self._say_idle("All photos captioned; watching for new ones"))

    def set_has_folders(self, has_folders: bool) -> None:
        """With no folder watched the status bar says so instead of "Watching for new photos"."""
        self.has_folders = has_folders
        if self.state.text() in (NO_FOLDERS, self._idle_text):
            self._say_idle(self._idle_text)

    def _say_idle(self, text: str) -> None:
        self._idle_text = text
        self.state.setText(text if self.has_folders else NO_FOLDERS)

    def set_paused(self, paused: bool) -> None:
        """Pause or resume captioning."""
        self.paused = paused
        self._sync_button()
        if paused:
            self.engine.pause()
        else:
            self.engine.resume()

    def retry(self) -> None:
        """Try again after an error stopped captioning (the model fixed, the device back)."""
        self.paused = False
        self.state.setText("Trying again…")
        self.engine.resume()

    def _pause_clicked(self) -> None:
        if self.stopped_by_error:
            self.retry()
        else:
            self.set_paused(not self.paused)

    def _sync_button(self) -> None:
        self.pause_button.setText("Retry" if self.stopped_by_error else "Resume" if self.paused else "Pause")

    def show_scan(self, progress: ScanProgress) -> None:
        """Show how many files the folders being scanned hold so far; hide when every scan is done."""
        if progress.done:
            self._scanning.pop(progress.folder, None)
        else:
            self._scanning[progress.folder] = progress
        scans = list(self._scanning.values())
        seen, registered = sum(p.files_seen for p in scans), sum(p.registered for p in scans)
        names = "\n".join(str(p.folder) for p in scans)
        self.scan.setText(f"Scanning {seen:,} files…" if scans else "")
        self.scan.setToolTip(f"{registered:,} of them in the library so far; scanning\n{names}" if scans else "")
        self.scan.setVisible(bool(scans))

    def _show_progress(self, done: int, total: int, rate: float) -> None:
        self.progress.setVisible(total > 0)
        self.progress.setMaximum(max(total, 1))
        self.progress.setValue(done)
        self.rate.setText(f"{rate:.1f} photos/s")

    def _show_state(self, state: str, detail: str) -> None:
        self.stopped_by_error = state == EngineState.ERROR
        if self.stopped_by_error:
            self.state.setText(f"Captioning stopped: {detail}" if detail else "Captioning stopped")
        elif state == EngineState.LOADING_MODEL:
            self.state.setText(f"Loading the model {detail}…")
        elif state == EngineState.IDLE:
            self._say_idle(STATE_TEXTS[EngineState.IDLE])
        else:
            self.state.setText(STATE_TEXTS.get(state, state.capitalize()))
        if state in (EngineState.CAPTIONING, EngineState.IDLE, EngineState.PAUSED):
            self.banner.hide()
        self._sync_button()
        if state == EngineState.CAPTIONING and detail:
            self.hardware.setText(detail)
        if state in (EngineState.CAPTIONING, EngineState.IDLE) and self.download is not None:
            self.download.close()
            self.download = None

    def _show_error(self, message: str, fatal: bool) -> None:
        if fatal:
            self.banner.show_error(message)  # one non-modal banner, however often the engine says it
        else:
            self.window.statusBar().showMessage(message, 15_000)

    def _show_download(self, done: int, total: int) -> None:
        if self.download is None:
            self.download = QProgressDialog(
                "Downloading the captioning model (first run only)…", "Hide", 0, total, self.window
            )
            self.download.setWindowTitle(APP_NAME)
        self.download.setMaximum(total)
        self.download.setValue(done)
