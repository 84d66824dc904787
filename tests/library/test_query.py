"""The search language parser."""

from __future__ import annotations

from photoscribe.library.query import Term, parse_query


def test_words_prefixes_phrases_and_exclusions() -> None:
    query = parse_query('red bea* "stone wall" -dog -"blue sky"')
    assert query.terms == (
        Term("red"),
        Term("bea", prefix=True),
        Term("stone wall", phrase=True),
        Term("dog", exclude=True),
        Term("blue sky", exclude=True, phrase=True),
    )
    assert [t.text for t in query.included] == ["red", "bea", "stone wall"]
    assert [t.text for t in query.excluded] == ["dog", "blue sky"]


def test_meaningless_input_is_ignored_not_an_error() -> None:
    assert parse_query('  - * "" " -"').is_empty
    assert parse_query('"unclosed phrase').terms == (Term("unclosed phrase", phrase=True),)


def test_quotes_inside_words_are_kept_for_the_index_to_split() -> None:
    assert parse_query("rock'n'roll").terms == (Term("rock'n'roll"),)


def test_a_nul_character_separates_words() -> None:
    expected = (Term("dog"), Term("cat"), Term("a b", exclude=True, phrase=True))
    assert parse_query('dog\x00cat -"a\x00b"').terms == expected
