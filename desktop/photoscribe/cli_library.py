"""The commands that read the library (``status``, ``export``), ``set-caption`` and ``library copy``; printing
helpers.

None of them imports torch or transformers (``search`` and ``similar`` live in ``cli_search.py``).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from photoscribe.config import Settings
from photoscribe.errors import PhotoScribeError
from photoscribe.formats import LeftOut
from photoscribe.library import Library, PhotoRecord
from photoscribe.library.location import shown_location

if TYPE_CHECKING:
    from photoscribe.ingest.scanner import ScanTarget

EXIT_OK, EXIT_ERROR, EXIT_INTERRUPTED = 0, 2, 130
EXPORT_FIELDS = (
    "path",
    "caption",
    "model_caption",
    "user_caption",
    "file_caption",
    "keywords",
    "status",
    "error",
    "width",
    "height",
    "taken_at",
    "model",
    "raw_companion",  # the RAW half of a RAW+JPEG pair (the row is its JPEG)
    "captioned_at",
)
#: How ``status`` and ``caption`` name each kind of file left out: (one, several).
LEFT_OUT_NAMES = {
    LeftOut.VIDEO: ("video", "videos"),
    LeftOut.SIDECAR: ("sidecar", "sidecars"),
    LeftOut.OTHER: ("other file", "other files"),
}


def given_targets(paths: Iterable[Path | str], doing: str) -> tuple[list[ScanTarget], list[str]]:
    """The folders and files the user named, and a line on stderr for each that does not exist; an error when
    none does (``doing``: what the command would have done, "caption" or "add")."""
    from photoscribe.ingest import expand_targets

    targets, problems = expand_targets(paths)
    for problem in problems:
        print(f"photoscribe: {problem}", file=sys.stderr)
    if not targets:
        raise PhotoScribeError(f"nothing to {doing}: none of the given paths exists")
    return targets, problems


def shown(path: object) -> str:
    """A path as text that can always be printed: bytes that are not valid UTF-8 become replacement characters."""
    text = os.fspath(path) if isinstance(path, os.PathLike) else str(path)
    return os.fsencode(text).decode("utf-8", "replace") if isinstance(text, str) else str(text)


def cmd_status(args: argparse.Namespace, settings: Settings) -> int:
    """Print library figures, the model and device that captioning would use, and how ready search by meaning is."""
    with Library(settings.library) as library:
        stats = library.stats()
        ready = library.text_vector_progress(settings.text_model) if settings.text_model else None
    device, precision, batch_size = _hardware(settings)
    figures = {
        "library": library.shown_location,
        "photos": stats.photos,
        "captioned": stats.captioned,
        "pending": stats.pending,
        "failed": stats.failed,
        "missing": stats.missing,
        "raw_jpeg_pairs": stats.paired,
        "folders": stats.folders,
        "model": settings.model,
        "device": device,
        "precision": precision,
        "batch_size": batch_size,
        "text_model": settings.text_model or "off",
        "search_by_meaning": f"{ready[0]} of {ready[1]} photos ready" if ready else "off (words only)",
    }
    if args.json:
        figures["left_out"] = [{"kind": k, "extension": e, "count": n} for k, e, n in stats.left_out]
        print(json.dumps(figures, indent=2))
    else:
        width = max(len(k) for k in figures)
        for key, value in figures.items():
            print(f"{key:<{width}}  {value}")
        if stats.paired:
            print(pairs_line(stats.paired))
        if stats.left_out:
            print(left_out_line(stats.left_out))
    return EXIT_OK


def _hardware(settings: Settings) -> tuple[str, str, object]:
    """(device, precision, batch size) as captioning would use them. Resolving ``auto`` needs torch, which takes
    seconds to import: that happens only where torch is loaded already (the app); else the configured values."""
    if "torch" not in sys.modules:
        later = " (decided when captioning)"
        device = settings.device + (later if settings.device == "auto" else "")
        precision = settings.precision + (later if settings.precision == "auto" else "")
        return device, precision, settings.batch_size or "automatic"
    from photoscribe.captioning import choose_hardware
    from photoscribe.errors import ConfigError

    try:
        hardware = choose_hardware(settings.device, settings.precision)
    except ConfigError:  # status only reads: a device that is absent is shown as such
        return f"{settings.device} (not available)", settings.precision, settings.batch_size or "automatic"
    return hardware.device.type, hardware.precision, settings.batch_size or hardware.batch_size


def pairs_line(paired: int) -> str:
    """``"3 RAW+JPEG pairs count as one photo each."``"""
    if paired == 1:
        return "1 RAW+JPEG pair counts as one photo (captioned from the JPEG)."
    return f"{paired} RAW+JPEG pairs count as one photo each (captioned from the JPEG)."


def left_out_line(counts: Iterable[tuple[str, str, int]]) -> str:
    """``"Left out (not photos): 2 videos (.mov, .mp4), 1 sidecar (.xmp)"``: by kind, most first."""
    by_kind: dict[LeftOut, dict[str, int]] = {}
    for kind, extension, count in counts:
        extensions = by_kind.setdefault(LeftOut(kind), {})
        extensions[extension] = extensions.get(extension, 0) + count
    parts = []
    for kind in LeftOut:
        extensions = by_kind.get(kind)
        if extensions:
            total = sum(extensions.values())
            names = ", ".join(e or "no extension" for e in sorted(extensions))
            parts.append(f"{total} {LEFT_OUT_NAMES[kind][total != 1]} ({names})")
    return "Left out (not photos): " + ", ".join(parts)


def cmd_export(args: argparse.Namespace, settings: Settings) -> int:
    """Export every photo as CSV or JSON."""
    with Library(settings.library) as library:
        rows = [export_row(p) for p in library.photos()]
    text = json.dumps(rows, ensure_ascii=False, indent=2) + "\n" if args.format == "json" else _csv(rows)
    if args.output:
        try:
            Path(args.output).write_text(text, encoding="utf-8", newline="")
        except OSError as exc:
            raise PhotoScribeError(f"cannot write {args.output}: {exc.strerror or exc}") from exc
        print(f"Exported {len(rows)} photos to {args.output}.", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return EXIT_OK


def cmd_set_caption(args: argparse.Namespace, settings: Settings) -> int:
    """Set or clear the user's caption of one photo."""
    with Library(settings.library) as library:
        record = library.set_user_caption(args.path, args.caption)
    print(f"{shown(record.path)}: {record.caption or '(no caption yet)'}")
    return EXIT_OK


