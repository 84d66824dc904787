"""What the grid shows for the search bar: hybrid search (the words first, then the meaning, with the engine's text
model), or *Find similar*'s photos; and the status line saying how far search by meaning is or why it matches
words only.

The query is encoded on a background thread (the text model may be busy embedding captions for a moment): until
its vector is there the grid keeps what it shows, then the search runs again with it. Vectors of recent queries
are kept, so typing back and forth searches at once.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QModelIndex, QObject, QPoint, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QLabel, QMenu, QPushButton

from photoscribe import meaning
from photoscribe.events import SearchState, SearchStatus
from photoscribe.gui.photo_model import RECORD_ROLE
from photoscribe.gui.tasks import TaskRunner
from photoscribe.library import PhotoFilter, PhotoRecord, PhotoStatus, SortOrder
from photoscribe.library.query import meaning_text

if TYPE_CHECKING:
    from photoscribe.gui.main_window import MainWindow

SIMILAR_LIMIT = 100
QUERY_CACHE = 64


def status_text(status: SearchStatus) -> tuple[str, str]:
    """The status line's text and tooltip for ``status`` (empty text: nothing to say)."""
    if status.state == SearchState.LOADING:
        if status.total:
            return f"Downloading the text model for search by meaning: {status.done} of {status.total} files", ""
        return "Loading the text model for search by meaning…", status.detail
    if status.state == SearchState.EMBEDDING:
        return f"Preparing search by meaning: {status.done:,} of {status.total:,}", status.detail
    if status.state == SearchState.EXACT_ONLY:
        first = status.detail.split(". ")[0].rstrip(".")
        return f"Search matches words only: {first}", status.detail
    return "", f"Search by meaning with {status.detail}"


