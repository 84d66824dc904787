"""A search's best page (``matching_ids`` with a limit) is the first page of the full ranking, on both engines; on
PostgreSQL it comes from the words' score lists (``search_terms.py``), which follow the search rows."""

from __future__ import annotations

import random
import threading

import pytest
from sqlalchemy import delete, text

from photoscribe.library import Library, search, search_terms, search_tsvector
from photoscribe.library.models import Photo
from photoscribe.library.query import parse_query
from tests.helpers import wait_for
from tests.library.search_engines import SearchDb

SUBJECTS = ("dog", "dogs", "cat", "horse", "red car", "boat", "sunset", "sunny day", "beach", "sand")
FILLER = ("a", "the", "on", "in", "black and white", "with", "near", "big", "small", "old")
QUERIES = (
    "dog", "dogs", "beach", '"red car"', '"black and white"', "dog -beach", "cat -sand -dog", "dog dog",
    "sun*", "bea*", "do* beach", "dog beach", "red car", "cat sunset", "horse boat beach", "img", "x*", "narwhal",
    "dog narwhal", "sunset -sunset",
)  # fmt: skip


def _texts(rng: random.Random, n: int) -> list[tuple[str, str | None, str | None, list[str]]]:
    """Search rows of varied length and fields (so scores differ, and tie), words drawn from a few."""
    rows = []
    for k in range(n):
        words = rng.choices(SUBJECTS, k=rng.randint(1, 3)) + rng.choices(FILLER, k=rng.randint(0, 8))
        rng.shuffle(words)
        user = " ".join(rng.choices(SUBJECTS, k=2)) if rng.random() < 0.1 else None
        keywords = rng.sample(SUBJECTS, k=rng.randint(0, 2))
        rows.append((f"img_{k}.jpg", " ".join(words), user, keywords))
    return rows


@pytest.fixture
def varied(search_db: SearchDb) -> SearchDb:
    search_db.add(_texts(random.Random(14), 700))
    return search_db


@pytest.mark.parametrize("limit", [0, 1, 3, 20, 2000])
def test_a_page_of_hits_is_the_first_page_of_the_full_ranking(varied: SearchDb, limit: int) -> None:
    for query in QUERIES:
        assert varied.scored(query, limit) == varied.scored(query)[:limit], query


def test_on_postgresql_a_query_ranked_by_one_word_is_answered_from_its_list(postgres_url: str) -> None:
    """One word, a phrase (ranked by its longest word), a word with exclusions, a prefix of one word of the library,
    repeated words: the page comes from the list (not the full ranking), and equals the full ranking's; so do the
    pages of several words proven by their lists (``best`` is not None)."""
    db = SearchDb(postgres_url)
    try:
        db.add(_texts(random.Random(15), 700))
        proven = 0
        with db.reading() as session:
            for query in QUERIES:
                for limit in (1, 3, 20):
                    found = search_tsvector.best(session, parse_query(query), limit)
                    if query in ("dog", "dogs", "beach", '"red car"', "dog -beach", "dog dog", "bea*", "img"):
                        assert found is not None, (query, limit)
                    if found is not None:
                        proven += 1
                        assert found == search.matching_ids(session, parse_query(query))[:limit], (query, limit)
        assert proven > 3 * 8
    finally:
        db.close()


def _lists(db: SearchDb) -> dict[int, dict[str, float]]:
    """The score rows by photo."""
    with db.reading() as session:
        rows = session.connection().exec_driver_sql(f"SELECT photo_id, lexeme, score FROM {search_terms.TABLE}")
        lists: dict[int, dict[str, float]] = {}
        for photo_id, lexeme, score in rows:
            lists.setdefault(photo_id, {})[lexeme] = score
        return lists


def _ranked_alone(db: SearchDb, photo_id: int) -> dict[str, float]:
    """ts_rank_cd of the photo's search row for each of its words alone."""
    sql = (
        f"SELECT t.lexeme, ts_rank_cd('{search_tsvector.RANK_WEIGHTS}', s.document, CAST(quote_literal(t.lexeme) "
        f"AS tsquery), {search_tsvector.RANK_NORMALISATION}) FROM {search_tsvector.TABLE} s, unnest(s.document) t "
        "WHERE s.photo_id = %(id)s AND t.lexeme <> '_'"
    )
    with db.reading() as session:
        return dict(session.connection().exec_driver_sql(sql, {"id": photo_id}).all())


