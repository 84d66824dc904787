"""What every full-text search implementation must do, run on each (SQLite FTS5 and PostgreSQL tsvector) at the
search layer: the search language, file names and words split alike, odd input, writing and removing rows."""

from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import delete, func, select

from photoscribe.library import search, search_tsvector
from photoscribe.library.database import Database
from photoscribe.library.models import Photo
from photoscribe.library.query import parse_query
from photoscribe.library.search import Dialect
from tests.library.search_engines import SearchDb

#: The captions of ``test_library.searchable``, stored as its photos' are (file names 1.jpg to 5.jpg).
CAPTIONS = {
    "1.jpg": "a dog running on the beach",
    "2.jpg": "two dogs playing on a sandy beach next to the sea and a dog house",
    "3.jpg": "a red stone wall",
    "4.jpg": "a wall of red stones and a beach bar",
    "5.jpg": "a bear in the forest",
}


@pytest.fixture
def named(search_db: SearchDb) -> dict[int, str]:
    """The photos of :data:`CAPTIONS`: file name by id."""
    ids = search_db.add([(name, caption, None, caption.split()[-2:]) for name, caption in CAPTIONS.items()])
    return dict(zip(ids, CAPTIONS, strict=True))


def names(search_db: SearchDb, named: dict[int, str], text: str, limit: int | None = None) -> list[str]:
    return [named[i] for i in search_db.ids(text, limit)]


def test_the_search_language_beyond_test_library(search_db: SearchDb, named: dict[int, str]) -> None:
    """``test_library``'s search tests run on both engines through the Library; these are the cases they leave."""
    assert sorted(names(search_db, named, "BEACHES")) == ["1.jpg", "2.jpg", "4.jpg"]
    assert sorted(names(search_db, named, "beaches*")) == ["1.jpg", "2.jpg", "4.jpg"]  # stemmed, as FTS5 does
    assert names(search_db, named, "fores*") == ["5.jpg"]
    assert names(search_db, named, '"wall red"') == []
    assert names(search_db, named, "dog -dog") == []
    assert names(search_db, named, "-beach") == ["3.jpg", "5.jpg"]  # only exclusions: the others, by id
    assert sorted(names(search_db, named, "jpg")) == sorted(CAPTIONS)
    assert search_db.ids("bea*", limit=2) == search_db.ids("bea*")[:2]
    assert search_db.scored("") == [(i, 0.0) for i in sorted(named)]  # every photo, by id
    assert search_db.ids("  - * ") == sorted(named)
    with search_db.reading() as session:
        found = search.matching_any(session, parse_query("forest stone*").terms)
        assert sorted(named[i] for i in found) == ["3.jpg", "4.jpg", "5.jpg"]
        assert search.matching_any(session, ()) == set()


def test_file_names_and_words_split_as_fts5_splits_them(search_db: SearchDb) -> None:
    img, cafe, rock = search_db.add(
        [
            ("IMG_1234.jpg", None, None, ()),
            ("x.jpg", "a café in Zürich", None, ()),
            ("y.jpg", None, "rock'n'roll night", ("e-mail",)),
        ]
    )
    for text in ("img", "1234", "IMG_1234.jpg", "img_1234", "IMG*", "12*"):
        assert search_db.ids(text) == [img], text
    for text in ("cafe", "CAFÉ", "zurich", '"cafe in zürich"'):
        assert search_db.ids(text) == [cafe], text
    for text in ("rock'n'roll", '"rock n roll"', "roll", "e-mail", "mail"):
        assert search_db.ids(text) == [rock], text
    assert search_db.ids("jpg.1234") == []  # a phrase: "jpg" is not followed by "1234"


def test_words_are_stemmed_by_porters_stemmer_on_both(search_db: SearchDb) -> None:
    """FTS5's stemmer is Porter's; PostgreSQL's 'english' configuration has its successor, which stems "news" and
    "skies" otherwise."""
    news, skies, playing = search_db.captioned(["a man reading the news", "grey skies", "two boys playing"])
    assert search_db.ids("new") == [news] and search_db.ids("ski") == [skies] and search_db.ids("plays") == [playing]
    assert search_db.ids("playi*") == []  # stemmed "plai", as FTS5 stems it


