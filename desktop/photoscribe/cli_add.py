"""The ``add`` command: add folders to the library (as the app's Add folder does) and register single files, queuing
every new or changed photo for captioning, without captioning and without importing torch.

A folder is scanned as the engine's scan thread does (newest folder first, 2,000 files per transaction). Progress
goes to standard error: one line rewritten in place on a terminal, a line a second otherwise (a log, a pipe).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import sys
import time
from collections import Counter
from concurrent.futures import Executor, ProcessPoolExecutor
from typing import TYPE_CHECKING, TextIO

from photoscribe.cli_library import EXIT_OK, ProgressLine, given_targets, left_out_line, pairs_line
from photoscribe.config import Settings
from photoscribe.library import Library, Registration

if TYPE_CHECKING:
    from photoscribe.ingest.reconcile import ScanCount

MOST_READERS = 4
#: What each registration outcome counts as in the summary.
REGISTERED = (Registration.NEW, Registration.CHANGED)
ALREADY_KNOWN = (Registration.UNCHANGED, Registration.MOVED, Registration.RESTORED)


def cmd_add(args: argparse.Namespace, settings: Settings) -> int:
    """Register the photos under the given paths (folders become library folders); caption nothing."""
    from photoscribe.ingest import reconcile, register_files

    targets, problems = given_targets(args.paths, "add")
    started = time.perf_counter()
    found: Counter[Registration] = Counter()
    left_out: Counter[tuple[str, str]] = Counter()
    progress = ScanLine(sys.stderr)
    with Library(settings.library) as library, ReaderPool() as readers:
        for target in targets:
            if target.is_folder:
                folder_id = library.add_folder(target.path, args.poll or None)
                progress.begin(found)
                found += reconcile(
                    library, target.path, folder_id, left_out=left_out, on_progress=progress.update, readers=readers
                )
            else:
                found += register_files(library, [target.path])
        progress.end()
        stats = library.stats()
    figures = _figures(found, left_out, problems, stats.pending, time.perf_counter() - started)
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        _print_summary(figures, stats.paired, left_out, shared=library.db.server)
    return EXIT_OK


class ReaderPool(Executor):
    """Processes reading photo files for registration, one per core (at most :data:`MOST_READERS`), started on
    first use: a folder of a few photos is read in this process, without starting any."""

    def __init__(self) -> None:
        self._pool: ProcessPoolExecutor | None = None

    def submit(self, fn, /, *args, **kwargs):  # type: ignore[no-untyped-def,override]
        if self._pool is None:
            workers = max(1, min(MOST_READERS, os.cpu_count() or 1))
            self._pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))
        return self._pool.submit(fn, *args, **kwargs)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait, cancel_futures=cancel_futures)


class ScanLine(ProgressLine):
    """The line "scanning 41,200 files… 38,000 registered" (see :class:`ProgressLine`)."""

    def __init__(self, stream: TextIO) -> None:
        super().__init__(stream)
        self._before = 0  # files of the folders scanned before this one

    def begin(self, found: Counter[Registration]) -> None:
        self._before = sum(found.values())

    def update(self, count: ScanCount) -> None:
        seen, registered = self._before + count.files_seen, self._before + count.registered
        self.show(f"scanning {seen:,} files… {registered:,} registered")


def _figures(
    found: Counter[Registration],
    left_out: Counter[tuple[str, str]],
    problems: list[str],
    pending: int,
    seconds: float,
) -> dict[str, object]:
    return {
        "registered": sum(found[k] for k in REGISTERED),
        "already_known": sum(found[k] for k in ALREADY_KNOWN),
        "left_out": sum(left_out.values()),
        "left_out_by_kind": [{"kind": k, "extension": e, "count": n} for (k, e), n in sorted(left_out.items())],
        "not_found": problems,
        "queued_in_library": pending,
        "seconds": round(seconds, 2),
    }


def _print_summary(
    figures: dict[str, object], paired: int, left_out: Counter[tuple[str, str]], shared: bool = False
) -> None:
    registered, known = figures["registered"], figures["already_known"]
    print(
        f"Registered {registered} photo{'s' if registered != 1 else ''} (queued for captioning), "
        f"{known} already known, {figures['left_out']} left out (not photos) in {figures['seconds']} s."
    )
    if paired:
        print(pairs_line(paired))
    if left_out:
        print(left_out_line((kind, ext, n) for (kind, ext), n in left_out.items()))
    queued = figures["queued_in_library"]
    how = "run `photoscribe worker` on a captioning machine" if shared else "open the app, or run `photoscribe watch`"
    print(f"{queued} photo{'s' if queued != 1 else ''} in the library wait to be captioned ({how}).")
