"""The ``photoscribe`` command: add, caption, watch, search, similar, status, export and set-caption, headless.

Every command takes the same options (library, model, text model, device, precision, batch size, prompt). Every
error prints one line and exits 2 (an unexpected one says to run with -v, which shows its traceback); a completed
run exits 0 even when some photos were unreadable. A closed pipe (``search ... | head``) ends the output quietly,
and file names that are not valid UTF-8 are shown with replacement characters. Only the commands that caption or
embed import torch and transformers (``add``, ``search --exact``, ``status``, ``export`` and ``--help`` stay light).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

from photoscribe import __version__
from photoscribe.cli_add import cmd_add
from photoscribe.cli_caption import cmd_caption, cmd_watch, cmd_write_metadata
from photoscribe.cli_library import (
    EXIT_ERROR,
    EXIT_INTERRUPTED,
    EXIT_OK,
    add_library_commands,
    cmd_export,
    cmd_set_caption,
    cmd_status,
    export_row,
    shown,
)
from photoscribe.cli_search import cmd_search, cmd_similar
from photoscribe.cli_studio import add_studio_commands
from photoscribe.config import DEVICES, METADATA_MODES, PRECISIONS, Settings, load_settings
from photoscribe.errors import PhotoScribeError, library_busy, one_line

__all__ = ["build_parser", "export_row", "main", "shown"]

log = logging.getLogger("photoscribe")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the process exit code."""
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra and getattr(args, "handler", None) is cmd_search:
        args.query += extra  # "-dog" is an excluded word, not an unknown option
    elif extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    if getattr(args, "handler", None) is cmd_search and not args.query:
        parser.error("search needs words to look for")
    verbose = getattr(args, "verbose", 0) or 0
    _setup_logging(verbose)
    _tolerant_output()
    try:
        settings = _settings_from(args)
        if not getattr(args, "handler", None):
            return open_desktop_app(settings, getattr(args, "quit_after", None), args.quit_when_idle)
        code = args.handler(args, settings)
        sys.stdout.flush()  # a closed pipe shows here, not in the interpreter's final flush
        return code
    except PhotoScribeError as exc:
        _print_error(str(exc))
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("photoscribe: interrupted; unfinished photos stay queued for the next run", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # the reader went away (search ... | head): stop writing, quietly
        _silence_stdout()
        return EXIT_OK
    except Exception as exc:  # a bug or a fault of the machine: one line, the traceback only with -v
        log.debug("unexpected error", exc_info=True)
        if library_busy(exc):
            _print_error(f"the library is in use by another program ({one_line(exc)}); try again in a moment")
        else:
            _print_error(f"unexpected {one_line(exc)}")
        if verbose:
            import traceback

            traceback.print_exc()
        else:
            print("photoscribe: run with -v for details", file=sys.stderr)
        return EXIT_ERROR


def _print_error(message: str) -> None:
    print(f"photoscribe: error: {message}", file=sys.stderr)


def _tolerant_output() -> None:
    """Never fail on a character the terminal's encoding lacks (a Windows console, a surrogate-escaped name)."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            try:
                reconfigure(errors="replace")
            except (ValueError, OSError):  # pragma: no cover - a stream that cannot change
                pass


def _silence_stdout() -> None:
    """After a broken pipe, point stdout at the null device so the interpreter's final flush stays quiet."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # not a real file (tests capture it)
        pass


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every command and the options they share."""
    # SUPPRESS: an option left out of a subcommand must not overwrite the same option given before it.
    common = argparse.ArgumentParser(add_help=False, argument_default=argparse.SUPPRESS)
    group = common.add_argument_group("common options")
    group.add_argument(
        "--library",
        metavar="FILE_OR_URL",
        help="library file, or a studio's postgresql://user@host/db (env PHOTOSCRIBE_LIBRARY)",
    )
    group.add_argument(
        "--model", metavar="ID_OR_DIR", help="Hugging Face model id or local folder (env PHOTOSCRIBE_MODEL)"
    )
    group.add_argument(
        "--text-model",
        metavar="ID_OR_DIR",
        help="text model for search by meaning, a sentence-transformers id or folder; '' turns it off "
        "(env PHOTOSCRIBE_TEXT_MODEL)",
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
        description="Caption your photos with BLIP, keep the captions in a local library, find photos by words "
        "and by meaning. "
        "With no command, opens the desktop app.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--quit-after", type=int, metavar="MS", help=argparse.SUPPRESS)  # smoke tests
    parser.add_argument("--quit-when-idle", action="store_true", help=argparse.SUPPRESS)  # the bundle's smoke test
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")

    cmd = commands.add_parser("caption", parents=[common], help="caption new and changed photos in folders or files")
    cmd.add_argument("paths", nargs="+", metavar="PATH", help="folders (searched recursively) and photo files")
    cmd.add_argument("--retry-failed", action="store_true", help="try photos that failed before again")
    cmd.set_defaults(handler=cmd_caption)

    cmd = commands.add_parser(
        "add",
        parents=[common],
        help="add folders (and files) to the library and queue their photos, without captioning",
    )
    cmd.add_argument("paths", nargs="+", metavar="PATH", help="folders (searched recursively) and photo files")
    cmd.add_argument("--poll", action="store_true", help="poll the given folders (network shares) instead of OS events")
    cmd.add_argument("--json", action="store_true", help="print the summary as JSON")
    cmd.set_defaults(handler=cmd_add)

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
    cmd.add_argument(
        "--poll-seconds",
        type=float,
        metavar="SECONDS",
        dest="poll_seconds",
        help="how often polled folders are looked at (default 30; only changed directories are listed)",
    )
    cmd.set_defaults(handler=cmd_watch)

    add_studio_commands(commands, common)
    add_library_commands(commands, common)

    cmd = commands.add_parser(
        "write-metadata", parents=[common], help="write the library's captions and keywords into photos or sidecars"
    )
    cmd.add_argument("paths", nargs="*", metavar="PATH", help="photos or folders (default: every captioned photo)")
    cmd.set_defaults(handler=cmd_write_metadata)

    cmd = commands.add_parser(
        "search", parents=[common], help="find photos by words in captions, keywords and names, then by meaning"
    )
    cmd.add_argument("query", nargs="*", help='words, prefixes (bea*), "exact phrases", -excluded')
    cmd.add_argument("--exact", action="store_true", help="match words only (no text model is loaded)")
    cmd.add_argument("--json", action="store_true", help="print JSON")
    cmd.add_argument("--limit", type=int, metavar="N", help="show at most N photos")
    cmd.set_defaults(handler=cmd_search)

    cmd = commands.add_parser("similar", parents=[common], help="find the photos that look most like a photo")
    cmd.add_argument("photo", metavar="PHOTO", help="a photo in the library (captioned)")
    cmd.add_argument("--json", action="store_true", help="print JSON")
    cmd.add_argument("--limit", type=int, metavar="N", help="show at most N photos (default 20)")
    cmd.set_defaults(handler=cmd_similar)

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


def open_desktop_app(settings: Settings, quit_after_ms: int | None = None, quit_when_idle: bool = False) -> int:
    """Open the main window (plain ``photoscribe``); ``quit_when_idle`` closes it once every photo of the library's
    folders is captioned (the installer's smoke test)."""
    try:
        from photoscribe.gui.app import run
    except ImportError as exc:  # e.g. Qt's system libraries are missing
        raise PhotoScribeError(
            f"the desktop app cannot start ({exc}); see Troubleshooting in the README, or use the commands "
            "(photoscribe --help)"
        ) from exc
    return run(settings, quit_after_ms=quit_after_ms, quit_when_idle=quit_when_idle)


def _settings_from(args: argparse.Namespace) -> Settings:
    names = (
        "library",
        "model",
        "text_model",
        "device",
        "precision",
        "batch_size",
        "prompt",
        "max_length",
        "num_beams",
        "settle_seconds",
        "poll_seconds",
        "write_metadata",
    )
    return load_settings().updated(**{name: getattr(args, name, None) for name in names})


def _setup_logging(verbosity: int) -> None:
    """Python logging at the asked level; transformers' own warnings silenced unless -v, without importing it:
    it reads ``TRANSFORMERS_VERBOSITY`` when a command that captions or embeds imports it."""
    level = logging.WARNING if verbosity == 0 else logging.INFO if verbosity == 1 else logging.DEBUG
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    if verbosity == 0:
        if "transformers" in sys.modules:  # already imported (the app, tests calling main in-process)
            from transformers.utils import logging as hf_logging

            hf_logging.set_verbosity_error()
        else:
            os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
