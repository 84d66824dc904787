"""How the library stores and compares file paths.

- A path is stored as the exact bytes the operating system gave (``os.fsencode``), so a file name that is not
  UTF-8 (``b"caf\\xe9.jpg"``, which ``os.walk`` hands over as a ``str`` with a surrogate escape) round-trips and
  can be opened again. SQLite cannot bind such a ``str`` as text; as bytes it can.
- A path's *identity* (:func:`path_key`) is its Unicode NFC form, case-folded where the file system ignores case
  (macOS, Windows). ``set-caption café.jpg`` typed in NFC finds a file macOS lists in NFD, and on macOS
  ``~/pictures`` and ``~/Pictures`` are one folder.
"""

from __future__ import annotations

import os
import sys
import unicodedata
from pathlib import Path

from sqlalchemy import LargeBinary
from sqlalchemy.types import TypeDecorator

#: File systems that ignore case by default: APFS/HFS+ on macOS, NTFS on Windows. Linux file systems do not.
CASE_INSENSITIVE = sys.platform in ("darwin", "win32")


#: The attribute of an engine's dialect holding the library roots' map for this machine (see ``roots.py``).
ROOTS_ATTRIBUTE = "photoscribe_roots"


class PathBytes(TypeDecorator[str]):
    """A path column: ``str`` in Python (surrogate escapes included), the file system's bytes in the library.

    Where the library has roots (``roots.py``), a path under this machine's mount point of a root is stored under
    the root's own path and read back under the mount point, so every machine sees its own paths."""

    impl = LargeBinary
    cache_ok = True
    holds_keys = False  # True on the column of path keys (their roots' prefixes are keys too)
    mapped = True  # False on the roots' own paths

    def process_bind_param(self, value: object, dialect: object) -> bytes | None:
        if value is None:
            return None
        raw = value if isinstance(value, bytes) else os.fsencode(value)  # type: ignore[arg-type]
        roots = getattr(dialect, ROOTS_ATTRIBUTE, None) if self.mapped else None
        return roots.to_stored(raw, self.holds_keys) if roots is not None else raw

    def process_result_value(self, value: object, dialect: object) -> str | None:
        if value is None:
            return None
        if isinstance(value, str):  # a row a migration has not converted (never expected)
            return value
        raw = bytes(value)  # type: ignore[arg-type]
        roots = getattr(dialect, ROOTS_ATTRIBUTE, None) if self.mapped else None
        return os.fsdecode(roots.to_local(raw, self.holds_keys) if roots is not None else raw)


class PathKeyBytes(PathBytes):
    """The column of path identities (:func:`path_key`)."""

    cache_ok = True
    holds_keys = True


class RootPathBytes(PathBytes):
    """A root's own path, stored as given (never mapped)."""

    cache_ok = True
    mapped = False


def normalise(path: Path | str) -> Path:
    """Absolute, normalised form of ``path`` as stored in the library (symlinks are kept, not resolved)."""
    return Path(os.path.normpath(os.path.abspath(os.path.expanduser(path))))


def path_key(path: Path | str, fold_case: bool | None = None) -> str:
    """The identity of a (normalised) path: NFC, and case-folded where the file system ignores case.

    The one rule for "is this the same file": every lookup by key goes through here. ``fold_case`` defaults to
    :data:`CASE_INSENSITIVE`.
    """
    text = unicodedata.normalize("NFC", os.fspath(path))
    return text.casefold() if (CASE_INSENSITIVE if fold_case is None else fold_case) else text


def same_path(a: Path | str, b: Path | str) -> bool:
    """True when ``a`` and ``b`` name the same file by :func:`path_key`."""
    return path_key(a) == path_key(b)


def key_range(folder: Path | str) -> tuple[bytes, bytes]:
    """Byte bounds ``[low, high)`` of the keys of every path inside ``folder`` (an index range scan)."""
    low = os.fsencode(path_key(str(normalise(folder)).rstrip(os.sep) + os.sep))
    return low, low[:-1] + bytes([low[-1] + 1])


def display_path(path: Path | str) -> str:
    """``path`` safe to print or show: bytes that are not UTF-8 become replacement characters."""
    return os.fsencode(os.fspath(path)).decode("utf-8", "replace")
