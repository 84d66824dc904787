"""The folders panel: watched folders with their photo counts and state, their subfolders indented beneath them
with their own counts (photos inside, subfolders included); add, remove, pause (watched folders only)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QListWidget, QListWidgetItem, QPushButton, QVBoxLayout, QWidget

from photoscribe.library import FolderRecord
from photoscribe.library.roots import RootRecord

ALL_FOLDERS = "All photos"
INDENT = "    "


@dataclass(frozen=True)
class SubFolder:
    """A row for a folder inside a watched folder: selecting it shows its photos (and its subfolders')."""

    path: Path


def subfolder_counts(folder: Path, directories: dict[str, int]) -> list[tuple[Path, int]]:
    """The folders inside ``folder`` holding photos (and those on the way to them), each with the photos inside
    it, subfolders included; sorted by path, so a folder comes right before its subfolders."""
    top = os.path.join(str(folder), "")
    counts: dict[str, int] = {}
    for directory, count in directories.items():
        if not directory.startswith(top):
            continue
        while directory.startswith(top):  # the directory and each of its parents up to (not including) folder
            counts[directory] = counts.get(directory, 0) + count
            directory = os.path.dirname(directory)
    return [(Path(path), counts[path]) for path in sorted(counts, key=lambda p: p.split(os.sep))]


def unreachable_item(root: RootRecord) -> QListWidgetItem:
    """A row (not selectable) for a shared root this machine cannot see, saying how to map it."""
    item = QListWidgetItem(f"{root.name}  (not reachable here)")
    item.setToolTip(
        f"The shared folder {root.name!r} ({root.path}) is not at {root.here} on this computer. Its photos are "
        f"captioned by the computers that see it. To see it here: photoscribe roots set {root.name} PATH"
    )
    item.setFlags(Qt.ItemFlag.NoItemFlags)
    item.setData(Qt.ItemDataRole.UserRole, root)
    return item


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

    def show_folders(
        self,
        folders: list[tuple[FolderRecord, int]],
        directories: dict[str, int] | None = None,
        unreachable: Sequence[RootRecord] = (),
    ) -> None:
        """Show folders with their photo counts, and the subfolders of ``directories`` (photos directly in each
        directory) beneath them, then the shared roots this machine cannot see; the selection is kept."""
        selected = self._shown()
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
            for path, inside in subfolder_counts(folder.path, directories or {}):
                depth = len(path.relative_to(folder.path).parts)
                sub = QListWidgetItem(f"{INDENT * depth}{path.name}  ({inside})")
                sub.setToolTip(str(path))
                sub.setData(Qt.ItemDataRole.UserRole, SubFolder(path))
                self.list.addItem(sub)
                if selected == path:
                    self.list.setCurrentItem(sub)
        for root in unreachable:
            self.list.addItem(unreachable_item(root))
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

    def _shown(self) -> Path | None:
        """The folder whose photos the grid shows: a watched folder or a subfolder (None: all photos)."""
        item = self.list.currentItem()
        data = item.data(Qt.ItemDataRole.UserRole) if item else None
        return data.path if isinstance(data, (FolderRecord, SubFolder)) else None

    def _toggle_pause(self, paused: bool) -> None:
        record = self._record()
        if record is not None and record.paused != paused:
            self.pause_requested.emit(str(record.path), paused)

    def _changed(self) -> None:
        self._sync_buttons()
        self.folder_selected.emit(self._shown())

    def _sync_buttons(self) -> None:
        record = self._record()
        self.remove.setEnabled(record is not None)
        self.pause.setEnabled(record is not None)
        self.pause.blockSignals(True)
        self.pause.setChecked(bool(record and record.paused))
        self.pause.blockSignals(False)
