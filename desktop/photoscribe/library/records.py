"""Plain, immutable views of library rows handed to the CLI, the GUI and the worker (no SQLAlchemy objects)."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from photoscribe.library.models import PhotoStatus

if TYPE_CHECKING:
    import numpy as np


@dataclass(frozen=True)
class PhotoRecord:
    """Everything the library knows about one photo."""

    id: int
    path: str
    status: str
    error: str | None
    model_caption: str | None
    user_caption: str | None
    keywords: tuple[str, ...]
    width: int | None = None
    height: int | None = None
    taken_at: datetime | None = None
    size: int = 0
    model_ref: str | None = None
    settings: dict[str, object] | None = None
    captioned_at: datetime | None = None
    revision: int = 0  # how many times the model has captioned this photo
    camera: str | None = None
    file_caption: str | None = None  # found in the photo's own metadata or its XMP sidecar
    file_keywords: tuple[str, ...] = ()  # keywords found there
    metadata_pending: bool = False  # captioned, but the caption is not yet written into the file
    file_kind: str | None = None  # formats.FileKind value (by the file's name)
    companion_path: str | None = None  # on the JPEG/HEIF of a RAW+JPEG pair: the RAW half's path
    reviewed_at: datetime | None = None  # someone looked at its captions since the model's last one (or None)

    @property
    def caption(self) -> str | None:
        """The caption in force: the user's edit, else the file's own caption, else the model's."""
        return next((c for c in (self.user_caption, self.file_caption, self.model_caption) if c is not None), None)

    @property
    def to_review(self) -> bool:
        """True for a captioned photo whose model caption nobody has looked at yet (see ``PhotoFilter.TO_REVIEW``)."""
        return self.status == PhotoStatus.DONE and self.model_caption is not None and self.reviewed_at is None


class PhotoFilter(str, enum.Enum):
    """Filters of the grid's photos other than one :class:`~photoscribe.library.models.PhotoStatus`."""

    EDITED = "edited"  # the photographer replaced the model's caption
    TO_REVIEW = "to_review"  # captioned by the model, and nobody has looked at it since (accepted it or edited it)

    def __str__(self) -> str:
        return self.value


class SortOrder(str, enum.Enum):
    """Orders of the grid's photos. A search keeps its best-match order under ``ADDED`` (the default)."""

    ADDED = "added"  # newest added first (a search: best match first)
    TAKEN = "taken"  # newest taken first; photos without a date taken after them, newest added first
    NAME = "name"  # file name A to Z, case ignored (then newest added first)

    def __str__(self) -> str:
        return self.value


class MatchKind(str, enum.Enum):
    """How a search hit matched: its words, or only its meaning (search by meaning, similar photos)."""

    EXACT = "exact"  # the photo's text matches the query's words
    MEANING = "meaning"  # only the meaning of its text (or, for similar photos, its image) is close

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class SearchHit:
    """A photo matching a search, with its relevance (higher is better) and how it matched.

    Words-only search scores by bm25. Hybrid search scores ``1 + fused`` for exact hits and ``fused`` for
    meaning-only ones (``fused``: the reciprocal rank fusion, below 1), so the score follows the order; similar
    photos score by cosine similarity.
    """

    photo: PhotoRecord
    score: float
    match: MatchKind = MatchKind.EXACT


@dataclass(frozen=True)
class LibraryStats:
    """Counts shown by ``photoscribe status`` and the GUI's status bar."""

    photos: int = 0  # every known photo that is not missing
    captioned: int = 0
    pending: int = 0  # waiting, including those being captioned right now
    failed: int = 0
    missing: int = 0
    cancelled: int = 0
    folders: int = 0
    running: int = 0  # leased by a worker right now (also counted in ``pending``)
    paired: int = 0  # RAW halves of RAW+JPEG pairs (each pair is one photo, counted once in ``photos``)
    left_out: tuple[tuple[str, str, int], ...] = ()  # (formats.LeftOut value, extension, count) not photos


@dataclass(frozen=True)
class FolderRecord:
    """A photo folder and how it is watched."""

    id: int
    path: Path
    polling: bool = False
    paused: bool = False


@dataclass(frozen=True)
class ClaimedPhoto:
    """A photo a worker has claimed for captioning."""

    id: int
    path: Path
    prompt: str | None = None  # a one-off prompt asked for this photo (None: the settings' prompt)


@dataclass(frozen=True)
class CaptionResult:
    """A model caption for a claimed photo, ready to be stored."""

    photo_id: int
    caption: str
    keywords: list[str]
    model_ref: str
    settings: dict[str, object] = field(default_factory=dict)
    image_vector: np.ndarray | None = None  # the vision encoder's pooled output (float32, L2-normalised)


class Registration(str, enum.Enum):
    """What registering a file found."""

    NEW = "new"
    CHANGED = "changed"
    UNCHANGED = "unchanged"
    MOVED = "moved"  # a missing photo with the same content reappeared under a new path
    RESTORED = "restored"  # a missing photo reappeared under its old path, unchanged
    VANISHED = "vanished"  # the file was gone before it could be registered


@dataclass(frozen=True)
class FileDetails:
    """What reading a photo file found: image facts and the photographer's own caption and keywords."""

    width: int | None = None
    height: int | None = None
    taken_at: datetime | None = None
    camera: str | None = None
    caption: str | None = None  # the photographer's (PhotoScribe's own writes are not included)
    keywords: tuple[str, ...] = ()

    def __post_init__(self) -> None:  # text as every library can store it (see ``storable``)
        object.__setattr__(self, "camera", storable(self.camera, CAMERA_CHARS))
        object.__setattr__(self, "caption", storable(self.caption))


#: The longest keyword and camera name the library keeps (longer ones are cut): the columns' sizes.
KEYWORD_CHARS = 128
CAMERA_CHARS = 128


def storable(text: str | None, limit: int | None = None) -> str | None:
    """``text`` as every library can store it: without NUL characters (a SQLite file keeps them, PostgreSQL refuses
    them: an EXIF string padded with NULs must not stop a studio's registration) and cut to ``limit`` characters."""
    if text is None:
        return None
    text = text.replace("\x00", "")
    return text[:limit] if limit is not None else text


@dataclass(frozen=True)
class PhotoFacts:
    """A file as registration found it, read before the library's write transaction (see ingest.registration).

    ``fingerprint`` is ``None`` when the content could not be read; ``details`` is ``None`` when the file's
    content was already known (same fingerprint), so there was nothing new to read.
    """

    path: str  # normalised (see paths.normalise)
    size: int
    mtime: float
    fingerprint: str | None
    details: FileDetails | None = None


@dataclass(frozen=True)
class KnownFile:
    """What the library holds about a path, so registration reads only files that are new or changed."""

    size: int
    mtime: float
    missing: bool
    fingerprint: str | None
    own_write_fingerprint: str | None = None
