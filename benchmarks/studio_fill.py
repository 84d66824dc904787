"""A PostgreSQL library of synthetic captioned photos, filled fast (for ``bench_studio.py``).

The Library creates the schema (a new library at the head revision); then each chunk of photos goes in with one
transaction of the Library's own write session: the photos, their captions and their keywords by COPY (psycopg's
``cursor.copy``), and their search rows through the search module's own bulk SQL (``search.index_photos``).

Captions come from templates (subject, colour, what it does, place, light) with words drawn by Zipf's law, so a
few words are very common ("dog", "red", "beach") and most are not; one caption in 60 also names one of 100 rare
things (each in about 150 photos of a million). Keywords are derived from the caption by the app's own rule
(``keywords_from_caption``); every photo is captioned (status done, revision 1) by the model ``bench-blip``.
"""

from __future__ import annotations

import multiprocessing
import random
import time
from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import lru_cache
from itertools import accumulate

from photoscribe.formats import FileKind
from photoscribe.library import Library, path_key
from photoscribe.library.models import KeywordSource, PhotoStatus

FOLDER = "/bench/studio"
MODEL_REF = "bench-blip"
CHUNK = 25_000

BEINGS = (
    "dog", "man", "woman", "cat", "child", "bird", "horse", "girl", "boy", "couple", "puppy", "cow", "sheep",
    "duck", "seagull", "bride", "family", "dancer", "fisherman", "cyclist", "kitten", "goat", "swan", "deer",
    "pigeon", "chef", "musician", "runner", "farmer", "pony",
)  # fmt: skip
THINGS = (
    "car", "tree", "house", "boat", "flower", "bicycle", "bus", "church", "bridge", "train", "building", "table",
    "bench", "chair", "cake", "motorcycle", "lighthouse", "sailboat", "castle", "airplane", "guitar", "clock",
    "book", "lamp", "window", "door", "fountain", "tower", "tractor", "kite", "umbrella", "statue", "bowl of fruit",
    "cup of coffee", "plate of food", "vase", "piano", "tent", "windmill", "canoe",
)  # fmt: skip
COLOURS = ("white", "black", "red", "blue", "green", "brown", "yellow", "grey", "orange", "pink", "purple", "golden")
BEING_ACTIONS = ("standing", "sitting", "walking", "running", "lying", "playing", "sleeping", "waiting", "jumping")
THING_ACTIONS = ("", "", "", "parked", "seen from above", "in close-up", "standing alone", "covered in snow")
PLACES = (
    "on the beach", "in a field", "on a street", "in a park", "in a garden", "in a kitchen", "on a table",
    "in the snow", "in a forest", "next to a lake", "in a city", "on a mountain", "at the harbour", "by the river",
    "in front of a wall", "on a sofa", "under a tree", "on a bridge", "in the rain", "at night", "in a market",
    "at a wedding", "in a museum", "on a farm", "in the desert", "at the station", "in a church", "on a roof",
    "in a vineyard", "on a pier",
)  # fmt: skip
LIGHT = ("", "", "", "", " at sunset", " on a sunny day", " in black and white", " with a blue sky", " in the fog")
RARE = (
    "accordion", "albatross", "alpaca", "anvil", "armadillo", "astrolabe", "bagpipe", "banjo", "barometer",
    "bassoon", "beehive", "bonsai", "boomerang", "buoy", "cactus", "camel", "candelabra", "carousel", "cello",
    "chameleon", "chandelier", "cheetah", "compass", "cormorant", "crocodile", "cuckoo", "dirigible", "dolphin",
    "dragonfly", "dulcimer", "easel", "falcon", "ferret", "flamingo", "gazebo", "gecko", "giraffe", "gondola",
    "gramophone", "harp", "hedgehog", "heron", "hippo", "hourglass", "iguana", "jellyfish", "kayak", "koala",
    "lantern", "lemur", "llama", "lobster", "loom", "lynx", "mandolin", "manatee", "meerkat", "metronome",
    "mongoose", "moose", "narwhal", "oboe", "ocelot", "octopus", "okapi", "ostrich", "otter", "pagoda", "pangolin",
    "parrot", "peacock", "pelican", "penguin", "periscope", "platypus", "porcupine", "puffin", "quill", "raccoon",
    "sextant", "sitar", "sloth", "sphinx", "stingray", "tapir", "telescope", "theremin", "toucan", "trombone",
    "tuba", "typewriter", "ukulele", "unicycle", "viola", "vulture", "walrus", "weathervane", "xylophone", "yak",
    "zeppelin",
)  # fmt: skip
RARE_SHARE = 1 / 60  # of captions naming one rare thing: each of the 100 in ~170 photos of a million
CAMERAS = ("Canon EOS R5", "Nikon Z 7II", "Sony ILCE-7M4", "Fujifilm X-T5", "Leica Q2", "Apple iPhone 15 Pro")


def _zipf(words: Sequence[str]) -> tuple[Sequence[str], list[float]]:
    """``words`` with cumulative Zipf weights (the n-th word 1/n as likely as the first), for ``random.choices``."""
    return words, list(accumulate(1 / rank for rank in range(1, len(words) + 1)))


_BEINGS, _THINGS, _COLOURS, _PLACES = (_zipf(w) for w in (BEINGS, THINGS, COLOURS, PLACES))


def _pick(rng: random.Random, table: tuple[Sequence[str], list[float]]) -> str:
    return rng.choices(table[0], cum_weights=table[1])[0]


