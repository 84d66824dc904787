"""Writing the library's captions into photos: what to write for each photo, and one writer per settings.

A RAW+JPEG (or RAW+HEIF) pair is one photo in the library, shown through its JPEG; its caption and keywords go into
both halves: the JPEG as any photo, the RAW file into its XMP sidecar (the writer never modifies a RAW file but a
DNG through exiftool). A caption the photographer gave the RAW half (in its sidecar) is not replaced by the model's.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from contextlib import nullcontext
from pathlib import Path

from photoscribe.config import Settings
from photoscribe.library import Library, PhotoRecord
from photoscribe.library.fingerprint import content_fingerprint
from photoscribe.metadata.exiftool import DEFAULT_TIMEOUT, ExifTool, exiftool_path
from photoscribe.metadata.reader import read_file_metadata
from photoscribe.metadata.writer import BeforeReplace, MetadataWriter, WriteOptions, WriteOutcome


def open_writer(settings: Settings, mode: str | None = None) -> MetadataWriter:
    """A writer for ``mode`` (default: the settings'): exiftool when installed, else the built-in writer."""
    options = WriteOptions(
        mode=mode or settings.write_metadata,
        sidecar_naming=settings.sidecar_naming,
        keep_mtime=settings.keep_mtime,
        backup=settings.metadata_backup,
    )
    timeout = float(getattr(settings, "exiftool_timeout", DEFAULT_TIMEOUT))
    return MetadataWriter(ExifTool(timeout=timeout) if exiftool_path() else None, options)


def halves(record: PhotoRecord) -> list[Path]:
    """The files a record's caption goes into: the photo, and for a RAW+JPEG pair its RAW half too."""
    companion = record.companion_path
    return [Path(record.path), *([Path(companion)] if companion else [])]


def write_record(
    writer: MetadataWriter,
    record: PhotoRecord,
    before_replace: BeforeReplace | None = None,
    photo: Path | None = None,
) -> WriteOutcome:
    """Write a photo's caption in force and PhotoScribe's keywords (user edits win) into ``photo`` (default: the
    record's own file; for a pair, :func:`halves` names the other).

    What came from the file itself is not written back: a caption the file already carries stays as the
    photographer wrote it, and the file's own keywords are never marked as PhotoScribe's. The caption is recorded
    as PhotoScribe's only when it is the model's; a caption the user typed is the photographer's, so a later read
    keeps it as such. The RAW half of a pair keeps a caption the photographer gave it (the user's edit still wins).
    """
    target = Path(record.path) if photo is None else photo
    caption = record.caption if record.caption != record.file_caption else None
    caption_is_ours = record.user_caption is None and caption is not None and caption == record.model_caption
    if caption is not None and caption_is_ours and target != Path(record.path):
        if read_file_metadata(target).caption is not None:
            caption = None
    file_words = {k.casefold() for k in record.file_keywords}
    keywords = [k for k in record.keywords if k.casefold() not in file_words]
    return writer.write(target, caption, keywords, caption_is_ours=caption_is_ours, before_replace=before_replace)


def write_records(
    writer: MetadataWriter, records: Iterable[PhotoRecord], library: Library | None = None
) -> list[WriteOutcome]:
    """Write every record that has something to write, into both halves of a pair (one outcome per file).
    ``library`` learns of each file rewritten in place: the file facts its write will leave just before the
    replace (``expect_own_write``, when the library has it), and after it (``note_own_write``). A library error
    while recording comes back as the exception, the file left as it was."""
    outcomes = []
    for record in records:
        if record.caption is None and not record.keywords:
            continue
        lock = getattr(library, "photo_lock", None)  # across machines, one writer of a photo at a time
        with lock(record.id) if lock is not None else nullcontext():
            outcomes += _write_halves(writer, record, library)
    return outcomes


def _write_halves(writer: MetadataWriter, record: PhotoRecord, library: Library | None) -> list[WriteOutcome]:
    outcomes = []
    for photo in halves(record):
        hook = _ExpectOwnWrite(library, photo) if library is not None else None
        outcome = write_record(writer, record, hook, photo)
        if hook is not None and hook.error is not None:
            raise hook.error
        if library is not None and outcome.written and not outcome.unchanged and outcome.target == outcome.path:
            library.note_own_write(outcome.path)
        outcomes.append(outcome)
    return outcomes


class _ExpectOwnWrite:
    """Tells the library, right before the replace, the size, mtime and fingerprint the photo is about to have."""

    def __init__(self, library: Library, photo: Path) -> None:
        self.expect = getattr(library, "expect_own_write", None)
        self.photo = photo
        self.error: Exception | None = None

    def __call__(self, target: Path, temporary: Path) -> None:
        if self.expect is None or target != self.photo:
            return
        try:
            stat = os.stat(temporary)
            self.expect(target, stat.st_size, stat.st_mtime, content_fingerprint(temporary))
        except Exception as exc:
            self.error = exc
            raise
