"""Benchmark: full-text search on each engine (SQLite FTS5, PostgreSQL tsvector) over the same synthetic photos.

Writes the search rows of N photos (captions from ``bench_search.py``'s templates, their last two words as
keywords) with ``search.index_photos`` as new photos get them, then runs ``matching_ids`` (a page of 100 and every
hit) and ``matching_id_array`` (hybrid search's read) for a few queries, p50 of 5 runs each. Then how alike the
two rank: :func:`ranking_agreement` over 50 photos and 30 queries (``--agreement-only`` measures only that).

    python benchmarks/bench_search_engines.py                  # 100,000 photos; a throwaway PostgreSQL cluster
    PHOTOSCRIBE_TEST_POSTGRES=postgresql://postgres@HOST/postgres python benchmarks/bench_search_engines.py

(PostgreSQL as the tests get it: see ``tests/postgres.py``.)

Not a test.
"""

from __future__ import annotations

import argparse
import itertools
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
from tests.library.search_engines import SearchDb, Texts  # noqa: E402
from tests.postgres import PostgresServer  # noqa: E402

QUERIES = ("dog", "red dog", "do*", '"on the beach"', "dog -beach", "sunset -dog", "IMG_00042", "-dog")
#: What people wrote, for some of the photos of :func:`agreement_texts`.
NOTES = (
    "Rex on the beach", "my dog", "the old red car of grandpa", "sunset at the harbour", "snow day", "a cat",
    "walking in the park with grandma and the dog", "white boat on the lake", "dog dog dog", "the red wall",
)  # fmt: skip
#: Queries of :func:`ranking_agreement`: words common and rare, several words, stop words, prefixes, phrases,
#: exclusions.
AGREEMENT_QUERIES = (
    "dog", "cat", "beach", "red", "sunset", "tree", "park", "snow", "white", "standing",
    "the", "a", "on the", "dog beach", "red car", "in a park", "black and white", "blue sky", "a dog", "sitting on",
    "play*", "sit*", "bo*", "dog*", "r*", '"on the beach"', '"in a"', "dog -beach", "a -the", "img*",
)  # fmt: skip


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


def agreement_texts(photos: int = 50, seed: int = 11) -> list[Texts]:
    """Search texts of the ranking comparison: generated captions (a few long, a few repeating a word), what
    people wrote for one photo in four, keywords as the other photos', file names mostly numbered."""
    rng = random.Random(seed)
    texts: list[Texts] = []
    for n in range(photos):
        caption = caption_for(rng)
        if n % 7 == 3:
            caption += f" and {caption_for(rng)}"
        if n % 11 == 5:
            caption = f"{caption} next to a dog"
        note = NOTES[n // 4 % len(NOTES)] if n % 4 == 1 else None
        name = f"{caption.split()[1]}_{n}.jpg" if n % 5 == 2 else f"IMG_{n:04d}.jpg"
        texts.append((name, caption, note, caption.split()[-2:]))
    return texts


def ranking_agreement(sqlite_location: str, postgres_location: str) -> tuple[int, int]:
    """How alike the two engines rank: (pairs ordered alike, pairs) over :data:`AGREEMENT_QUERIES` on the photos
    of :func:`agreement_texts`. A pair is two photos both engines find for a query that one of them tells apart;
    it is ordered alike when the same photo comes first on both (a tie on one engine only is not alike)."""
    scores = []
    for location in (sqlite_location, postgres_location):
        db = SearchDb(location)
        try:
            ids = db.add(agreement_texts())
            scores.append([{ids.index(i): s for i, s in db.scored(text)} for text in AGREEMENT_QUERIES])
        finally:
            db.close()
    alike = pairs = 0
    for fts5, tsvector in zip(*scores, strict=True):
        for i, j in itertools.combinations(sorted(fts5.keys() & tsvector.keys()), 2):
            first = (_order(fts5[i], fts5[j]), _order(tsvector[i], tsvector[j]))
            if first != (0, 0):
                pairs += 1
                alike += first[0] == first[1]
    return alike, pairs


def _order(a: float, b: float) -> int:
    """1 when ``a`` ranks first, -1 when ``b`` does, 0 for a tie (within float4's precision)."""
    return 0 if abs(a - b) <= 1e-6 * max(abs(a), abs(b)) else 1 if a > b else -1


def main(argv: list[str] | None = None, server: PostgresServer | None = None) -> list[tuple[str, str]]:
    """Measure both engines (``server``: a PostgreSQL server already running, else one of ``tests/postgres.py``)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--photos", type=int, default=100_000)
    parser.add_argument("--agreement-only", action="store_true", help="only compare the engines' rankings")
    options = parser.parse_args(argv)
    own = server is None
    server = server or PostgresServer()
    rows: list[tuple[str, str]] = []
    try:
        with tempfile.TemporaryDirectory() as folder:
            if not options.agreement_only:
                rows += measure(str(Path(folder) / "bench.sqlite3"), options.photos)
            if not options.agreement_only:
                url = server.new_database()
                try:
                    rows += measure(url, options.photos)
                finally:
                    server.drop_database(url)
            url = server.new_database()
            try:
                alike, pairs = ranking_agreement(str(Path(folder) / "agreement.sqlite3"), url)
            finally:
                server.drop_database(url)
        name = f"ranking agreement ({len(agreement_texts())} photos x {len(AGREEMENT_QUERIES)} queries)"
        rows.append((name, f"{alike / pairs:.1%} of {pairs:,} pairs ordered alike"))
    finally:
        if own:
            server.stop()
    print_rows(rows)
    return rows


if __name__ == "__main__":
    main()
