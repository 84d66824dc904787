"""The main window: folders on the left, the photo grid with its search bar in the middle, details on the right,
queue progress and controls in the status bar. Nothing slow runs on the GUI thread: captioning, scanning and
watching run in the engine, database writes and thumbnails on background threads."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QItemSelection, QSize, Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDropEvent, QKeySequence, QUndoCommand, QUndoStack
from PySide6.QtWidgets import (
    QComboBox,
    QDockWidget,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QProgressDialog,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from photoscribe import APP_NAME
from photoscribe.config import data_dir, save_settings
from photoscribe.engine import Engine
from photoscribe.events import EngineState
from photoscribe.gui.bridge import EngineBridge
from photoscribe.gui.detail_panel import DetailPanel
from photoscribe.gui.folders_panel import FoldersPanel
from photoscribe.gui.photo_delegate import CELL, PhotoDelegate
from photoscribe.gui.photo_model import RECORD_ROLE, PhotoListModel
from photoscribe.gui.settings_dialog import SettingsDialog
from photoscribe.gui.tasks import TaskRunner
from photoscribe.gui.thumbnails import ThumbnailCache
from photoscribe.library import PhotoRecord

SEARCH_DELAY_MS = 250
REQUERY_DELAY_MS = 500
STATUS_FILTERS = {"All": None, "Captioned": "done", "Queued": "pending", "Failed": "failed", "Edited by me": "edited"}


class MainWindow(QMainWindow):
    """PhotoScribe's window around one running :class:`Engine`."""

    def __init__(self, engine: Engine) -> None:
        super().__init__()
        self.engine = engine
        self.library = engine.library
        self.setWindowTitle(APP_NAME)
        self.resize(1280, 800)
        self.setAcceptDrops(True)
        self.writes = TaskRunner(1, "save", self)  # one writer thread: edits are applied in order
        self.undo = QUndoStack(self)
        self.thumbnails = ThumbnailCache(data_dir() / "thumbnails", self)
        self.model = PhotoListModel(self.library, self.thumbnails)
        self.bridge = EngineBridge(self)
        self._unsubscribe = engine.subscribe(self.bridge)
        self._folder: Path | None = None
        self._changed_paths: set[str] = set()
        self._download: QProgressDialog | None = None
        self._build_grid()
        self._build_docks()
        self._build_status_bar()
        self._build_menu()
        self._connect_engine()
        self.refresh_folders()
        self.requery()

    # -- building ----------------------------------------------------------------------------------------------

    def _build_grid(self) -> None:
        self.search = QLineEdit(placeholderText='Search captions, keywords, names:  beach  bea*  "red car"  -dog')
        self.search.setClearButtonEnabled(True)
        self.status_filter = QComboBox()
        self.status_filter.addItems(list(STATUS_FILTERS))
        self.count = QLabel()
        self.grid = QListView()
        self.grid.setViewMode(QListView.ViewMode.IconMode)
        self.grid.setResizeMode(QListView.ResizeMode.Adjust)
        self.grid.setUniformItemSizes(True)
        self.grid.setGridSize(CELL)
        self.grid.setIconSize(QSize(204, 150))
        self.grid.setMovement(QListView.Movement.Static)
        self.grid.setSelectionMode(QListView.SelectionMode.SingleSelection)
        self.grid.setVerticalScrollMode(QListView.ScrollMode.ScrollPerPixel)
        self.grid.setItemDelegate(PhotoDelegate(self.grid))
        self.grid.setModel(self.model)
        self.grid.setStyleSheet("QListView { background: #1e2023; }")
        top = QWidget()
        bar = QVBoxLayout(top)
        bar.setContentsMargins(6, 6, 6, 0)
        row = QWidget()
        line = QHBoxLayout(row)
        line.setContentsMargins(0, 0, 0, 0)
        line.addWidget(self.search, 1)
        line.addWidget(self.status_filter)
        line.addWidget(self.count)
        bar.addWidget(row)
        bar.addWidget(self.grid, 1)
        self.setCentralWidget(top)
        self._search_timer = _single_shot(self, SEARCH_DELAY_MS, self.requery)
        self._requery_timer = _single_shot(self, REQUERY_DELAY_MS, self.requery)
        self._folders_timer = _single_shot(self, REQUERY_DELAY_MS, self.refresh_folders)
        self.search.textChanged.connect(self._search_timer.start)
        self.status_filter.currentTextChanged.connect(self.requery)
        self.grid.selectionModel().selectionChanged.connect(self._selection_changed)

    def _build_docks(self) -> None:
        self.folders = FoldersPanel()
        self.details = DetailPanel()
        for title, widget, area in (
            ("Folders", self.folders, Qt.DockWidgetArea.LeftDockWidgetArea),
            ("Details", self.details, Qt.DockWidgetArea.RightDockWidgetArea),
        ):
            dock = QDockWidget(title, self)
            dock.setObjectName(title)
            dock.setWidget(widget)
            dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable)
            self.addDockWidget(area, dock)
        self.folders.add_requested.connect(self.add_folder)
        self.folders.remove_requested.connect(self._remove_folder)
        self.folders.pause_requested.connect(self._pause_folder)
        self.folders.folder_selected.connect(self._folder_selected)
        self.details.caption_edited.connect(self.edit_caption)
        self.details.keywords_edited.connect(self._edit_keywords)
        self.details.recaption_requested.connect(self._recaption)

    def _build_status_bar(self) -> None:
        self.state = QLabel("Starting…")
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(260)
        self.progress.setFormat("%v / %m photos")
        self.progress.hide()
        self.rate = QLabel()
        self.hardware = QLabel()
        self.pause_button = QPushButton("Pause")
        self.pause_button.setCheckable(True)
        self.pause_button.toggled.connect(self.set_paused)
        bar = self.statusBar()
        bar.addWidget(self.state, 1)
        for widget in (self.progress, self.rate, self.hardware, self.pause_button):
            bar.addPermanentWidget(widget)

    def _build_menu(self) -> None:
        menu = self.menuBar().addMenu("&File")
        add = QAction("&Add folder…", self, shortcut=QKeySequence.StandardKey.Open)
        add.triggered.connect(lambda: self.folders._pick(False))
        settings = QAction("&Settings…", self, shortcut=QKeySequence.StandardKey.Preferences)
        settings.triggered.connect(self.open_settings)
        quit_action = QAction("&Quit", self, shortcut=QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        menu.addActions([add, settings, quit_action])
        edit = self.menuBar().addMenu("&Edit")
        undo = self.undo.createUndoAction(self, "&Undo")
        undo.setShortcut(QKeySequence.StandardKey.Undo)
        redo = self.undo.createRedoAction(self, "&Redo")
        redo.setShortcut(QKeySequence.StandardKey.Redo)
        edit.addActions([undo, redo])
        captioning = self.menuBar().addMenu("&Captioning")
        self.clear_queue = QAction("&Clear the queue", self)
        self.clear_queue.setToolTip("Set aside every photo waiting to be captioned (they come back when they change)")
        self.clear_queue.triggered.connect(self.cancel_queue)
        recaption_failed = QAction("&Retry failed photos", self)
        recaption_failed.triggered.connect(self.retry_failed)
        captioning.addActions([self.clear_queue, recaption_failed])
        find = QAction("Find", self, shortcut=QKeySequence.StandardKey.Find)
        find.triggered.connect(self.search.setFocus)
        self.addAction(find)

    def _connect_engine(self) -> None:
        self.bridge.photo_changed.connect(self._changed_paths.add)
        self.bridge.drained.connect(self._apply_changes)
        self.bridge.progress.connect(self._show_progress)
        self.bridge.state_changed.connect(self._show_state)
        self.bridge.error.connect(self._show_error)
        self.bridge.download.connect(self._show_download)
        self.bridge.photos_changed.connect(self._requery_timer.start)
        self.bridge.photos_changed.connect(self._folders_timer.start)
        self.bridge.queue_empty.connect(lambda: self.state.setText("All photos captioned; watching for new ones"))

    # -- actions ---------------------------------------------------------------------------------------------

    def add_folder(self, path: str, polling: bool = False) -> None:
        """Add and watch a folder (the work runs in the background)."""
        self.state.setText(f"Adding {path}…")
        self.writes.run(lambda: self.engine.add_folder(path, polling), self._folder_added)

    def set_paused(self, paused: bool) -> None:
        """Pause or resume captioning."""
        self.pause_button.setText("Resume" if paused else "Pause")
        if paused:
            self.engine.pause()
        else:
            self.engine.resume()

    def cancel_queue(self) -> None:
        """Take every waiting photo off the queue (the engine does it between batches)."""
        self.engine.cancel()
        self.state.setText("Clearing the queue…")
        self._requery_timer.start()

    def retry_failed(self) -> None:
        """Queue the failed photos again."""
        ids = self.library.photo_ids(status="failed")
        self.writes.run(lambda: self.engine.recaption(ids), lambda **_: self._requery_timer.start())

    def edit_caption(self, path: str, text: str) -> None:
        """Save the user's caption (undoable)."""
        record = self.library.photo(path)
        if record is not None and (record.user_caption or "") != text:
            self.undo.push(_CaptionEdit(self, path, record.user_caption, text or None))

    def apply_caption(self, path: str, caption: str | None) -> None:
        """Write a user caption in the background, then refresh what shows it."""
        self.writes.run(lambda: self.library.set_user_caption(path, caption), lambda **r: self._saved(path, **r))

    def requery(self) -> None:
        """Run the search and filters and show the result (new photos slide in at the top)."""
        status = STATUS_FILTERS[self.status_filter.currentText()]
        ids = self.library.photo_ids(self.search.text(), status=status, folder=self._folder)
        if ids != self.model.ids():
            self.model.show_ids(ids)
        self.count.setText(f"{len(ids)} photo{'s' if len(ids) != 1 else ''}")

    def refresh_folders(self) -> None:
        """Update the folders panel with per-folder counts."""
        folders = self.library.folders()
        self.folders.show_folders([(f, len(self.library.photo_ids(folder=f.path))) for f in folders])

    def open_settings(self) -> None:
        """Edit and save the settings."""
        dialog = SettingsDialog(self.engine.settings, self)
        if dialog.exec():
            settings = dialog.settings()
            save_settings(settings)
            self.engine.settings.batch_size = settings.batch_size
            self.engine.settings.settle_seconds = settings.settle_seconds
            self.engine.settings.prompt = settings.prompt
            self.engine.settings.max_length = settings.max_length
            self.engine.settings.write_metadata = settings.write_metadata

    # -- engine and background results ------------------------------------------------------------------------

    def _apply_changes(self, _count: int) -> None:
        if self._changed_paths:
            changed = set(self._changed_paths)
            self._changed_paths.clear()  # (cleared, not replaced: the bridge's signal adds to this very set)
            self.model.refresh(changed)
            if self.details.record and self.details.record.path in changed:
                self._show_details(self.library.photo(self.details.record.path))
            self._requery_timer.start()

    def _show_progress(self, done: int, total: int, rate: float) -> None:
        self.progress.setVisible(total > 0)
        self.progress.setMaximum(max(total, 1))
        self.progress.setValue(done)
        self.rate.setText(f"{rate:.1f} photos/s")
        if done >= total:
            self.refresh_folders()

    def _show_state(self, state: str, detail: str) -> None:
        texts = {
            EngineState.CAPTIONING: "Captioning…",
            EngineState.LOADING_MODEL: f"Loading the model {detail}…",
            EngineState.PAUSED: "Paused",
            EngineState.IDLE: "Watching for new photos",
            EngineState.ERROR: "Captioning stopped: see the message",
        }
        self.state.setText(texts.get(state, state.capitalize()))
        if state == EngineState.CAPTIONING and detail:
            self.hardware.setText(detail)
        if state in (EngineState.CAPTIONING, EngineState.IDLE) and self._download is not None:
            self._download.close()
            self._download = None

    def _show_error(self, message: str, fatal: bool) -> None:
        if fatal:
            QMessageBox.warning(self, APP_NAME, f"{message}\n\nFix the model in Settings, then press Resume.")
        else:
            self.statusBar().showMessage(message, 15_000)

    def _show_download(self, done: int, total: int) -> None:
        if self._download is None:
            self._download = QProgressDialog(
                "Downloading the captioning model (first run only)…", "Hide", 0, total, self
            )
            self._download.setWindowTitle(APP_NAME)
        self._download.setMaximum(total)
        self._download.setValue(done)

    def _folder_added(self, result: object, error: object) -> None:
        if error is not None:
            QMessageBox.warning(self, APP_NAME, str(error))
        self.refresh_folders()
        self.requery()

    def _remove_folder(self, path: str) -> None:
        answer = QMessageBox.question(self, APP_NAME, f"Stop watching {path}?\nIts captions stay in the library.")
        if answer == QMessageBox.StandardButton.Yes:
            self.writes.run(lambda: self.engine.remove_folder(path), self._folder_added)

    def _pause_folder(self, path: str, paused: bool) -> None:
        self.writes.run(lambda: self.engine.set_folder_paused(path, paused), self._folder_added)

    def _folder_selected(self, folder: Path | None) -> None:
        self._folder = folder
        self.requery()

    def _edit_keywords(self, path: str, words: list) -> None:  # type: ignore[type-arg]
        self.writes.run(lambda: self.library.set_user_keywords(path, words), lambda **r: self._saved(path, **r))

    def _recaption(self, path: str, prompt: str | None = None) -> None:
        record = self.library.photo(path)
        if record is not None:
            self.writes.run(lambda: self.engine.recaption([record.id], prompt), lambda **r: self._saved(path, **r))

    def _saved(self, path: str, result: object, error: object) -> None:
        if error is not None:
            QMessageBox.warning(self, APP_NAME, f"Could not save: {error}")
        self._changed_paths.add(path)
        self._apply_changes(0)

    def _selection_changed(self, selected: QItemSelection, _deselected: QItemSelection) -> None:
        indexes = selected.indexes()
        self._show_details(indexes[0].data(RECORD_ROLE) if indexes else None)

    def _show_details(self, record: PhotoRecord | None) -> None:
        thumbnail = self.thumbnails.loaded(record.id) if record else None
        self.details.show_record(record, thumbnail)

    # -- window events ---------------------------------------------------------------------------------------

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        if any(Path(url.toLocalFile()).is_dir() for url in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        for url in event.mimeData().urls():
            if Path(url.toLocalFile()).is_dir():
                self.add_folder(url.toLocalFile())
        event.acceptProposedAction()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        self.state.setText("Finishing the batch in hand…")
        self._unsubscribe()
        self.writes.shutdown()  # pending edits are saved before the window goes (Picard #589)
        self.thumbnails.shutdown()
        self.engine.stop()
        super().closeEvent(event)


class _CaptionEdit(QUndoCommand):
    """An undoable change of a photo's user caption."""

    def __init__(self, window: MainWindow, path: str, before: str | None, after: str | None) -> None:
        super().__init__(f"edit caption of {Path(path).name}")
        self.window, self.path, self.before, self.after = window, path, before, after

    def redo(self) -> None:
        self.window.apply_caption(self.path, self.after)

    def undo(self) -> None:
        self.window.apply_caption(self.path, self.before)


def _single_shot(parent: QWidget, delay_ms: int, slot: object) -> QTimer:
    timer = QTimer(parent)
    timer.setSingleShot(True)
    timer.setInterval(delay_ms)
    timer.timeout.connect(slot)
    return timer
