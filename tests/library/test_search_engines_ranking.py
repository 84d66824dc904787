"""Ranking, run on every full-text search implementation (SQLite FTS5 and PostgreSQL tsvector): both rank the
fields and the lengths alike, and where they differ (a word said many times; how rare a word is; a phrase) is
pinned down. (``test_search_ranking.py``'s id array and hybrid search tests run on both through the Library.)"""

from __future__ import annotations

import pytest

from photoscribe.library.search import Dialect
from tests.library.search_engines import SearchDb

#: One photo per field that says "dog", each of the same length (ids in the reverse of the expected order, so that
#: ties broken by id cannot pass), and one that does not say it. What people wrote replaces the model's caption.
FIELDS = [
    ("dog.jpg", "a cat on the grass", None, ["grass"]),  # 1: the file name
    ("0002.jpg", "a cat on the grass", None, ["dog"]),  # 2: a keyword
    ("0003.jpg", "a dog on the grass", None, ["grass"]),  # 3: the model's caption
    ("0004.jpg", None, "a dog on the grass", ["grass"]),  # 4: what people wrote
    ("0005.jpg", "a cat on the grass", None, ["grass"]),  # 5: no dog
]
#: Photo numbers (1 to 5, as above) each query finds, best first, on both engines.
EXPECTED = {
    "dog": [4, 3, 2, 1],
    "dogs": [4, 3, 2, 1],  # stemming
    "DOG*": [4, 3, 2, 1],  # prefix
    "do*": [4, 3, 2, 1],
    "dog cat": [2, 1],  # the same caption: the keyword before the file name
    '"dog on the grass"': [4, 3],  # phrase
    '"grass dog"': [],
    "dog -cat": [4, 3],  # exclusion
    "grass -dog": [5],
    "-dog": [5],
    "-cat": [3, 4],  # only exclusions: by id
    "grass": [4, 1, 3, 5, 2],  # what people wrote and a keyword; the model's caption and a keyword (ties by id)
}


@pytest.mark.parametrize("text", list(EXPECTED))
def test_both_engines_rank_fields_alike(search_db: SearchDb, text: str) -> None:
    ids = search_db.add(FIELDS)
    scored = search_db.scored(text)
    assert [ids.index(i) + 1 for i, _ in scored] == EXPECTED[text]
    if text == "dog":  # what people wrote > the model's caption > keywords > the file name, strictly
        assert [s for _, s in scored] == sorted({s for _, s in scored}, reverse=True)


def test_stop_words_are_searched_as_any_other_word(search_db: SearchDb) -> None:
    """Neither engine leaves stop words out (PostgreSQL's 'english' configuration would, ``photoscribe`` keeps
    them): a stop word in a query counts, a query of stop words only finds, an excluded one leaves out, and a prefix
    finds stop words."""
    on, under, onion, down = search_db.captioned(
        ["a dog on the beach", "a dog under a tree", "an onion", "a dog lying down"]
    )
    assert search_db.ids("on") == [on] and search_db.ids("dog on") == [on]
    assert sorted(search_db.ids("dog -on")) == [under, down] and sorted(search_db.ids("dog -the")) == [under, down]
    assert search_db.ids("-the") == [under, onion, down] and search_db.ids("the on") == [on]
    assert sorted(search_db.ids("on*")) == [on, onion]
    assert sorted(search_db.ids("do*")) == [on, under, down]  # "dog", and "down"
    assert sorted(search_db.ids("a")) == [on, under, down]  # "an" is another word
    assert search_db.ids('"dog on the beach"') == [on] and search_db.ids('"dog on beach"') == []
    assert search_db.ids('"lying down"') == [down] and search_db.ids('"dog down"') == []


def test_a_repeated_word_and_the_length_rank_alike(search_db: SearchDb) -> None:
    repeated, once, longer = search_db.captioned(["a dog and a dog on a dog bed", "a dog", "a dog on a red sofa"])
    assert search_db.ids("dog") == [repeated, once, longer]


def test_a_word_said_many_times_ranks_apart(search_db: SearchDb) -> None:
    """A difference in ranking (see ``search_tsvector.py``): bm25 saturates what a word's places weigh, ts_rank_cd
    adds them up, in one field or in several."""
    caption = "a brown cat sleeping on an old red sofa next to"
    repeated, once, _ = search_db.add(
        [("a.jpg", caption, "dog dog dog", ()), ("b.jpg", None, "dog", ()), ("c.jpg", "a cow", None, ())]
    )
    fields = search_db.add(FIELDS)
    grass_twice, dog_keyword = fields[0], fields[1]  # "grass" in the caption and a keyword; "dog" a keyword
    if search_db.dialect is Dialect.SQLITE:
        assert search_db.ids("dog") == [once, repeated, *fields[3::-1]]
        assert search_db.ids("dog grass")[2:] == [dog_keyword, grass_twice]
    else:
        assert search_db.ids("dog")[:2] == [repeated, once]
        assert search_db.ids("dog grass")[2:] == [grass_twice, dog_keyword]


def test_how_rare_a_word_is_counts_on_fts5_only(search_db: SearchDb) -> None:
    """A difference in ranking (see ``search_tsvector.py``): in a query of several words, bm25 weighs a rare word
    more ("dog" here, against "a" in every caption); ts_rank_cd weighs every word alike."""
    captions = ["a cat on a sofa", "a cat on a chair", "a cat on a bed", "a dog on a sofa", "a dog on a rug by a sofa"]
    *_, short, more_a = search_db.captioned(captions)
    expected = [short, more_a] if search_db.dialect is Dialect.SQLITE else [more_a, short]
    assert search_db.ids("a dog") == expected


def test_a_phrase_ranks_by_its_longest_word_on_postgresql(search_db: SearchDb) -> None:
    """A difference in ranking (see ``search_tsvector.py``): ts_rank_cd counts a phrase by the places of its
    longest word, where FTS5 counts the phrase's own."""
    once, beside = search_db.captioned(["a dog on the beach", "a dog on the beach by a beach hut"])
    expected = [once, beside] if search_db.dialect is Dialect.SQLITE else [beside, once]
    assert search_db.ids('"on the beach"') == expected
