"""Paints a grid cell: thumbnail, two lines of caption, a status badge in the corner and, for a RAW+JPEG pair
shown as one photo, a "RAW+JPEG" badge on the thumbnail."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPixmap
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from photoscribe.gui.photo_model import LOADING_ROLE, PAIR_ROLE, STATUS_ROLE

CELL = QSize(220, 210)
THUMB = QSize(204, 150)
BADGE_COLOURS = {
    "queued": "#5f6b7a",
    "captioning": "#2f7de1",
    "failed": "#d64545",
    "edited": "#2e9e5b",
    "cancelled": "#8a6d3b",
}
PAIR_COLOUR = "#6a4fb3"


class PhotoDelegate(QStyledItemDelegate):
    """Fixed-size cells so the view can lay out 100,000 items without measuring them."""

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:
        return CELL

    def paint(
        self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        painter.save()
        rect = option.rect.adjusted(4, 4, -4, -4)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        painter.fillRect(rect, QColor("#2f80ed" if selected else "#26292c"))
        if index.data(LOADING_ROLE):  # its record is being read: the cell is painted again when it is in
            painter.setPen(QColor("#6b7075"))
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, "…")
            painter.restore()
            return
        picture = index.data(Qt.ItemDataRole.DecorationRole)
        if isinstance(picture, (QImage, QPixmap)) and not picture.isNull():
            size = picture.size().scaled(THUMB, Qt.AspectRatioMode.KeepAspectRatio)
            x = rect.x() + (rect.width() - size.width()) // 2
            target = QRect(x, rect.y() + 4 + (THUMB.height() - size.height()) // 2, size.width(), size.height())
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
            if isinstance(picture, QImage):
                painter.drawImage(target, picture)  # scaled while painted: no scaled copy kept anywhere
            else:
                painter.drawPixmap(target, picture)
        text_rect = QRect(
            rect.x() + 6, rect.y() + THUMB.height() + 8, rect.width() - 12, rect.height() - THUMB.height() - 10
        )
        painter.setPen(QColor("#f2f2f2"))
        caption = str(index.data(Qt.ItemDataRole.DisplayRole) or "")
        painter.drawText(text_rect, Qt.TextFlag.TextWordWrap | Qt.AlignmentFlag.AlignTop, caption)
        status = index.data(STATUS_ROLE)
        if status:
            self._paint_badge(painter, rect, str(status), BADGE_COLOURS.get(str(status), "#5f6b7a"), top=True)
        pair = index.data(PAIR_ROLE)
        if pair:
            self._paint_badge(painter, rect, str(pair), PAIR_COLOUR, top=False)
        painter.restore()

    @staticmethod
    def _paint_badge(painter: QPainter, rect: QRect, text: str, colour: str, top: bool) -> None:
        """A rounded label: top right (status) or bottom left of the thumbnail (RAW+JPEG)."""
        width = painter.fontMetrics().horizontalAdvance(text) + 12
        if top:
            badge = QRect(rect.right() - width - 6, rect.y() + 8, width, 18)
        else:
            badge = QRect(rect.x() + 6, rect.y() + THUMB.height() - 18, width, 18)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(colour))
        painter.drawRoundedRect(badge, 9, 9)
        painter.setPen(QColor("white"))
        painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, text)
