"""The photo grid's view: fixed cells laid out left to right and wrapped, so 100,000 photos lay out in a few ms.
The cells are widened to share the width left over by the columns (:func:`spread_columns`)."""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QAbstractItemModel, QEvent, QModelIndex, QObject, QRect, QSize, Qt, QTimer
from PySide6.QtGui import QPainter, QPaintEvent
from PySide6.QtWidgets import QListView, QStyle, QStyleOptionViewItem

from photoscribe.gui import theme
from photoscribe.gui.photo_delegate import CELL, PhotoDelegate, cell_size


class PhotoGrid(QListView):
    """A list view that paints all the cells of a repaint in one call to Python.

    ``QListView`` calls the delegate once per cell, and each call from C++ into Python takes the interpreter lock
    anew: with captioning, the scan and the readers busy, each of those waited up to a switch interval or more,
    some 30 times a page. Here the cells in the repainted area are found from the fixed grid and painted by the
    same delegate in one Python call. What ``QListView`` paints besides cells (a drop indicator, a rubber band)
    this grid never shows.
    """

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        delegate, model = self.itemDelegate(), self.model()
        if not isinstance(delegate, PhotoDelegate) or model is None:
            super().paintEvent(event)
            return
        area = event.rect()
        option = QStyleOptionViewItem()
        self.initViewItemOption(option)
        plain = option.state & ~QStyle.StateFlag.State_Selected
        selection, root = self.selectionModel(), self.rootIndex()
        painter = QPainter(self.viewport())
        for row in self.rows_in(area):
            index = model.index(row, 0, root)
            rect = self.visualRect(index)
            if not rect.intersects(area):
                continue
            option.rect = rect
            selected = selection is not None and selection.isSelected(index)
            option.state = plain | QStyle.StateFlag.State_Selected if selected else plain
            delegate.paint(painter, option, index)
        painter.end()

    def rows_in(self, area: QRect) -> range:
        """The rows whose cells may meet ``area`` (viewport coordinates): whole lines of the grid."""
        count = self.model().rowCount(QModelIndex())
        if count == 0:
            return range(0)
        first = self.visualRect(self.model().index(0, 0, self.rootIndex()))
        cell = self.gridSize()
        columns = max(1, (layout_width(self) - 1 - first.left()) // cell.width())
        top_line = max(0, (area.top() - first.top()) // cell.height())
        bottom_line = max(0, (area.bottom() - first.top()) // cell.height())
        return range(min(count, top_line * columns), min(count, (bottom_line + 1) * columns))


def make_grid(model: QAbstractItemModel) -> QListView:
    """A list view showing ``model`` as a grid of :data:`CELL` cells painted by :class:`PhotoDelegate`.

    List mode wrapped left to right looks like icon mode and lays out in a third of its time (7 ms for 100,000
    photos, against 19 ms, with the row count answered in C++: see ``photo_model.PhotoListModel``).
    """
    return configure(PhotoGrid(), model)


def configure(grid: QListView, model: QAbstractItemModel) -> QListView:
    """Set ``grid`` up as the photo grid on ``model`` (see :func:`make_grid`)."""
    grid.setViewMode(QListView.ViewMode.ListMode)
    grid.setFlow(QListView.Flow.LeftToRight)
    grid.setWrapping(True)
    grid.setResizeMode(QListView.ResizeMode.Adjust)
    grid.setUniformItemSizes(True)
    grid.setGridSize(CELL)
    grid.setMovement(QListView.Movement.Static)
    grid.setSelectionMode(QListView.SelectionMode.ExtendedSelection)  # Shift/Ctrl click, Ctrl+A (see review.py)
    grid.setVerticalScrollMode(QListView.ScrollMode.ScrollPerPixel)
    delegate = PhotoDelegate(grid)
    grid.setItemDelegate(delegate)
    grid.setIconSize(QSize(delegate.thumb))
    grid.setModel(model)
    theme.watch(grid, lambda colours: _use_colours(grid, delegate, colours))
    grid.installEventFilter(_Spreader(grid))
    return grid


def _use_colours(grid: QListView, delegate: PhotoDelegate, colours: theme.Colours) -> None:
    delegate.colours = colours
    grid.setStyleSheet(f"QListView {{ background: {colours.grid}; }}")
    grid.viewport().update()


def layout_width(grid: QListView) -> int:
    """The width ``QListView`` lays its columns out in: the viewport's with its vertical scroll bar, shown or not
    (so the columns do not change when the bar comes and goes)."""
    width = grid.maximumViewportSize().width()
    if grid.verticalScrollBarPolicy() == Qt.ScrollBarPolicy.ScrollBarAsNeeded:
        width -= grid.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent, None, grid.verticalScrollBar())
    return width


def spread_columns(grid: QListView, thumb: QSize | None = None) -> None:
    """Lay ``grid`` out in as many columns of cells around a thumbnail place of ``thumb`` (default: the one its
    delegate has) as fit, each widened by an even share of the width left over."""
    delegate = grid.itemDelegate()
    if not isinstance(delegate, PhotoDelegate):
        return
    thumb = QSize(delegate.thumb if thumb is None else thumb)
    narrowest = cell_size(thumb)
    width = layout_width(grid) - 1  # (QListView wraps a cell reaching the last pixel)
    columns = max(1, width // narrowest.width())
    cell = QSize(max(narrowest.width(), width // columns), narrowest.height())
    if cell != delegate.cell or thumb != delegate.thumb or cell != grid.gridSize():
        delegate.set_sizes(thumb, cell)
        grid.setIconSize(thumb)
        grid.setGridSize(cell)  # (lays the grid out again; the delegate's size hint is read anew)


class _Spreader(QObject):
    """Spreads the grid's columns again whenever the grid is resized."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.Resize and isinstance(watched, QListView):
            spread_columns(watched)
        return False


def single_shot(parent: QObject, delay_ms: int, slot: Callable[[], object]) -> QTimer:
    """A timer that calls ``slot`` once, ``delay_ms`` after its last start."""
    timer = QTimer(parent)
    timer.setSingleShot(True)
    timer.setInterval(delay_ms)
    timer.timeout.connect(slot)
    return timer


class Throttle(QTimer):
    """Runs ``slot`` ``delay_ms`` after it is first asked for, then at most once every ``gap_ms``: asks meanwhile
    are folded into the next run. For work the engine asks for again and again (a requery after each scanned
    chunk or caption batch: each reads and compares every id shown, 0.2-0.6 s of Python at 100,000 photos beside
    the GUI thread), where a debounce would run it after every pause and never during a steady stream."""

    def __init__(self, parent: QObject, delay_ms: int, gap_ms: int, slot: Callable[[], object]) -> None:
        super().__init__(parent)
        self.setSingleShot(True)
        self.delay_ms, self.gap_ms = delay_ms, gap_ms
        self._slot = slot
        self._last = float("-inf")  # when it last ran (monotonic seconds)
        self.timeout.connect(self._run)

    def ask(self) -> None:
        """Run ``slot`` soon (at once if asked for already)."""
        if self.isActive():
            return
        since_ms = (time.monotonic() - self._last) * 1000
        self.start(int(max(self.delay_ms, self.gap_ms - since_ms)))

    def _run(self) -> None:
        self._last = time.monotonic()
        self._slot()
