"""Hybrid search with the real all-MiniLM-L6-v2: words first, then meaning above the cut-off, fused by RRF."""

from __future__ import annotations

import os
import signal
from typing import Any

import numpy as np
import pytest

from photoscribe.library import Library, MatchKind
from photoscribe.library.hybrid import CUTOFF
from tests.library.meaning import MODEL, add_captioned, embed_all, encode, hybrid

CAPTIONS = [
    "a dog running on the beach",
    "a cat sleeping on a sofa",
    "a bowl of fruit on a kitchen table",
    "a red brick wall",
    "a man standing in front of a wall",
    "a painting hanging on a wall",
    "graffiti on the side of a building",
    "a city street at night",
    "a snowy mountain under a blue sky",
    "a plate of spaghetti",
    "a car parked in front of a house",
]


@pytest.fixture
def embedded(library: Library, minilm: Any) -> dict[str, int]:
    ids = add_captioned(library, CAPTIONS)
    assert embed_all(library, minilm) == len(CAPTIONS)
    return dict(zip(CAPTIONS, ids, strict=True))


def captions(hits: list[Any]) -> list[str]:
    return [h.photo.caption for h in hits]


@pytest.mark.parametrize(
    ("query", "first"),
    [
        ("puppy", "a dog running on the beach"),
        ("kitten on a couch", "a cat sleeping on a sofa"),
        ("apples and oranges", "a bowl of fruit on a kitchen table"),
    ],
)
def test_meaning_finds_what_the_words_miss(
    library: Library, minilm: Any, embedded: dict, query: str, first: str
) -> None:
    assert library.search(query) == []  # words only: nothing
    hits = hybrid(library, minilm, query)
    assert captions(hits)[0] == first and hits[0].match is MatchKind.MEANING
    assert library.photo_ids(query, query_vector=encode(minilm, [query])[0], model_ref=MODEL) == [
        h.photo.id for h in hits
    ]


def test_photos_matching_the_words_come_before_any_other(library: Library, minilm: Any, embedded: dict) -> None:
    hits = hybrid(library, minilm, "wall")
    walls = [c for c in CAPTIONS if "wall" in c.split()]
    assert sorted(captions(hits)[: len(walls)]) == sorted(walls)
    assert [h.match for h in hits[: len(walls)]] == [MatchKind.EXACT] * len(walls)
    others = hits[len(walls) :]
    assert others and all(h.match is MatchKind.MEANING for h in others)  # graffiti on a building: close in meaning
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert captions(hits)[0] == "a red brick wall"  # words and meaning agree: fusion puts it first


@pytest.mark.parametrize("nonsense", ["xqzv blorf", "quantum chromodynamics", "kubernetes cluster"])
def test_a_query_meaning_nothing_here_finds_no_photo(
    library: Library, minilm: Any, embedded: dict, nonsense: str
) -> None:
    assert hybrid(library, minilm, nonsense) == []


def test_exclusions_apply_to_meaning_hits_and_phrases_ask_for_words(
    library: Library, minilm: Any, embedded: dict
) -> None:
    assert "a dog running on the beach" not in captions(hybrid(library, minilm, "puppy -beach"))
    assert "a cat sleeping on a sofa" in captions(hybrid(library, minilm, "kitten -beach"))
    assert captions(hybrid(library, minilm, '"brick wall"')) == ["a red brick wall"]
    assert captions(hybrid(library, minilm, '"puppy"')) == []
    only_exclusions = hybrid(library, minilm, "-wall")
    assert {h.match for h in only_exclusions} == {MatchKind.EXACT} and len(only_exclusions) == len(CAPTIONS) - 3


def test_a_changed_caption_or_another_model_makes_vectors_stale(library: Library, minilm: Any, embedded: dict) -> None:
    cat = embedded["a cat sleeping on a sofa"]
    record = library.set_user_caption(library.records([cat])[cat].path, "a red sports car on a race track")
    assert library.text_vector_todo(MODEL, 10) == [(cat, "a red sports car on a race track")]
    assert library.text_vector_progress(MODEL) == (len(CAPTIONS) - 1, len(CAPTIONS))
    assert cat not in [h.photo.id for h in hybrid(library, minilm, "kitten on a couch")]  # stale: not used
    assert embed_all(library, minilm) == 1
    assert hybrid(library, minilm, "automobile racing")[0].photo.id == record.id
    assert len(library.text_vector_todo("another-model", 100)) == len(CAPTIONS)
    assert hybrid(library, minilm, "puppy", model_ref="another-model")[:1] == []  # no vectors of that model
    assert embed_all(library, minilm, "another-model") == len(CAPTIONS)
    assert library.text_vector_todo(MODEL, 100) != []  # replaced: the first model's vectors must be made again


