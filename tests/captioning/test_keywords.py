"""Keywords derived from captions."""

from __future__ import annotations

import pytest

from photoscribe.captioning.keywords import fold, keywords_from_caption, singular


def test_example_from_the_issue() -> None:
    assert keywords_from_caption("two dogs on a beach") == ["dogs", "beach"]  # as written, not folded


@pytest.mark.parametrize("name", ["James", "Texas", "Athens", "Douglas", "Agnes", "Lucas", "Thomas", "Paris"])
def test_proper_nouns_are_kept_as_written(name: str) -> None:
    assert keywords_from_caption(f"{name} standing in front of a red wall") == [name, "standing", "red", "wall"]


def test_names_in_a_lower_case_caption_are_not_mangled() -> None:
    # BLIP writes lower case: the word is kept as the caption wrote it, never its folded form
    assert keywords_from_caption("james and douglas at a diner in texas") == ["james", "douglas", "diner", "texas"]


def test_plural_and_singular_of_a_word_count_once_in_the_first_form() -> None:
    assert keywords_from_caption("a dog and two dogs") == ["dog"]
    assert keywords_from_caption("two dogs and a dog") == ["dogs"]
    assert keywords_from_caption("Paris and paris") == ["Paris"]  # de-duplication ignores case


def test_fold_is_the_matching_form_only() -> None:
    assert fold("Dogs") == fold("dog") == "dog"
    assert fold("James") == "jame"  # which is why it is never what a keyword shows


def test_a_possessive_is_not_part_of_the_keyword() -> None:
    assert keywords_from_caption("Grandma's barn in the snow") == ["Grandma", "barn", "snow"]


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


def test_unique_in_order_without_stop_words() -> None:
    caption = "A Man and his Dogs sitting on a bench next to the dogs in the park"
    assert keywords_from_caption(caption) == ["Man", "Dogs", "sitting", "bench", "park"]


def test_prompt_words_are_not_keywords() -> None:
    assert keywords_from_caption("a photography of a red car", ignore="a photography of") == ["red", "car"]
    assert keywords_from_caption("dog on a beach", ignore="a photo of dogs") == ["beach"]  # compared folded


def test_filler_and_numbers_are_dropped() -> None:
    assert keywords_from_caption("there is a picture of 3 cats") == ["cats"]


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
