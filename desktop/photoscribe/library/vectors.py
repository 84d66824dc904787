"""Vectors for search by meaning (text vectors) and similar photos (image vectors): two tables, held in memory.

Each row records the model that made it; a text vector also records the sha1 of the text it was made from
(``rows.embedding_text``), and becomes stale (``text_hash`` NULL) when that text changes (``rows.reindex``).

A :class:`VectorIndex` holds one table's current vectors of one model as a float32 matrix, so a search is one
matrix product (100,000 vectors of 384 dimensions: 154 MB, a few ms). It checks a meta counter on each use and
reads only the rows written since (each write stamps its rows with the counter); deleted photos make it reload.
Plain SQL over a BLOB column: portable to PostgreSQL.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from photoscribe.library.database import Database
from photoscribe.library.models import (
    IMAGE_VECTORS_CHANGED,
    TEXT_VECTORS_CHANGED,
    VECTORS_REMOVED,
    ImageVector,
    Meta,
    Photo,
    TextVector,
)
from photoscribe.library.rows import count_change, embedding_text, text_hash, with_details

CHUNK = 500  # ids per IN (...) list
DTYPE = np.dtype("<f4")


def as_blob(vector: np.ndarray) -> bytes:
    """A vector as stored: float32, little-endian, L2-normalised."""
    flat = np.asarray(vector, dtype=np.float32).reshape(-1)
    norm = float(np.linalg.norm(flat))
    return (flat / norm if norm > 0 else flat).astype(DTYPE).tobytes()


# -- text vectors: storing them (what to embed and progress: text_vector_queue.py) ---------------------------


def store_text_vectors(db: Database, model_ref: str, items: Sequence[tuple[int, str, np.ndarray]]) -> None:
    """Store vectors made by ``model_ref`` as (photo id, text embedded, vector); a photo whose text changed since
    it was read (or that is gone) is left for the next :func:`text_vector_todo`."""
    if not items:
        return
    with db.writing() as session:
        changed = count_change(session, TEXT_VECTORS_CHANGED)
        for start in range(0, len(items), CHUNK):
            chunk = items[start : start + CHUNK]
            ids = [photo_id for photo_id, _, _ in chunk]
            photos = {p.id: p for p in session.scalars(with_details(select(Photo).where(Photo.id.in_(ids))))}
            rows = {v.photo_id: v for v in session.scalars(select(TextVector).where(TextVector.photo_id.in_(ids)))}
            for photo_id, text, vector in chunk:
                photo = photos.get(photo_id)
                if photo is None or embedding_text(photo) != text:
                    continue
                row = rows.get(photo_id) or TextVector(photo_id=photo_id)
                row.model_ref, row.text_hash, row.vector, row.changed = (
                    model_ref,
                    text_hash(text),
                    as_blob(vector),
                    changed,
                )
                session.add(row)


def store_image_vectors(session: Session, items: Sequence[tuple[int, str, np.ndarray]]) -> None:
    """In the caller's transaction: image vectors as (photo id, model ref, vector), replacing older ones."""
    if not items:
        return
    changed = count_change(session, IMAGE_VECTORS_CHANGED)
    rows = {
        v.photo_id: v
        for v in session.scalars(select(ImageVector).where(ImageVector.photo_id.in_([i[0] for i in items])))
    }
    for photo_id, model_ref, vector in items:
        row = rows.get(photo_id) or ImageVector(photo_id=photo_id)
        row.model_ref, row.vector, row.changed = model_ref, as_blob(vector), changed
        session.add(row)


# -- vectors in memory -------------------------------------------------------------------------------------------

_blas: list[object] = []


def _one_blas_thread():  # type: ignore[no-untyped-def]
    """numpy's BLAS held to one thread for a product (memory-bound: 14 ms instead of 12 at 100,000 vectors). Its
    threads otherwise spin for a while after each product, and the text model encoding the next query on the same
    two cores waited for them: queries took 13-110 ms instead of 7-15."""
    if not _blas:
        from threadpoolctl import ThreadpoolController

        _blas.append(ThreadpoolController())
    return _blas[0].limit(limits=1, user_api="blas")  # type: ignore[attr-defined]


@dataclass
class _Held:
    """One model's vectors: rows ``[:size]`` of ``matrix``; ``alive`` is False for rows gone since loading."""

    counter: int
    removed: int
    dim: int
    ids: np.ndarray
    matrix: np.ndarray
    alive: np.ndarray
    size: int = 0
    position: dict[int, int] = field(default_factory=dict)

    def put(self, photo_id: int, vector: np.ndarray) -> None:
        row = self.position.get(photo_id)
        if row is None:
            if self.size == len(self.ids):
                self._grow()
            row = self.size
            self.size += 1
            self.position[photo_id] = row
            self.ids[row] = photo_id
        self.matrix[row] = vector
        self.alive[row] = True

    def drop(self, photo_id: int) -> None:
        row = self.position.get(photo_id)
        if row is not None:
            self.alive[row] = False

    def _grow(self) -> None:
        capacity = max(64, int(len(self.ids) * 1.25))
        self.ids = np.resize(self.ids, capacity)
        matrix = np.zeros((capacity, self.dim), dtype=np.float32)
        matrix[: self.size] = self.matrix[: self.size]
        self.matrix = matrix
        self.alive = np.concatenate([self.alive, np.zeros(capacity - len(self.alive), dtype=bool)])