def test_vectors_of_a_text_changed_while_embedding_are_not_stored(library: Library, minilm: Any) -> None:
    (photo,) = add_captioned(library, ["a dog running on the beach"])
    todo = library.text_vector_todo(MODEL, 10)
    library.set_user_caption(library.records([photo])[photo].path, "a black car")
    library.store_text_vectors(MODEL, [(pid, text, encode(minilm, [text])[0]) for pid, text in todo])
    assert library.text_vector_progress(MODEL) == (0, 1)
    assert library.text_vector_todo(MODEL, 10) == [(photo, "a black car")]


def test_the_text_embedded_is_the_caption_file_caption_and_new_keywords(library: Library) -> None:
    (photo,) = add_captioned(library, ["a dog running on the beach"])
    path = library.records([photo])[photo].path
    library.set_user_keywords(path, ["Dog", "Biarritz", "holiday 2024"])
    assert library.text_vector_todo(MODEL, 10) == [(photo, "a dog running on the beach. Biarritz, holiday 2024")]
    library.set_user_caption(path, "Rex at Biarritz")
    assert library.text_vector_todo(MODEL, 10) == [(photo, "Rex at Biarritz. Dog, holiday 2024")]


def test_missing_photos_are_not_found_by_meaning(library: Library, minilm: Any, embedded: dict) -> None:
    dog = embedded["a dog running on the beach"]
    library.mark_missing([library.records([dog])[dog].path])
    assert dog not in [h.photo.id for h in hybrid(library, minilm, "puppy")]


def test_another_process_embedding_is_seen_by_a_library_holding_vectors(
    tmp_path: Any, library: Library, minilm: Any, embedded: dict
) -> None:
    assert captions(hybrid(library, minilm, "kitten on a couch"))[:1] == ["a cat sleeping on a sofa"]  # held now
    with Library(library.path) as other:
        (new,) = add_captioned(other, ["a tabby kitten curled up on a couch"])
        embed_all(other, minilm)
    assert hybrid(library, minilm, "kitten on a couch")[0].photo.id == new  # read since, not from memory
    with Library(library.path) as fresh:  # vectors read afresh rank as those kept up to date in memory
        assert [h.photo.id for h in hybrid(fresh, minilm, "wall")] == [
            h.photo.id for h in hybrid(library, minilm, "wall")
        ]


# Calibration of the cut-off: BLIP-like captions and queries in other words, with the captions each should find.
CALIBRATION_CAPTIONS = [
    *CAPTIONS[:3],
    "a woman riding a bicycle down a street", "a sailboat on the ocean at sunset", "two children playing in a park",
    "a bride and groom cutting a wedding cake", "a close up of a red rose", "a laptop computer on a wooden desk",
    "a train station with people waiting", "an old church with a tall tower", "a horse grazing in a green field",
    "a birthday cake with candles", "a group of people sitting around a campfire", "a bird perched on a tree branch",
    "a man surfing a large wave", "a yellow taxi on a busy street", "a baby sleeping in a crib",
    "a forest path covered in autumn leaves", "a soccer player kicking a ball", "a cup of coffee on a saucer",
    "an airplane flying in the sky", "a lighthouse on a rocky coast", "a fish tank with colorful fish",
    "a close up of a butterfly on a flower", "a bookshelf full of books", "a plate of sushi",
    "a crowd at a music concert",
]  # fmt: skip
CALIBRATION_QUERIES = {
    "puppy": [0], "kitten on a couch": [1], "apples and oranges": [2], "pet": [0, 1], "boat": [4], "kids": [5, 17],
    "marriage": [6], "flowers": [7, 24], "notebook pc": [8], "railway": [9], "cathedral": [10], "pony": [11],
    "party": [6, 12, 27], "bonfire": [13], "sparrow": [14], "wave riding": [15], "cab": [16], "infant": [17],
    "fall foliage": [18], "football match": [19], "espresso": [20], "jet": [21], "sea cliffs": [22],
    "aquarium": [23], "insect": [24], "library": [25], "japanese food": [26], "live music": [27],
}  # fmt: skip
NONSENSE = ["xqzv blorf", "asdfgh", "zzz", "quantum chromodynamics", "tax return form", "kubernetes cluster"]


