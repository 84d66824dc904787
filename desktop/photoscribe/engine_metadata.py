"""Putting the library's captions into the photos for the engine (metadata writing on).

Captions are stored "metadata pending" and written after each batch; photos the user edited are queued by
:meth:`Engine.write_metadata_for`; and whatever a previous run captioned but did not get to write (it was killed,
the library was locked) is caught up when the engine starts or after a failure. A photo is no longer pending
once its write was done or refused for a reason of its own (the reason is reported); a locked library leaves it
pending for the next try.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING

from photoscribe.errors import library_busy, one_line
from photoscribe.events import EngineError

if TYPE_CHECKING:
    from photoscribe.engine import Engine
    from photoscribe.metadata import MetadataWriter

log = logging.getLogger(__name__)


class MetadataSync:
    """The engine's metadata writer, reopened whenever the metadata settings change."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.catch_up_due = True  # look for photos left pending by an earlier run
        self._writer: MetadataWriter | None = None
        self._options: tuple[object, ...] | None = None
        self._refused: tuple[object, ...] | None = None  # options the writer could not be opened with
        self._queued: set[int] = set()
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        """Whether captions go into the photos (or sidecars)."""
        return self.engine.settings.write_metadata != "off"

    @property
    def queued(self) -> int:
        with self._lock:
            return len(self._queued)

    def queue(self, photo_ids: Iterable[int]) -> None:
        """Write these photos' captions at the next chance (e.g. after the user edited them)."""
        with self._lock:
            self._queued.update(photo_ids)

    def write_due(self) -> None:
        """On the caption thread: write what is queued, and after a start or a failure what is pending."""
        if not self.enabled:
            with self._lock:
                self._queued.clear()
            return
        with self._lock:
            ids, self._queued = set(self._queued), set()
        if self.catch_up_due:
            try:
                ids.update(self.engine.library.metadata_pending_ids())
            except BaseException:
                self.queue(ids)
                raise
        self.write(sorted(ids))
        self.catch_up_due = False

    def write(self, photo_ids: list[int]) -> None:
        """Write these photos' captions in force; a locked library raises and leaves them pending."""
        if not self.enabled or not photo_ids:
            return
        try:
            writer = self._open()
            if writer is not None:
                self._write_each(writer, photo_ids)
        except BaseException:
            self.catch_up_due = True
            raise

    def _write_each(self, writer: MetadataWriter, photo_ids: list[int]) -> None:
        from photoscribe.metadata.sync import halves, write_records

        library = self.engine.library
        records = library.records(photo_ids)
        for photo_id in photo_ids:
            record = records.get(photo_id)
            if record is None:
                continue
            for path in halves(record):  # a pair's RAW half too (a DNG may be written into)
                self.engine.ignore_own_write(path)
            try:
                outcomes = write_records(writer, [record], library)
            except Exception as exc:
                if library_busy(exc):
                    raise
                log.exception("writing metadata into %s failed", record.path)
                self.engine._emit(EngineError(f"metadata not written for {record.path}: {one_line(exc)}"))
                outcomes = []
            for outcome in outcomes:
                if not outcome.written:
                    self.engine._emit(EngineError(f"metadata not written for {outcome.path}: {outcome.reason}"))
        library.clear_metadata_pending(photo_ids)

    def _open(self) -> MetadataWriter | None:
        from photoscribe.metadata.sync import open_writer

        settings = self.engine.settings
        options = (settings.write_metadata, settings.sidecar_naming, settings.keep_mtime, settings.metadata_backup)
        if self._writer is not None and options == self._options:
            return self._writer
        self.close()
        if options == self._refused:
            return None  # reported once; the captions stay pending until the settings change
        try:
            self._writer, self._options = open_writer(settings), options
        except Exception as exc:
            self._refused = options
            self.engine._emit(EngineError(f"metadata writing is off: {exc}"))
            return None
        return self._writer

    def close(self) -> None:
        """Stop the writer's exiftool process (a new one starts when needed)."""
        writer, self._writer, self._options = self._writer, None, None
        if writer is not None and writer.exiftool is not None:
            try:
                writer.exiftool.close()
            except Exception:
                log.warning("closing exiftool failed", exc_info=True)
