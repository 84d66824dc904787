"""Paints a grid cell: thumbnail, two lines of caption, and a status badge in the corner."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPixmap
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from photoscribe.gui.photo_model import STATUS_ROLE

CELL = QSize(220, 210)
THUMB = QSize(204, 150)
BADGE_COLOURS = {
    "queued": "#5f6b7a",
    "captioning": "#2f7de1",
    "failed": "#d64545",
    "edited": "#2e9e5b",
    "cancelled": "#8a6d3b",
}


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
        pixmap = index.data(Qt.ItemDataRole.DecorationRole)
        if isinstance(pixmap, QPixmap) and not pixmap.isNull():
            scaled = pixmap.scaled(
                THUMB, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
            )
            x = rect.x() + (rect.width() - scaled.width()) // 2
            painter.drawPixmap(x, rect.y() + 4 + (THUMB.height() - scaled.height()) // 2, scaled)
        text_rect = QRect(
            rect.x() + 6, rect.y() + THUMB.height() + 8, rect.width() - 12, rect.height() - THUMB.height() - 10
        )
        painter.setPen(QColor("#f2f2f2"))
        caption = str(index.data(Qt.ItemDataRole.DisplayRole) or "")
        painter.drawText(text_rect, Qt.TextFlag.TextWordWrap | Qt.AlignmentFlag.AlignTop, caption)
        status = index.data(STATUS_ROLE)
        if status:
            self._paint_badge(painter, rect, str(status))
        painter.restore()

    @staticmethod
    def _paint_badge(painter: QPainter, rect: QRect, status: str) -> None:
        width = painter.fontMetrics().horizontalAdvance(status) + 12
        badge = QRect(rect.right() - width - 6, rect.y() + 8, width, 18)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(BADGE_COLOURS.get(status, "#5f6b7a")))
        painter.drawRoundedRect(badge, 9, 9)
        painter.setPen(QColor("white"))
        painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, status)