def test_two_letter_words_ending_in_s_are_stemmed_on_postgresql_only(search_db: SearchDb) -> None:
    """A difference in what matches (see ``search_tsvector.py``): snowball's Porter stems "is" to "i"."""
    this_is, i_am = search_db.captioned(["this is it", "i am here"])
    assert sorted(search_db.ids("is")) == ([this_is] if search_db.dialect is Dialect.SQLITE else [this_is, i_am])


def test_superscript_digits_and_very_long_words_are_found(search_db: SearchDb) -> None:
    """PostgreSQL's parser reads "²" as a space and leaves out words of 2,047 bytes or more: the PostgreSQL half
    puts the digit in its place and cuts long words, so both are found on both engines."""
    long_word = "z" * 3000
    water, square, long = search_db.captioned(["H₂O in a glass", "x² on a blackboard", f"a {long_word} here"])
    assert search_db.ids("h₂o") == [water] and search_db.ids('"x² on"') == [square]
    assert search_db.ids(long_word) == [long] and search_db.ids("z" * 2500 + "*") == [long]
    assert search_db.ids("x2") == ([] if search_db.dialect is Dialect.SQLITE else [square])  # the digit: PostgreSQL


PUNCTUATION = [
    '"', "'", "\\", "AND", "OR NOT", "a*b", "NEAR(", "col:umn", "-", "üñíçødé", "dog:*", "dog:A", "dog&cat", "dog|cat",
    "!dog", "dog<->cat", "(dog", "dog)", "%s", "%(t0)s", "{dog}", "dog'; DROP TABLE photos; --", "_", "__*", "'*'",
    "dog\x00cat", "\u200b", "'dog' & 'cat'", "dog::tsquery", "$1", "?", ":id",
]  # fmt: skip


@pytest.mark.parametrize("bulk", [True, False])
def test_odd_input_is_never_an_error(search_db: SearchDb, bulk: bool) -> None:
    texts = [(f"{n}.jpg", t, t, [t]) for n, t in enumerate(PUNCTUATION)]
    ids = search_db.add([*texts, ("dog.jpg", "a dog and a cat", None, ())], bulk=bulk)
    for text in PUNCTUATION:
        search_db.ids(text)
        search_db.ids(f"-{text}")
        search_db.ids(f'"{text}"* dog -{text}*')
    adjacent = search_db.ids("dog&cat")  # the phrase "dog cat", as FTS5 reads it: not "a dog and a cat"
    assert adjacent == search_db.ids('"dog cat"') and ids[PUNCTUATION.index("dog&cat")] in adjacent
    assert ids[-1] not in adjacent and ids[-1] in search_db.ids("dog cat")
    assert search_db.ids("_") == [] and search_db.ids("dog _") == []  # a term with no word matches nothing
    assert search_db.ids("dog -_") == search_db.ids("dog")  # and leaves out nothing
    with search_db.reading() as session:
        assert session.scalar(select(func.count()).select_from(Photo)) == len(PUNCTUATION) + 1


def test_rows_are_replaced_and_removed(search_db: SearchDb) -> None:
    first, second = search_db.add([("a.jpg", "a dog on a beach", None, ("dog",)), ("b.jpg", "a cat", None, ())])
    with search_db.writing() as session:
        search.index_photo(session, first, "a.jpg", "a horse", "my horse", ["horse"])
    assert search_db.ids("dog") == [] and search_db.ids("horse") == [first]
    with search_db.writing() as session:
        search.index_photos(
            session,
            [
                search.SearchRow(second, "b.jpg", "a cat", None, ()),
                search.SearchRow(second, "b.jpg", "a horse too", None, ()),
            ],
        )
        search.index_photos(session, [])
    assert search_db.ids("horse") == [first, second] and search_db.ids("cat") == []
    with search_db.writing() as session:
        search.remove_photo(session, first)
        search.remove_photo(session, first)  # already gone: nothing to do
    assert search_db.ids("horse") == [second]
    assert search_db.ids("-horse") == [first]  # a photo without a search row matches only exclusions


def test_bulk_rows_are_the_rows_written_one_by_one(search_db: SearchDb) -> None:
    texts = [
        ("IMG_0001.jpg", "a dog running on the beach", "Rex at Biarritz", ("dog", "beach")),
        ("IMG_0002.jpg", "a cat sleeping on a sofa", None, ("cat", "Biarritz")),
        ("dog.jpg", None, None, ()),
    ]
    bulk = search_db.add(texts)
    single = search_db.add(texts, bulk=False)
    for text in ("dog", "biarritz", "img*", "-cat", "rex", "sofa", '"on the beach"'):
        scored = search_db.scored(text)
        in_bulk = [(bulk.index(i), score) for i, score in scored if i in bulk]
        assert in_bulk and in_bulk == [(single.index(i), score) for i, score in scored if i in single], text