def test_the_cut_off_keeps_related_captions_and_drops_unrelated_ones(minilm: Any) -> None:
    """The figures behind ``hybrid.CUTOFF`` (0.25): 91% of related pairs above it, 4% of unrelated, no nonsense."""
    vectors = encode(minilm, CALIBRATION_CAPTIONS)
    related, unrelated = [], []
    for query, wanted in CALIBRATION_QUERIES.items():
        scores = vectors @ encode(minilm, [query])[0]
        assert int(np.argmax(scores)) in wanted, query
        related += [s for i, s in enumerate(scores) if i in wanted]
        unrelated += [s for i, s in enumerate(scores) if i not in wanted]
    related_kept = np.mean(np.array(related) >= CUTOFF)
    unrelated_kept = np.mean(np.array(unrelated) >= CUTOFF)
    assert related_kept >= 0.85 and unrelated_kept <= 0.05, (related_kept, unrelated_kept)
    assert max(float((vectors @ encode(minilm, [n])[0]).max()) for n in NONSENSE) < CUTOFF


def test_exact_hits_without_vectors_yet_still_come_first(library: Library, minilm: Any, embedded: dict) -> None:
    """Photos just captioned (not embedded yet) that say "puppy" rank before the dog found by meaning."""
    new = add_captioned(library, ["a puppy", "a puppy asleep", "a puppy asleep on a puppy bed"])
    hits = hybrid(library, minilm, "puppy")
    assert sorted(h.photo.id for h in hits[:3]) == sorted(new) and {h.match for h in hits[:3]} == {MatchKind.EXACT}
    assert captions(hits)[3] == "a dog running on the beach" and hits[3].match is MatchKind.MEANING


def test_a_ranking_read_page_by_page_is_the_full_ranking() -> None:
    """Meaning-only hits are sorted in two steps (the first FIRST_SORTED, the rest when read): the same order and
    scores as one stable sort, ties included, and every score at most the one before."""
    from photoscribe.library.hybrid import FIRST_SORTED, Ranking, _rrf

    rng = np.random.default_rng(3)
    count = FIRST_SORTED * 3
    cosine = np.round(rng.uniform(0.25, 0.9, count), 2).astype(np.float32)  # many equal similarities
    ids = rng.permutation(count * 2)[:count].astype(np.int64)
    exact = (np.array([7_000_001, 7_000_002]), np.array([1.5, 1.2]))
    ranking = Ranking(exact, (ids, cosine), np.sort(-cosine))
    read = list(ranking)
    order = np.argsort(-cosine, kind="stable")
    assert [r[0] for r in read] == ranking.ids() == [7_000_001, 7_000_002, *ids[order].tolist()]
    assert [r[2] for r in read] == [MatchKind.EXACT] * 2 + [MatchKind.MEANING] * count
    scores = [r[1] for r in read[2:]]
    assert scores == sorted(scores, reverse=True) and scores[0] == _rrf(np.array([0]))[0]
    first_below = int(np.argmax(cosine[order] < cosine[order][0]))  # equal similarities share their rank
    assert scores[first_below] == _rrf(np.array([first_below]))[0]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork is POSIX")
def test_a_process_forked_after_a_search_by_meaning_can_search_by_meaning(
    library: Library, minilm: Any, embedded: dict
) -> None:
    vector = encode(minilm, ["puppy"])[0]
    expected = [h.photo.id for h in library.search("puppy", query_vector=vector, model_ref=MODEL)]
    assert expected  # the parent's helper thread now exists; a forked child has none
    child = os.fork()
    if child == 0:  # pragma: no cover - the child reports through its exit code
        code = 3
        try:
            signal.alarm(60)  # a child waiting on its parent's helper thread would wait forever
            with Library(library.path) as again:
                found = [h.photo.id for h in again.search("puppy", query_vector=vector, model_ref=MODEL)]
            code = 0 if found == expected else 4
        finally:
            os._exit(code)
    _, status = os.waitpid(child, 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, f"child ended with status {status:#x}"
