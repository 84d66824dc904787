"""The photo grid's view: fixed cells laid out left to right and wrapped, so 100,000 photos lay out in a few ms."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QAbstractItemModel, QObject, QSize, QTimer
from PySide6.QtWidgets import QListView

from photoscribe.gui.photo_delegate import CELL, THUMB, PhotoDelegate


def make_grid(model: QAbstractItemModel) -> QListView:
    """A list view showing ``model`` as a grid of :data:`CELL` cells painted by :class:`PhotoDelegate`.

    List mode wrapped left to right looks like icon mode and lays out in a third of its time (7 ms for 100,000
    photos, against 19 ms, with the row count answered in C++: see ``photo_model.PhotoListModel``).
    """
    grid = QListView()
    grid.setViewMode(QListView.ViewMode.ListMode)
    grid.setFlow(QListView.Flow.LeftToRight)
    grid.setWrapping(True)
    grid.setResizeMode(QListView.ResizeMode.Adjust)
    grid.setUniformItemSizes(True)
    grid.setGridSize(CELL)
    grid.setIconSize(QSize(THUMB))
    grid.setMovement(QListView.Movement.Static)
    grid.setSelectionMode(QListView.SelectionMode.SingleSelection)
    grid.setVerticalScrollMode(QListView.ScrollMode.ScrollPerPixel)
    grid.setItemDelegate(PhotoDelegate(grid))
    grid.setModel(model)
    grid.setStyleSheet("QListView { background: #1e2023; }")
    return grid


def single_shot(parent: QObject, delay_ms: int, slot: Callable[[], object]) -> QTimer:
    """A timer that calls ``slot`` once, ``delay_ms`` after its last start."""
    timer = QTimer(parent)
    timer.setSingleShot(True)
    timer.setInterval(delay_ms)
    timer.timeout.connect(slot)
    return timer
