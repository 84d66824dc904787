"""Claim throughput of the shared queue (for ``bench_studio.py``): N worker processes on one PostgreSQL library.

Each worker is a process of its own (multiprocessing ``spawn``, as separate machines would be) with its own
``Library(url)`` and so its own lease owner. It loops ``claim_batch(batch)``, then a stand-in captioner that only
sleeps for the GPU time of a batch (so the queue, not a model, is measured), then ``save_results`` with a
``CaptionResult`` for each photo, until nothing is left to claim.

The photos of each run are a block of the library's newest photos made new again first (their captions and
keywords deleted, their search rows reduced to the file name, queued), so every run starts from the same state and
a run repeated on the same library measures the same thing. Afterwards every photo of the block must be done,
captioned exactly once (``captions.revision`` 1) and claimed by one worker only.
"""

from __future__ import annotations

import multiprocessing
import random
import statistics
import time
from typing import Any

from sqlalchemy import delete, func, select, update

from benchmarks.studio_fill import MODEL_REF, caption_for, keywords_of, photo_path
from photoscribe.library import CaptionResult, Library
from photoscribe.library.models import Caption, Keyword, Photo, PhotoStatus


def queue_block(library: Library, first: int, last: int) -> None:
    """Make photos ``first``..``last`` (ids) new again and queue them: as registration leaves a new photo."""
    from photoscribe.library import search
    from photoscribe.library.search import SearchRow

    with library.db.writing() as session:
        session.execute(delete(Keyword).where(Keyword.photo_id.between(first, last)))
        session.execute(delete(Caption).where(Caption.photo_id.between(first, last)))
        session.execute(
            update(Photo)
            .where(Photo.id.between(first, last))
            .values(status=PhotoStatus.PENDING, error=None, lease_owner=None, lease_expires=None, claimed_at=None)
        )
        names = [photo_path(i - 1).rsplit("/", 1)[1] for i in range(first, last + 1)]
        search.index_photos(session, [SearchRow(i, n, None, None, ()) for i, n in zip(range(first, last + 1), names)])


def run(url: str, workers: int, batch: int, gpu_seconds: float, first: int, last: int) -> dict[str, Any]:
    """Caption photos ``first``..``last`` (queued) with ``workers`` processes; returns the figures and checks."""
    rng = random.Random(first)
    made = {}
    for photo_id in range(first, last + 1):
        caption = caption_for(rng)
        made[photo_id] = (caption, keywords_of(caption))  # (the workers never import torch)
    context = multiprocessing.get_context("spawn")
    ready = context.Barrier(workers + 1)
    reports = context.Queue()
    processes = [
        context.Process(target=_worker, args=(url, batch, gpu_seconds, made, ready, reports)) for _ in range(workers)
    ]
    for process in processes:
        process.start()
    ready.wait(timeout=300)  # every worker has opened the library: the clock starts now
    start = time.monotonic()
    done = [_report(reports, processes) for _ in processes]
    for process in processes:
        process.join()
    wall = max(report["end"] for report in done) - start
    claimed = [photo_id for report in done for photo_id in report["ids"]]
    claims = [s for report in done for s in report["claim_s"]]
    saves = [s for report in done for s in report["save_s"]]
    photos = last - first + 1
    return {
        "workers": workers,
        "photos": photos,
        "wall_s": wall,
        "photos_per_s": photos / wall,
        "ideal_photos_per_s": workers * batch / gpu_seconds,
        "claim_ms": _percentiles(claims),
        "save_ms": _percentiles(saves),
        "worker_cpu_ms_per_batch": 1000 * sum(r["cpu_s"] for r in done) / max(1, len(saves)),
        "claimed_twice": len(claimed) - len(set(claimed)),
        **check(library_url=url, first=first, last=last),
    }


def check(library_url: str, first: int, last: int) -> dict[str, int]:
    """What the block's photos became: how many are done, captioned once, and captioned more than once."""
    with Library(library_url) as library, library.db.reading() as session:
        block = Photo.id.between(first, last)
        done = session.scalar(select(func.count()).where(block, Photo.status == PhotoStatus.DONE))
        revisions = dict(
            session.execute(
                select(Caption.revision, func.count())
                .where(Caption.photo_id.between(first, last))
                .group_by(Caption.revision)
            ).all()
        )
    return {
        "done": done or 0,
        "captioned_once": revisions.get(1, 0),
        "captioned_twice": sum(n for revision, n in revisions.items() if revision != 1),
    }


def _worker(url: str, batch: int, gpu_seconds: float, made: dict, ready, reports) -> None:  # type: ignore[no-untyped-def]
    """One worker process: claim, 'caption' (sleep), store, until the queue is empty; reports its figures."""
    report: dict[str, Any] = {"ids": [], "claim_s": [], "save_s": []}
    with Library(url) as library:
        ready.wait(timeout=300)
        cpu = time.process_time()
        while True:
            tick = time.monotonic()
            claimed = library.claim_batch(batch)
            report["claim_s"].append(time.monotonic() - tick)
            if not claimed:
                break
            time.sleep(gpu_seconds)  # the stand-in captioner: the GPU time of one batch
            results = [CaptionResult(p.id, made[p.id][0], list(made[p.id][1]), MODEL_REF) for p in claimed]
            tick = time.monotonic()
            library.save_results(results)
            report["save_s"].append(time.monotonic() - tick)
            report["ids"] += [p.id for p in claimed]
        report["end"], report["cpu_s"] = time.monotonic(), time.process_time() - cpu
    reports.put(report)


def _report(reports, processes: list) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """The next worker's report; a worker that died without one stops the benchmark."""
    import queue

    while True:
        try:
            return reports.get(timeout=2)
        except queue.Empty:
            failed = [p.exitcode for p in processes if p.exitcode not in (None, 0)]
            if failed:
                raise SystemExit(f"a claim worker failed (exit codes {failed}): see its traceback above") from None


def _percentiles(seconds: list[float]) -> tuple[float, float]:
    """(p50, p95) in milliseconds."""
    if not seconds:
        return (0.0, 0.0)
    ms = sorted(s * 1000 for s in seconds)
    return statistics.median(ms), ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]
