"""Keeping the grid and the folder counts current without ever querying on the GUI thread.

A requery (a keystroke in the search bar, photos arriving during an import) runs the search and works out the
change to the grid (:func:`~photoscribe.gui.id_diff.plan`) on a background thread; only the newest request's result
is applied, on the GUI thread. Photos added or removed are inserted and removed as rows, so the selection stays and
the photo at the top of the view stays where it was (unless the view is at the very top: new photos slide in
there). Folder counts are counted in the background the same way. While the grid scrolls, thumbnails still waiting
for rows scrolled away are dropped, and the engine's threads and these queries wait until it is still
(:class:`~photoscribe.gui.scroll_gate.ScrollGate`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QPoint, QTimer, Signal

from photoscribe.gui.id_diff import IdChange, plan
from photoscribe.gui.photo_model import RECORD_ROLE
from photoscribe.gui.scroll_gate import ScrollGate
from photoscribe.gui.tasks import LatestTask
from photoscribe.ingest import pace
from photoscribe.library import FolderRecord, Library, PhotoFilter, PhotoStatus
from photoscribe.library.roots import RootRecord

if TYPE_CHECKING:
    from photoscribe.gui.main_window import MainWindow

STATUS_FILTERS: dict[str, PhotoStatus | PhotoFilter | None] = {
    "All": None,
    "Captioned": PhotoStatus.DONE,
    "Queued": PhotoStatus.PENDING,
    "Failed": PhotoStatus.FAILED,
    "Edited by me": PhotoFilter.EDITED,
    "To review": PhotoFilter.TO_REVIEW,  # model captions nobody has looked at (see review.py)
}
#: How often, at most, thumbnails waiting for rows scrolled away are dropped while the grid scrolls.
VISIBLE_CHECK_MS = 50


class GridRefresher(QObject):
    """Runs the window's grid query and folder counts in the background and shows their results."""

    shown = Signal(object)  # the IdChange just applied to the grid
    folders_shown = Signal()

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.results_shown = 0  # how many query results the grid has shown
        self._query = LatestTask("grid-query", self)
        self._counts = LatestTask("folder-counts", self)
        self._visible_check = QTimer(self)
        self._visible_check.setSingleShot(True)
        self._visible_check.setInterval(VISIBLE_CHECK_MS)
        self._visible_check.timeout.connect(self.drop_scrolled_away)
        window.grid.verticalScrollBar().valueChanged.connect(
            lambda _value: self._visible_check.isActive() or self._visible_check.start()
        )
        self.gate = ScrollGate(self)  # background work waits while the grid scrolls
        window.grid.verticalScrollBar().valueChanged.connect(self.gate.moved)
        self._unhold = window.engine.subscribe(self.gate.hold)  # the engine's threads, at their next event
        self._unpace = pace.install(self.gate.wait)  # folder scans, every few hundred files

    # -- the grid ---------------------------------------------------------------------------------------------

    def requery(self) -> None:
        """Search again with the search bar, the status filter and the folder selected (in the background)."""
        window = self.window
        status = STATUS_FILTERS[window.status_filter.currentText()]
        find = window.searcher.finder(window.search.text(), status, window.folder, window.sort.order)
        if find is None:  # the query's meaning is being worked out: searched again when it is
            return
        shown, gate = window.model.ids(), self.gate
        self._query.run(lambda: gate.wait() or plan(shown, find()), self._show)

    def _show(self, result: IdChange | None, error: object) -> None:
        window = self.window
        if error is not None or result is None:
            window.statusBar().showMessage(f"Search failed: {error}", 15_000)
            return
        anchor = None if result.reset or result.unchanged else self._top_photo()
        current = window.grid.currentIndex()
        record = current.data(RECORD_ROLE) if current.isValid() else None
        window.model.apply(result)
        if not result.reset:
            window.model.reread()  # the photos kept may have changed state (cancelled, queued again, edited)
        if result.reset:
            window.review.reselect(record)
        elif anchor is not None:
            self._scroll_back(*anchor)
        window.review.show_selected(if_other=True)  # (its photo went away, or the reset cleared the selection)
        count = len(result.ids)
        window.count.setText(f"{count} photo{'s' if count != 1 else ''}")
        self.results_shown += 1
        self.shown.emit(result)

    def _top_photo(self) -> tuple[int, int] | None:
        """The photo shown at the top of the grid and its rectangle's top, unless the grid is at the very top."""
        grid = self.window.grid
        if grid.verticalScrollBar().value() == 0:
            return None
        grid.executeDelayedItemsLayout()  # (an earlier change may not be laid out yet)
        cell = grid.gridSize()
        index = grid.indexAt(QPoint(cell.width() // 2, cell.height() // 2))
        if not index.isValid():
            return None
        return self.window.model.ids()[index.row()], grid.visualRect(index).top()

    def _scroll_back(self, photo_id: int, top: int) -> None:
        row = self.window.model.row_of(photo_id)
        if row is None:
            return
        grid = self.window.grid
        bar = grid.verticalScrollBar()
        with self.gate.unheeded():  # (the app's own scroll: no reason to hold background work)
            bar.setValue(bar.value() + grid.visualRect(self.window.model.index(row)).top() - top)

    def drop_scrolled_away(self) -> None:
        """Drop thumbnails waiting for rows more than a screen away from those shown."""
        grid, model = self.window.grid, self.window.model
        grid.executeDelayedItemsLayout()
        cell = grid.gridSize()
        first = grid.indexAt(QPoint(cell.width() // 2, cell.height() // 2))
        if not first.isValid():
            return
        viewport = grid.viewport().rect()
        screen = max(1, viewport.width() // cell.width()) * (viewport.height() // cell.height() + 2)
        ids = model.ids()[max(0, first.row() - screen) : first.row() + 2 * screen]
        self.window.thumbnails.keep_only(set(ids))

    # -- the folders ------------------------------------------------------------------------------------------

    def refresh_folders(self) -> None:
        """Count the photos of each folder in the background, then show them in the folders panel."""
        library, gate = self.window.library, self.gate
        self._counts.run(lambda: gate.wait() or folder_counts(library), self._show_folders)

    def _show_folders(self, result: FolderCounts | None, error: object) -> None:
        if error is None and result is not None:
            self.window.folders.show_folders(*result)
            self.folders_shown.emit()

    def shutdown(self) -> None:
        """Drop waiting queries and wait for those running (any thread); nothing waits for the grid any more."""
        self.gate.open()
        for undo in (self._unhold, self._unpace):
            undo()
        self._unhold = self._unpace = lambda: None  # (a second shutdown has nothing to undo)
        self._query.shutdown()
        self._counts.shutdown()


FolderCounts = tuple[list[tuple[FolderRecord, int]], dict[str, int], list[RootRecord]]


def folder_counts(library: Library) -> FolderCounts:
    """Each library folder with the number of photos it shows (one grouped query), the photos shown in each
    directory (for the subfolders: one read of the shown photos' paths), and the shared roots this machine cannot
    see (read again: another machine may have added one)."""
    counts = library.folder_counts()
    folders = [(folder, counts.get(folder.path, 0)) for folder in library.folders()]
    return folders, library.directory_counts(), [root for root in library.roots.refresh() if not root.reachable]
