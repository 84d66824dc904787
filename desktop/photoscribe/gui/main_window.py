"""The main window: folders on the left, the photo grid with its search bar in the middle, details on the right,
queue progress and controls in the status bar. Nothing slow runs on the GUI thread: captioning, scanning and
watching run in the engine, searches, folder counts, database writes and thumbnails on background threads, and
closing stops the engine on a background thread while the window says so (the event loop keeps running).

Nothing the user types is lost: text in the caption box is saved before anything could replace it (another
photo selected, a keyword edit, a re-caption, a caption arriving from the engine, the window closing).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDockWidget,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMessageBox,
    QVBoxLayout,
    QWidget,
)

from photoscribe import APP_NAME
from photoscribe.config import data_dir, save_settings
from photoscribe.engine import Engine
from photoscribe.gui.bridge import EngineBridge
from photoscribe.gui.closing import Closing
from photoscribe.gui.detail_panel import DetailPanel
from photoscribe.gui.edits import Edits
from photoscribe.gui.folders_panel import FoldersPanel
from photoscribe.gui.grid_refresh import STATUS_FILTERS, GridRefresher
from photoscribe.gui.grid_size import GridSizer, proportion_docks
from photoscribe.gui.grid_view import Throttle, make_grid, single_shot
from photoscribe.gui.menus import build_menus
from photoscribe.gui.photo_delegate import THUMB
from photoscribe.gui.photo_model import PhotoListModel, thumbnail_key
from photoscribe.gui.review import Review
from photoscribe.gui.search import SearchController
from photoscribe.gui.settings_dialog import SettingsDialog
from photoscribe.gui.sort_order import SortChoice
from photoscribe.gui.status_area import CaptioningStatus
from photoscribe.gui.thumbnails import ThumbnailCache
from photoscribe.gui.viewer import PhotoViewer
from photoscribe.gui.welcome import FirstRun
from photoscribe.library import PhotoRecord, PhotoStatus

SEARCH_DELAY_MS = 250
REQUERY_DELAY_MS = 500
ENGINE_REQUERY_GAP_MS = 2000  # the grid follows the engine's changes at most this often


class MainWindow(QMainWindow):
    """PhotoScribe's window around one running :class:`Engine`."""

    def __init__(self, engine: Engine) -> None:
        super().__init__()
        self.engine = engine
        self.library = engine.library
        self.setWindowTitle(APP_NAME)
        self.resize(1280, 800)
        self.edits = Edits(engine, self)
        self.undo = self.edits.undo
        self.writes = self.edits.writes  # one writer thread: edits and folder changes are applied in order
        ratio = self.devicePixelRatioF()  # thumbnails fitted for the grid's cells on this screen
        self.thumbnails = ThumbnailCache(data_dir() / "thumbnails", self, fit=THUMB, ratio=ratio)
        self.model = PhotoListModel(self.library, self.thumbnails)
        self.bridge = EngineBridge(self)
        self._unsubscribe = engine.subscribe(self.bridge)
        self.folder: Path | None = None  # the folder whose photos the grid shows (None: all)
        self._changed_paths: set[str] = set()
        self._closed = False  # closing has begun
        self.closing_done = False  # closing has ended: the window may go
        self.status_area = CaptioningStatus(self, engine, self.bridge)
        self.status_area.banner.settings_requested.connect(self.open_settings)
        self.state, self.pause_button = self.status_area.state, self.status_area.pause_button
        self._build_grid()
        self._build_docks()
        proportion_docks(self)
        self.searcher = SearchController(self)  # hybrid search, Find similar, the search status line
        self.refresher = GridRefresher(self)  # the grid's query and the folder counts, in the background
        self.clear_queue = build_menus(self)
        self.review = Review(self)  # the selection: what the details show, actions on many photos, To review
        self.viewer = PhotoViewer(self)  # Space or a double-click: one photo as large as the window allows
        self.first_run = FirstRun(self)  # the welcome while no folder is watched, folders dropped, the model's state
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
        self.grid = make_grid(self.model)
        self.sort = SortChoice(self)  # Newest added, Date taken, Name
        self.grid_size = GridSizer(self)  # the thumbnail size: slider, Ctrl++ / Ctrl+- / Ctrl+0, remembered
        top = QWidget()
        bar = QVBoxLayout(top)
        bar.setContentsMargins(6, 6, 6, 0)
        bar.addWidget(self.status_area.banner)
        row = QWidget()
        line = QHBoxLayout(row)
        line.setContentsMargins(0, 0, 0, 0)
        line.addWidget(self.search, 1)
        line.addWidget(self.status_filter)
        line.addWidget(self.sort.widget)
        line.addWidget(self.count)
        line.addWidget(self.grid_size.widget)
        bar.addWidget(row)
        bar.addWidget(self.grid, 1)
        self.setCentralWidget(top)
        self._search_timer = single_shot(self, SEARCH_DELAY_MS, self.requery)
        self._requery_timer = single_shot(self, REQUERY_DELAY_MS, self.requery)  # after the user's changes
        self.engine_requery = Throttle(self, REQUERY_DELAY_MS, ENGINE_REQUERY_GAP_MS, self.requery)
        self._folders_timer = single_shot(self, REQUERY_DELAY_MS, self.refresh_folders)
        self.search.textChanged.connect(self._search_timer.start)
        self.status_filter.currentTextChanged.connect(self.requery)

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

    def _connect_engine(self) -> None:
        self.edits.saved.connect(self._saved)
        self.undo.indexChanged.connect(self._edit_applied)  # an edit (or its undo) shows before it is saved
        self.edits.not_written.connect(lambda path, why: self.statusBar().showMessage(f"{path}: {why}", 15_000))
        self.thumbnails.ready.connect(self._thumbnail_ready)
        self.bridge.photo_changed.connect(self._changed_paths.add)
        self.bridge.drained.connect(self._apply_changes)
        self.bridge.progress.connect(lambda done, total, _rate: done >= total and self.refresh_folders())
        self.bridge.photos_changed.connect(self.engine_requery.ask)
        self.bridge.photos_changed.connect(self._folders_timer.start)

    # -- actions ---------------------------------------------------------------------------------------------

    def add_folder(self, path: str, polling: bool = False) -> None:
        """Add and watch a folder (the work runs in the background)."""
        self.state.setText(f"Adding {path}…")
        self.writes.run(lambda: self.engine.add_folder(path, polling), self._folder_added)

    def set_paused(self, paused: bool) -> None:
        """Pause or resume captioning."""
        self.status_area.set_paused(paused)

    def cancel_queue(self) -> None:
        """Take every waiting photo off the queue (the engine does it between batches)."""
        self.engine.cancel()
        self.state.setText("Clearing the queue…")
        self._requery_timer.start()

    def retry_failed(self) -> None:
        """Queue the failed photos again."""
        library = self.library
        retry = lambda: self.engine.recaption(library.photo_ids(status=PhotoStatus.FAILED))  # noqa: E731
        self.writes.run(retry, lambda **_: self._requery_timer.start())

    def edit_caption(self, path: str, text: str) -> None:
        """Save the user's caption (undoable; "" goes back to the model's caption)."""
        self.edits.edit_caption(path, text)

    def requery(self) -> None:
        """Run the search and filters in the background and show the result (new photos slide in at the top)."""
        self.refresher.requery()

    def refresh_folders(self) -> None:
        """Update the folders panel with per-folder counts (counted in the background)."""
        self.refresher.refresh_folders()

    def open_settings(self) -> None:
        """Edit and save the settings; the engine uses them from its next batch (a new model is loaded then)."""
        dialog = SettingsDialog(self.engine.settings, self)
        if dialog.exec():
            settings = dialog.settings()
            save_settings(settings)
            self.engine.apply_settings(settings)
            if self.status_area.stopped_by_error:
                self.state.setText("Trying again with the new settings…")

    # -- engine and background results ------------------------------------------------------------------------

    def _apply_changes(self, _count: int = 0, from_engine: bool = True) -> None:
        if self._changed_paths:
            changed = set(self._changed_paths)
            self._changed_paths.clear()  # (cleared, not replaced: the bridge's signal adds to this very set)
            self.model.refresh(changed)
            shown = self.details.record
            if shown and shown.path in changed:
                if from_engine:
                    self.commit_caption()  # a caption arrived for the photo being edited: the typing wins
                self.show_details(self.library.photo(shown.path))  # (the box keeps text not saved yet)
            if from_engine:
                self.engine_requery.ask()  # (at most every ENGINE_REQUERY_GAP_MS)
            else:
                self._requery_timer.start()

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
        self.folder = folder
        self.requery()

    def commit_caption(self) -> None:
        """Save the caption box when it holds typed text the library does not have yet."""
        pending = self.details.pending_caption()
        if pending is not None:
            self.edits.edit_caption(*pending)

    def _saved(self, path: str, error: object) -> None:
        if self._closed:
            return
        if error is not None:
            QMessageBox.warning(self, APP_NAME, f"Could not save: {error}")
        self._changed_paths.add(path)
        self._apply_changes(from_engine=False)

    def _edit_applied(self, _index: int) -> None:
        if self.details.record is not None and not self._closed:
            self.show_details(self.library.photo(self.details.record.path))  # (with the edits still queued)

    def show_details(self, record: PhotoRecord | None) -> None:
        """Show ``record`` (as it will be once its queued edits are saved) in the details panel."""
        record = self.edits.expected(record) if record is not None else None
        thumbnail = self.thumbnails.get(record.id, record.path, record.size, thumbnail_key(record)) if record else None
        self.details.show_record(record, thumbnail)
        if record is not None and thumbnail is None and self.thumbnails.unreadable(record.id):
            self.details.show_preview(None, self.thumbnails.no_preview_text(record.id))

    def _thumbnail_ready(self, photo_ids: list[int]) -> None:
        record = self.details.record
        if record is not None and record.id in photo_ids:
            image = self.thumbnails.loaded(record.id)
            self.details.show_preview(image, self.thumbnails.no_preview_text(record.id))

    # -- window events ---------------------------------------------------------------------------------------

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        if self.closing_done:
            super().closeEvent(event)
            return
        event.ignore()  # the window goes once the engine has stopped (see closing.py)
        if self._closed:
            return
        self._closed = True
        self.commit_caption()
        self.state.setText("Finishing the batch in hand…")
        for part in (self.centralWidget(), self.menuBar(), *self.findChildren(QDockWidget)):
            part.setEnabled(False)
        self._unsubscribe()
        for timer in (self._search_timer, self._requery_timer, self._folders_timer, self.engine_requery):
            timer.stop()
        self.thumbnails.shutdown(wait=False)  # thumbnails still queued are dropped, not decoded
        self.model.shutdown(wait=False)
        stops = [self.edits.shutdown, self.searcher.shutdown, self.refresher.shutdown, self.thumbnails.shutdown]
        stops.append(self.viewer.shutdown)
        # every edit is saved (and written into its photo), then the batch in hand finishes (or goes back)
        self._closing = Closing([*stops, self.model.shutdown, self.engine.stop], self)
        self._closing.finished.connect(self._finished_closing)
        self._closing.start()

    def _finished_closing(self) -> None:
        self.closing_done = True
        self.close()
