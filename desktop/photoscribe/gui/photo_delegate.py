"""Paints a grid cell: thumbnail, two lines of caption, a status badge in the corner and, for a RAW+JPEG pair
shown as one photo, a "RAW+JPEG" badge on the thumbnail.

A page of a 100,000-photo grid is some 30 cells painted on the GUI thread while captioning threads want the same
interpreter lock, and every Qt call can hand that lock over. So a cell is painted from one :class:`Cell` (one
``data`` call), with the thumbnail already at its grid size (no scaling while painting), the caption laid out once
per text (a ``QStaticText`` kept for the texts shown lately) and each badge drawn once and kept as a pixmap.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QPoint, QRect, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QImage, QPainter, QPixmap, QStaticText, QTextLayout, QTextOption
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from photoscribe.gui import theme

THUMB = QSize(204, 150)  # the thumbnail's place in a cell at the default size (see gui/grid_size.py)
CELL_MARGIN = QSize(16, 60)  # a cell around its thumbnail: the frame and two lines of caption
CELL_ROLE = Qt.ItemDataRole.UserRole + 5  # a Cell: all a cell paints; None while its record is being read
BADGE_COLOURS = {
    "queued": "#5f6b7a",
    "captioning": "#2f7de1",
    "failed": "#d64545",
    "edited": "#2e9e5b",
    "cancelled": "#8a6d3b",
}
PAIR_COLOUR = "#6a4fb3"
CAPTION_LINES = 2
TEXTS_KEPT = 2000  # laid-out captions kept (many photos share a caption)


@dataclass(frozen=True, slots=True)
class Cell:
    """What one grid cell shows."""

    caption: str
    status: str = ""  # the status badge's text ("" for none)
    pair: str = ""  # "RAW+JPEG"/"RAW+HEIF" for the shown half of a pair, else ""
    picture: QImage | QPixmap | None = None  # ideally already fitted to the thumbnail place (see fitted_size)


def cell_size(thumb: QSize) -> QSize:
    """The narrowest cell around a thumbnail place of ``thumb`` (the grid widens cells to fill its width)."""
    return thumb + CELL_MARGIN


CELL = cell_size(THUMB)  # 220 x 210


def fitted_size(size: QSize, thumb: QSize = THUMB) -> QSize:
    """The size a picture of ``size`` is shown at in a cell whose thumbnail place is ``thumb``."""
    return size.scaled(thumb, Qt.AspectRatioMode.KeepAspectRatio)


class PhotoDelegate(QStyledItemDelegate):
    """Fixed-size cells so the view can lay out 100,000 items without measuring them.

    :attr:`thumb` is the thumbnail's place, :attr:`cell` the cell as laid out (at least ``cell_size(thumb)``,
    wider when the grid spreads its columns): both change at run time (:meth:`set_sizes`)."""

    def __init__(self, parent: object = None) -> None:
        super().__init__(parent)
        self.thumb, self.cell, self._thumb_height = QSize(THUMB), QSize(CELL), THUMB.height()
        self._texts: OrderedDict[str, QStaticText] = OrderedDict()
        self._badges: dict[tuple[str, str], QPixmap] = {}
        self._font: QFont | None = None
        self._ratio = 1.0  # device pixels per pixel of the painted device
        self._metrics: QFontMetrics | None = None
        self.colours = theme.current()  # (set anew when the scheme changes: see grid_view.configure)

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:
        return self.cell

    def set_sizes(self, thumb: QSize, cell: QSize) -> None:
        """Paint thumbnails in a place of ``thumb`` in cells of ``cell`` (captions are laid out again)."""
        if cell.width() != self.cell.width():
            self._texts.clear()
        self.thumb, self.cell, self._thumb_height = QSize(thumb), QSize(cell), thumb.height()

    def paint(
        self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        rect = option.rect.adjusted(4, 4, -4, -4)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        colours = self.colours
        painter.fillRect(rect, colours.selected if selected else colours.cell)
        cell = index.data(CELL_ROLE)
        if not isinstance(cell, Cell):  # its record is being read: the cell is painted again when it is in
            painter.setPen(colours.dim)
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, "…")
            return
        x, y, width = rect.x(), rect.y(), rect.width()
        picture, thumb_height = cell.picture, self._thumb_height
        if picture is not None and not picture.isNull():
            self._paint_picture(painter, picture, x, y, width)
        self._use_font(painter.font(), painter.device().devicePixelRatioF())
        painter.setPen(colours.text)
        painter.drawStaticText(x + 6, y + thumb_height + 8, self._caption(cell.caption, width - 12))
        if cell.status:
            badge = self._badge(cell.status, BADGE_COLOURS.get(cell.status, "#5f6b7a"))
            painter.drawPixmap(x + width - round(badge.width() / self._ratio) - 6, y + 8, badge)
        if cell.pair:
            badge = self._badge(cell.pair, PAIR_COLOUR)
            painter.drawPixmap(x + 6, y + thumb_height - 18, badge)

    def _paint_picture(self, painter: QPainter, picture: QImage | QPixmap, x: int, y: int, width: int) -> None:
        """Centred in the thumbnail's place; drawn as it is when it was fitted beforehand (no scaling)."""
        size = picture.deviceIndependentSize().toSize()
        fitted = size.scaled(self.thumb, Qt.AspectRatioMode.KeepAspectRatio)
        at = QPoint(x + (width - fitted.width()) // 2, y + 4 + (self._thumb_height - fitted.height()) // 2)
        if fitted != size:  # (pictures not made for the grid, or fitted for another size, until fitted again)
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
            target = QRect(at, fitted)
            painter.drawImage(target, picture) if isinstance(picture, QImage) else painter.drawPixmap(target, picture)
        elif isinstance(picture, QImage):
            painter.drawImage(at, picture)
        else:
            painter.drawPixmap(at, picture)

    def _use_font(self, font: QFont, ratio: float) -> None:
        """Captions and badges are laid out in ``font`` (those laid out in another are dropped)."""
        if self._font is None or ratio != self._ratio or font != self._font:
            self._font, self._metrics, self._ratio = QFont(font), QFontMetrics(font), ratio
            self._texts.clear()
            self._badges.clear()

    def _caption(self, caption: str, width: int) -> QStaticText:
        """The caption laid out in at most :data:`CAPTION_LINES` lines of ``width`` (the cell's, which all cells
        share: see :meth:`set_sizes`), the last one elided."""
        font = self._font
        text = self._texts.get(caption)
        if text is not None:
            self._texts.move_to_end(caption)
            return text
        text = QStaticText(_two_lines(caption, font, self._metrics, width))  # type: ignore[arg-type]
        text.setTextFormat(Qt.TextFormat.PlainText)
        text.setTextWidth(width)
        option = QTextOption(Qt.AlignmentFlag.AlignLeft)
        option.setWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
        text.setTextOption(option)
        text.prepare(font=font)
        self._texts[caption] = text
        if len(self._texts) > TEXTS_KEPT:
            self._texts.popitem(last=False)
        return text

    def _badge(self, text: str, colour: str) -> QPixmap:
        """A rounded label (drawn once per text, colour and font)."""
        font = self._font
        pixmap = self._badges.get((text, colour))
        if pixmap is None:
            width = self._metrics.horizontalAdvance(text) + 12  # type: ignore[union-attr]
            pixmap = QPixmap(round(width * self._ratio), round(18 * self._ratio))
            pixmap.setDevicePixelRatio(self._ratio)
            pixmap.fill(Qt.GlobalColor.transparent)
            badge = QPainter(pixmap)
            badge.setRenderHint(QPainter.RenderHint.Antialiasing)
            badge.setFont(font)  # type: ignore[arg-type]
            badge.setPen(Qt.PenStyle.NoPen)
            badge.setBrush(QColor(colour))
            badge.drawRoundedRect(QRect(0, 0, width, 18), 9, 9)
            badge.setPen(QColor("white"))
            badge.drawText(QRect(0, 0, width, 18), Qt.AlignmentFlag.AlignCenter, text)
            badge.end()
            self._badges[(text, colour)] = pixmap
        return pixmap


def _two_lines(caption: str, font: QFont, metrics: QFontMetrics, width: int) -> str:
    """``caption`` cut to what :data:`CAPTION_LINES` word-wrapped lines of ``width`` hold, ending in "…" if cut."""
    layout = QTextLayout(caption, font)
    option = QTextOption()
    option.setWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
    layout.setTextOption(option)
    layout.beginLayout()
    starts = []
    while len(starts) <= CAPTION_LINES:
        line = layout.createLine()
        if not line.isValid():
            break
        line.setLineWidth(width)
        starts.append(line.textStart())
    layout.endLayout()
    if len(starts) <= CAPTION_LINES:
        return caption
    last = starts[CAPTION_LINES - 1]
    rest = metrics.elidedText(caption[last:].replace("\n", " "), Qt.TextElideMode.ElideRight, width)
    return caption[:last] + rest