def caption_for(rng: random.Random) -> str:
    """One generated caption, e.g. "a red car parked on a street at sunset"."""
    being = rng.random() < 0.5
    subject = _pick(rng, _BEINGS if being else _THINGS)
    colour = _pick(rng, _COLOURS) + " " if rng.random() < 0.4 else ""
    article = "an" if (colour or subject)[0] in "aeiou" else "a"
    action = rng.choice(BEING_ACTIONS if being else THING_ACTIONS)
    rare = f" with a {rng.choice(RARE)}" if rng.random() < RARE_SHARE else ""
    head = " ".join(f"{article} {colour}{subject} {action}".split())
    return f"{head} {_pick(rng, _PLACES)}{rare}{rng.choice(LIGHT)}"


@lru_cache(maxsize=200_000)
def keywords_of(caption: str) -> tuple[str, ...]:
    """The app's keywords for a caption (cached: template captions repeat)."""
    from photoscribe.captioning.keywords import keywords_from_caption  # (imports torch: the filler's process only)

    return tuple(keywords_from_caption(caption))


def photo_path(n: int) -> str:
    """The path of the n-th photo (0-based): a folder per year and month (about 6,700 photos each)."""
    return f"{FOLDER}/{2010 + n // 80_000}/{n // 6_700 % 12 + 1:02d}/IMG_{n:07d}.jpg"


def fill(library: Library, photos: int, processes: int = 2, seed: int = 7) -> dict[str, float]:
    """Fill an empty PostgreSQL ``library`` with ``photos`` captioned photos, ``processes`` processes writing chunks
    side by side; returns the seconds of the whole fill and of each step (summed over the processes)."""
    folder_id = library.add_folder(FOLDER)
    start = time.perf_counter()
    processes = max(1, min(processes, -(-photos // CHUNK)))  # (no process without a chunk)
    jobs = [(str(library.path), folder_id, photos, seed, k, processes) for k in range(processes)]
    with multiprocessing.get_context("spawn").Pool(processes) as pool:
        parts = pool.starmap(_fill_part, jobs)
    spent = {step: sum(part[step] for part in parts) for step in parts[0]}
    with library.db.writing() as session:  # the ids were given: the next photo added takes the next one
        session.connection().exec_driver_sql("SELECT setval('photos_id_seq', (SELECT max(id) FROM photos))")
    spent["load_s"] = time.perf_counter() - start
    tick = time.perf_counter()
    with library.db.engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM ANALYZE")
    spent["vacuum_s"] = time.perf_counter() - tick
    spent["fill_s"] = time.perf_counter() - start
    return spent


def _fill_part(url: str, folder_id: int, photos: int, seed: int, part: int, parts: int) -> dict[str, float]:
    """One process's share of :func:`fill`: every ``parts``-th chunk from the ``part``-th, a transaction each."""
    from photoscribe.library import search
    from photoscribe.library.search import SearchRow

    spent = {"generate_s": 0.0, "copy_s": 0.0, "search_rows_s": 0.0}
    with Library(url) as library:
        for first in range(part * CHUNK, photos, parts * CHUNK):
            tick = time.perf_counter()
            rng = random.Random(seed * 1_000_003 + first)
            numbers = range(first, min(first + CHUNK, photos))
            captions = [caption_for(rng) for _ in numbers]
            keywords = [keywords_of(c) for c in captions]
            paths = [photo_path(n) for n in numbers]
            spent["generate_s"] += time.perf_counter() - tick
            with library.db.writing(serialised=False) as session:  # (new rows only: no lock to take)
                tick = time.perf_counter()
                raw = session.connection().connection.driver_connection
                _copy(raw, folder_id, numbers, paths, captions, keywords)
                spent["copy_s"] += time.perf_counter() - tick
                tick = time.perf_counter()
                rows = [
                    SearchRow(n + 1, path.rsplit("/", 1)[1], caption, None, words)
                    for n, path, caption, words in zip(numbers, paths, captions, keywords)
                ]
                search.index_photos(session, rows)
                spent["search_rows_s"] += time.perf_counter() - tick
    return spent


def _copy(
    conn,  # type: ignore[no-untyped-def]  (a psycopg connection)
    folder_id: int,
    numbers: range,
    paths: Sequence[str],
    captions: Sequence[str],
    keywords: Sequence[tuple[str, ...]],
) -> None:
    """COPY one chunk of photos (ids from ``numbers[0] + 1``), their captions and keywords."""
    added = datetime(2024, 1, 1)
    columns = (
        "id, folder_id, path, path_key, size, mtime, content_hash, width, height, taken_at, camera, status, "
        "added_at, updated_at, metadata_pending, file_kind"
    )
    with conn.cursor() as cursor:
        with cursor.copy(f"COPY photos ({columns}) FROM STDIN") as copy:
            for n, path in zip(numbers, paths):
                stamp = added + timedelta(seconds=n)
                taken = datetime(2010, 1, 1) + timedelta(minutes=n * 7)
                row = (n + 1, folder_id, path.encode(), path_key(path).encode(), 3_000_000 + n * 37 % 9_000_000)
                row += (1.7e9 + n, f"{n:064x}", 6000, 4000, taken, CAMERAS[n % len(CAMERAS)], PhotoStatus.DONE.value)
                copy.write_row((*row, stamp, stamp, False, FileKind.JPEG.value))
        columns = "photo_id, model_caption, model_ref, settings, captioned_at, revision"
        with cursor.copy(f"COPY captions ({columns}) FROM STDIN") as copy:
            for n, caption in zip(numbers, captions):
                copy.write_row((n + 1, caption, MODEL_REF, "{}", added + timedelta(seconds=n), 1))
        with cursor.copy("COPY keywords (photo_id, word, source, position) FROM STDIN") as copy:
            model = KeywordSource.MODEL.value
            for n, words in zip(numbers, keywords):
                for position, word in enumerate(words):
                    copy.write_row((n + 1, word, model, position))
