"""The photo grid's model: ids of the photos to show, records fetched lazily a page at a time.

Only rows the view asks for are read from the library (a page of :data:`PAGE` around them, at most
:data:`RECORDS_KEPT` records kept), and thumbnails are requested only for rows being painted, so 100,000 photos
scroll as smoothly as 100 in bounded memory. A new list of ids arrives as an :class:`~photoscribe.gui.id_diff.IdChange`
worked out off the GUI thread: rows are inserted and removed (the view keeps its selection and scroll position)
unless the list changed wholesale.
"""

from __future__ import annotations

from collections import OrderedDict

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QSize, QStringListModel, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPixmap

from photoscribe.formats import FileKind, kind_of_name
from photoscribe.gui.id_diff import IdChange, plan
from photoscribe.gui.photo_delegate import CELL_ROLE, THUMB, Cell, fitted_size
from photoscribe.gui.record_pages import RecordPages
from photoscribe.gui.thumbnails import THUMBNAIL_EDGE, ThumbnailCache
from photoscribe.library import Library, PhotoRecord, PhotoStatus

PAGE = 120
RECORDS_KEPT = 20 * PAGE  # records of rows shown lately (the others are read again when shown)
STATUS_ROLE = Qt.ItemDataRole.UserRole + 1
RECORD_ROLE = Qt.ItemDataRole.UserRole + 2
PAIR_ROLE = Qt.ItemDataRole.UserRole + 3

BADGES = {
    PhotoStatus.PENDING: "queued",
    PhotoStatus.RUNNING: "captioning",
    PhotoStatus.FAILED: "failed",
    PhotoStatus.CANCELLED: "cancelled",
}


def badge(record: PhotoRecord) -> str:
    """The status badge of a photo: queued, captioning, failed, cancelled, edited, or empty when captioned."""
    if record.status in BADGES:
        return BADGES[record.status]
    return "edited" if record.user_caption is not None else ""


def companion(record: PhotoRecord) -> str | None:
    """The RAW half's path when ``record`` is the shown JPEG/HEIF of a RAW+JPEG pair."""
    return record.companion_path


def pair_label(record: PhotoRecord) -> str:
    """``RAW+JPEG`` (or ``RAW+HEIF``) for the shown half of a pair, else empty."""
    if not companion(record):
        return ""
    return "RAW+HEIF" if kind_of_name(record.path) is FileKind.HEIF else "RAW+JPEG"


