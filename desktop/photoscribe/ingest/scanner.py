"""Walking folders for photos (``formats.PHOTO_EXTENSIONS``), skipping hidden, temporary and unreadable entries,
and counting the files left out because they are not photos (videos, sidecars, others)."""

from __future__ import annotations

import logging
import os
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from photoscribe.formats import is_photo_name, left_out_kind

log = logging.getLogger(__name__)

TEMPORARY_SUFFIXES = (".part", ".crdownload", ".download", ".tmp", ".partial", "~")
TEMPORARY_PREFIXES = (".", "~$", "._")
#: Files the operating system puts in folders by itself: neither photos nor left out by the photographer.
SYSTEM_FILES = frozenset({"thumbs.db", "desktop.ini", "ehthumbs.db", "icon\r"})


def is_candidate(path: Path) -> bool:
    """True for a file name PhotoScribe should caption (a photo, not hidden, not a temporary file)."""
    return is_users_file(path.name) and is_photo_name(path)


def is_users_file(name: str) -> bool:
    """Not hidden, not a temporary file, not a file the operating system made."""
    return not (
        name.startswith(TEMPORARY_PREFIXES) or name.endswith(TEMPORARY_SUFFIXES) or name.lower() in SYSTEM_FILES
    )


def iter_photos(root: Path, left_out: Counter[tuple[str, str]] | None = None) -> Iterator[Path]:
    """Photo files under ``root``, recursively, in a stable order; unreadable subfolders are logged and skipped.

    With ``left_out``, the other files met (not hidden or temporary) are counted in it by (``formats.LeftOut``
    value, lower-case extension with its dot, ``""`` for none) as the walk goes.
    """

    def on_error(exc: OSError) -> None:
        log.warning("skipping %s: %s", exc.filename, exc.strerror or exc)

    for folder, subfolders, files in os.walk(root, onerror=on_error):
        subfolders[:] = sorted(d for d in subfolders if not d.startswith("."))
        for name in sorted(files):
            path = Path(folder, name)
            if is_candidate(path):
                yield path
            elif left_out is not None and is_users_file(name):
                kind = left_out_kind(path)
                if kind is not None:
                    left_out[kind.value, path.suffix.lower()] += 1


@dataclass(frozen=True)
class ScanTarget:
    """A path given by the user: a folder to scan recursively, or a single file."""

    path: Path
    is_folder: bool


def expand_targets(paths: Iterable[Path | str]) -> tuple[list[ScanTarget], list[str]]:
    """Sort user-given paths into targets, and problems (missing paths, unsupported files) as messages."""
    targets: list[ScanTarget] = []
    problems: list[str] = []
    for raw in paths:
        path = Path(raw).expanduser()
        if path.is_dir():
            targets.append(ScanTarget(path, True))
        elif path.is_file():
            targets.append(ScanTarget(path, False))
            if not is_photo_name(path):
                log.info("%s does not have an image extension; trying it anyway", path)
        else:
            problems.append(f"{raw}: no such file or folder")
    return targets, problems
