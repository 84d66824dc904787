"""Benchmark: a studio library on PostgreSQL, 1,000,000 synthetic captioned photos: fill, search, claims.

1. Fill (``studio_fill.py``): the Library creates the schema; photos, captions and keywords go in by COPY, the
   search rows through the search module's bulk SQL. Skipped when the database already holds the library.
2. Claims (``studio_claims.py``): for each N of ``--workers``, N worker processes claim ``--batch`` photos at a
   time, sleep ``--gpu-seconds`` (the stand-in captioner) and store the captions, over ``--pending`` photos
   queued for that run; photos/s, speed-up against the first N, and checks that every photo was captioned once.
3. Search: the real Library API, warm, over queries of six kinds (a common word, a rare word, two words, a
   prefix, an exclusion, a phrase): ``Library.search(text, limit=--limit)`` (the CLI's search) and
   ``Library.photo_ids(text)`` (the app's grid: every match, best first); p50/p95 per kind and overall.

The default GPU time, 0.25 s per batch of 32 (128 photos/s per worker), is an assumption, not a measurement: no
GPU was at hand when this was written. Measure it on the GPU machine with ``bench_caption.py --device cuda
--batch-size 32 --skip-card`` and pass ``--gpu-seconds 32/<photos per second>``.

    python benchmarks/bench_studio.py                            # own cluster in a temp folder, 1,000,000 photos
    python benchmarks/bench_studio.py --url postgresql://postgres@127.0.0.1:55443/studio --json
    python benchmarks/bench_studio.py --photos 2000 --workers 1,2 --pending 200 --gpu-seconds 0.02

With ``--url`` the database is kept: a second run reuses the photos (each claim run queues its block again).
Not a test (``tests/benchmarks/test_bench_studio.py`` runs it on 2,000 photos).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "desktop")]

from benchmarks import studio_claims  # noqa: E402
from benchmarks.report import print_rows  # noqa: E402
from benchmarks.studio_fill import fill  # noqa: E402
from photoscribe.library import Library  # noqa: E402

QUERIES = {
    "common word": ("dog", "red", "beach", "car", "man"),
    "rare word": ("narwhal", "zeppelin", "theremin", "okapi", "sextant"),
    "two words": ("red car", "dog beach", "white house", "woman park", "boat harbour"),
    "prefix": ("bea*", "har*", "mou*", "fl*", "sun*"),
    "exclusion": ("dog -beach", "car -red", "cat -sofa", "tree -snow", "boat -sunset"),
    "phrase": ('"red car"', '"on the beach"', '"black and white"', '"blue sky"', '"in the snow"'),
}


def search_latency(library: Library, limit: int, repeat: int) -> dict[str, Any]:
    """p50/p95 (ms) of ``search(text, limit)`` and ``photo_ids(text)`` per kind of query and overall, warm (each
    query is run once before it is timed); the number of photos each kind's queries match."""
    figures: dict[str, Any] = {}
    every: dict[str, list[float]] = {"search": [], "photo_ids": []}
    for kind, queries in QUERIES.items():
        spent: dict[str, list[float]] = {"search": [], "photo_ids": []}
        matches = []
        for text in queries:
            matches.append(len(library.photo_ids(text)))
            library.search(text, limit=limit)
            for _ in range(repeat):
                spent["search"].append(_timed(lambda: library.search(text, limit=limit)))  # noqa: B023
                spent["photo_ids"].append(_timed(lambda: library.photo_ids(text)))  # noqa: B023
        figures[kind] = {call: percentiles(s) for call, s in spent.items()} | {"matches": matches}
        for call, s in spent.items():
            every[call] += s
    figures["all"] = {call: percentiles(s) for call, s in every.items()}
    return figures


def percentiles(seconds: list[float]) -> tuple[float, float]:
    """(p50, p95) in milliseconds."""
    ms = sorted(s * 1000 for s in seconds)
    return statistics.median(ms), ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]


def _timed(call) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


@contextmanager
def server(url: str | None) -> Iterator[str]:
    """The library's URL: ``url``, or a fresh database on a cluster of our own in a temp folder (fsync off),
    stopped and removed afterwards."""
    if url is not None:
        yield url
        return
    from tests.postgres import PostgresServer  # (the tests' own: initdb and pg_ctl as the postgres user)

    cluster = PostgresServer()
    try:
        yield cluster.new_database()
    finally:
        cluster.stop()


