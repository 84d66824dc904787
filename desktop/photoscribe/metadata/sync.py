"""Writing the library's captions into photos: what to write for each photo, and one writer per settings."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from photoscribe.config import Settings
from photoscribe.library import Library, PhotoRecord
from photoscribe.metadata.exiftool import ExifTool, exiftool_path
from photoscribe.metadata.writer import MetadataWriter, WriteOptions, WriteOutcome


def open_writer(settings: Settings, mode: str | None = None) -> MetadataWriter:
    """A writer for ``mode`` (default: the settings'): exiftool when installed, else the built-in writer."""
    options = WriteOptions(
        mode=mode or settings.write_metadata,
        sidecar_naming=settings.sidecar_naming,
        keep_mtime=settings.keep_mtime,
        backup=settings.metadata_backup,
    )
    return MetadataWriter(ExifTool() if exiftool_path() else None, options)


def write_record(writer: MetadataWriter, record: PhotoRecord) -> WriteOutcome:
    """Write a photo's caption in force and PhotoScribe's keywords (user edits win).

    What came from the file itself is not written back: a caption the file already carries stays as the
    photographer wrote it, and the file's own keywords are never marked as PhotoScribe's.
    """
    caption = record.caption if record.caption != record.file_caption else None
    keywords = [k for k in record.keywords if k not in record.file_keywords]
    return writer.write(Path(record.path), caption, keywords)


def write_records(
    writer: MetadataWriter, records: Iterable[PhotoRecord], library: Library | None = None
) -> list[WriteOutcome]:
    """Write every record that has something to write; tell ``library`` about photos rewritten in place."""
    outcomes = []
    for record in records:
        if record.caption is None and not record.keywords:
            continue
        outcome = write_record(writer, record)
        if library is not None and outcome.written and not outcome.unchanged and outcome.target == outcome.path:
            library.note_own_write(outcome.path)
        outcomes.append(outcome)
    return outcomes
