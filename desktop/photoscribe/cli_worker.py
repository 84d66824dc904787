"""``photoscribe worker``: a headless caption worker on a library shared by several machines.

It claims batches from the library's queue (leases: another worker never gets the same photo, and the photos of a
worker that dies go back to the queue when its leases run out), captions them on this machine's GPU or CPU, stores
each batch in one transaction, and waits for more: woken at once when photos are queued on a PostgreSQL library
(LISTEN/NOTIFY), looking every ``--poll-seconds`` otherwise. SIGTERM or Ctrl-C finishes the batch in hand, gives
back what it claimed ahead and exits 0.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from typing import TYPE_CHECKING

from photoscribe.cli_library import EXIT_OK, shown
from photoscribe.config import Settings
from photoscribe.library import Library

if TYPE_CHECKING:
    from photoscribe.worker import BatchOutcome

#: How often an idle worker looks at the queue when nothing wakes it (and on SQLite, where nothing can).
DEFAULT_POLL_SECONDS = 10.0


def add_worker_command(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:  # type: ignore[type-arg]
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
