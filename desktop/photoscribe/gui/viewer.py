"""The full-window viewer: one photo as large as the window's central area allows, with its caption, file name
and place in the grid. Space or a double-click in the grid (or *Photos > View*) opens it; Left/Right, Up/Down,
PageUp/PageDown, Home/End move through the grid's photos and the grid's current photo follows; Esc, Space or a
double-click close it.

The photo is decoded on a background thread for the screen (:func:`decode_for_screen`: every format, upright), its
thumbnail shown scaled up meanwhile. A :class:`~photoscribe.gui.tasks.LatestTask` runs the decodes (one running,
one waiting, only the newest shown) and a request waits for the events queued (a burst of keys asks for one), so
holding an arrow key never queues a decode of every photo passed. The photo file is only ever read.
"""

from __future__ import annotations

import enum
import math
from collections import OrderedDict, deque
from pathlib import Path
from typing import TYPE_CHECKING

from PIL import Image
from PySide6.QtCore import QEvent, QItemSelectionModel, QModelIndex, QObject, QPoint, QRect, QSize, Qt
from PySide6.QtGui import QColor, QImage, QKeyEvent, QPainter, QPalette, QPixmap
from PySide6.QtWidgets import QApplication, QLabel, QSizePolicy, QVBoxLayout, QWidget

from photoscribe.errors import UnreadableImageError, one_line
from photoscribe.gui.grid_view import single_shot
from photoscribe.gui.photo_model import caption_text, thumbnail_key
from photoscribe.gui.tasks import LatestTask
from photoscribe.imaging import DRAFT_FACTOR, load_for_model
from photoscribe.library import PhotoRecord

if TYPE_CHECKING:
    from photoscribe.gui.main_window import MainWindow

KEPT = 4  # pictures decoded kept in memory (a 4K screen's picture is about 25 MB)
BACKGROUND = QColor("#111214")
Key = Qt.Key
PREVIOUS_KEYS = {Key.Key_Left, Key.Key_Up, Key.Key_PageUp}
NEXT_KEYS = {Key.Key_Right, Key.Key_Down, Key.Key_PageDown}
CLOSE_KEYS = {Key.Key_Escape, Key.Key_Space}
KEYS = PREVIOUS_KEYS | NEXT_KEYS | CLOSE_KEYS | {Key.Key_Home, Key.Key_End}


class Showing(enum.Enum):
    """What the viewer's picture area shows."""

    NOTHING = "nothing"  # not decoded yet, no thumbnail at hand
    THUMBNAIL = "thumbnail"  # the thumbnail scaled up, while the photo decodes
    PHOTO = "photo"  # the photo decoded for the screen
    MESSAGE = "message"  # why the photo cannot be shown


def decode_for_screen(path: str, fit: QSize) -> QImage | str:
    """The photo at ``path`` upright, fitted in ``fit`` device pixels (never enlarged); the reason instead when it
    cannot be decoded. Runs on a background thread (QImage is safe there)."""
    try:
        picture = load_for_model(path, edge=math.ceil(max(fit.width(), fit.height()) / DRAFT_FACTOR))
    except UnreadableImageError as exc:
        return exc.reason
    picture.thumbnail((fit.width(), fit.height()), Image.Resampling.BICUBIC)
    data = picture.tobytes("raw", "RGB")
    return QImage(data, picture.width, picture.height, picture.width * 3, QImage.Format.Format_RGB888).copy()


