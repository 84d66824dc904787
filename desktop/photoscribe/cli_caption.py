"""The ``caption``, ``watch`` and ``write-metadata`` commands: the ones that caption photos or write into them.

``caption`` also prepares search by meaning after captioning: the text model embeds the captions it made.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from photoscribe.cli_library import EXIT_ERROR, EXIT_OK, given_targets, left_out_line, pairs_line, shown
from photoscribe.cli_search import prepare_after_caption
from photoscribe.config import Settings
from photoscribe.errors import PhotoScribeError
from photoscribe.library import Library, PhotoRecord, Registration

if TYPE_CHECKING:
    from photoscribe.captioning.caption_settings import CaptionSettings
    from photoscribe.captioning.loading import BackgroundLoad
    from photoscribe.ingest.scanner import ScanTarget
    from photoscribe.worker import RunSummary

log = logging.getLogger(__name__)


def cmd_caption(args: argparse.Namespace, settings: Settings) -> int:
    """Add folders and files, then caption everything new or changed.

    The model loads on a thread of its own while the folders are scanned and the first photos decoded: at once
    when there is likely something to caption (a folder or file new to the library, photos already waiting),
    otherwise as soon as the scan finds some. A scan that finds nothing new never loads it.
    """
    from photoscribe.captioning.loading import BackgroundLoad
    from photoscribe.ingest import reconcile, register_files

    targets, problems = given_targets(args.paths, "caption")
    with Library(settings.library) as library, BackgroundLoad(*_model_choice(settings)) as loading:
        library.reclaim_expired()
        within = [_normalise(target.path) for target in targets]
        if _likely_to_caption(library, targets, within):
            loading.start()
        found: Counter[Registration] = Counter()
        left_out: Counter[tuple[str, str]] = Counter()
        for target in targets:
            if target.is_folder:  # photos deleted since the last run are marked missing, as the engine's scan does
                found += reconcile(library, target.path, library.add_folder(target.path), left_out=left_out)
            else:
                found += register_files(library, [target.path])
        if args.retry_failed:
            library.requeue(p.id for p in library.photos(status="failed") if _selected(Path(p.path), within))
        pending = library.stats(within=within).pending
        summary = _caption_pending(library, settings, pending, within, loading) if pending else None
        _print_caption_summary(found, summary)
        after = library.stats(within=within)
        _print_formats(after.paired, left_out)
        elsewhere = library.stats().pending - after.pending
        if elsewhere > 0:
            print(f"{elsewhere} other photo{'s are' if elsewhere != 1 else ' is'} waiting in the library's queue.")
        if settings.write_metadata != "off":
            _write_pending_metadata(settings, library, summary.captioned_ids if summary else [], within)
        prepare_after_caption(library, settings)
    return EXIT_OK


def _model_choice(settings: Settings) -> tuple[str, str, str]:
    return settings.model, settings.device, settings.precision


def _likely_to_caption(library: Library, targets: Sequence[ScanTarget], within: list[Path]) -> bool:
    """True when this run will most likely caption something: worth loading the model while scanning."""
    folders = {folder.path for folder in library.folders()}
    if any(target.is_folder and _normalise(target.path) not in folders for target in targets):
        return True
    if any(not target.is_folder and library.photo(target.path) is None for target in targets):
        return True
    return library.stats(within=within).pending > 0


def _write_pending_metadata(settings: Settings, library: Library, captioned: list[int], within: list[Path]) -> None:
    """Write this run's captions, and those an earlier run under the same paths stored but did not write."""
    ids = sorted(set(captioned) | set(library.metadata_pending_ids()))
    records = [r for r in library.records(ids).values() if _selected(Path(r.path), within)]
    if records:
        _write_metadata(settings, records, library)
        library.clear_metadata_pending([r.id for r in records])


def _caption_pending(
    library: Library, settings: Settings, pending: int, within: list[Path], loading: BackgroundLoad
) -> RunSummary:
    """Caption the pending photos under ``within``; decoding starts while the model may still be loading."""
    from tqdm import tqdm

    from photoscribe.captioning.loading import early_plan
    from photoscribe.captioning.model_input import decodes_full_size
    from photoscribe.worker import CaptionWorker
    from photoscribe.worker_input import Decoding

    started_now = not loading.started
    model = loading.start()
    decoding = Decoding(early_plan(settings.model), decodes_full_size(settings.precision))
    if started_now:
        log.info("the model started loading after the scan")
    worker = CaptionWorker(
        library,
        model,
        _caption_settings(settings),
        settings.batch_size,
        within=within,
        metadata_pending=settings.write_metadata != "off",
        decoding=decoding,
    )
    with tqdm(total=pending, unit="photo", desc="Captioning", disable=None, file=sys.stderr) as bar:
        return worker.run(on_batch=lambda outcome: bar.update(len(outcome.captioned) + len(outcome.failed)))


def _caption_settings(settings: Settings) -> CaptionSettings:
    from photoscribe.captioning.caption_settings import CaptionSettings

    return CaptionSettings(settings.prompt, settings.max_length, settings.num_beams)


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
        print(f"  failed: {shown(path)}: {reason}")


def _print_formats(paired: int, left_out: Counter[tuple[str, str]]) -> None:
    """How many RAW+JPEG pairs were taken as one photo each, and which files are not photos."""
    if paired:
        print(pairs_line(paired))
    if left_out:
        print(left_out_line((kind, ext, n) for (kind, ext), n in left_out.items()))


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
    from photoscribe.events import (
        EngineError,
        PhotoCaptioned,
        PhotoFailed,
        QueueEmpty,
        SearchState,
        SearchStatus,
        StateChanged,
    )

    if isinstance(event, PhotoCaptioned):
        print(f"captioned: {shown(event.path)}: {event.caption}", flush=True)
    elif isinstance(event, PhotoFailed):
        print(f"failed: {shown(event.path)}: {event.reason}", flush=True)
    elif isinstance(event, EngineError):
        print(f"photoscribe: {'error' if event.fatal else 'warning'}: {event.message}", file=sys.stderr, flush=True)
    elif isinstance(event, QueueEmpty):
        print("All caught up; watching for new photos.", file=sys.stderr, flush=True)
    elif isinstance(event, StateChanged) and event.detail:
        print(f"{event.state}: {event.detail}", file=sys.stderr, flush=True)
    elif isinstance(event, SearchStatus) and event.state == SearchState.EXACT_ONLY:
        print(f"photoscribe: searching words only: {event.detail}", file=sys.stderr, flush=True)


def cmd_write_metadata(args: argparse.Namespace, settings: Settings) -> int:
    """Write captions (user edits win) into photos or sidecars, verifying each file."""
    if settings.write_metadata == "off":
        raise PhotoScribeError("say where to write: --write-metadata embed (into photos) or sidecar (XMP files)")
    with Library(settings.library) as library:
        records = [r for r in library.photos(status="done") if _selected(Path(r.path), args.paths)]
        _write_metadata(settings, records, library)
    return EXIT_OK


def _normalise(path: Path | str) -> Path:
    from photoscribe.library.library import normalise

    return normalise(path)


def _selected(path: Path, wanted: Sequence[Path | str]) -> bool:
    folders = [_normalise(w) for w in wanted]
    return not folders or any(path == w or w in path.parents for w in folders)


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
        print(f"  left unchanged: {shown(outcome.path)}: {outcome.reason}")