def test_on_postgresql_a_deleted_photo_takes_its_search_row_and_matches_use_the_gin_index(postgres_url: str) -> None:
    db = SearchDb(postgres_url)
    try:
        gone, kept = db.add([("a.jpg", "a dog", None, ()), ("b.jpg", "a dog", None, ())])
        with db.writing() as session:
            session.execute(delete(Photo).where(Photo.id == gone))
        assert db.ids("dog") == [kept]
        with db.reading() as session:
            session.connection().exec_driver_sql("SET LOCAL enable_seqscan = off")  # (else read whole: so small)
            select_sql, order, parameters = search_tsvector._plan(parse_query('dog* -"a cat" bea*'))
            explain = f"EXPLAIN {select_sql} ORDER BY {order}"
            plan = session.connection().exec_driver_sql(explain, parameters).all()
            assert "photo_search_document" in " ".join(row[0] for row in plan)
    finally:
        db.close()


def test_on_postgresql_the_index_keeps_few_new_entries_unsorted(postgres_url: str) -> None:
    """Every search reads the GIN index's pending list whole: after 3,000 new photos it holds at most 512 kB (64
    pages of 8 kB), not the 115 pages PostgreSQL's default 4 MB leaves there."""
    db = SearchDb(postgres_url)
    try:
        db.captioned([f"a dog number {n} running on the beach at sunset with a red ball" for n in range(3000)])
        with db.writing() as session:
            merge = f"SELECT gin_clean_pending_list('{search_tsvector.TABLE}_document')"
            assert session.connection().exec_driver_sql(merge).scalar() <= 64  # (autovacuum may have merged it)
    finally:
        db.close()


def test_on_postgresql_a_prepared_search_makes_its_tsqueries_once_not_for_every_row(postgres_url: str) -> None:
    """psycopg prepares a statement run 5 times, and PostgreSQL's plan for it may then be generic (forced here):
    the search's tsqueries are computed once there too, not by to_tsquery on a parameter for every row."""
    db = SearchDb(postgres_url)
    try:
        db.add([("a.jpg", "a dog at sunset", None, ())])
        select_sql, order, parameters = search_tsvector._plan(parse_query('sunset do* -"a cat"'))
        names = list(parameters)
        numbered = re.sub(r"%\((t\d+)\)s", lambda m: f"CAST(${names.index(m[1]) + 1} AS text)", select_sql)
        values = ", ".join(f"'{parameters[name]}'" for name in names)
        with db.reading() as session:
            run = session.connection().exec_driver_sql
            run("SET LOCAL plan_cache_mode = force_generic_plan")
            run(f"PREPARE page AS {numbered} ORDER BY {order} LIMIT 100")
            try:
                plan = [row[0] for row in run(f"EXPLAIN (VERBOSE) EXECUTE page({values})")]
                assert [row[0] for row in run(f"EXECUTE page({values})")] == [1]
            finally:
                run("DEALLOCATE page")
        for_every_row = [line for line in plan if "document" in line]
        assert for_every_row and not [line for line in for_every_row if "to_tsquery" in line]
    finally:
        db.close()


def test_on_postgresql_libraries_created_at_once_make_the_text_search_configuration_once(postgres_url: str) -> None:
    """The configuration without stop words is made with the search table, under the library's write lock: four
    processes creating one library at once all open it; made again, nothing changes."""
    start = threading.Barrier(4)

    def create(_: int) -> Database:
        start.wait()
        return Database(postgres_url)

    with ThreadPoolExecutor(4) as pool:
        opened = list(pool.map(create, range(4)))
    try:
        with opened[0].writing() as session:
            search.create_index(session.connection())
        with opened[1].reading() as session:
            read = session.connection().exec_driver_sql
            made = read(f"SELECT cfgname FROM pg_ts_config WHERE cfgname = '{search_tsvector.CONFIG}'").all()
            assert made == [(search_tsvector.CONFIG,)]
            stems = read(f"SELECT to_tsvector('{search_tsvector.CONFIG}', 'The dogs were playing down there')")
            assert stems.scalar() == "'dog':2 'down':5 'plai':4 'the':1 'there':6 'were':3"
    finally:
        for db in opened:
            db.close()
