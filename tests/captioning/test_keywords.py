"""Keywords derived from captions."""

from __future__ import annotations

import pytest

from photoscribe.captioning.keywords import keywords_from_caption, singular


def test_example_from_the_issue() -> None:
    assert keywords_from_caption("two dogs on a beach") == ["dog", "beach"]


@pytest.mark.parametrize(
    ("plural", "single"),
    [
        ("dogs", "dog"),
        ("puppies", "puppy"),
        ("boxes", "box"),
        ("benches", "bench"),
        ("leaves", "leaf"),
        ("women", "woman"),
        ("children", "child"),
        ("glass", "glass"),
        ("bus", "bus"),
        ("grass", "grass"),
        ("tomatoes", "tomato"),
        ("houses", "house"),
        ("cactus", "cactus"),
        ("dog's", "dog"),
    ],
)
def test_plurals_fold_to_the_singular(plural: str, single: str) -> None:
    assert singular(plural) == single


def test_lower_case_unique_in_order_without_stop_words() -> None:
    caption = "A Man and his Dogs sitting on a bench next to the dogs in the park"
    assert keywords_from_caption(caption) == ["man", "dog", "sitting", "bench", "park"]


def test_prompt_words_are_not_keywords() -> None:
    assert keywords_from_caption("a photography of a red car", ignore="a photography of") == ["red", "car"]


def test_filler_and_numbers_are_dropped() -> None:
    assert keywords_from_caption("there is a picture of 3 cats") == ["cat"]


def test_non_ascii_words_survive() -> None:
    assert keywords_from_caption("un café près de la tour eiffel") == [
        "un",
        "café",
        "près",
        "de",
        "la",
        "tour",
        "eiffel",
    ]


def test_empty_caption_has_no_keywords() -> None:
    assert keywords_from_caption("") == []
