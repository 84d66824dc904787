"""The exception types PhotoScribe raises on purpose.

Every error a user can cause or meet (a broken photo, a missing model, a library from the future) is a
:class:`PhotoScribeError` whose message is one sentence a photographer can act on. The CLI turns these into one
line on stderr; anything else is a bug and keeps its traceback.
"""


class PhotoScribeError(Exception):
    """Base class of errors that carry a message meant for the user."""


class UnreadableImageError(PhotoScribeError):
    """A file could not be decoded as an image; ``reason`` says why in plain words."""

    def __init__(self, path: object, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class ModelLoadError(PhotoScribeError):
    """The captioning model could not be found, downloaded or loaded."""


class LibraryError(PhotoScribeError):
    """The photo library database cannot be opened or used."""


class ConfigError(PhotoScribeError):
    """A setting has a value PhotoScribe cannot use."""


def library_busy(exc: BaseException) -> bool:
    """True when ``exc`` (or what raised it) says the library database cannot be used right now: locked by
    another program past the busy timeout, or another SQLite operational error. No photo is to blame."""
    import sqlite3

    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, sqlite3.OperationalError) or type(current).__name__ == "OperationalError":
            return True
        current = getattr(current, "orig", None) or current.__cause__ or current.__context__
    return False


def one_line(exc: BaseException) -> str:
    """An unexpected exception as one line: its type and the first line of its message."""
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__
