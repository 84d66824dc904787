"""The ``photoscribe`` command: caption, search, status, export and set-caption, headless.

Every command takes the same options (library, model, device, precision, batch size, prompt). Errors a user can
fix print one line and exit 2; a completed run exits 0 even when some photos were unreadable.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import logging
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from photoscribe import __version__
from photoscribe.config import DEVICES, METADATA_MODES, PRECISIONS, Settings, load_settings
from photoscribe.errors import PhotoScribeError
from photoscribe.library import Library, PhotoRecord, Registration

if TYPE_CHECKING:
    from photoscribe.worker import RunSummary

log = logging.getLogger("photoscribe")

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
    "captioned_at",
)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the process exit code."""
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra and getattr(args, "handler", None) is cmd_search:
        args.query += extra  # "-dog" is an excluded word, not an unknown option
    elif extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    _setup_logging(getattr(args, "verbose", 0))
    try:
        settings = _settings_from(args)
        if not getattr(args, "handler", None):
            return open_desktop_app(settings, getattr(args, "quit_after", None))
        return args.handler(args, settings)
    except PhotoScribeError as exc:
        print(f"photoscribe: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("photoscribe: interrupted; unfinished photos stay queued for the next run", file=sys.stderr)
        return EXIT_INTERRUPTED


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every command and the options they share."""
    # SUPPRESS: an option left out of a subcommand must not overwrite the same option given before it.
    common = argparse.ArgumentParser(add_help=False, argument_default=argparse.SUPPRESS)
    group = common.add_argument_group("common options")
    group.add_argument("--library", metavar="FILE", help="library database file (env PHOTOSCRIBE_LIBRARY)")
    group.add_argument(
        "--model", metavar="ID_OR_DIR", help="Hugging Face model id or local folder (env PHOTOSCRIBE_MODEL)"
    )
    group.add_argument("--device", choices=DEVICES, help="where the model runs (default auto)")
    group.add_argument("--precision", choices=PRECISIONS, help="number format of the model (default auto)")
    group.add_argument(
        "--batch-size", type=int, metavar="N", help="photos per model call (default: 16 in bf16/fp16, else 8)"
    )
    group.add_argument("--prompt", metavar="TEXT", help='start of every caption, e.g. "a photography of"')
    group.add_argument("--max-length", type=int, metavar="N", help="most tokens a caption may have")
    group.add_argument("--beams", type=int, metavar="N", dest="num_beams", help="beam search width (default greedy)")
    group.add_argument(
        "--write-metadata", choices=METADATA_MODES, help="also write captions into photos (embed) or sidecars"
    )
    group.add_argument("-v", "--verbose", action="count", help="log more (-vv for debug)")

    parser = argparse.ArgumentParser(
        prog="photoscribe",
        parents=[common],
        description="Caption your photos with BLIP, keep the captions in a local library, find photos by words. "
        "With no command, opens the desktop app.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--quit-after", type=int, metavar="MS", help=argparse.SUPPRESS)  # smoke tests
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")

    cmd = commands.add_parser("caption", parents=[common], help="caption new and changed photos in folders or files")
    cmd.add_argument("paths", nargs="+", metavar="PATH", help="folders (searched recursively) and photo files")
    cmd.add_argument("--retry-failed", action="store_true", help="try photos that failed before again")
    cmd.set_defaults(handler=cmd_caption)

    cmd = commands.add_parser(
        "watch", parents=[common], help="caption what is there, then keep watching (Ctrl-C stops)"
    )
    cmd.add_argument("paths", nargs="*", metavar="FOLDER", help="folders to add; the library's folders are watched too")
    cmd.add_argument("--poll", action="store_true", help="poll the given folders (network shares) instead of OS events")
    cmd.add_argument(
        "--settle",
        type=float,
        metavar="SECONDS",
        dest="settle_seconds",
        help="how long a new file must stay unchanged before it is captioned (default 2)",
    )
    cmd.set_defaults(handler=cmd_watch)

    cmd = commands.add_parser(
        "write-metadata", parents=[common], help="write the library's captions and keywords into photos or sidecars"
    )
    cmd.add_argument("paths", nargs="*", metavar="PATH", help="photos or folders (default: every captioned photo)")
    cmd.set_defaults(handler=cmd_write_metadata)

    cmd = commands.add_parser("search", parents=[common], help="find photos by words in captions, keywords and names")
    cmd.add_argument("query", nargs="+", help='words, prefixes (bea*), "exact phrases", -excluded')
    cmd.add_argument("--json", action="store_true", help="print JSON")
    cmd.add_argument("--limit", type=int, metavar="N", help="show at most N photos")
    cmd.set_defaults(handler=cmd_search)

    cmd = commands.add_parser("status", parents=[common], help="library figures, model and device")
    cmd.add_argument("--json", action="store_true", help="print JSON")
    cmd.set_defaults(handler=cmd_status)

    cmd = commands.add_parser("export", parents=[common], help="export every photo's captions and keywords")
    cmd.add_argument("--format", choices=("csv", "json"), default="csv")
    cmd.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of standard output")
    cmd.set_defaults(handler=cmd_export)

    cmd = commands.add_parser("set-caption", parents=[common], help="set your own caption for a photo (it always wins)")
    cmd.add_argument("path", metavar="PATH")
    cmd.add_argument("caption", nargs="?", default=None, help="the caption; leave out to go back to the model's")
    cmd.set_defaults(handler=cmd_set_caption)
    return parser


# -- commands --------------------------------------------------------------------------------------------------


def open_desktop_app(settings: Settings, quit_after_ms: int | None = None) -> int:
    """Open the main window (plain ``photoscribe``)."""
    try:
        from photoscribe.gui.app import run
    except ImportError as exc:  # e.g. Qt's system libraries are missing
        raise PhotoScribeError(
            f"the desktop app cannot start ({exc}); see Troubleshooting in the README, or use the commands "
            "(photoscribe --help)"
        ) from exc
    return run(settings, quit_after_ms=quit_after_ms)


def cmd_caption(args: argparse.Namespace, settings: Settings) -> int:
    """Add folders and files, then caption everything new or changed."""
    from photoscribe.ingest import expand_targets, iter_photos

    targets, problems = expand_targets(args.paths)
    for problem in problems:
        print(f"photoscribe: {problem}", file=sys.stderr)
    if not targets:
        raise PhotoScribeError("nothing to caption: none of the given paths exists")
    with Library(settings.library) as library:
        library.requeue_running()
        found: Counter[Registration] = Counter()
        for target in targets:
            if target.is_folder:
                found += library.register_files(iter_photos(target.path), library.add_folder(target.path))
            else:
                found += library.register_files([target.path])
        if args.retry_failed:
            library.requeue(p.id for p in library.photos(status="failed"))
        pending = library.stats().pending
        summary = _caption_pending(library, settings, pending) if pending else None
        _print_caption_summary(found, summary)
        if settings.write_metadata != "off" and summary and summary.captioned_ids:
            _write_metadata(settings, list(library.records(summary.captioned_ids).values()), library)
    return EXIT_OK


def _caption_pending(library: Library, settings: Settings, pending: int) -> RunSummary:
    from tqdm import tqdm

    from photoscribe.captioning import Captioner, CaptionSettings, choose_hardware
    from photoscribe.worker import CaptionWorker

    hardware = choose_hardware(settings.device, settings.precision)
    print(f"Loading {settings.model} on {hardware.describe()} ...", file=sys.stderr)
    captioner = Captioner.load(settings.model, hardware)
    caption_settings = CaptionSettings(settings.prompt, settings.max_length, settings.num_beams)
    worker = CaptionWorker(library, captioner, caption_settings, settings.batch_size)
    with tqdm(total=pending, unit="photo", desc="Captioning", disable=None, file=sys.stderr) as bar:
        return worker.run(on_batch=lambda outcome: bar.update(len(outcome.captioned) + len(outcome.failed)))


def _print_caption_summary(found: Counter[Registration], summary: RunSummary | None) -> None:
    skipped = found[Registration.UNCHANGED] + found[Registration.RESTORED] + found[Registration.MOVED]
    captioned = summary.captioned if summary else 0
    failed = summary.failed if summary else []
    line = (
        f"Captioned {captioned} photo{'s' if captioned != 1 else ''}, skipped {skipped} unchanged, failed {len(failed)}"
    )
    if summary and summary.seconds > 0 and captioned:
        line += f" ({summary.photos_per_second:.2f} photos/s)"
    print(line + ".")
    for path, reason in failed:
        print(f"  failed: {path}: {reason}")


def cmd_watch(args: argparse.Namespace, settings: Settings) -> int:
    """Run the engine headless until Ctrl-C or SIGTERM, then shut down cleanly."""
    import signal
    import threading

    from photoscribe.engine import Engine
    from photoscribe.events import EngineError

    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    fatal: list[str] = []

    def on_event(event: object) -> None:
        _print_event(event)
        if isinstance(event, EngineError) and event.fatal:
            fatal.append(event.message)
            stop.set()

    engine = Engine(settings)
    engine.subscribe(on_event)
    try:
        for folder in args.paths:
            engine.add_folder(folder, polling=args.poll)
        if not engine.library.folders():
            raise PhotoScribeError("no folders to watch: give at least one FOLDER")
        engine.start()
        print(f"Watching {len(engine.library.folders())} folder(s); press Ctrl-C to stop.", file=sys.stderr, flush=True)
        while not stop.wait(0.5):  # a timed wait lets the signal handlers run promptly
            pass
        if not fatal:
            print("Stopping: finishing the batch in hand ...", file=sys.stderr, flush=True)
    finally:
        engine.stop()
        engine.library.close()
    return EXIT_ERROR if fatal else EXIT_OK


def _print_event(event: object) -> None:
    from photoscribe.events import EngineError, PhotoCaptioned, PhotoFailed, QueueEmpty, StateChanged

    if isinstance(event, PhotoCaptioned):
        print(f"captioned: {event.path}: {event.caption}", flush=True)
    elif isinstance(event, PhotoFailed):
        print(f"failed: {event.path}: {event.reason}", flush=True)
    elif isinstance(event, EngineError):
        print(f"photoscribe: {'error' if event.fatal else 'warning'}: {event.message}", file=sys.stderr, flush=True)
    elif isinstance(event, QueueEmpty):
        print("All caught up; watching for new photos.", file=sys.stderr, flush=True)
    elif isinstance(event, StateChanged) and event.detail:
        print(f"{event.state}: {event.detail}", file=sys.stderr, flush=True)


def cmd_write_metadata(args: argparse.Namespace, settings: Settings) -> int:
    """Write captions (user edits win) into photos or sidecars, verifying each file."""
    if settings.write_metadata == "off":
        raise PhotoScribeError("say where to write: --write-metadata embed (into photos) or sidecar (XMP files)")
    with Library(settings.library) as library:
        records = [r for r in library.photos(status="done") if _selected(Path(r.path), args.paths)]
        _write_metadata(settings, records, library)
    return EXIT_OK


def _selected(path: Path, wanted: list[str]) -> bool:
    from photoscribe.library.library import normalise

    return not wanted or any(path == normalise(w) or normalise(w) in path.parents for w in wanted)


def _write_metadata(settings: Settings, records: list[PhotoRecord], library: Library) -> None:
    """Write and report: written, already up to date, left unchanged with the reason."""
    from photoscribe.metadata.sync import open_writer, write_records

    writer = open_writer(settings)
    try:
        outcomes = write_records(writer, records, library)
    finally:
        if writer.exiftool is not None:
            writer.exiftool.close()
    written = sum(o.written and not o.unchanged for o in outcomes)
    unchanged = sum(o.unchanged for o in outcomes)
    refused = [o for o in outcomes if not o.written]
    mode = settings.write_metadata
    how = "exiftool" if writer.exiftool is not None else "built-in writer: EXIF and XMP, no IPTC"
    print(
        f"Metadata ({mode}, {how}): written {written}, already up to date {unchanged}, left unchanged {len(refused)}."
    )
    for outcome in refused:
        print(f"  left unchanged: {outcome.path}: {outcome.reason}")


def cmd_search(args: argparse.Namespace, settings: Settings) -> int:
    """Print the photos matching the query, best first."""
    with Library(settings.library) as library:
        hits = library.search(" ".join(args.query), limit=args.limit)
    if args.json:
        rows = [
            {
                "path": h.photo.path,
                "caption": h.photo.caption,
                "keywords": list(h.photo.keywords),
                "score": round(h.score, 4),
            }
            for h in hits
        ]
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return EXIT_OK
    for hit in hits:
        print(f"{hit.photo.path}\n    {hit.photo.caption or '(not captioned yet)'}")
    print(f"{len(hits)} photo{'s' if len(hits) != 1 else ''} found.", file=sys.stderr)
    return EXIT_OK


def cmd_status(args: argparse.Namespace, settings: Settings) -> int:
    """Print library figures plus the model and device that captioning would use."""
    from photoscribe.captioning import choose_hardware

    with Library(settings.library) as library:
        stats = library.stats()
    hardware = choose_hardware(settings.device, settings.precision)
    figures = {
        "library": str(library.path),
        "photos": stats.photos,
        "captioned": stats.captioned,
        "pending": stats.pending,
        "failed": stats.failed,
        "missing": stats.missing,
        "folders": stats.folders,
        "model": settings.model,
        "device": hardware.device.type,
        "precision": hardware.precision,
        "batch_size": settings.batch_size or hardware.batch_size,
    }
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        width = max(len(k) for k in figures)
        for key, value in figures.items():
            print(f"{key:<{width}}  {value}")
    return EXIT_OK


def cmd_export(args: argparse.Namespace, settings: Settings) -> int:
    """Export every photo as CSV or JSON."""
    with Library(settings.library) as library:
        rows = [export_row(p) for p in library.photos()]
    text = json.dumps(rows, ensure_ascii=False, indent=2) + "\n" if args.format == "json" else _csv(rows)
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8", newline="")
        print(f"Exported {len(rows)} photos to {args.output}.", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return EXIT_OK


def cmd_set_caption(args: argparse.Namespace, settings: Settings) -> int:
    """Set or clear the user's caption of one photo."""
    with Library(settings.library) as library:
        record = library.set_user_caption(args.path, args.caption)
    print(f"{record.path}: {record.caption or '(no caption yet)'}")
    return EXIT_OK


# -- helpers ---------------------------------------------------------------------------------------------------


def export_row(photo: PhotoRecord) -> dict[str, object]:
    """One photo as the flat dictionary written by ``export``."""
    return {
        "path": photo.path,
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
        "captioned_at": photo.captioned_at.isoformat() if photo.captioned_at else None,
    }


def _csv(rows: list[dict[str, object]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=EXPORT_FIELDS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({**row, "keywords": "; ".join(row["keywords"])})  # type: ignore[arg-type]
    return out.getvalue()


def _settings_from(args: argparse.Namespace) -> Settings:
    names = (
        "library",
        "model",
        "device",
        "precision",
        "batch_size",
        "prompt",
        "max_length",
        "num_beams",
        "settle_seconds",
        "write_metadata",
    )
    return load_settings().updated(**{name: getattr(args, name, None) for name in names})


def _setup_logging(verbosity: int) -> None:
    level = logging.WARNING if verbosity == 0 else logging.INFO if verbosity == 1 else logging.DEBUG
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    if verbosity == 0:
        try:
            from transformers.utils import logging as hf_logging

            hf_logging.set_verbosity_error()
        except ImportError:  # pragma: no cover
            pass