def add_library_commands(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:  # type: ignore[type-arg]
    """``photoscribe library copy SOURCE TARGET``."""
    cmd = commands.add_parser("library", parents=[common], help="whole libraries: copy one into a new one")
    actions = cmd.add_subparsers(title="actions", metavar="ACTION", required=True)
    copy = actions.add_parser(
        "copy",
        parents=[common],
        help="copy a library into a new file or an empty PostgreSQL database (a desktop library to a studio)",
        description="Copy everything in the library SOURCE (folders, photos, captions, your edits, keywords, "
        "failures, vectors, RAW+JPEG pairs, roots) into TARGET, a new library file or an empty PostgreSQL "
        "database, in one transaction: a failure leaves TARGET empty, and a TARGET that holds anything is refused. "
        "SOURCE is only read (a library made by an older PhotoScribe is brought up to date first, as opening it "
        "anywhere would). Photos being captioned are queued again in the copy.",
    )
    copy.add_argument("source", metavar="SOURCE", help="the library to copy: a file, or postgresql://user@host/db")
    copy.add_argument("target", metavar="TARGET", help="a new library file, or an empty database's postgresql:// URL")
    copy.set_defaults(handler=cmd_library_copy)


def cmd_library_copy(args: argparse.Namespace, settings: Settings) -> int:
    """Copy one library into a new one; progress on stderr, one line of figures on stdout."""
    from photoscribe.library.copying import copy_library

    line = ProgressLine(sys.stderr)

    def progress(stage: str, done: int, total: int) -> None:
        doing = "building the search index" if stage == "search" else f"copying {stage.replace('_', ' ')}"
        line.show(f"{doing}: {done:,} of {total:,}")

    try:
        report = copy_library(args.source, args.target, progress)
    finally:
        line.end()
    source, target = (shown(shown_location(place)) for place in (args.source, args.target))
    print(
        f"Copied {_many(report.photos, 'photo')} ({_many(report.folders, 'folder')}), "
        f"{_many(report.captions, 'caption')} ({_many(report.edits, 'photo')} with your edits), "
        f"{_many(report.keywords, 'keyword')} and {_many(report.vectors, 'vector')} from {source} to {target}."
    )
    return EXIT_OK


class ProgressLine:
    """A line of progress on standard error: rewritten in place on a terminal (five times a second at most), a new
    line once a second otherwise; nothing at all for work done within the first moment."""

    TTY_SECONDS, LOG_SECONDS = 0.2, 1.0  # the least time between two lines

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self.every = self.TTY_SECONDS if self.tty else self.LOG_SECONDS
        self._shown_at = time.monotonic()
        self._width = 0

    def show(self, text: str) -> None:
        now = time.monotonic()
        if now - self._shown_at < self.every:
            return
        self._shown_at = now
        if self.tty:
            self.stream.write("\r" + text.ljust(self._width))
            self._width = len(text)
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    def end(self) -> None:
        if self.tty and self._width:
            self.stream.write("\r" + " " * self._width + "\r")
            self.stream.flush()


# -- helpers ---------------------------------------------------------------------------------------------------


def export_row(photo: PhotoRecord) -> dict[str, object]:
    """One photo as the flat dictionary written by ``export``."""
    return {
        "path": shown(photo.path),
        "caption": photo.caption,
        "model_caption": photo.model_caption,
        "user_caption": photo.user_caption,
        "file_caption": photo.file_caption,
        "keywords": list(photo.keywords),
        "status": photo.status,
        "error": photo.error,
        "width": photo.width,
        "height": photo.height,
        "taken_at": photo.taken_at.isoformat() if photo.taken_at else None,
        "model": photo.model_ref,
        "raw_companion": shown(photo.companion_path) if photo.companion_path else None,
        "captioned_at": photo.captioned_at.isoformat() if photo.captioned_at else None,
    }


def _many(count: int, word: str) -> str:
    """``"1 photo"``, ``"12,000 photos"``."""
    return f"{count:,} {word}{'s' if count != 1 else ''}"


def _csv(rows: list[dict[str, object]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=EXPORT_FIELDS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({**row, "keywords": "; ".join(row["keywords"])})  # type: ignore[arg-type]
    return out.getvalue()
