"""The studio's commands: ``photoscribe worker`` and ``photoscribe roots``.

``worker`` is a headless caption worker on a library shared by several machines.
It claims batches from the library's queue (leases: another worker never gets the same photo, and the photos of a
worker that dies go back to the queue when its leases run out), captions them on this machine's GPU or CPU, stores
each batch in one transaction, and waits for more: woken at once when photos are queued on a PostgreSQL library
(LISTEN/NOTIFY), looking every ``--poll-seconds`` otherwise. SIGTERM or Ctrl-C finishes the batch in hand, gives
back what it claimed ahead and exits 0.

``roots`` lists the library's roots (folders shared by several machines) and where this machine sees them; ``roots
add NAME PATH`` adds one, ``roots set NAME PATH`` records this machine's mount point of it (see library/roots.py).
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from typing import TYPE_CHECKING

from photoscribe.cli_library import EXIT_OK, shown
from photoscribe.config import Settings
from photoscribe.errors import PhotoScribeError
from photoscribe.library import Library

if TYPE_CHECKING:
    from photoscribe.worker import BatchOutcome

#: How often an idle worker looks at the queue when nothing wakes it (and on SQLite, where nothing can).
DEFAULT_POLL_SECONDS = 10.0


def add_studio_commands(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:  # type: ignore[type-arg]
    cmd = commands.add_parser(
        "worker",
        parents=[common],
        help="caption photos from the library's queue until stopped (headless; for GPU machines of a studio)",
    )
    cmd.add_argument(
        "--until-empty", action="store_true", help="exit once the queue is empty instead of waiting for more"
    )
    cmd.add_argument(
        "--poll-seconds",
        type=float,
        metavar="SECONDS",
        dest="worker_poll_seconds",
        default=DEFAULT_POLL_SECONDS,
        help=f"how often an idle worker looks at the queue when not woken (default {DEFAULT_POLL_SECONDS:.0f})",
    )
    cmd.set_defaults(handler=cmd_worker)

    cmd = commands.add_parser(
        "roots",
        parents=[common],
        help="list the library's shared folders (roots) and where this machine sees them; add or map one",
    )
    cmd.add_argument("action", nargs="?", choices=("list", "add", "set"), default="list", help="(default: list)")
    cmd.add_argument("name", nargs="?", help="the root's name")
    cmd.add_argument("path", nargs="?", help="add: the root's folder here; set: where this machine sees it")
    cmd.add_argument("--clear", action="store_true", help="set: forget this machine's mount point of the root")
    cmd.set_defaults(handler=cmd_roots)


def cmd_worker(args: argparse.Namespace, settings: Settings) -> int:
    """Caption from the shared queue until SIGTERM/Ctrl-C (or, with ``--until-empty``, until it is empty)."""
    from photoscribe.captioning import Captioner, CaptionSettings, choose_hardware
    from photoscribe.worker import CaptionWorker

    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    with Library(settings.library) as library:
        hardware = choose_hardware(settings.device, settings.precision)
        print(f"Loading {settings.model} on {hardware.describe()} ...", file=sys.stderr, flush=True)
        captioner = Captioner.load(settings.model, hardware)
        worker = CaptionWorker(
            library,
            captioner,
            CaptionSettings(settings.prompt, settings.max_length, settings.num_beams),
            settings.batch_size,
            metadata_pending=settings.write_metadata != "off",
        )
        print(f"Worker {library.owner} on {library.shown_location}: waiting for photos.", file=sys.stderr, flush=True)
        captioned = failed = 0
        with library.waiter(args.worker_poll_seconds) as waiter:
            library.reclaim_expired()
            while not stop.is_set():
                summary = worker.run(on_batch=_print_batch, should_stop=stop.is_set)
                captioned, failed = captioned + summary.captioned, failed + len(summary.failed)
                if stop.is_set():
                    break
                if library.reclaim_expired():  # a dead worker's photos, or leases that ran out: caption them now
                    continue
                if args.until_empty and library.stats().pending == 0:
                    break
                waiter.wait(stop)
        print(f"Worker stopped: captioned {captioned}, failed {failed}.", file=sys.stderr, flush=True)
    return EXIT_OK


def _print_batch(outcome: BatchOutcome) -> None:
    for photo, result in outcome.captioned:
        print(f"captioned: {shown(photo.path)}: {result.caption}", flush=True)
    for photo, reason in outcome.failed:
        print(f"failed: {shown(photo.path)}: {reason}", flush=True)


def cmd_roots(args: argparse.Namespace, settings: Settings) -> int:
    """List the roots, add one, or record this machine's mount point of one."""
    if args.action != "list" and not args.name:
        raise PhotoScribeError(f"roots {args.action} needs a NAME")
    if args.action == "add" and not args.path:
        raise PhotoScribeError("roots add needs NAME and the PATH of the shared folder as this machine sees it")
    if args.action == "set" and not (args.path or args.clear):
        raise PhotoScribeError("roots set needs NAME and PATH (where this machine sees the root), or --clear")
    with Library(settings.library) as library:
        if args.action == "add":
            library.roots.add(args.name, args.path)
        elif args.action == "set":
            library.roots.set_mount(args.name, None if args.clear else args.path)
        roots = list(library.roots)
        if not roots:
            print("No roots: photos are stored with the paths this machine gives (photoscribe roots add NAME PATH).")
        for root in roots:
            where = f"here at {shown(root.mount)}" if root.mount else "here at the same path"
            state = "" if root.reachable else "  (not reachable here: its photos are left to other machines)"
            print(f"{root.name}: {shown(root.path)}, {where}{state}")
    return EXIT_OK