class PhotoListModel(QStringListModel):
    """Photos by id for a ``QListView``; call :meth:`show_ids` to change what is shown.

    Built on ``QStringListModel`` (one empty string per row) so that the row count the view asks for is answered
    in C++: laying out 100,000 rows calls ``rowCount`` twice per row, 150 ms more per layout when Python answers.
    """

    def __init__(self, library: Library, thumbnails: ThumbnailCache) -> None:
        super().__init__()
        self.library = library
        self.thumbnails = thumbnails
        self._ids: list[int] = []
        self.changing = False  # rows are being inserted or removed: what the view reports meanwhile is half-way
        self._row_of: dict[int, int] = {}
        self._records: OrderedDict[int, PhotoRecord] = OrderedDict()  # least recently shown first
        self._stale: set[int] = set()  # records kept (and shown) until they are read again
        self._pages = RecordPages(library, self)  # pages of records for the rows painted, read in the background
        self._pages.loaded.connect(self._records_loaded)
        self._placeholder = _placeholder("loading…")  # (fitted in a cell's thumbnail place: painted unscaled)
        self._no_preview = _placeholder("no preview")
        thumbnails.ready.connect(self._thumbnail_ready)

    # -- what is shown ---------------------------------------------------------------------------------------

    def show_ids(self, ids: list[int]) -> IdChange:
        """Show these photos, in this order (works the change out here: :meth:`apply` takes one made ahead)."""
        change = plan(self._ids, ids)
        self.apply(change)
        return change

    def apply(self, change: IdChange) -> None:
        """Go from the ids shown to ``change.ids``: rows removed and inserted, or a reset."""
        if change.old is not self._ids and change.old != self._ids:  # made against another list: work it out again
            change = plan(self._ids, change.ids)
        self.changing = True
        try:
            self._apply(change)
        finally:
            self.changing = False

    def _apply(self, change: IdChange) -> None:
        if change.reset:
            self._ids, self._row_of, self._records = list(change.ids), change.row_of, OrderedDict()
            self._stale = set()
            self.setStringList([""] * len(self._ids))  # a reset (emitted in C++)
            return
        ids = self._ids = list(self._ids)  # (never the list handed out to a query running meanwhile)
        for first, last in change.removed:
            for photo_id in ids[first : last + 1]:
                self._records.pop(photo_id, None)
            del ids[first : last + 1]
            self.removeRows(first, last - first + 1)  # rows removed (signalled in C++)
        for first, last in change.inserted:
            ids[first:first] = change.ids[first : last + 1]
            self.insertRows(first, last - first + 1)
        self._row_of = change.row_of

    def row_of(self, photo_id: int) -> int | None:
        """The row showing ``photo_id``, or ``None``."""
        return self._row_of.get(photo_id)

    def records_held(self) -> int:
        """How many records the model keeps (at most :data:`RECORDS_KEPT`)."""
        return len(self._records)

    def ids(self) -> list[int]:
        """The ids shown, in order (the model's own list: do not change it)."""
        return self._ids

    def record(self, row: int) -> PhotoRecord | None:
        """The record at ``row`` (loading its page if needed)."""
        if not 0 <= row < len(self._ids):
            return None
        photo_id = self._ids[row]
        record = self._records.get(photo_id)
        if record is None or photo_id in self._stale:
            start = max(0, row - PAGE // 4)
            self._keep(self.library.records(self._ids[start : start + PAGE]))
            record = self._records.get(photo_id)
        if record is not None:
            self._records.move_to_end(photo_id)
        return record

    def painted_record(self, row: int) -> PhotoRecord | None:
        """The record at ``row`` if it is at hand (a stale one is shown while it is read again); else ``None``
        while its page is read in the background (the rows are repainted when it arrives)."""
        if not 0 <= row < len(self._ids):
            return None
        record = self._records.get(self._ids[row])
        if record is None or record.id in self._stale:
            start = max(0, row - PAGE // 4)
            self._pages.request(
                [i for i in self._ids[start : start + PAGE] if i not in self._records or i in self._stale]
            )
        if record is not None:
            self._records.move_to_end(record.id)
        return record

    def reread(self) -> None:
        """The photos' states may have changed (a requery): records are read again as their rows are painted,
        shown as they were meanwhile."""
        self._stale = set(self._records)
        self._pages.changed(None)
        if self._ids:
            self.dataChanged.emit(self.index(0), self.index(len(self._ids) - 1))

    def shutdown(self, wait: bool = True) -> None:
        """Stop reading records (any thread with ``wait``)."""
        self._pages.shutdown(wait)

    def _keep(self, records: dict[int, PhotoRecord]) -> None:
        """Keep these records, dropping those shown least recently beyond :data:`RECORDS_KEPT`."""
        self._records.update(records)
        self._stale.difference_update(records)
        while len(self._records) > RECORDS_KEPT:
            self._stale.discard(self._records.popitem(last=False)[0])

    def _records_loaded(self, records: dict[int, PhotoRecord], stale: dict[int, PhotoRecord]) -> None:
        self._keep(records)
        for photo_id, record in stale.items():  # read before a change: shown until read again (when painted)
            self._records.setdefault(photo_id, record)
            self._stale.add(photo_id)
        rows = [self._row_of[photo_id] for photo_id in (*records, *stale) if photo_id in self._row_of]
        if rows:
            self.dataChanged.emit(self.index(min(rows)), self.index(max(rows)))

    def refresh(self, paths: set[str]) -> None:
        """Reload the given photos (they were captioned or edited) and repaint their rows."""
        self._pages.changed(paths)
        changed = [pid for pid, rec in self._records.items() if rec.path in paths]
        for photo_id in changed:
            del self._records[photo_id]
            self.thumbnails.forget(photo_id)
            if photo_id not in self._row_of:
                continue
            index = self.index(self._row_of[photo_id])
            self.dataChanged.emit(index, index)

    # -- QAbstractListModel ----------------------------------------------------------------------------------

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemNeverHasChildren

    def cell(self, row: int) -> Cell | None:
        """All the delegate paints for ``row``, from the record at hand (``None`` while it is read: nothing is read
        on the GUI thread for painting); its thumbnail is asked for if it is not loaded."""
        record = self.painted_record(row)
        if record is None:
            return None
        picture = self.thumbnails.fitted(record.id)
        if picture is None:
            picture = self._thumbnail(record)
        return Cell(caption_text(record), badge(record), pair_label(record), picture)

    def set_thumb(self, thumb: QSize) -> None:
        """Make the placeholders for a thumbnail place of ``thumb`` (the grid's thumbnails changed size)."""
        self._placeholder, self._no_preview = _placeholder("loading…", thumb), _placeholder("no preview", thumb)

    def _thumbnail(self, record: PhotoRecord) -> QImage | QPixmap:
        """The thumbnail fitted for the grid, asked for if it is not loaded (a placeholder meanwhile)."""
        self.thumbnails.get(record.id, record.path, record.size, thumbnail_key(record))
        picture = self.thumbnails.fitted(record.id)
        if picture is not None:
            return picture
        return self._no_preview if self.thumbnails.unreadable(record.id) else self._placeholder

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if role == CELL_ROLE:  # what the delegate asks for
            return self.cell(index.row()) if index.isValid() else None
        record = self.record(index.row()) if index.isValid() else None
        if record is None:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return caption_text(record)
        if role == Qt.ItemDataRole.DecorationRole:
            return self._thumbnail(record)
        if role == Qt.ItemDataRole.ToolTipRole:
            names = "\n".join(filter(None, (record.path, companion(record))))
            unreadable = self.thumbnails.reason(record.id)
            preview = f"no preview: {unreadable}" if unreadable else ""
            return "\n".join(filter(None, (names, record.caption, record.error, preview)))
        if role == STATUS_ROLE:
            return badge(record)
        if role == PAIR_ROLE:
            return pair_label(record)
        if role == RECORD_ROLE:
            return record
        return None

    def _thumbnail_ready(self, photo_ids: list[int]) -> None:
        rows = [self._row_of[photo_id] for photo_id in photo_ids if photo_id in self._row_of]
        if rows:  # one repaint for them all (the view repaints only what of it is on screen)
            self.dataChanged.emit(self.index(min(rows)), self.index(max(rows)), [Qt.ItemDataRole.DecorationRole])


def caption_text(record: PhotoRecord) -> str:
    """The caption a grid cell shows."""
    return record.caption or ("could not be captioned" if record.status == PhotoStatus.FAILED else "…")


def thumbnail_key(record: PhotoRecord) -> str:
    """What, besides path and size, names a photo's cached thumbnail (a re-captioned photo may have changed)."""
    return str(record.captioned_at or record.id)


def _placeholder(text: str, thumb: QSize = THUMB) -> QPixmap:
    pixmap = QPixmap(fitted_size(QSize(THUMBNAIL_EDGE, THUMBNAIL_EDGE * 2 // 3), thumb))
    pixmap.fill(QColor("#3a3d41"))
    painter = QPainter(pixmap)
    painter.setPen(QColor("#6b7075"))
    painter.drawText(pixmap.rect(), Qt.AlignmentFlag.AlignCenter, text)
    painter.end()
    return pixmap
