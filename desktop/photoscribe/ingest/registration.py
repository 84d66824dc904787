"""Registering photo files: every read (stat, fingerprint, image facts, metadata) happens here, in chunks, before
the library's short write transaction, so a slow disk or network share never holds the library's write lock.

A file the library already knows with the same size and mtime is not read at all, and needs no write; a file
whose content is known (a touch, PhotoScribe's own metadata write) is fingerprinted but its metadata is not read.
One file that cannot be read, or whose name is not valid UTF-8, never stops the others.
"""

from __future__ import annotations

import logging
import os
import stat
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Executor, Future
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from photoscribe.errors import UnreadableImageError
from photoscribe.formats import is_raw_name
from photoscribe.imaging import facts_of, open_header, read_facts
from photoscribe.ingest.pace import paced
from photoscribe.library import FileDetails, KnownFile, Library, PhotoFacts, Registration, display_path, normalise
from photoscribe.library.fingerprint import content_fingerprint
from photoscribe.library.pairs import stem_of
from photoscribe.metadata import read_file_metadata

if TYPE_CHECKING:
    from PIL import Image

log = logging.getLogger(__name__)

REGISTER_CHUNK = 2000  # files read, then written in one transaction
READ_PART = 500  # files one reader process reads at a time
READ_AHEAD = 2  # chunks read ahead of the one being written, with reader processes


class Stopped(Exception):
    """The caller asked to stop (``should_stop``, or a callback raised it): what was written stays written, the
    chunk being read is dropped."""


class ChunkReads(NamedTuple):
    """What reading a chunk's files found: the facts to write, and how many files were gone or unchanged."""

    facts: list[PhotoFacts]
    vanished: int
    unchanged: int


