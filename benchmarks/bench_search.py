"""Benchmark: search by meaning on a synthetic library of 100,000 photos.

The photos are registered and captioned through the Library API (``register`` then ``claim_batch`` and
``save_results``, as the worker stores BLIP's captions), with varied captions from templates (subjects, what they
do, places, colours, light) and the keywords derived from them. Then it measures:

- the time to embed every caption with the text model (``meaning.embed_pending``, as ``search`` and the engine do);
- the memory the vectors take (in the process: the float32 matrix; in the library file: the BLOBs);
- hybrid and exact search in-process over ~50 queries (``meaning.search``, as the app's search bar), p50/p95,
  and the app grid's ranking (``meaning.photo_ids``);
- ``photoscribe search --exact`` as a whole process (start-up included), and a hybrid ``search`` process.

    python benchmarks/bench_search.py                         # 100,000 photos, the MiniLM in the HF cache
    python benchmarks/bench_search.py --text-model DIR --photos 20000 --keep /tmp/bench-lib.sqlite3

Not a test (``tests/benchmarks/test_bench_search.py`` runs it on 200 photos).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "desktop")]

from benchmarks.report import print_rows  # noqa: E402
from photoscribe import DEFAULT_TEXT_MODEL  # noqa: E402
from photoscribe.library import CaptionResult, Library, MatchKind, PhotoFacts  # noqa: E402

BEINGS = (
    "dog", "cat", "puppy", "horse", "cow", "sheep", "bird", "seagull", "duck", "child", "man", "woman",
    "couple", "group of people", "bride", "old man", "girl", "boy",
)  # fmt: skip
THINGS = (
    "car", "bus", "bicycle", "motorcycle", "train", "boat", "sailboat", "airplane", "house", "church", "castle",
    "bridge", "lighthouse", "tree", "flower", "bowl of fruit", "cake", "plate of food", "cup of coffee", "book",
    "guitar", "clock",
)  # fmt: skip
ACTIONS = ("standing", "sitting", "running", "sleeping", "walking", "lying", "playing", "waiting", "resting")
THING_ACTIONS = ("", "", "", "seen from above", "in close-up", "parked", "standing alone")
PLACES = (
    "on the beach", "in a field", "on a street", "in the snow", "next to a lake", "in a forest", "on a sofa",
    "in a kitchen", "on a table", "in front of a wall", "on a mountain", "in a garden", "at the harbour",
    "in a park", "on a bridge", "by the river", "in a city", "at night", "under a tree", "in the rain",
)  # fmt: skip
COLOURS = ("red", "blue", "green", "yellow", "white", "black", "brown", "grey", "orange", "pink")
LIGHT = ("", "", "", " at sunset", " on a sunny day", " in black and white", " with a blue sky", " in the fog")
#: Queries: words the captions use (exact hits), words they do not (meaning only), mixes, exclusions, nonsense.
QUERIES = (
    "dog", "puppy", "kitten", "automobile", "sofa", "couch", "seaside", "ocean waves", "snowy mountain",
    "fruit", "apples and oranges", "coffee", "breakfast", "wedding", "church", "cathedral", "ship", "yacht",
    "sunset", "evening light", "kids playing", "children in the park", "old bridge", "river", "lighthouse",
    "cycling", "motorbike", "aircraft", "red car", "blue boat", "horse in a field", "farm animals", "sheep",
    "birds at the harbour", "rainy day", "foggy morning", "black and white", "castle", "musical instrument",
    "guitar", "reading", "clock tower", "dessert", "cake", "dinner", "forest walk", "city at night",
    "dog -beach", "xqzv blorf", "a cat on a sofa",
)  # fmt: skip
EXACT_QUERIES = ("dog", "red car", "beach", "sunset", "church", "cat -sofa", "harbour", "snow", "guitar", "clock")


def caption_for(rng: random.Random) -> str:
    being = rng.random() < 0.5
    subject = rng.choice(BEINGS if being else THINGS)
    colour = rng.choice(COLOURS) + " " if rng.random() < 0.4 else ""
    article = "an" if (colour or subject)[0] in "aeiou" else "a"
    action = rng.choice(ACTIONS if being else THING_ACTIONS)
    return " ".join(f"{article} {colour}{subject} {action}".split()) + f" {rng.choice(PLACES)}{rng.choice(LIGHT)}"


def build(library: Library, photos: int, seed: int = 13, chunk: int = 2000, batch: int = 16) -> float:
    """Register ``photos`` photos and store a generated caption for each, ``batch`` at a time as the worker does;
    returns seconds taken."""
    from photoscribe.captioning.keywords import keywords_from_caption

    rng = random.Random(seed)
    start = time.perf_counter()
    folder = library.add_folder("/bench/photos")
    for first in range(0, photos, chunk):
        facts = [
            PhotoFacts(f"/bench/photos/{n // 1000:03d}/IMG_{n:06d}.jpg", 3_000_000 + n, 1.7e9 + n, f"fp{n:08x}")
            for n in range(first, min(first + chunk, photos))
        ]
        library.register(facts, folder)
        while claimed := library.claim_batch(batch):
            results = []
            for photo in claimed:
                caption = caption_for(rng)
                results.append(CaptionResult(photo.id, caption, keywords_from_caption(caption), "bench-blip"))
            library.save_results(results)
    return time.perf_counter() - start


def percentiles(seconds: list[float]) -> tuple[float, float]:
    ms = sorted(s * 1000 for s in seconds)
    return statistics.median(ms), ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]


def timed(call, repeat: int = 1) -> list[float]:  # type: ignore[no-untyped-def]
    spent = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        spent.append(time.perf_counter() - start)
    return spent


def run_process(args: list[str], library: Path, text_model: str) -> float:
    env = {**os.environ, "PHOTOSCRIBE_LIBRARY": str(library), "PHOTOSCRIBE_TEXT_MODEL": text_model}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # as on a user's machine: modules compiled once, then read from .pyc
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "photoscribe", *args], env=env, capture_output=True, text=True)
    spent = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"photoscribe {' '.join(args)} failed: {done.stderr.strip()}")
    return spent


def main(argv: list[str] | None = None) -> dict[str, object]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--photos", type=int, default=100_000)
    parser.add_argument("--text-model", default=DEFAULT_TEXT_MODEL, help="sentence-transformers id or folder")
    parser.add_argument("--device", default="cpu", help="where the text model runs (cpu, cuda)")
    parser.add_argument("--queries", type=int, default=len(QUERIES), help="in-process queries (at most 50)")
    parser.add_argument("--processes", type=int, default=10, help="whole-process searches of each kind")
    parser.add_argument("--keep", metavar="FILE", help="library file to build once and reuse (default: a temp file)")
    args = parser.parse_args(argv)

    from photoscribe import meaning
    from photoscribe.captioning.text_embedder import TextEmbedder
    from photoscribe.engine_parts import settle_loaded_objects

    with tempfile.TemporaryDirectory() as scratch:
        path = Path(args.keep) if args.keep else Path(scratch) / "bench.sqlite3"
        figures: dict[str, object] = {"photos": args.photos}
        with Library(path) as library:
            if library.stats().photos < args.photos:
                figures["build_s"] = build(library, args.photos)
            embedder = TextEmbedder.load(args.text_model, device=args.device)
            settle_loaded_objects()  # as the app's engine does after loading a model
            figures["embed_s"] = timed(lambda: meaning.embed_pending(library, embedder))[0]
            done, total = library.text_vector_progress(embedder.ref)
            assert done == total >= args.photos, (done, total)
            first = timed(lambda: meaning.search(library, "dog", embedder=embedder, limit=50))[0]
            figures["first_hybrid_ms"] = first * 1000  # reads the vectors into memory
            figures["vector_memory_mb"] = library.vector_memory() / 1e6
            figures["vector_file_mb"] = done * (embedder.dim * 4) / 1e6

            hybrid, grid, exact, encode, meaning_only, empty = [], [], [], [], 0, 0
            encoder = ThreadPoolExecutor(1)
            queries = QUERIES[: args.queries]
            for query in queries:
                hybrid += timed(lambda q=query: meaning.search(library, q, embedder=embedder, limit=50), 3)
                grid += timed(lambda q=query: meaning.photo_ids(library, q, embedder=embedder))
                # as search encodes it: on a thread of its own, by one CPU thread (TextEmbedder.encode_query)
                encode += timed(lambda q=query: encoder.submit(embedder.encode_query, q).result())
                hits = meaning.search(library, query, embedder=embedder, limit=50).hits
                meaning_only += bool(hits) and all(h.match is MatchKind.MEANING for h in hits)
                empty += not hits
            for query in EXACT_QUERIES:
                exact += timed(lambda q=query: meaning.search(library, q, embedder=None, limit=50, exact=True), 3)
            figures["hybrid_ms"] = percentiles(hybrid)
            figures["grid_ms"] = percentiles(grid)
            figures["encode_ms"] = percentiles(encode)
            figures["exact_ms"] = percentiles(exact)
            figures["queries"] = (len(queries), meaning_only, empty)
            figures["nonsense_hits"] = len(meaning.search(library, "xqzv blorf", embedder=embedder).hits)
        run_process(["search", "--exact", "dog"], path, "")  # untimed: writes the .pyc files a user's install has
        run_process(["search", "puppy"], path, args.text_model)
        processes = [
            run_process(["search", "--exact", EXACT_QUERIES[i % len(EXACT_QUERIES)], "--limit", "50"], path, "")
            for i in range(args.processes)
        ]
        figures["exact_process_ms"] = percentiles(processes)
        hybrid_processes = [
            run_process(["search", "puppy", "--limit", "50"], path, args.text_model)
            for _ in range(max(1, args.processes // 3))
        ]
        figures["hybrid_process_ms"] = percentiles(hybrid_processes)
    print_table(figures)
    return figures


def print_table(f: dict[str, object]) -> None:
    n, meaning_only, empty = f["queries"]  # type: ignore[misc]
    rows = [
        ("photos", f"{f['photos']:,}"),
        ("build library (register + store captions)", f"{f['build_s']:.1f} s" if "build_s" in f else "reused"),
        ("embed every caption (text model)", f"{f['embed_s']:.1f} s ({f['photos'] / f['embed_s']:,.0f}/s)"),  # type: ignore[operator]
        ("vectors in memory", f"{f['vector_memory_mb']:.1f} MB"),
        ("vectors in the library file (BLOBs)", f"{f['vector_file_mb']:.1f} MB"),
        ("first hybrid search (reads the vectors)", f"{f['first_hybrid_ms']:.0f} ms"),
        ("hybrid search in-process, p50 / p95", "{:.1f} / {:.1f} ms".format(*f["hybrid_ms"])),  # type: ignore[str-format]
        ("  of which encoding the query, p50 / p95", "{:.1f} / {:.1f} ms".format(*f["encode_ms"])),  # type: ignore[str-format]
        ("app grid ranking (photo_ids), p50 / p95", "{:.1f} / {:.1f} ms".format(*f["grid_ms"])),  # type: ignore[str-format]
        ("exact search in-process, p50 / p95", "{:.1f} / {:.1f} ms".format(*f["exact_ms"])),  # type: ignore[str-format]
        ("`photoscribe search --exact` process, p50 / p95", "{:.0f} / {:.0f} ms".format(*f["exact_process_ms"])),  # type: ignore[str-format]
        ("`photoscribe search` (hybrid) process, p50 / p95", "{:.0f} / {:.0f} ms".format(*f["hybrid_process_ms"])),  # type: ignore[str-format]
        ("queries: total / meaning-only hits / no hit", f"{n} / {meaning_only} / {empty}"),
        ('photos found for the nonsense "xqzv blorf"', f"{f['nonsense_hits']:,}"),
    ]
    print_rows(rows)


if __name__ == "__main__":
    main()
