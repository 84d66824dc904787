"""Hybrid search's fast paths give exactly what the plain definitions give: the full-text ids as one array, the
fusion in numpy, and the query encoded beside the full-text query."""

from __future__ import annotations

import random

import numpy as np

from photoscribe.library import Library
from photoscribe.library import search as fts
from photoscribe.library.query import parse_query
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
