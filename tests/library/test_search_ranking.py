"""Hybrid search's fast paths give exactly what the plain definitions give: the full-text ids as one array, the
fusion in numpy, and the query encoded beside the full-text query."""

from __future__ import annotations

import random
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from photoscribe import meaning
from photoscribe.captioning.text_embedder import TextEmbedder
from photoscribe.library import Library
from photoscribe.library import search as fts
from photoscribe.library.query import meaning_text, parse_query
from tests.library.meaning import add_captioned

#: Many equal texts (equal bm25 scores: ties broken by id), and words in several columns' worth of captions.
TIED = ["a dog on the beach"] * 30 + ["a dog"] * 20 + ["a dog and a dog on a dog bed"] * 5 + ["a cat"] * 10
TIED += ["a dog on a sofa with a cat"] * 7 + ["a red wall", "a dogged runner"]


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