def test_on_postgresql_the_score_lists_follow_the_search_rows(postgres_url: str) -> None:
    """Each word of each search row has its score (ts_rank_cd's for that word alone, to the last bit), replaced
    with the row, gone with it and with the photo."""
    db = SearchDb(postgres_url)
    try:
        first, second, third = db.add(
            [
                ("a.jpg", "a dog on the beach", "my dog Rex", ["dog"]),
                ("b.jpg", "a cat", None, ()),
                ("c.jpg", None, None, ()),
            ]
        )
        lists = _lists(db)
        assert set(lists) == {first, second, third}
        assert lists[first] == _ranked_alone(db, first) and set(lists[first]) >= {"dog", "beach", "rex", "jpg"}
        assert lists[second] == _ranked_alone(db, second)
        with db.writing() as session:
            search.index_photo(session, second, "b.jpg", "a white horse", None, ["horse"])
            search.remove_photo(session, third)
        lists = _lists(db)
        assert set(lists) == {first, second}
        assert lists[second] == _ranked_alone(db, second) and "cat" not in lists[second]
        assert db.ids("horse", limit=5) == [second] and db.ids("cat", limit=5) == []
        with db.writing() as session:
            session.execute(delete(Photo).where(Photo.id == first))
        assert set(_lists(db)) == {second}
        assert db.ids("dog", limit=5) == []
    finally:
        db.close()


def test_on_postgresql_a_library_from_before_the_score_lists_gets_them(postgres_url: str) -> None:
    """Migration 10 makes the lists of the search rows already there."""
    with Library(postgres_url) as library:
        db = SearchDb(postgres_url)
        try:
            db.add([("a.jpg", "a dog on the beach", None, ["dog"]), ("b.jpg", "a dog", None, ())])
            expected = _lists(db)
        finally:
            db.close()
        with library.db.writing() as session:  # as revision 0009 left it
            run = session.connection().exec_driver_sql
            run(f"DROP TABLE {search_terms.TABLE}")
            run("UPDATE alembic_version SET version_num = '0009'")
            run("UPDATE meta SET value = '9' WHERE key = 'schema_version'")
    with Library(postgres_url) as library:
        db = SearchDb(postgres_url)
        try:
            assert _lists(db) == expected and len(expected) == 2
            with library.db.reading() as session:
                assert session.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0010"
            assert db.ids("dog", limit=1) == db.ids("dog")[:1]
        finally:
            db.close()


def test_on_postgresql_a_photo_indexed_by_two_writers_at_once_keeps_one_score_per_word(postgres_url: str) -> None:
    """Two transactions writing one photo's search row (a worker storing its caption while someone edits it): the
    second waits for the first's row; its scores then replace the first's instead of joining them."""
    first, second = SearchDb(postgres_url), SearchDb(postgres_url)
    try:
        (photo,) = first.add([("a.jpg", "a cat", None, ())])

        def write_later() -> None:
            with second.db.writing(serialised=False) as session:  # (as the queue stores captions)
                search.index_photo(session, photo, "a.jpg", "a white horse", None, ["horse"])

        with first.db.writing(serialised=False) as session:
            search.index_photo(session, photo, "a.jpg", "a dog", None, ["dog"])
            thread = threading.Thread(target=write_later)
            thread.start()

            def waiting() -> bool:
                with first.reading() as reading:
                    sql = "SELECT count(*) FROM pg_locks WHERE locktype = 'transactionid' AND NOT granted"
                    return reading.connection().exec_driver_sql(sql).scalar() == 1

            wait_for(waiting, timeout=30, what="the second writer waiting for the photo's search row")
        thread.join(timeout=30)
        with first.reading() as session:
            sql = f"SELECT lexeme, score FROM {search_terms.TABLE} WHERE photo_id = %(id)s ORDER BY lexeme"
            rows = session.connection().exec_driver_sql(sql, {"id": photo}).all()
        assert [tuple(row) for row in rows] == sorted(_ranked_alone(first, photo).items())
        assert {lexeme for lexeme, _ in rows} >= {"hors", "white"} and "dog" not in {lexeme for lexeme, _ in rows}
    finally:
        first.close()
        second.close()


def test_on_postgresql_a_photo_holding_two_words_of_a_prefix_is_ranked_by_both(postgres_url: str) -> None:
    """``sun*`` ranks a photo by "sunset" and "sunny" together: one holding both in a long caption scores low in
    each word's list (past the rows read) but first on the page, which the lists still prove."""
    db = SearchDb(postgres_url)
    try:
        singles = db.add(
            [(f"{n}.jpg", f"{word} by the sea", None, ()) for word in ("sunset", "sunny") for n in range(30)]
        )
        (both,) = db.add([("both.jpg", "sunset on a sunny day by the old sea", None, ())])
        with db.reading() as session:
            found = search_tsvector.best(session, parse_query("sun*"), 3)
            assert found is not None and found == search.matching_ids(session, parse_query("sun*"))[:3]
        assert [photo_id for photo_id, _ in found] == [both, singles[0], singles[1]]
    finally:
        db.close()