def claims(url: str, photos: int, workers: list[int], pending: int, batch: int, gpu: float) -> list[dict[str, Any]]:
    """One claim run per N in ``workers``, each on its own block of the newest photos."""
    runs = []
    for number, n in enumerate(workers):
        last = photos - number * pending
        first = last - pending + 1
        with Library(url) as library:
            studio_claims.queue_block(library, first, last)
        runs.append(studio_claims.run(url, n, batch, gpu, first, last))
    return runs


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--photos", type=int, default=1_000_000)
    parser.add_argument("--url", help="a PostgreSQL database to use (kept); default: a cluster of our own")
    parser.add_argument("--workers", default="1,2,4,8", help="worker processes of each claim run (default 1,2,4,8)")
    parser.add_argument("--pending", type=int, default=5_000, help="photos queued for each claim run (default 5,000)")
    parser.add_argument("--batch", type=int, default=32, help="photos per claim (default 32)")
    parser.add_argument("--gpu-seconds", type=float, default=0.25, help="stand-in GPU time per batch (see above)")
    parser.add_argument("--fill-processes", type=int, default=2, help="processes filling the library (default 2)")
    parser.add_argument("--limit", type=int, default=20, help="Library.search's limit (the CLI's default: 20)")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs of each search query")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of tables")
    args = parser.parse_args(argv)
    workers = [int(n) for n in args.workers.split(",") if n]
    if args.pending * len(workers) > args.photos:
        parser.error(f"{len(workers)} claim runs of {args.pending} photos need more than {args.photos} photos")

    figures: dict[str, Any] = {"photos": args.photos, "batch": args.batch, "gpu_seconds": args.gpu_seconds}
    with server(args.url) as url:
        with Library(url) as library:
            held = library.stats().photos
            if held == 0:
                figures["fill"] = fill(library, args.photos, args.fill_processes)
            elif held != args.photos:
                raise SystemExit(f"{library.shown_location} holds {held} photos, not {args.photos}: use another")
        figures["claims"] = claims(url, args.photos, workers, args.pending, args.batch, args.gpu_seconds)
        with Library(url) as library:
            with library.db.engine.connect() as conn:  # as autovacuum would after the claim runs' writes
                conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM ANALYZE")
            figures["search"] = search_latency(library, args.limit, args.repeat)
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        report(figures)
    return figures


def report(figures: dict[str, Any]) -> None:
    """Markdown tables: the fill, the claim runs, the search latencies."""
    if "fill" in figures:
        fill_s = figures["fill"]
        print_rows(
            [
                (f"fill {figures['photos']:,} photos (s)", f"{fill_s['fill_s']:.1f}"),
                *((f"  {step} (summed over processes)", f"{fill_s[step]:.1f}") for step in _STEPS),
                ("  VACUUM ANALYZE (s)", f"{fill_s['vacuum_s']:.1f}"),
            ]
        )
        print()
    runs = figures["claims"]
    if runs:
        base = runs[0]["photos_per_s"]
        print(
            "| workers | photos/s | speed-up | ideal photos/s | claim p50/p95 ms | save p50/p95 ms "
            "| worker CPU ms/batch | done | twice |"
        )
        print("|---|---|---|---|---|---|---|---|---|")
        for run in runs:
            claim, save = run["claim_ms"], run["save_ms"]
            twice = run["captioned_twice"] + run["claimed_twice"]
            print(
                f"| {run['workers']} | {run['photos_per_s']:.0f} | {run['photos_per_s'] / base:.2f}x | "
                f"{run['ideal_photos_per_s']:.0f} | {claim[0]:.0f} / {claim[1]:.0f} | {save[0]:.0f} / {save[1]:.0f} | "
                f"{run['worker_cpu_ms_per_batch']:.0f} | {run['done']}/{run['photos']} | {twice} |"
            )
        print()
    print(f"| query ({figures['photos']:,} photos, warm) | matches | search p50/p95 ms | photo_ids p50/p95 ms |")
    print("|---|---|---|---|")
    for kind, found in figures["search"].items():
        matches = "" if kind == "all" else f"{min(found['matches']):,}-{max(found['matches']):,}"
        search, ids = found["search"], found["photo_ids"]
        print(f"| {kind} | {matches} | {search[0]:.1f} / {search[1]:.1f} | {ids[0]:.1f} / {ids[1]:.1f} |")


_STEPS = ("generate_s", "copy_s", "search_rows_s")


if __name__ == "__main__":
    main()
