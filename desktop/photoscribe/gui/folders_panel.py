"""The folders panel: watched folders with their photo counts and state; add, remove, pause."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QListWidget, QListWidgetItem, QPushButton, QVBoxLayout, QWidget

from photoscribe.library import FolderRecord

ALL_FOLDERS = "All photos"


class FoldersPanel(QWidget):
    """Lists folders; selecting one filters the grid. Emits requests; the window does the work."""

    add_requested = Signal(str, bool)  # path, polling
    remove_requested = Signal(str)
    pause_requested = Signal(str, bool)  # path, paused
    folder_selected = Signal(object)  # Path or None for all photos

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.list = QListWidget()
        self.add = QPushButton("Add folder…")
        self.add_network = QPushButton("Add network folder…")
        self.add_network.setToolTip(
            "Checks the folder every few seconds: for network shares, which send no change events"
        )
        self.remove = QPushButton("Remove")
        self.pause = QPushButton("Pause")
        self.pause.setCheckable(True)
        row = QHBoxLayout()
        for button in (self.remove, self.pause):
            row.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.list)
        layout.addWidget(self.add)
        layout.addWidget(self.add_network)
        layout.addLayout(row)
        self.add.clicked.connect(lambda: self._pick(False))
        self.add_network.clicked.connect(lambda: self._pick(True))
        self.remove.clicked.connect(lambda: self._selected() and self.remove_requested.emit(str(self._selected())))
        self.pause.toggled.connect(self._toggle_pause)
        self.list.currentItemChanged.connect(self._changed)

    def show_folders(self, folders: list[tuple[FolderRecord, int]]) -> None:
        """Show folders with their photo counts, keeping the selection."""
        selected = self._selected()
        self.list.blockSignals(True)
        self.list.clear()
        self.list.addItem(ALL_FOLDERS)
        for folder, count in folders:
            state = " · paused" if folder.paused else " · polling" if folder.polling else ""
            item = QListWidgetItem(f"{folder.path.name or folder.path}  ({count}{state})")
            item.setToolTip(str(folder.path))
            item.setData(Qt.ItemDataRole.UserRole, folder)
            self.list.addItem(item)
            if selected == folder.path:
                self.list.setCurrentItem(item)
        if self.list.currentItem() is None:
            self.list.setCurrentRow(0)
        self.list.blockSignals(False)
        self._sync_buttons()

    def _pick(self, polling: bool) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Add a photo folder")
        if folder:
            self.add_requested.emit(folder, polling)

    def _record(self) -> FolderRecord | None:
        item = self.list.currentItem()
        record = item.data(Qt.ItemDataRole.UserRole) if item else None
        return record if isinstance(record, FolderRecord) else None

    def _selected(self) -> Path | None:
        record = self._record()
        return record.path if record else None

    def _toggle_pause(self, paused: bool) -> None:
        record = self._record()
        if record is not None and record.paused != paused:
            self.pause_requested.emit(str(record.path), paused)

    def _changed(self) -> None:
        self._sync_buttons()
        self.folder_selected.emit(self._selected())

    def _sync_buttons(self) -> None:
        record = self._record()
        self.remove.setEnabled(record is not None)
        self.pause.setEnabled(record is not None)
        self.pause.blockSignals(True)
        self.pause.setChecked(bool(record and record.paused))
        self.pause.blockSignals(False)
