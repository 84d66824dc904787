"""The review workflow, as in Lightroom's and digiKam's keywording: many photos selected, actions on them all, and
*To review* with *Accept*.

The grid selects many photos (Shift/Ctrl click, Ctrl+A); the details panel shows the current one, and its keyword
edits, *Re-caption*, *With prompt…*, *Write metadata* and *Accept* apply to every photo selected (the Photos menu
has them too). *Accept* (Enter in the grid) marks the selected photos reviewed and makes the next photo current, so a
photographer goes through the *To review* filter from the keyboard: accepted photos leave it and the focus stays in
the grid. Library work runs on the edits' writer thread, after the edits queued before it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QItemSelection, QItemSelectionModel, QObject, Qt
from PySide6.QtGui import QAction, QKeyEvent
from PySide6.QtWidgets import QInputDialog

from photoscribe.gui.grid_refresh import STATUS_FILTERS
from photoscribe.library import PhotoFilter, PhotoRecord

if TYPE_CHECKING:
    from photoscribe.gui.main_window import MainWindow

ACCEPT_KEYS = (Qt.Key.Key_Return, Qt.Key.Key_Enter)


class Review(QObject):
    """The window's selection: what the details panel shows, and the actions on every photo selected."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window, self.grid, self.model = window, window.grid, window.model
        self._accepted: set[int] = set()  # accepted photos the grid may still show until its next requery
        self.grid.installEventFilter(self)
        self.grid.selectionModel().selectionChanged.connect(self._selection_changed)
        details = window.details
        details.accept_requested.connect(self._accept_clicked)
        details.keywords_edited.connect(self._edit_keywords)
        details.recaption_requested.connect(lambda path, prompt: self.recaption(prompt, path))
        window.refresher.shown.connect(self._requeried)
        self.actions = self._build_menu()
        self._update()

    def _build_menu(self) -> list[QAction]:
        menu = self.window.menuBar().addMenu("&Photos")
        details = self.window.details
        actions = []
        for text, slot in (
            ("&View\tSpace", lambda: self.window.viewer.open()),  # (the grid's own key: see viewer.py)
            ("&Accept\tEnter", self.accept),
            ("Add &keyword…", lambda: self._ask_keyword(add=True)),
            ("Re&move keyword…", lambda: self._ask_keyword(add=False)),
            ("&Re-caption", lambda: self.recaption(None)),
            ("Re-caption with a &prompt…", details.ask_prompt),
            ("&Write metadata", self.write_metadata),
        ):
            action = QAction(text, self.window)
            action.triggered.connect(slot)
            actions.append(action)
        select_all = QAction("Select &all\tCtrl+A", self.window)  # (the grid's own key: text boxes keep theirs)
        select_all.triggered.connect(lambda: (self.grid.setFocus(), self.grid.selectAll()))
        menu.addAction(select_all)
        menu.addSeparator()
        menu.addActions(actions)
        return actions

    # -- the selection ----------------------------------------------------------------------------------------

    def selected_rows(self) -> list[int]:
        """The grid's selected rows, in order (from the selection's ranges: cheap for 100,000 rows)."""
        rows: set[int] = set()
        for span in self.grid.selectionModel().selection():
            rows.update(range(span.top(), span.bottom() + 1))
        return sorted(rows)

    def selected_ids(self) -> list[int]:
        """The ids of the photos selected, in the grid's order."""
        ids = self.model.ids()
        return [ids[row] for row in self.selected_rows() if row < len(ids)]

    def show_selected(self, if_other: bool = False) -> None:
        """Show the current photo's details (the first selected when the current one is not selected; none when
        nothing is); with ``if_other``, only when it is not the photo shown."""
        current, rows = self.grid.currentIndex(), self.selected_rows()
        row = current.row() if current.isValid() and current.row() in rows else (rows[0] if rows else None)
        listed = self.model.record(row) if row is not None else None
        shown = self.window.details.record
        if if_other and (listed and listed.path) == (shown and shown.path):
            return
        record = self.window.library.photo(listed.path) if listed is not None else None  # fresh, not the grid's
        if shown is not None and (record is None or record.path != shown.path):
            self.window.commit_caption()
        self.window.show_details(record)
        self._update()

    def reselect(self, record: PhotoRecord | None) -> None:
        """Make ``record``'s photo the current one again (after the grid was reset)."""
        row = self.model.row_of(record.id) if record is not None else None
        if row is not None and self.grid.currentIndex().row() != row:
            flag = QItemSelectionModel.SelectionFlag.ClearAndSelect
            self.grid.selectionModel().setCurrentIndex(self.model.index(row), flag)

    def _selection_changed(self, _selected: QItemSelection, _deselected: QItemSelection) -> None:
        if not self.model.changing:  # (rows moving report changes half-way: see show_selected)
            self.show_selected()

    def _update(self) -> None:
        count = len(self.selected_rows())
        self.window.details.show_selection(count)
        for action in self.actions:
            action.setEnabled(count > 0)

    # -- accepting --------------------------------------------------------------------------------------------

    def accept(self) -> None:
        """Mark the selected photos reviewed and make the next photo current (the list's order)."""
        rows = self.selected_rows()
        if not rows:
            return
        window = self.window
        window.commit_caption()
        ids = [self.model.ids()[row] for row in rows]
        self._accepted.update(ids)
        self._go_next(rows)
        library = window.library
        window.writes.run(lambda: library.mark_reviewed(ids), self._stored)

    def _go_next(self, rows: list[int]) -> None:
        """Make the first photo after ``rows`` current (else the last one before them) that was not just
        accepted; none when there is none."""
        ids, accepted = self.model.ids(), self._accepted
        after = (row for row in range(rows[-1] + 1, len(ids)) if ids[row] not in accepted)
        before = (row for row in range(rows[0] - 1, -1, -1) if ids[row] not in accepted)
        row = next(after, next(before, None))
        if row is None:
            self.grid.selectionModel().clear()  # (current and selection: Enter has nothing left to accept)
            return
        index = self.model.index(row)
        self.grid.selectionModel().setCurrentIndex(index, QItemSelectionModel.SelectionFlag.ClearAndSelect)
        with self.window.refresher.gate.unheeded():  # (the app's own scroll: no reason to hold background work)
            self.grid.scrollTo(index)

    def _accept_clicked(self) -> None:
        self.accept()
        self.grid.setFocus()  # the keyboard goes on in the grid

    def _requeried(self, _change: object) -> None:
        if STATUS_FILTERS[self.window.status_filter.currentText()] == PhotoFilter.TO_REVIEW:
            self._accepted.intersection_update(self.model.ids())  # (those still shown: a query begun before)
        else:
            self._accepted.clear()

    # -- actions on the selection -----------------------------------------------------------------------------

    def recaption(self, prompt: str | None = None, path: str | None = None) -> None:
        """Caption the selected photos again (with a one-off ``prompt``); ``path`` when nothing is selected."""
        window = self.window
        window.commit_caption()
        ids = self.selected_ids()
        if not ids and path is not None:
            record = window.library.photo(path)
            ids = [record.id] if record is not None else []
        if ids:
            engine = window.engine
            window.writes.run(lambda: engine.recaption(ids, prompt), self._stored)
            window.statusBar().showMessage(f"Captioning {_photos(len(ids))} again…", 5_000)

    def write_metadata(self) -> None:
        """Write the selected photos' captions and keywords into their files (metadata writing must be on)."""
        window, ids = self.window, self.selected_ids()
        if window.engine.settings.write_metadata == "off":
            window.statusBar().showMessage("Metadata writing is off: choose sidecar or embed in Settings", 15_000)
            return
        window.commit_caption()
        engine = window.engine
        window.writes.run(lambda: engine.write_metadata_for(ids), self._stored)  # (after the edits queued)
        window.statusBar().showMessage(f"Writing the captions of {_photos(len(ids))} into the files…", 5_000)

    def change_keywords(self, add: list[str], remove: list[str]) -> None:
        """Add and remove keywords on every photo selected (one undoable edit)."""
        self.window.commit_caption()
        shown = self.window.details.record
        ids = self.selected_ids()
        self.window.edits.change_keywords(ids, add, remove, (shown.path, shown.keywords) if shown else None)

    def _edit_keywords(self, path: str, words: list[str]) -> None:
        shown = self.window.details.record
        if len(self.selected_rows()) <= 1 or shown is None or shown.path != path:
            self.window.commit_caption()
            self.window.edits.edit_keywords(path, words)
            return
        old, new = {w.casefold() for w in shown.keywords}, {w.casefold() for w in words}
        added = [w for w in words if w.casefold() not in old]
        self.change_keywords(added, [w for w in shown.keywords if w.casefold() not in new])

    def _ask_keyword(self, add: bool) -> None:
        title = "Add a keyword" if add else "Remove a keyword"
        count = _photos(len(self.selected_rows()))
        word, ok = QInputDialog.getText(self.window, title, f"Keyword to {'add to' if add else 'remove from'} {count}:")
        word = " ".join(word.split())
        if ok and word:
            self.change_keywords([word], []) if add else self.change_keywords([], [word])

    def _stored(self, result: object, error: object) -> None:
        if error is not None:
            self.window.statusBar().showMessage(f"Could not save: {error}", 15_000)
        self.window.requery()  # (accepted photos leave To review; states shown are read again)
        self.show_selected()

    # -- keys -------------------------------------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if watched is self.grid and event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            plain = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier == Qt.KeyboardModifier.NoModifier
            if event.key() in ACCEPT_KEYS and plain:
                self.accept()
                return True
        return False


def _photos(count: int) -> str:
    return f"{count:,} photo{'s' if count != 1 else ''}"
