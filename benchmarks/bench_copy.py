"""Benchmark: ``photoscribe library copy`` of a synthetic desktop library to PostgreSQL and back.

The library is built through the Library API as ``bench_search.py`` builds it (every photo registered, then
captioned with keywords as the worker stores BLIP's captions). Each copy runs as its own process, so its peak
memory (``VmHWM``, Linux) is the copy's alone: with the copy reading and writing in chunks, it should stay about the
same whatever the number of photos.

    python benchmarks/bench_copy.py                        # 100,000 photos, a private PostgreSQL server
    python benchmarks/bench_copy.py --photos 20000 --postgres postgresql://postgres@127.0.0.1:5432/postgres

Not a test (``tests/benchmarks/test_bench_copy.py`` runs it on 200 photos).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "desktop")]

from benchmarks.bench_search import build  # noqa: E402
from benchmarks.report import print_rows  # noqa: E402
from photoscribe.library import Library  # noqa: E402

#: Copies one library in a new process; prints its report and the process's peak memory.
COPY = """
import json, sys
from dataclasses import asdict
from photoscribe.library.copying import copy_library
report = copy_library(sys.argv[1], sys.argv[2])
# VmHWM, not ru_maxrss: Linux keeps ru_maxrss across exec, so it would count the benchmark's own memory too.
peak = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(json.dumps({**asdict(report), "peak_rss_mb": peak / 1024}))
"""


def copy(source: str, target: str) -> tuple[dict[str, float], float]:
    """Run one copy in its own process: (its report and peak memory, seconds)."""
    env_path = f"{ROOT / 'desktop'}:{ROOT}"
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", COPY, source, target],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": env_path},
    )
    spent = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"copying {source} to {target} failed: {done.stderr.strip()}")
    return json.loads(done.stdout), spent


def main(argv: list[str] | None = None) -> dict[str, object]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--photos", type=int, default=100_000)
    parser.add_argument("--postgres", metavar="URL", help="a server's postgres database (default: start one here)")
    parser.add_argument("--keep", metavar="FILE", help="library file to build once and reuse (default: a temp file)")
    args = parser.parse_args(argv)

    from tests.postgres import PostgresServer

    server = PostgresServer() if args.postgres is None else None
    admin = args.postgres or server.admin_url  # type: ignore[union-attr]
    folder = Path(tempfile.mkdtemp(prefix="bench-copy-"))
    source = Path(args.keep) if args.keep else folder / "desktop.sqlite3"
    try:
        if not source.exists():
            with Library(source) as library:
                seconds = build(library, args.photos)
            print(f"built {args.photos:,} photos in {seconds:.0f} s", file=sys.stderr)
        studio = _new_database(admin, f"bench_copy_{os.getpid()}_{int(time.time())}")
        to_studio, up = copy(str(source), studio)
        back, down = copy(studio, str(folder / "back.sqlite3"))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        if server is not None:
            server.stop()
    photos = int(to_studio["photos"])
    figures = {
        "photos": photos,
        "keywords": int(to_studio["keywords"]),
        "sqlite_to_postgresql_s": round(up, 1),
        "sqlite_to_postgresql_photos_per_s": round(photos / up),
        "sqlite_to_postgresql_peak_rss_mb": round(to_studio["peak_rss_mb"]),
        "postgresql_to_sqlite_s": round(down, 1),
        "postgresql_to_sqlite_photos_per_s": round(photos / down),
        "postgresql_to_sqlite_peak_rss_mb": round(back["peak_rss_mb"]),
    }
    print_rows([(name.replace("_", " "), f"{value:,}") for name, value in figures.items()])
    return figures


def _new_database(admin_url: str, name: str) -> str:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")  # type: ignore[arg-type]
    return admin_url.rsplit("/", 1)[0] + "/" + name


if __name__ == "__main__":
    main()
