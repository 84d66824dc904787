"""What the engine tells its listeners (the CLI, the GUI bridge): small immutable event objects.

Listeners are plain callables taking one event. They are called on the engine's threads, so a GUI must hand
them to its own thread (the Qt bridge in ``gui/`` does) and never touch widgets directly.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from pathlib import Path


class EngineState(str, enum.Enum):
    """Values of :class:`StateChanged.state`."""

    STOPPED = "stopped"
    STARTING = "starting"
    LOADING_MODEL = "loading model"
    CAPTIONING = "captioning"
    IDLE = "idle"
    PAUSED = "paused"
    ERROR = "error"

    def __str__(self) -> str:  # "loading model", not "EngineState.LOADING_MODEL", in messages
        return self.value


@dataclass(frozen=True)
class StateChanged:
    """The engine moved to another :class:`EngineState`; ``detail`` says more (e.g. the device in use)."""

    state: EngineState
    detail: str = ""


@dataclass(frozen=True)
class PhotoCaptioned:
    """A photo got its caption."""

    path: str
    caption: str
    keywords: tuple[str, ...]


@dataclass(frozen=True)
class PhotoFailed:
    """A photo could not be captioned."""

    path: str
    reason: str


@dataclass(frozen=True)
class Progress:
    """Queue progress since the engine started working on the current backlog."""

    done: int
    total: int
    photos_per_second: float


@dataclass(frozen=True)
class QueueEmpty:
    """Every queued photo has been handled."""


@dataclass(frozen=True)
class EngineError:
    """Something stops captioning (e.g. the model cannot load) or the user should know about (watching)."""

    message: str
    fatal: bool = False


@dataclass(frozen=True)
class PhotosChanged:
    """Photos were added, moved or went missing (not through captioning): lists of photos may need a refresh."""


@dataclass(frozen=True)
class ScanProgress:
    """A library folder is being scanned (on the engine's scan thread): ``files_seen`` photos found in it so far,
    ``registered`` of them in the library so far (new, changed or found unchanged). Sent at most about five times a
    second per folder, and once with ``done`` when that folder's scan ends (finished, stopped or failed)."""

    folder: Path
    files_seen: int
    registered: int
    done: bool


@dataclass(frozen=True)
class ModelDownload:
    """The model is being downloaded (first run): ``done`` of ``total`` files."""

    done: int
    total: int


class SearchState(str, enum.Enum):
    """Values of :class:`SearchStatus.state`: how far search by meaning is."""

    LOADING = "loading"  # the text model is being loaded (or downloaded, first use)
    EMBEDDING = "embedding"  # photos' text vectors are being made: ``done`` of ``total``
    READY = "ready"  # every photo with text has a current vector: search by meaning and by words
    EXACT_ONLY = "exact only"  # no text model: search matches words only, ``detail`` says why


@dataclass(frozen=True)
class SearchStatus:
    """Search by meaning moved on (see :class:`SearchState`); ``detail`` is the model or the reason."""

    state: SearchState
    detail: str = ""
    done: int = 0
    total: int = 0


Event = (
    StateChanged
    | PhotoCaptioned
    | PhotoFailed
    | Progress
    | QueueEmpty
    | EngineError
    | ModelDownload
    | PhotosChanged
    | ScanProgress
    | SearchStatus
)