class VectorIndex:
    """One vector table's current vectors per model, in memory, kept up to date with the library (thread-safe)."""

    def __init__(self, db: Database, table: type[TextVector] | type[ImageVector]) -> None:
        self.db, self.table = db, table
        self.counter_key = TEXT_VECTORS_CHANGED if table is TextVector else IMAGE_VECTORS_CHANGED
        self._lock = threading.Lock()
        self._held: dict[str, _Held] = {}

    def scores(self, model_ref: str, query: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(photo ids, cosine similarity to ``query``) over the current vectors of ``model_ref``."""
        q = np.asarray(query, dtype=np.float32).reshape(-1)
        q = q / (float(np.linalg.norm(q)) or 1.0)
        with self._lock:
            held = self._refresh(model_ref)
            if held is None or held.size == 0 or held.dim != len(q):
                return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
            with _one_blas_thread():
                found = held.matrix[: held.size] @ q
            found[~held.alive[: held.size]] = -np.inf
            return held.ids[: held.size].copy(), found

    def vector(self, model_ref: str, photo_id: int) -> np.ndarray | None:
        """The current vector of ``photo_id`` made by ``model_ref``, if any."""
        with self._lock:
            held = self._refresh(model_ref)
            row = held.position.get(photo_id) if held is not None else None
            return held.matrix[row].copy() if held is not None and row is not None and held.alive[row] else None

    def nbytes(self) -> int:
        """Memory the vectors held take (every model loaded so far)."""
        with self._lock:
            return sum(h.matrix.nbytes + h.ids.nbytes + h.alive.nbytes for h in self._held.values())

    def _refresh(self, model_ref: str) -> _Held:
        with self.db.reading() as session:  # one snapshot: the counters and the rows agree
            counters = dict(
                session.execute(
                    select(Meta.key, Meta.value).where(Meta.key.in_([self.counter_key, VECTORS_REMOVED]))
                ).all()
            )
            counter, removed = int(counters.get(self.counter_key, 0)), int(counters.get(VECTORS_REMOVED, 0))
            held = self._held.get(model_ref)
            if held is not None and held.removed == removed:
                if held.counter != counter:
                    self._apply_changes(session, held, model_ref)
                    held.counter = counter
                return held
            held = self._load(session, model_ref, counter, removed)
        self._held[model_ref] = held
        return held

    def _current_rows(self, model_ref: str):  # type: ignore[no-untyped-def]
        query = select(self.table.photo_id, self.table.vector).where(self.table.model_ref == model_ref)
        return query.where(TextVector.text_hash.is_not(None)) if self.table is TextVector else query

    def _load(self, session: Session, model_ref: str, counter: int, removed: int) -> _Held:
        rows = session.execute(self._current_rows(model_ref)).all()
        if not rows:
            return _Held(counter, removed, 0, np.zeros(0, np.int64), np.zeros((0, 0), np.float32), np.zeros(0, bool))
        width = len(rows[0][1])
        rows = [r for r in rows if len(r[1]) == width]
        ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        joined = bytearray().join(r[1] for r in rows)  # writable: no second copy
        matrix = np.frombuffer(joined, dtype=DTYPE).reshape(len(rows), width // 4)
        held = _Held(counter, removed, width // 4, ids, matrix, np.ones(len(rows), dtype=bool), size=len(rows))
        held.position = {int(photo_id): row for row, photo_id in enumerate(ids)}
        return held

    def _apply_changes(self, session: Session, held: _Held, model_ref: str) -> None:
        text = self.table is TextVector
        columns = [
            self.table.photo_id,
            self.table.model_ref,
            self.table.vector,
            *([TextVector.text_hash] if text else []),
        ]
        for photo_id, ref, blob, *digest in session.execute(select(*columns).where(self.table.changed > held.counter)):
            current = ref == model_ref and not (text and digest[0] is None)
            if current and (held.dim == 0 or len(blob) == held.dim * 4):
                if held.dim == 0:
                    held.dim, held.matrix = len(blob) // 4, np.zeros((0, len(blob) // 4), np.float32)
                held.put(int(photo_id), np.frombuffer(blob, dtype=DTYPE))
            else:
                held.drop(int(photo_id))
