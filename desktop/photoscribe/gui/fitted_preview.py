"""The Details panel's preview: the photo as large as the panel's width allows, scaled again when it is resized."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QImage, QPixmap, QResizeEvent
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget

SHAPE = 3 / 4  # the preview's height for its width (a landscape photo fills it)
HEIGHTS = (160, 420)  # the preview's height at least and at most


class FittedPreview(QLabel):
    """A label that shows an image scaled to fill its width (its height follows: :data:`SHAPE`), or a text.

    Its width never holds the panel open: the panel decides it, the image follows."""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(text, parent, alignment=Qt.AlignmentFlag.AlignCenter)
        self._image: QImage | None = None
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.setMinimumWidth(120)
        self._fit_height()

    def show_image(self, image: QImage | None, text: str = "") -> None:
        """Show ``image`` fitted to the label (``None``: show ``text`` instead)."""
        self._image = image
        if image is None:
            self.clear()
            self.setText(text)
        else:
            self._show_scaled()

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(self.width(), self.height())

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        if event.size().width() != event.oldSize().width():
            self._fit_height()
            if self._image is not None:
                self._show_scaled()

    def _fit_height(self) -> None:
        low, high = HEIGHTS
        self.setFixedHeight(min(max(round(self.width() * SHAPE), low), high))

    def _show_scaled(self) -> None:
        image, ratio = self._image, self.devicePixelRatioF()
        box = QSize(round(self.width() * ratio), round(self.height() * ratio))
        scaled = QPixmap.fromImage(image).scaled(  # type: ignore[arg-type]
            box, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
        )
        scaled.setDevicePixelRatio(ratio)
        self.setPixmap(scaled)
