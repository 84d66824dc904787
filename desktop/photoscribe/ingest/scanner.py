"""Walking folders for photos: image extensions only, skipping hidden, temporary and unreadable entries."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from photoscribe.imaging import is_image_name

log = logging.getLogger(__name__)

TEMPORARY_SUFFIXES = (".part", ".crdownload", ".download", ".tmp", ".partial", "~")
TEMPORARY_PREFIXES = (".", "~$", "._")


def is_candidate(path: Path) -> bool:
    """True for a file name PhotoScribe should caption (an image, not hidden, not a temporary file)."""
    name = path.name
    return not name.startswith(TEMPORARY_PREFIXES) and not name.endswith(TEMPORARY_SUFFIXES) and is_image_name(path)


def iter_photos(root: Path) -> Iterator[Path]:
    """Photo files under ``root``, recursively, in a stable order; unreadable subfolders are logged and skipped."""

    def on_error(exc: OSError) -> None:
        log.warning("skipping %s: %s", exc.filename, exc.strerror or exc)

    for folder, subfolders, files in os.walk(root, onerror=on_error):
        subfolders[:] = sorted(d for d in subfolders if not d.startswith("."))
        for name in sorted(files):
            path = Path(folder, name)
            if is_candidate(path):
                yield path


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
            if not is_image_name(path):
                log.info("%s does not have an image extension; trying it anyway", path)
        else:
            problems.append(f"{raw}: no such file or folder")
    return targets, problems
