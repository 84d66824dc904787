"""How the window uses the screen: the grid's thumbnail size (a slider beside the search bar, Ctrl++ / Ctrl+- /
Ctrl+0, remembered between runs) and the docks' widths (Folders compact, Details narrower than the grid).

A size change lays the grid out again at once (:func:`~photoscribe.gui.grid_view.spread_columns`); the thumbnails
already loaded are painted scaled until the decoders have fitted them again, a moment after the last change
(:meth:`~photoscribe.gui.thumbnails.ThumbnailCache.set_fit`), so dragging the slider never decodes anything and
memory stays within the thumbnail cache's budget.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QSettings, QSize, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDockWidget, QHBoxLayout, QLabel, QSlider, QWidget

from photoscribe.config import config_path
from photoscribe.gui.grid_view import single_shot, spread_columns
from photoscribe.gui.photo_delegate import THUMB

if TYPE_CHECKING:
    from photoscribe.gui.main_window import MainWindow

SMALLEST, LARGEST, DEFAULT = 120, 320, THUMB.width()  # widths of a cell's thumbnail place
STEP = 8  # the slider's step (arrow keys)
KEY_STEP = 40  # Ctrl++ / Ctrl+-
SIZE_KEY = "grid/thumbnail_width"
REFIT_DELAY_MS = 250  # thumbnails are fitted again this long after the last change
FOLDERS_SHARE, FOLDERS_WIDTH = 0.15, (180, 240)  # the Folders dock: this share of the window, within these widths
DETAILS_SHARE, DETAILS_WIDTH = 0.28, (320, 460)  # the Details dock likewise


def thumb_for(width: int) -> QSize:
    """The thumbnail place ``width`` wide (the default's proportions: about 4:3)."""
    return QSize(width, round(width * THUMB.height() / THUMB.width()))


def window_state() -> QSettings:
    """Where the window keeps its own state (not the captioning settings): ``window.ini`` beside the settings
    file, so it follows ``PHOTOSCRIBE_CONFIG``."""
    return QSettings(str(config_path().with_name("window.ini")), QSettings.Format.IniFormat)


class GridSizer(QObject):
    """The grid's thumbnail size: :attr:`widget` (a slider) goes beside the search bar; the shortcuts act on the
    whole window."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self._state = window_state()
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(SMALLEST, LARGEST)
        self.slider.setSingleStep(STEP)
        self.slider.setPageStep(KEY_STEP)
        self.slider.setFixedWidth(110)
        self.slider.setToolTip("Thumbnail size: Ctrl++ larger, Ctrl+- smaller, Ctrl+0 the default")
        self.widget = QWidget()
        row = QHBoxLayout(self.widget)
        row.setContentsMargins(6, 0, 0, 0)
        row.addWidget(QLabel("Size"))
        row.addWidget(self.slider)
        self.slider.setValue(_clamped(self._state.value(SIZE_KEY, DEFAULT)))
        self._refit = single_shot(self, REFIT_DELAY_MS, self._fit_thumbnails)
        self._apply(self.slider.value())
        self._fit_thumbnails()
        self.slider.valueChanged.connect(self._changed)
        for keys, slot in (
            ((QKeySequence.StandardKey.ZoomIn, "Ctrl+="), self.larger),
            ((QKeySequence.StandardKey.ZoomOut,), self.smaller),
            (("Ctrl+0",), self.reset),
        ):
            action = QAction(self)
            action.setShortcuts([QKeySequence(key) for key in keys])
            action.triggered.connect(slot)
            window.addAction(action)

    def thumb_width(self) -> int:
        """The width of a cell's thumbnail place."""
        return self.slider.value()

    def set_thumb_width(self, width: int) -> None:
        """Show thumbnails ``width`` wide (within :data:`SMALLEST` and :data:`LARGEST`); remembered."""
        self.slider.setValue(_clamped(width))

    def larger(self) -> None:
        self.set_thumb_width(self.thumb_width() + KEY_STEP)

    def smaller(self) -> None:
        self.set_thumb_width(self.thumb_width() - KEY_STEP)

    def reset(self) -> None:
        self.set_thumb_width(DEFAULT)

    def _changed(self, width: int) -> None:
        self._apply(width)
        self._state.setValue(SIZE_KEY, width)  # (written to the file by Qt shortly after, and on exit)
        self._refit.start()

    def _apply(self, width: int) -> None:
        thumb = thumb_for(width)
        self.window.model.set_thumb(thumb)
        spread_columns(self.window.grid, thumb)
        self.window.grid.viewport().update()

    def _fit_thumbnails(self) -> None:
        self.window.thumbnails.set_fit(thumb_for(self.thumb_width()))
        self.window.grid.viewport().update()  # (the thumbnails shown are fitted again as they are painted)


def proportion_docks(window: MainWindow) -> None:
    """Give the docks their share of the window's width: Folders compact, Details narrower than the grid."""
    width = window.width()
    docks = {dock.objectName(): dock for dock in window.findChildren(QDockWidget)}
    shares = {"Folders": (FOLDERS_SHARE, FOLDERS_WIDTH), "Details": (DETAILS_SHARE, DETAILS_WIDTH)}
    chosen = [(docks[name], share) for name, share in shares.items() if name in docks]
    sizes = [min(max(round(width * share), low), high) for _, (share, (low, high)) in chosen]
    window.resizeDocks([dock for dock, _ in chosen], sizes, Qt.Orientation.Horizontal)


def _clamped(value: object) -> int:
    try:
        width = int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        width = DEFAULT
    return min(max(width, SMALLEST), LARGEST)
