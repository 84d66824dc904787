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