class SearchController(QObject):
    """The window's search: ``finder()`` for the grid, *Find similar*, and the search status line."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window, self.engine, self.library = window, window.engine, window.engine.library
        self.similar_to: PhotoRecord | None = None
        self._similar_ids: list[int] = []
        self._vectors: dict[tuple[str, str], tuple[np.ndarray, str] | None] = {}  # (model, text) -> vector
        self._encoding: set[tuple[str, str]] = set()
        self._tasks = TaskRunner(1, "query", self)
        self.line = QLabel()
        self.line.hide()
        window.statusBar().addWidget(self.line)
        self.similar_chip = QPushButton()
        self.similar_chip.setToolTip("Back to the search")
        self.similar_chip.hide()
        self.similar_chip.clicked.connect(lambda: self.clear_similar())
        window.search.parentWidget().layout().insertWidget(1, self.similar_chip)
        window.search.textEdited.connect(lambda _text: self.clear_similar(requery=False))
        window.bridge.search_status.connect(self.show_status)
        window.details.similar_requested.connect(self.find_similar)
        window.grid.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        window.grid.customContextMenuRequested.connect(self._context_menu)

    # -- the grid's photos ------------------------------------------------------------------------------------

    def finder(
        self,
        text: str,
        status: PhotoStatus | PhotoFilter | None,
        folder: Path | None,
        order: SortOrder = SortOrder.ADDED,
    ) -> Callable[[], list[int]] | None:
        """What finds the photos to show, best first (:func:`photoscribe.meaning.photo_ids`, as the CLI ranks
        them), to run off the GUI thread; ``None`` while the query's vector is being made (the grid keeps what it
        shows and is searched again when the vector is there)."""
        if self.similar_to is not None:
            similar = list(self._similar_ids)
            return lambda: similar
        embedder = self.engine.embeddings.embedder
        meant = meaning_text(text) if embedder is not None else None
        known = None
        if embedder is not None and meant is not None:
            key = (embedder.ref, meant)
            if key not in self._vectors:
                self._encode(key)
                return None
            known = self._vectors[key]  # (None: the model went away meanwhile)
        found = _Known(*known, embedder) if known is not None else None
        library = self.library
        return lambda: meaning.photo_ids(library, text, embedder=found, status=status, folder=folder, order=order)

    def _encode(self, key: tuple[str, str]) -> None:
        if key in self._encoding:
            return
        self._encoding.add(key)

        def done(result: tuple[np.ndarray, str] | None, error: object) -> None:
            self._encoding.discard(key)
            if error is not None or result is not None:  # (an error: words only for this query)
                self._vectors[key] = None if error is not None else result
            while len(self._vectors) > QUERY_CACHE:
                del self._vectors[next(iter(self._vectors))]
            embedder = self.engine.embeddings.embedder
            if embedder is not None and (embedder.ref, meaning_text(self.window.search.text())) == key:
                self.window.requery()

        self._tasks.run(lambda: self.engine.embeddings.encode_query(key[1]), done)

    # -- find similar -----------------------------------------------------------------------------------------

    def find_similar(self, path: str) -> None:
        """Show ``path``'s photo first, then the photos that look most like it."""
        record = self.library.photo(path)
        if record is None:
            return
        self.window.statusBar().showMessage(f"Looking for photos like {Path(path).name}…", 5_000)
        find = lambda: self.library.similar(record.id, limit=SIMILAR_LIMIT)  # noqa: E731
        self._tasks.run(find, lambda result, error: self._found(record, result, error))

    def _found(self, record: PhotoRecord, result: object, error: object) -> None:
        name = Path(record.path).name
        if error is not None or not result:
            why = str(error) if error is not None else "only photos captioned by this version can be compared"
            self.window.statusBar().showMessage(f"No photos like {name} found: {why} (re-caption older ones)", 15_000)
            return
        self.window.statusBar().clearMessage()
        self.similar_to = record
        self._similar_ids = [record.id, *(hit.photo.id for hit in result)]  # type: ignore[attr-defined]
        self.similar_chip.setText(f"Similar to {name}  ✕")
        self.similar_chip.show()
        self.window.requery()

    def clear_similar(self, requery: bool = True) -> None:
        """Leave *Find similar*: the grid shows the search again."""
        if self.similar_to is None:
            return
        self.similar_to, self._similar_ids = None, []
        self.similar_chip.hide()
        if requery:
            self.window.requery()

    def context_menu(self, index: QModelIndex) -> QMenu | None:
        """The grid's context menu for the photo at ``index``."""
        record = index.data(RECORD_ROLE) if index.isValid() else None
        if record is None:
            return None
        menu = QMenu(self.window.grid)
        similar = QAction("Find similar", menu)
        similar.triggered.connect(lambda: self.find_similar(record.path))
        menu.addAction(similar)
        return menu

    def _context_menu(self, pos: QPoint) -> None:
        menu = self.context_menu(self.window.grid.indexAt(pos))
        if menu is not None:
            menu.exec(self.window.grid.viewport().mapToGlobal(pos))

    # -- the status line ----------------------------------------------------------------------------------------

    def show_status(self, status: SearchStatus) -> None:
        """Say how far search by meaning is; search again when its vectors move on."""
        text, tip = status_text(status)
        self.line.setText(text)
        self.line.setToolTip(tip)
        self.line.setVisible(bool(text))
        if status.state in (SearchState.EMBEDDING, SearchState.READY) and self.window.search.text().strip():
            self.window.engine_requery.ask()  # more photos can be found by meaning now

    def shutdown(self) -> None:
        """Drop queries still waiting for their vector."""
        self._tasks.shutdown(drop_queued=True)


class _Known:
    """A query vector made ahead (off the GUI thread), as :func:`photoscribe.meaning.photo_ids` asks for one."""

    def __init__(self, vector: np.ndarray, ref: str, embedder: object = None) -> None:
        self.vector, self.ref, self.dim = vector, ref, int(vector.shape[-1])
        self.embedder = embedder

    def knows_a_word(self, text: str) -> bool:
        knows = getattr(self.embedder, "knows_a_word", None)
        return knows is None or bool(knows(text))

    def encode(self, texts: list[str]) -> np.ndarray:
        return self.vector[None, :]
