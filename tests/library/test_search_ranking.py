"""Hybrid search's fast paths give exactly what the plain definitions give: the full-text ids as one array, the
fusion in numpy, and the query encoded beside the full-text query."""

from __future__ import annotations

import random
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from photoscribe import meaning
from photoscribe.captioning.text_embedder import TextEmbedder
from photoscribe.library import Library, MatchKind, hybrid
from photoscribe.library import search as fts
from photoscribe.library.hybrid import CUTOFF, FIRST_SORTED, RRF_K
from photoscribe.library.query import meaning_text, parse_query
from tests.library.meaning import add_captioned

#: Many equal texts (equal bm25 scores: ties broken by id), and words in several columns' worth of captions.
TIED = ["a dog on the beach"] * 30 + ["a dog"] * 20 + ["a dog and a dog on a dog bed"] * 5 + ["a cat"] * 10
TIED += ["a dog on a sofa with a cat"] * 7 + ["a red wall", "a dogged runner"]
MODEL_REF = "test-vectors"


def test_the_id_array_is_the_ids_of_the_scored_rows_in_their_order(library: Library) -> None:
    captions = TIED.copy()
    random.Random(5).shuffle(captions)
    add_captioned(library, captions)
    for text in ("dog", "dog -beach", "do*", "cat dog", '"dog on"', "-dog", "", "nothing here", "dog -dog"):
        query = parse_query(text)
        with library.db.reading() as session:
            expected = [photo_id for photo_id, _ in fts.matching_ids(session, query)]
            found = fts.matching_id_array(session, query)
        assert found.dtype == np.int64 and found.tolist() == expected, text
    with library.db.reading() as session:
        assert len(fts.matching_id_array(session, parse_query("dog"))) == 63  # "dogged" too (Porter stems)


class ThreadNoting(TextEmbedder):
    """The real text model, noting the threads it encodes on."""

    threads: list[threading.Thread]

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        self.threads.append(threading.current_thread())
        return super().encode(texts)


def test_the_query_is_encoded_beside_the_full_text_query_and_finds_the_same(
    library: Library, text_model_dir: Path
) -> None:
    embedder = ThreadNoting.load(str(text_model_dir))
    embedder.threads = []
    add_captioned(library, ["a dog running on the beach", "a cat sleeping on a sofa", "a red brick wall", *TIED])
    meaning.embed_pending(library, embedder)
    for text in ("puppy", "kitten on a couch", "wall", "dog -beach", "cat dog"):
        embedder.threads.clear()
        found = meaning.search(library, text, embedder=embedder)
        ids = meaning.photo_ids(library, text, embedder=embedder)
        assert len(embedder.threads) == 2 and threading.current_thread() not in embedder.threads  # the helper's
        vector = TextEmbedder.encode(embedder, [meaning_text(text) or ""])[0]  # as before: encoded first
        before = library.search(text, query_vector=vector, model_ref=embedder.ref)
        assert found.exact_only is None and found.hits == before and found.hits, text
        assert (
            ids == library.photo_ids(text, query_vector=vector, model_ref=embedder.ref) == [h.photo.id for h in before]
        )


def reference(library: Library, text: str, vector: np.ndarray) -> list[tuple[int, float, MatchKind]]:
    """Hybrid search as ``hybrid.py``'s docstring defines it, written plainly over every photo (slow, clear), on
    the index's full float32 similarities."""
    query = parse_query(text)
    with library.db.reading() as session:
        exact = [photo_id for photo_id, _ in fts.matching_ids(session, query)]
        excluded = fts.matching_any(session, query.excluded)
    ids, cosine = library._index("text").scores(MODEL_REF, vector)
    similarity = dict(zip(ids.tolist(), cosine.tolist(), strict=True))
    place = {photo_id: n for n, photo_id in enumerate(ids.tolist())}
    candidates = [c for p, c in similarity.items() if c >= CUTOFF or p in exact]

    def meaning_rank(photo_id: int) -> int:
        return sum(c > similarity[photo_id] for c in candidates)

    def fused(n: int, photo_id: int) -> float:
        score = 1.0 + 1.0 / (RRF_K + n + 1.0)
        return score + 1.0 / (RRF_K + meaning_rank(photo_id) + 1.0) if photo_id in similarity else score

    by_words = sorted(((fused(n, p), n, p) for n, p in enumerate(exact)), key=lambda t: (-t[0], t[1]))
    only = [p for p, c in similarity.items() if c >= CUTOFF and p not in exact and p not in excluded]
    only.sort(key=lambda p: (-similarity[p], place[p]))
    return [(p, score, MatchKind.EXACT) for score, _, p in by_words] + [
        (p, 1.0 / (RRF_K + meaning_rank(p) + 1.0), MatchKind.MEANING) for p in only
    ]


@pytest.mark.parametrize("first_sorted", [FIRST_SORTED, 7])
def test_the_ranking_is_the_plain_definition_on_full_float_similarities(
    library: Library, monkeypatch: pytest.MonkeyPatch, first_sorted: int
) -> None:
    """Ties everywhere: equal bm25 scores, equal vectors, equal fused scores; photos without a vector yet; hits
    read in two steps (the first ``first_sorted`` sorted first)."""
    monkeypatch.setattr(hybrid, "FIRST_SORTED", first_sorted)
    rng = np.random.default_rng(11)
    captions = TIED * 3
    random.Random(2).shuffle(captions)
    add_captioned(library, captions)
    shapes = rng.normal(size=(6, 8)).astype(np.float32)  # few distinct vectors: many equal similarities
    todo = library.text_vector_todo(MODEL_REF, 1000)
    library.store_text_vectors(MODEL_REF, [(p, t, shapes[rng.integers(6)]) for p, t in todo])
    add_captioned(library, ["a dog without a vector yet", "a cat without a vector yet"])
    for text in ("dog", "cat", "dog -beach", "wall", "cat dog", "do* -sofa"):
        for vector in (shapes[0], shapes[3], rng.normal(size=8).astype(np.float32)):
            expected = reference(library, text, vector)
            hits = library.search(text, query_vector=vector, model_ref=MODEL_REF)
            assert [(h.photo.id, h.score, h.match) for h in hits] == expected, text
            assert library.photo_ids(text, query_vector=vector, model_ref=MODEL_REF) == [p for p, _, _ in expected]
            page = library.search(text, 12, query_vector=vector, model_ref=MODEL_REF)
            assert [(h.photo.id, h.score, h.match) for h in page] == expected[:12]


def test_positions_of_ids_by_table_or_by_binary_search() -> None:
    from photoscribe.library.hybrid import _positions

    dense, sparse = np.array([5, 3, 9, 4, 12]), np.array([5, 3, 10**12, 4, 12])
    for ids, wanted in ((dense, [4, 6, 5, 12, 3, 0, 40]), (sparse, [4, 6, 5, 10**12, 3, 0, 10**13]), (dense, [10**12])):
        expected = [ids.tolist().index(w) if w in ids else -1 for w in wanted]
        assert _positions(ids, np.array(wanted)).tolist() == expected
    assert _positions(np.zeros(0, dtype=np.int64), np.array([3])).tolist() == [-1]
    assert _positions(dense, np.zeros(0, dtype=np.int64)).tolist() == []
