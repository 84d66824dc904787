"""The Library facade: the only code that writes the photo library. Each job lives in its own module:

- ``queue.py``: leases on photos being captioned, results, the counts (the part several processes share);
- ``registration.py``: writing facts of files read beforehand (``photoscribe.ingest.registration`` reads them);
  ``pairs.py``: the RAW+JPEG pair rule it applies; ``own_writes.py``: PhotoScribe's own metadata writes;
- ``edits.py``: folders, the photographer's captions and keywords, what they reviewed; ``left_out.py``: files that
  are not photos;
- ``reading.py``: records, the grid's ids, search, similar photos; ``hybrid.py``: search by meaning;
  ``vectors.py``: text and image vectors (stored, and held in memory for search).
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING

from photoscribe.config import default_library_path
from photoscribe.library import counts, edits, known, left_out, own_writes, reading, registration
from photoscribe.library.database import Database
from photoscribe.library.leases import LEASE_SECONDS, LeaseOwner
from photoscribe.library.location import is_server_url, shown_location, this_host
from photoscribe.library.models import PhotoStatus
from photoscribe.library.paths import normalise
from photoscribe.library.queue import Queue
from photoscribe.library.records import (
    CaptionResult,
    ClaimedPhoto,
    FolderRecord,
    KnownFile,
    LibraryStats,
    PhotoFacts,
    PhotoFilter,
    PhotoRecord,
    Registration,
    SearchHit,
    SortOrder,
)
from photoscribe.library.roots import Roots
from photoscribe.library.waiting import CAPTIONS_CHANNEL, QUEUE_CHANNEL, QueueWaiter, announce, announce_queued

if TYPE_CHECKING:
    import numpy as np

    from photoscribe.library.vectors import VectorIndex

__all__ = ["Library", "normalise"]


class Library:
    """A photo library in one SQLite file or a PostgreSQL database. Thread-safe: every call uses its own short session.

    ``owner`` identifies this process's leases on the queue (tests and other machines may pass their own);
    ``lease_seconds`` is how long a claim lasts without a heartbeat.
    """

    def __init__(
        self,
        path: Path | str | None = None,
        owner: LeaseOwner | None = None,
        lease_seconds: float = LEASE_SECONDS,
        host: str | None = None,
    ) -> None:
        location = path or default_library_path()
        self.path: Path | str = location if is_server_url(location) else normalise(location)
        self.db = Database(self.path)
        self.roots = Roots(self.db, host or this_host())  # shared folders, and where this machine sees them
        self.owner = owner or LeaseOwner.this_process()
        self.queue = Queue(self.db, self.owner, lease_seconds)
        self._indexes: dict[str, VectorIndex] = {}  # text and image vectors in memory, made on first use
        self._indexes_lock = threading.Lock()

    def __enter__(self) -> Library:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def shown_location(self) -> str:
        """Where the library is, safe to print (a server URL without its password)."""
        return shown_location(str(self.path))

    @property
    def read_only(self) -> bool:
        """True when the library file cannot be written (it can still be read and searched)."""
        return self.db.read_only

    def close(self) -> None:
        """Give back leases still held, stop the heartbeat and release the database file."""
        if not self.db.read_only:
            self.queue.close()
        self.db.close()

    # -- folders and the photographer's edits ------------------------------------------------------------------

    def add_folder(self, path: Path | str, polling: bool | None = None) -> int:
        return edits.add_folder(self.db, path, polling)

    def set_folder_options(self, path: Path | str, polling: bool | None = None, paused: bool | None = None) -> None:
        edits.set_folder_options(self.db, path, polling, paused)

    def remove_folder(self, path: Path | str, forget_photos: bool = False) -> int:
        return edits.remove_folder(self.db, path, forget_photos)

    def folders(self) -> list[FolderRecord]:
        return edits.folders(self.db)

    def folder_counts(self) -> dict[Path, int]:
        return counts.folder_counts(self.db)

    def directory_counts(self) -> dict[str, int]:
        return counts.directory_counts(self.db)

    def set_left_out(self, folder_id: int, counts: Mapping[tuple[str, str], int]) -> None:
        left_out.set_left_out(self.db, folder_id, counts)

    def set_user_caption(self, path: Path | str, caption: str | None) -> PhotoRecord:
        return edits.set_user_caption(self.db, path, caption)

    def set_user_keywords(self, path: Path | str, keywords: Sequence[str] | None) -> PhotoRecord:
        return edits.set_user_keywords(self.db, path, keywords)

    def change_keywords(
        self, photo_ids: Sequence[int], add: Sequence[str] = (), remove: Sequence[str] = ()
    ) -> dict[int, tuple[str, ...]]:
        return edits.change_keywords(self.db, photo_ids, add, remove)

    def set_keywords_of(self, keywords: Mapping[int, Sequence[str]]) -> None:
        edits.set_keywords_of(self.db, keywords)

    def mark_reviewed(self, photo_ids: Sequence[int]) -> int:
        return edits.mark_reviewed(self.db, photo_ids)

    # -- registering files (read by photoscribe.ingest.registration) ------------------------------------------

    def known_files(self, paths: Sequence[Path | str]) -> dict[str, KnownFile]:
        return known.known_files(self.db, paths)

    def register(self, facts: Sequence[PhotoFacts], folder_id: int | None = None) -> Counter[Registration]:
        found = registration.register(self.db, facts, folder_id)
        if found[Registration.NEW] or found[Registration.CHANGED]:
            announce_queued(self.db)
        return found

    def expect_own_write(self, path: Path | str, size: int, mtime: float, fingerprint: str) -> None:
        own_writes.expect_own_write(self.db, path, size, mtime, fingerprint)

    def photo_lock(self, photo_id: int) -> AbstractContextManager[None]:
        return self.db.photo_lock(photo_id)  # one writer of a photo's metadata at a time, across machines

    def note_own_write(self, path: Path | str) -> None:
        own_writes.note_own_write(self.db, path)

    def mark_missing(self, paths: Iterable[Path | str]) -> int:
        return registration.mark_missing(self.db, paths)

    def move_photo(self, source: Path | str, target: Path | str) -> bool:
        return registration.move_photo(self.db, source, target)

    def paths_under(self, folder: Path | str) -> list[Path]:
        return registration.paths_under(self.db, folder)

    # -- the captioning queue --------------------------------------------------------------------------------

    def claim_batch(self, limit: int, within: Sequence[Path | str] | None = None) -> list[ClaimedPhoto]:
        return self.queue.claim_batch(limit, within, excluding=self.roots.unreachable())

    def release(self, photo_ids: Iterable[int]) -> int:
        return self._announced(self.queue.release(photo_ids))

    def save_results(
        self,
        captions: Sequence[CaptionResult],
        failures: Sequence[tuple[int, str]] = (),
        metadata_pending: bool = False,
    ) -> list[int]:
        stored = self.queue.save_results(captions, failures, metadata_pending)
        announce(self.db, CAPTIONS_CHANNEL)  # the app on other machines shows them
        return stored

    def reclaim_expired(self) -> int:
        return self._announced(self.queue.reclaim_expired())

    def requeue(self, photo_ids: Iterable[int], prompt: str | None = None) -> int:
        return self._announced(self.queue.requeue(photo_ids, prompt))

    def _announced(self, queued: int) -> int:
        """Tell waiting workers (``waiting.py``) when photos went back to the queue."""
        if queued:
            announce_queued(self.db)
        return queued

    def waiter(self, poll_seconds: float = 30.0, captions: bool = False) -> QueueWaiter:
        """Something to wait on for photos to be queued (a headless worker's idle time), and with ``captions``
        for captions stored by other processes too (the app's)."""
        return QueueWaiter(self.db, poll_seconds, (QUEUE_CHANNEL, CAPTIONS_CHANNEL) if captions else (QUEUE_CHANNEL,))

    def cancel_pending(self, within: Sequence[Path | str] | None = None) -> int:
        return self.queue.cancel_pending(within)

    def metadata_pending_ids(self) -> list[int]:
        return self.queue.metadata_pending_ids()

    def clear_metadata_pending(self, photo_ids: Iterable[int]) -> None:
        self.queue.clear_metadata_pending(photo_ids)

    def stats(self, within: Sequence[Path | str] | None = None) -> LibraryStats:
        return self.queue.stats(within)

    # -- reading ---------------------------------------------------------------------------------------------

    def photo(self, path: Path | str) -> PhotoRecord | None:
        return reading.photo(self.db, path)

    def photos(self, status: str | None = None) -> list[PhotoRecord]:
        return reading.photos(self.db, status)

    def photo_ids(
        self,
        text: str = "",
        status: PhotoStatus | PhotoFilter | str | None = None,
        folder: Path | str | None = None,
        *,
        query_vector: np.ndarray | None = None,
        model_ref: str | None = None,
        order: SortOrder = SortOrder.ADDED,
    ) -> list[int]:
        index = self._index("text") if query_vector is not None else None
        return reading.photo_ids(
            self.db, text, status, folder, query_vector=query_vector, model_ref=model_ref, index=index, order=order
        )

    def records(self, photo_ids: Sequence[int]) -> dict[int, PhotoRecord]:
        return reading.records_by_id(self.db, photo_ids)

    def search(
        self,
        text: str,
        limit: int | None = None,
        *,
        query_vector: np.ndarray | None = None,
        model_ref: str | None = None,
    ) -> list[SearchHit]:
        index = self._index("text") if query_vector is not None else None
        return reading.search(self.db, text, limit, query_vector=query_vector, model_ref=model_ref, index=index)

    def similar(self, photo_id: int, limit: int = 20) -> list[SearchHit]:
        return reading.similar(self.db, self._index("image"), photo_id, limit)

    def has_image_vector(self, photo_id: int) -> bool:
        return reading.has_image_vector(self.db, photo_id)

    # -- vectors for search by meaning -----------------------------------------------------------------------

    def text_vector_todo(self, model_ref: str, limit: int, after: int = 0) -> list[tuple[int, str]]:
        """Up to ``limit`` photos to embed with ``model_ref``, as (photo id, text), by id from ``after`` on: vectors
        missing, stale (the text changed) or made by another model. Photos without text, missing ones and RAW halves
        of pairs are skipped."""
        from photoscribe.library import text_vector_queue

        return text_vector_queue.text_vector_todo(self.db, model_ref, limit, after)

    def store_text_vectors(self, model_ref: str, items: Sequence[tuple[int, str, np.ndarray]]) -> None:
        """Store (photo id, text embedded, vector) made by ``model_ref``; a photo whose text changed meanwhile is
        skipped (it comes back in :meth:`text_vector_todo`)."""
        from photoscribe.library import vectors

        vectors.store_text_vectors(self.db, model_ref, items)

    def text_vector_progress(self, model_ref: str) -> tuple[int, int]:
        """(photos with a current vector of ``model_ref``, photos with text), over the photos shown."""
        from photoscribe.library import text_vector_queue

        return text_vector_queue.text_vector_progress(self.db, model_ref)

    def vector_memory(self) -> int:
        """Bytes the vectors held in memory take (those loaded by searches and similar so far)."""
        with self._indexes_lock:
            return sum(index.nbytes() for index in self._indexes.values())

    def _index(self, kind: str) -> VectorIndex:
        """The text or image vectors in memory (numpy is imported on first use: words-only search never does)."""
        with self._indexes_lock:
            if kind not in self._indexes:
                from photoscribe.library.models import ImageVector, TextVector
                from photoscribe.library.vectors import VectorIndex

                self._indexes[kind] = VectorIndex(self.db, TextVector if kind == "text" else ImageVector)
            return self._indexes[kind]


# The facade's methods carry the docstrings of the functions they call.
for _name, _function in (
    *((n, getattr(edits, n)) for n in ("add_folder", "set_folder_options", "remove_folder", "folders")),
    *((n, getattr(edits, n)) for n in ("set_user_caption", "set_user_keywords", "change_keywords")),
    *((n, getattr(edits, n)) for n in ("set_keywords_of", "mark_reviewed")),
    ("folder_counts", counts.folder_counts),
    ("set_left_out", left_out.set_left_out),
    *((n, getattr(own_writes, n)) for n in ("expect_own_write", "note_own_write")),
    ("known_files", known.known_files),
    ("register", registration.register),
    *((n, getattr(registration, n)) for n in ("mark_missing", "move_photo", "paths_under")),
    *((n, getattr(Queue, n)) for n in ("claim_batch", "release", "save_results", "reclaim_expired", "requeue")),
    *((n, getattr(Queue, n)) for n in ("cancel_pending", "metadata_pending_ids", "clear_metadata_pending", "stats")),
    *((n, getattr(reading, n)) for n in ("photo", "photos", "photo_ids", "search", "similar", "has_image_vector")),
    ("records", reading.records_by_id),
):
    getattr(Library, _name).__doc__ = _function.__doc__
