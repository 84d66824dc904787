"""Keywords as chips: click a chip to remove it, type in the box and press Enter to add one."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QSize, Qt, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence, QResizeEvent
from PySide6.QtWidgets import QLineEdit, QListView, QListWidget, QListWidgetItem, QPlainTextEdit, QVBoxLayout, QWidget

from photoscribe.gui import theme

CHIPS_HEIGHT = (32, 96)  # the chips' height at least and at most (then they scroll)
CHIP_STYLE = """
QListWidget {{ background: transparent; border: none; }}
QListWidget::item {{ background: {chip}; color: {chip_text}; border-radius: 9px; padding: 2px 8px; margin: 2px; }}
QListWidget::item:hover {{ background: {chip_hover}; }}
"""  # (filled in from the theme's colours)


class KeywordChips(QWidget):
    """Editable keyword chips; ``changed(list)`` carries the whole new list after each edit.

    Keywords keep the case they were typed in ("Paris"); adding one already shown in another case does nothing.
    """

    changed = Signal(list)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.chips = QListWidget()
        self.chips.setFlow(QListView.Flow.LeftToRight)
        self.chips.setWrapping(True)
        self.chips.setResizeMode(QListView.ResizeMode.Adjust)
        self.chips.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        theme.watch(self, self._use_colours)
        self.chips.setFixedHeight(CHIPS_HEIGHT[0])  # as high as its rows of chips (see _fit_height)
        self.chips.setToolTip("Click a keyword to remove it")
        self.entry = QLineEdit(placeholderText="Add a keyword and press Enter")
        self.entry.installEventFilter(AppUndoWhenNothingToUndo(self.entry))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.chips)
        layout.addWidget(self.entry)
        self.chips.itemClicked.connect(self._remove)
        self.entry.returnPressed.connect(self._add)

    def _use_colours(self, colours: theme.Colours) -> None:
        style = CHIP_STYLE.format(chip=colours.chip, chip_text=colours.chip_text, chip_hover=colours.chip_hover)
        self.chips.setStyleSheet(style)

    def set_keywords(self, keywords: list[str] | tuple[str, ...]) -> None:
        """Show these keywords (does not emit ``changed``)."""
        self.chips.clear()
        for word in keywords:
            item = QListWidgetItem(f"{word}  ×")
            item.setData(Qt.ItemDataRole.UserRole, word)
            item.setSizeHint(QSize(self.fontMetrics().horizontalAdvance(f"{word}  ×") + 40, 26))
            self.chips.addItem(item)
        self._fit_height()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        if event.size().width() != event.oldSize().width():
            self._fit_height()

    def _fit_height(self) -> None:
        """As high as the chips' rows at this width (no empty band below one row), up to three rows."""
        chips = self.chips
        chips.executeDelayedItemsLayout()
        rows = (chips.visualRect(chips.model().index(row, 0)) for row in range(chips.count()))
        bottom = max((rect.bottom() + 1 - chips.verticalOffset() for rect in rows), default=0)
        low, high = CHIPS_HEIGHT
        chips.setFixedHeight(min(max(bottom + 2 * chips.frameWidth() + 4, low), high))

    def keywords(self) -> list[str]:
        """The keywords shown, in order."""
        return [self.chips.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.chips.count())]

    def _remove(self, item: QListWidgetItem) -> None:
        self.chips.takeItem(self.chips.row(item))
        self.changed.emit(self.keywords())

    def _add(self) -> None:
        word = " ".join(self.entry.text().split())
        self.entry.setText("")  # (setText, not clear(): the entry's own undo history goes, Ctrl+Z reaches the app)
        if word and word.casefold() not in {k.casefold() for k in self.keywords()}:
            self.set_keywords([*self.keywords(), word])
            self.changed.emit(self.keywords())


class AppUndoWhenNothingToUndo(QObject):
    """Lets Ctrl+Z / Ctrl+Shift+Z reach the window's Undo/Redo actions while a text box has nothing of its own
    to undo or redo (Qt's text widgets otherwise swallow the shortcut even when their own history is empty)."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent):
            if event.matches(QKeySequence.StandardKey.Undo) and not _can(watched, undo=True):
                event.ignore()
                return True
            if event.matches(QKeySequence.StandardKey.Redo) and not _can(watched, undo=False):
                event.ignore()
                return True
        return False


def _can(widget: QObject, undo: bool) -> bool:
    if isinstance(widget, QLineEdit):
        return widget.isUndoAvailable() if undo else widget.isRedoAvailable()
    if isinstance(widget, QPlainTextEdit):
        document = widget.document()
        return document.isUndoAvailable() if undo else document.isRedoAvailable()
    return True