def register_files(
    library: Library,
    paths: Iterable[Path | str],
    folder_id: int | None = None,
    on_chunk: Callable[[int], None] | None = None,
    chunk: int = REGISTER_CHUNK,
    readers: Executor | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> Counter[Registration]:
    """Add or refresh photos, ``chunk`` files per transaction; new and changed ones are queued for captioning.

    ``should_stop`` is asked before each file is read here (not in reader processes): when it says so,
    :class:`Stopped` is raised, so a stop never waits for a whole chunk of files on a slow share.

    ``on_chunk(files)`` is called after each chunk is written. With ``readers`` (a process pool), files are read
    there, :data:`READ_AHEAD` chunks ahead of the chunk being written: reading (Pillow's header parsing, in Python)
    and writing then share the machine's cores. Returns how many files ended up in each
    :class:`~photoscribe.library.Registration`.
    """
    outcomes: Counter[Registration] = Counter()
    ahead: deque[tuple[int, list[Future[ChunkReads]]]] = deque()

    def write(size: int, reads: list[ChunkReads]) -> None:
        facts = [fact for read in reads for fact in read.facts]
        gone_or_unchanged = {
            Registration.VANISHED: sum(read.vanished for read in reads),
            Registration.UNCHANGED: sum(read.unchanged for read in reads),
        }
        outcomes.update({kind: count for kind, count in gone_or_unchanged.items() if count})
        if facts:
            outcomes.update(library.register(facts, folder_id))
        if on_chunk is not None:
            on_chunk(size)

    try:
        for chunk_paths in _chunks((normalise(p) for p in paced(paths)), chunk):
            known = library.known_files(chunk_paths)
            if readers is None:
                write(len(chunk_paths), [read_chunk(chunk_paths, known, should_stop)])
                continue
            todo = [path for path in paced(chunk_paths) if not _unchanged(path, known.get(str(path)))]
            parts = [todo[i : i + READ_PART] for i in range(0, len(todo), READ_PART)]
            unchanged = _done(ChunkReads([], 0, len(chunk_paths) - len(todo)))  # a rescan sends nothing to read
            ahead.append((len(chunk_paths), [unchanged, *(readers.submit(read_chunk, part, known) for part in parts)]))
            if len(ahead) > READ_AHEAD:
                size, futures = ahead.popleft()
                write(size, [f.result() for f in futures])
        while ahead:
            size, futures = ahead.popleft()
            write(size, [f.result() for f in futures])
    finally:
        for _, futures in ahead:  # stopped or failed: reads not started are dropped
            for future in futures:
                future.cancel()
    return outcomes


def read_chunk(
    paths: list[Path], known: Mapping[str, KnownFile], should_stop: Callable[[], bool] | None = None
) -> ChunkReads:
    """Read the files of a chunk (in this process or a reader process): every read happens before any write."""
    facts: list[PhotoFacts] = []
    vanished = unchanged = 0
    for path in paced(paths):
        if should_stop is not None and should_stop():
            raise Stopped
        fact = read_file(path, known.get(str(path)))
        if fact is None:
            vanished += 1
        elif fact is UNCHANGED:
            unchanged += 1
        else:
            facts.append(fact)
    return ChunkReads(facts, vanished, unchanged)


#: ``read_file``'s answer for a file the library knows with this size and mtime (nothing to read or write).
UNCHANGED = PhotoFacts(path="", size=-1, mtime=-1.0, fingerprint=None)


def _unchanged(path: Path, known: KnownFile | None) -> bool:
    """True when the library knows ``path`` with its current size and mtime (nothing to read: one ``stat``)."""
    if known is None or known.missing:
        return False
    try:
        info = os.stat(path)
    except OSError:
        return False
    return stat.S_ISREG(info.st_mode) and (known.size, known.mtime) == (info.st_size, info.st_mtime)


def _done(reads: ChunkReads) -> Future[ChunkReads]:
    future: Future[ChunkReads] = Future()
    future.set_result(reads)
    return future


def read_file(path: Path, known: KnownFile | None = None) -> PhotoFacts | None:
    """What registering ``path`` needs to know (``None``: not a file any more, or not a regular file)."""
    try:
        info = os.stat(path)
    except OSError:
        return None
    if not stat.S_ISREG(info.st_mode):  # a FIFO or device named like a photo would block every read
        log.info("skipping %s: not a regular file", display_path(path))
        return None
    if known is not None and not known.missing and (known.size, known.mtime) == (info.st_size, info.st_mtime):
        return UNCHANGED
    fingerprint = _fingerprint(path)
    known_content = known is not None and fingerprint is not None
    if known_content and fingerprint in (known.fingerprint, known.own_write_fingerprint):  # type: ignore[union-attr]
        return PhotoFacts(str(path), info.st_size, info.st_mtime, fingerprint)
    return PhotoFacts(str(path), info.st_size, info.st_mtime, fingerprint, read_details(path))


def read_details(path: Path) -> FileDetails:
    """Image facts and the photographer's caption and keywords (never PhotoScribe's own earlier writes). The file
    is opened once for both (a RAW file is read by its own readers)."""
    width = height = taken_at = camera = None
    img = None
    try:
        if is_raw_name(path):
            facts = read_facts(path)
        else:
            img = open_header(path)
            facts = facts_of(img)
        width, height, taken_at, camera = facts.width, facts.height, facts.taken_at, facts.camera
    except UnreadableImageError:
        pass  # the worker says why when it decodes the photo
    except Exception:  # one odd file must not stop the others
        log.exception("cannot read the image facts of %s", display_path(path))
    try:
        return FileDetails(width, height, taken_at, camera, *_own_words(path, img))
    finally:
        if img is not None:
            img.close()


def _own_words(path: Path, img: Image.Image | None) -> tuple[str | None, tuple[str, ...]]:
    """The photographer's caption and keywords in the file or its sidecar, PhotoScribe's own left out."""
    caption, keywords = None, []
    try:
        found = read_file_metadata(path, img)
        own_caption = getattr(found, "own_caption", None)
        own_keywords = {k.casefold() for k in getattr(found, "own_keywords", None) or ()}
        caption = None if own_caption is not None and found.caption == own_caption else found.caption
        keywords = [k for k in found.keywords if k.casefold() not in own_keywords]
    except Exception:
        log.exception("cannot read the metadata of %s", display_path(path))
    return caption, tuple(keywords)


def _fingerprint(path: Path) -> str | None:
    try:
        return content_fingerprint(path)
    except OSError as exc:
        log.warning("cannot read %s: %s", display_path(path), exc)
        return None


def _chunks(paths: Iterator[Path], size: int) -> Iterator[list[Path]]:
    """``size`` paths at a time, never splitting files of one name in one folder (``IMG_1.CR2`` and ``IMG_1.JPG``,
    next to each other in a scan's sorted order), so a RAW+JPEG pair is registered, and paired, in one transaction
    and its RAW half is never queued for a moment and decoded for nothing."""
    held: Path | None = None
    while chunk := ([held] if held is not None else []) + list(islice(paths, size)):
        held = None
        for following in paths:
            if _same_name(following, chunk[-1]):
                chunk.append(following)
            else:
                held = following
                break
        yield chunk


def _same_name(a: Path, b: Path) -> bool:
    return stem_of(str(a)) == stem_of(str(b))
