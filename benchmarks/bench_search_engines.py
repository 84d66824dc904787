"""Benchmark: full-text search on each engine (SQLite FTS5, PostgreSQL tsvector) over the same synthetic photos.

Writes the search rows of N photos (captions from ``bench_search.py``'s templates, their last two words as
keywords) with ``search.index_photos`` as new photos get them, then runs ``matching_ids`` (a page of 100 and every
hit) and ``matching_id_array`` (hybrid search's read) for a few queries, p50 of 5 runs each.

    python benchmarks/bench_search_engines.py                  # 100,000 photos; a throwaway PostgreSQL cluster
    PHOTOSCRIBE_TEST_POSTGRES=postgresql://postgres@HOST/postgres python benchmarks/bench_search_engines.py

(PostgreSQL as the tests get it: see ``tests/postgres.py``.)

Not a test.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "desktop")]

from sqlalchemy import insert, select  # noqa: E402

from benchmarks.bench_search import caption_for  # noqa: E402
from benchmarks.report import print_rows  # noqa: E402
from photoscribe.library import search  # noqa: E402
from photoscribe.library.models import Photo  # noqa: E402
from photoscribe.library.query import parse_query  # noqa: E402
from tests.library.search_engines import SearchDb  # noqa: E402
from tests.postgres import PostgresServer  # noqa: E402

QUERIES = ("dog", "red dog", "do*", '"on the beach"', "dog -beach", "sunset -dog", "IMG_00042", "-dog")


def timed(run, repeat: int = 5) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def measure(url: str, photos: int) -> list[tuple[str, str]]:
    rng = random.Random(7)
    texts = [(f"IMG_{n:05d}.jpg", c, None, c.split()[-2:]) for n, c in ((n, caption_for(rng)) for n in range(photos))]
    stamp = datetime(2024, 1, 1)
    rows: list[tuple[str, str]] = []
    db = SearchDb(url)
    try:
        name = db.dialect.value
        with db.writing() as session:
            facts = {"size": 1, "mtime": 0.0, "added_at": stamp, "updated_at": stamp}
            session.execute(insert(Photo), [{"path": f"/p/{t[0]}", **facts} for t in texts])
            ids = list(session.scalars(select(Photo.id).order_by(Photo.id)))
            start = time.perf_counter()
            search.index_photos(session, [search.SearchRow(i, *t) for i, t in zip(ids, texts, strict=True)])
            rows.append((f"{name}: index_photos of {photos:,} new photos", f"{time.perf_counter() - start:.2f} s"))
        with db.reading() as session:
            for text in QUERIES:
                query = parse_query(text)
                hits = len(search.matching_ids(session, query))
                page = timed(lambda q=query: search.matching_ids(session, q, 100))
                every = timed(lambda q=query: search.matching_ids(session, q))
                array = timed(lambda q=query: search.matching_id_array(session, q))
                value = f"{page:.1f} / {every:.1f} / {array:.1f} ms ({hits:,} hits)"
                rows.append((f"{name}: {text} (page of 100 / every hit / id array)", value))
    finally:
        db.close()
    return rows


def main(argv: list[str] | None = None, server: PostgresServer | None = None) -> list[tuple[str, str]]:
    """Measure both engines (``server``: a PostgreSQL server already running, else one of ``tests/postgres.py``)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--photos", type=int, default=100_000)
    options = parser.parse_args(argv)
    own = server is None
    server = server or PostgresServer()
    try:
        with tempfile.TemporaryDirectory() as folder:
            rows = measure(str(Path(folder) / "bench.sqlite3"), options.photos)
        url = server.new_database()
        try:
            rows += measure(url, options.photos)
        finally:
            server.drop_database(url)
    finally:
        if own:
            server.stop()
    print_rows(rows)
    return rows


if __name__ == "__main__":
    main()