class Picture(QWidget):
    """An image as large as fits, aspect kept and centred (a message instead when there is none)."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.image: QImage | None = None
        self.message = ""
        self._scaled: QPixmap | None = None  # the image scaled for the rectangle it was last painted in
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(1, 1)

    def show_image(self, image: QImage | None, message: str = "") -> None:
        self.image, self.message, self._scaled = image, message, None
        self.update()

    def shown_rect(self) -> QRect:
        """Where the image is painted (empty when there is none)."""
        if self.image is None or self.image.isNull():
            return QRect()
        size = self.image.size().scaled(self.size(), Qt.AspectRatioMode.KeepAspectRatio)
        return QRect(QPoint((self.width() - size.width()) // 2, (self.height() - size.height()) // 2), size)

    def scaled(self) -> QPixmap | None:
        """The pixmap painted: the image scaled for :meth:`shown_rect` (made when first painted)."""
        rect = self.shown_rect()
        if self.image is None or rect.isEmpty():
            return None
        if self._scaled is None or self._scaled.deviceIndependentSize().toSize() != rect.size():
            ratio = self.devicePixelRatioF()
            mode = Qt.TransformationMode.SmoothTransformation
            scaled = self.image.scaled(rect.size() * ratio, Qt.AspectRatioMode.IgnoreAspectRatio, mode)
            self._scaled = QPixmap.fromImage(scaled)
            self._scaled.setDevicePixelRatio(ratio)
        return self._scaled

    def paintEvent(self, event: QEvent) -> None:  # noqa: N802
        painter = QPainter(self)
        painter.fillRect(self.rect(), BACKGROUND)
        pixmap = self.scaled()
        if pixmap is not None:
            painter.drawPixmap(self.shown_rect().topLeft(), pixmap)
        elif self.message:
            painter.setPen(QColor("#d0d3d6"))
            flags = Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap
            painter.drawText(self.rect().adjusted(24, 24, -24, -24), flags, self.message)
        painter.end()


class PhotoViewer(QWidget):
    """The viewer over the main window's central area (hidden until :meth:`open`)."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window.centralWidget())
        self.main, self.grid, self.model = window, window.grid, window.model
        self.row = -1
        self.record: PhotoRecord | None = None  # the photo shown
        self.showing = Showing.NOTHING
        self.decodes_run: deque[int] = deque(maxlen=100)  # photo ids, as their decodes began (decode thread)
        self._key: tuple[object, ...] | None = None  # the shown photo's file (decoded again when it changes)
        self._asked: tuple[object, ...] | None = None  # the file of the latest decode asked for
        self._kept: OrderedDict[tuple[object, ...], QImage | str] = OrderedDict()  # decoded lately (or why not)
        self._task = LatestTask("viewer", self)
        self._decode_timer = single_shot(self, 0, self._decode)  # after the events waiting (a burst of keys)
        self._follow_timer = single_shot(self, 0, self._follow)  # after the grid's rows changed
        self.picture = Picture(self)
        self.caption = QLabel(alignment=Qt.AlignmentFlag.AlignCenter, styleSheet="color: #e8eaed; font-size: 15px;")
        self.info = QLabel(alignment=Qt.AlignmentFlag.AlignCenter, styleSheet="color: #9aa0a6;")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 8)
        for widget, stretch in ((self.picture, 1), (self.caption, 0), (self.info, 0)):
            layout.addWidget(widget, stretch)
        self.setAutoFillBackground(True)
        palette = self.palette()
        palette.setColor(QPalette.ColorRole.Window, BACKGROUND)
        self.setPalette(palette)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.hide()
        self.parentWidget().installEventFilter(self)  # (follows its size)
        self.grid.installEventFilter(self)  # Space opens
        self.grid.doubleClicked.connect(lambda index: self.open(index.row()))
        window.thumbnails.ready.connect(self._thumbnails_ready)
        QApplication.instance().focusChanged.connect(self._focus_changed)
        for change in (self.model.modelReset, self.model.rowsInserted, self.model.rowsRemoved, self.model.dataChanged):
            change.connect(lambda *_: self.isVisible() and self._follow_timer.start())

    # -- opening, moving, closing -----------------------------------------------------------------------------

    def open(self, row: int | None = None) -> None:
        """Show the photo at ``row`` (the grid's current one by default)."""
        row = self.grid.currentIndex().row() if row is None else row
        if not 0 <= row < self.model.rowCount():
            return
        self.setGeometry(self.parentWidget().rect())
        self.show()
        self.raise_()
        self.setFocus()
        self.go(row)

    def close_viewer(self) -> None:
        """Back to the grid, on the photo last viewed."""
        self.hide()
        self._decode_timer.stop()
        self.grid.setFocus()
        self._scroll_to(self.grid.currentIndex())

    def go(self, row: int) -> None:
        """Show the photo at ``row`` (kept within the grid) and make it the grid's current photo."""
        count = self.model.rowCount()
        if count == 0:
            self.close_viewer()
            return
        row = max(0, min(row, count - 1))
        record = self.model.record(row)
        if record is None:
            return
        self.row = row
        index = self.model.index(row)
        if self.grid.currentIndex().row() != row:
            self.grid.selectionModel().setCurrentIndex(index, QItemSelectionModel.SelectionFlag.ClearAndSelect)
            self._scroll_to(index)
        self._show(record)

    def _scroll_to(self, index: QModelIndex) -> None:
        with self.main.refresher.gate.unheeded():  # (the app's own scroll: no reason to hold background work)
            self.grid.scrollTo(index)

    def shutdown(self) -> None:
        """Stop decoding (any thread): no picture is shown after this."""
        self._task.shutdown()

    # -- what is shown ----------------------------------------------------------------------------------------

    def _show(self, record: PhotoRecord) -> None:
        record = self.main.edits.expected(record)  # (a caption just typed, not saved yet)
        self.record = record
        self._label(record)
        key = (record.id, record.path, record.size)  # (not its caption's time: a caption arriving is no new file)
        if key == self._key and (self.showing in (Showing.PHOTO, Showing.MESSAGE) or key == self._asked):
            return
        self._key = key
        kept = self._kept.get(key)
        if kept is not None:
            self._kept.move_to_end(key)
            self._picture(kept)
            return
        thumbnails = self.main.thumbnails
        thumbnail = thumbnails.get(record.id, record.path, record.size, thumbnail_key(record))
        self.showing = Showing.NOTHING if thumbnail is None else Showing.THUMBNAIL
        self.picture.show_image(thumbnail, "" if thumbnail is not None else "Loading…")
        self._decode_timer.start()

    def _label(self, record: PhotoRecord) -> None:
        text = caption_text(record)
        self.caption.setToolTip(text)
        width = max(40, self.width() - 40)
        self.caption.setText(self.caption.fontMetrics().elidedText(text, Qt.TextElideMode.ElideRight, width))
        self.info.setText(f"{Path(record.path).name}    {self.row + 1:,} of {self.model.rowCount():,}")

    def _picture(self, kept: QImage | str) -> None:
        if isinstance(kept, QImage):
            self.showing = Showing.PHOTO
            self.picture.show_image(kept)
        else:
            self.showing = Showing.MESSAGE
            self.picture.show_image(None, f"This photo cannot be shown: {kept}")

    def _decode(self) -> None:
        if self._key is None or self.record is None or not self.isVisible():
            return
        key, path, photo_id = self._key, self.record.path, self.record.id
        self._asked = key
        screen = self.screen()
        fit = screen.size() * screen.devicePixelRatio()
        started = self.decodes_run

        def decode() -> QImage | str:
            started.append(photo_id)
            return decode_for_screen(path, fit)

        self._task.run(decode, lambda result, error: self._decoded(key, result, error))

    def _decoded(self, key: tuple[object, ...], result: object, error: object) -> None:
        if isinstance(result, (QImage, str)):
            kept: QImage | str = result
        else:
            kept = one_line(error) if isinstance(error, BaseException) else "it could not be decoded"
        self._kept[key] = kept
        while len(self._kept) > KEPT:
            self._kept.popitem(last=False)
        if key == self._key:
            self._picture(kept)

    def _thumbnails_ready(self, photo_ids: list[int]) -> None:
        record = self.record
        thumbnail = self.main.thumbnails.loaded(record.id) if record is not None and record.id in photo_ids else None
        if self.showing is Showing.NOTHING and thumbnail is not None:
            self.showing = Showing.THUMBNAIL
            self.picture.show_image(thumbnail)

    def _follow(self) -> None:
        """The grid's rows changed: find the photo shown again (the one now in its place if it left)."""
        if not self.isVisible() or self.record is None or self.model.changing:
            return
        row = self.model.row_of(self.record.id)
        if row is None:
            self.go(self.row)
            return
        self.row = row
        record = self.model.painted_record(row)  # (read in the background if it changed: followed again then)
        if record is not None and record != self.record:
            self._show(record)
        else:
            self._label(self.record)

    # -- events -----------------------------------------------------------------------------------------------

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        key, last = event.key(), self.model.rowCount() - 1
        if event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier or key not in KEYS:
            super().keyPressEvent(event)
        elif key in CLOSE_KEYS:
            self.close_viewer()
        elif key in PREVIOUS_KEYS or key in NEXT_KEYS:
            self.go(max(0, min(self.row + (1 if key in NEXT_KEYS else -1), last)))
        else:
            self.go(0 if key == Key.Key_Home else last)

    def mouseDoubleClickEvent(self, event: QEvent) -> None:  # noqa: N802
        self.close_viewer()

    def _focus_changed(self, _old: QWidget | None, new: QWidget | None) -> None:
        behind = new is not None and new is not self and not self.isAncestorOf(new)
        if self.isVisible() and behind and self.parentWidget().isAncestorOf(new):
            self.hide()  # the keyboard went to a widget under the viewer (Ctrl+F: the search bar)
            self._decode_timer.stop()

    def focusNextPrevChild(self, next: bool) -> bool:  # noqa: N802, A002
        return False  # (Tab stays here: the widgets behind the viewer are not shown)

    def resizeEvent(self, event: QEvent) -> None:  # noqa: N802
        if self.record is not None:
            self._label(self.record)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if watched is self.parentWidget() and event.type() == QEvent.Type.Resize:
            self.setGeometry(self.parentWidget().rect())
        elif watched is self.grid and event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            if event.key() == Key.Key_Space and not event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier:
                self.open()
                return True
        return False
