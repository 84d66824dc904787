"""The grid's order: a combo box beside the status filter (*Newest added*, *Date taken*, *Name*), remembered in
``window.ini``. A search keeps its best-match order under *Newest added* (shown as *Best match / newest*); *Date
taken* and *Name* sort its hits too."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QComboBox

from photoscribe.gui.grid_size import window_state
from photoscribe.library import SortOrder

if TYPE_CHECKING:
    from photoscribe.gui.main_window import MainWindow

SORT_LABELS = {
    SortOrder.ADDED: "Newest added",
    SortOrder.TAKEN: "Date taken",
    SortOrder.NAME: "Name",
}
KEY = "grid/sort"


class SortChoice(QObject):
    """The combo box; :attr:`order` is the order chosen. Changing it runs the grid's query again."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.widget = QComboBox()
        self.widget.setToolTip("Order of the photos (a search lists the best matches first under Newest added)")
        for order, label in SORT_LABELS.items():
            self.widget.addItem(label, order.value)
        saved = window_state().value(KEY, SortOrder.ADDED.value)
        self.widget.setCurrentIndex(max(0, self.widget.findData(saved)))
        self.widget.currentIndexChanged.connect(lambda _index: self._changed(window))

    @property
    def order(self) -> SortOrder:
        return SortOrder(self.widget.currentData())

    def _changed(self, window: MainWindow) -> None:
        state = window_state()
        state.setValue(KEY, self.order.value)
        state.sync()
        window.requery()
