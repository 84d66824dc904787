"""Full-text search with PostgreSQL's tsvector (PostgreSQL's half of ``search.py``; ``search_fts5.py`` is SQLite's).

One row per photo in ``photo_search``: the photo's id and one tsvector of its texts, each field weighted as the
FTS5 table's columns are (what people wrote A, the model's caption B, the keywords C, the file name D), searched
through a GIN index and ranked by ``ts_rank_cd`` with weights in the proportions of FTS5's bm25 weights.

- Texts are split into words in Python as FTS5's unicode61 tokenizer splits them (runs of letters and digits,
  diacritics removed) before PostgreSQL reads them: "IMG_1234.jpg" is found by ``img`` and ``1234``, "café" by
  ``cafe``, and a query's words and phrases are lexemes joined by ``<->``, so no punctuation a user types can reach
  the tsquery parser. Every term is a bound parameter. Two things PostgreSQL would not index are changed: digits
  its parser does not read (superscripts, subscripts, circled numbers) become the digits they stand for (FTS5
  finds "x²" by ``x²`` only, PostgreSQL by ``x2`` too), and words over :data:`MAX_WORD_BYTES` are cut there
  (PostgreSQL leaves out lexemes of 2,047 bytes or more; cut, such a word is still found by the whole word).
- The library's own text search configuration, ``photoscribe`` (made with the search table), stems words with
  Porter's stemmer, as FTS5's porter tokenizer does ("dogs" finds "dog"), and keeps every word: no stop words, so
  "the" is searched, ``-the`` leaves out and ``do*`` finds "down", as in FTS5. Of 3,224 words of English prose,
  7 are stemmed otherwise than by FTS5 (two-letter words ending in "s", "is" to "i", which FTS5 leaves alone;
  "possibly"); PostgreSQL's 'english' configuration, Porter's later stemmer, stems 106 otherwise.
- A lexeme no query can hold (``_``) sits 100 positions between fields, so that a phrase never spans two fields
  (FTS5 matches a phrase within one column).
- The score is ``ts_rank_cd`` normalised by length (2): the weights of the places the query's words hold, summed,
  divided by the document's length in words, where each of the three ``_`` holds two places: 6 words, about a
  third of an average search row, as bm25 (b = 0.75) adds a third of the average length to every row's. A phrase
  counts by the places of its longest word (see :func:`_term`). FTS5's bm25 sums those weights per word or phrase,
  saturates each sum, weighs rare words more and divides by the row's length against the average row's. The two
  order 98% of the pairs of photos alike (``ranking_agreement`` in ``benchmarks/bench_search_engines.py``; 81%
  with 'english' and ts_rank). What differs: a word said many times ("dog dog dog" written beside a caption of ten
  words ranks before "dog" alone here, after it in bm25), how rare each word of a query of several is ("a dog":
  bm25 counts "dog" more than "a", ts_rank_cd alike) and a phrase's longest word said outside the phrase.
- A search with a limit (a page: ``photoscribe search``) is not ranked over every match where the words' score
  lists (``search_terms.py``, written with the search rows) prove its page: one common word, a phrase, a word with
  exclusions or a prefix at a million photos take about 1 ms instead of 100-260 ms. The page is the full
  ranking's first page, scores and order alike; where the lists prove nothing (several common words) every match
  is ranked, as the app's grid and search by meaning always do.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, text
from sqlalchemy.orm import Session

from photoscribe.library import search_fts5, search_terms
from photoscribe.library.query import Query, Term

if TYPE_CHECKING:
    import numpy as np

    from photoscribe.library.search import SearchRow

TABLE = "photo_search"
#: The text search configuration of documents and queries: 'english' with its words stemmed by :data:`STEMMER`.
CONFIG = "photoscribe"
#: Porter's stemmer without stop words (snowball's 'porter' is FTS5's; 'english' is Porter's later Porter2).
STEMMER = "photoscribe_porter"
_WORDS = "asciiword, asciihword, hword_asciipart, word, hword, hword_part"  # the token types 'english' stems
#: ts_rank_cd's weights, in its order D, C, B, A (file name, keywords, model caption, what people wrote): FTS5's
#: bm25 weights of those columns (1, 3, 4, 6), divided by the largest.
_BY_COLUMN = dict(zip(search_fts5.COLUMNS, search_fts5.WEIGHTS, strict=True))
_ORDER = ("filename", "keywords", "model_caption", "user_caption")
_WEIGHTS = tuple(round(_BY_COLUMN[c] / max(search_fts5.WEIGHTS), 4) for c in _ORDER)
RANK_WEIGHTS = "{" + ",".join(f"{w:.4f}" for w in _WEIGHTS) + "}"
#: ts_rank_cd's normalisation: 2 divides by the document's length in words (its positions).
RANK_NORMALISATION = 2
#: (unnest column, weight) of each field; the fields are joined with :data:`GAP` between them.
FIELDS = (("u", "A"), ("m", "B"), ("k", "C"), ("f", "D"))
GAP = "CAST('_:99,100' AS tsvector)"
ROWS_PER_STATEMENT = 5000
#: The most new index entries the GIN index holds unsorted (its pending list, which every search reads whole
#: until the list is merged): 4 MB by default, 2.5 ms more per search; 512 kB, 0.3 ms, writing no slower.
PENDING_LIST_KB = 512
#: Words are cut to their first 1,024 bytes: lower-cased and stemmed, they stay under PostgreSQL's 2,047.
MAX_WORD_BYTES = 1024

_WORD = re.compile(r"[^\W_]+")  # letters and digits: FTS5 unicode61's token characters (L*, N*)
_DIACRITICS = re.compile("[\u0300-\u036f]")  # combining diacritical marks (what remove_diacritics drops)
#: Superscript, subscript and circled digits and numbers (Unicode's "other numbers" a word may hold, which
#: PostgreSQL's parser reads as spaces).
_NUMBER_FORMS = re.compile(
    "[\u00b2\u00b3\u00b9\u2070\u2074-\u2079\u2080-\u2089\u2460-\u249b\u24ea\u3251-\u325f\u32b1-\u32bf]"
)
_DOCUMENT = f" || {GAP} || ".join(f"setweight(to_tsvector('{CONFIG}', r.{c}), '{w}')" for c, w in FIELDS)
_INSERT = (
    f"INSERT INTO {TABLE} (photo_id, document) SELECT r.id, {_DOCUMENT} FROM unnest(CAST(:ids AS integer[]), "
    f"{', '.join(f'CAST(:{c} AS text[])' for c, _ in FIELDS)}) AS r(id, {', '.join(c for c, _ in FIELDS)}) "
    "ON CONFLICT (photo_id) DO UPDATE SET document = excluded.document"
)
#: The words' scores of the search rows just written (``search_terms.py``).
_SCORES = search_terms.replacing("CAST(:ids AS integer[])", _WEIGHTS)


def create_index(conn: Connection) -> None:
    """Create the text search configuration, the search table and its GIN index (with a new library's schema: under
    the library's write lock, so two processes creating a library at once make them once), unless there."""
    here = "cfgnamespace = to_regnamespace(current_schema())"
    if conn.execute(text(f"SELECT 1 FROM pg_ts_config WHERE cfgname = '{CONFIG}' AND {here}")).first() is None:
        conn.execute(text(f"CREATE TEXT SEARCH DICTIONARY {STEMMER} (TEMPLATE = snowball, Language = porter)"))
        conn.execute(text(f"CREATE TEXT SEARCH CONFIGURATION {CONFIG} (COPY = english)"))
        conn.execute(text(f"ALTER TEXT SEARCH CONFIGURATION {CONFIG} ALTER MAPPING FOR {_WORDS} WITH {STEMMER}"))
    conn.execute(
        text(
            f"CREATE TABLE IF NOT EXISTS {TABLE} (photo_id integer PRIMARY KEY REFERENCES photos (id) "
            "ON DELETE CASCADE, document tsvector NOT NULL)"
        )
    )
    conn.execute(
        text(
            f"CREATE INDEX IF NOT EXISTS {TABLE}_document ON {TABLE} USING gin (document) "
            f"WITH (gin_pending_list_limit = {PENDING_LIST_KB})"
        )
    )
    search_terms.create_table(conn)


def add_term_scores(conn: Connection) -> None:
    """Give a library made before them its words' score lists (``search_terms.py``), from its search rows (at a
    million photos, about a minute); nothing on SQLite."""
    if conn.dialect.name == "postgresql":
        search_terms.create_table(conn, filled=search_terms.fill_sql(_WEIGHTS))


def words(value: str | None) -> list[str]:
    """The words of ``value`` as FTS5's unicode61 tokenizer finds them: runs of letters and digits, diacritics
    removed (``"IMG_1234.jpg"``: img, 1234, jpg; ``"Café"``: Cafe); a superscript or circled digit is the digit
    (``"H₂O"``: H2O) and a word is cut at :data:`MAX_WORD_BYTES`."""
    if not value:
        return []
    if not value.isascii():
        value = unicodedata.normalize("NFC", _DIACRITICS.sub("", unicodedata.normalize("NFD", value)))
        value = _NUMBER_FORMS.sub(lambda m: "".join(_WORD.findall(unicodedata.normalize("NFKC", m[0]))), value)
    found = _WORD.findall(value)
    if len(value) > MAX_WORD_BYTES // 4:  # (a word of fewer characters has fewer bytes)
        found = [w.encode()[:MAX_WORD_BYTES].decode(errors="ignore") for w in found]
    return found


def index_photos(session: Session, rows: Sequence[SearchRow]) -> None:
    """Insert or replace the search rows of these photos (one each: an upsert may touch a row once), a few
    thousand per statement (arrays unnested), then their words' scores."""
    for start in range(0, len(rows), ROWS_PER_STATEMENT):
        chunk = rows[start : start + ROWS_PER_STATEMENT]
        ids = [row.photo_id for row in chunk]
        session.execute(
            text(_INSERT),
            {
                "ids": ids,
                "u": [" ".join(words(row.user_caption)) for row in chunk],
                "m": [" ".join(words(row.model_caption)) for row in chunk],
                "k": [" ".join(words(" ".join(row.keywords))) for row in chunk],
                "f": [" ".join(words(row.filename)) for row in chunk],
            },
        )
        session.execute(text(_SCORES), {"ids": ids})


def remove_photo(session: Session, photo_id: int) -> None:
    """Drop the search row of ``photo_id``, if any, and its words' scores (deleting the photo drops them too)."""
    session.execute(text(f"DELETE FROM {TABLE} WHERE photo_id = :id"), {"id": photo_id})


def matching_ids(session: Session, query: Query, limit: int | None = None) -> list[tuple[int, float]]:
    """Photo ids matching ``query`` with their ts_rank_cd scores, best first, equal scores by id. With ``limit``,
    the words' score lists find the best without ranking every match, where they can (``search_terms.py``)."""
    found = None if limit is None else best(session, query, limit)
    if found is not None:
        return found
    plan = _plan(query)
    if plan is None:
        return []
    select, order, parameters = plan
    limit_sql = "" if limit is None else f" LIMIT {int(limit)}"
    rows = _fetch(session, f"{select} ORDER BY {order}{limit_sql}", parameters)
    return [(int(photo_id), float(score)) for photo_id, score in rows]


def best(session: Session, query: Query, limit: int) -> list[tuple[int, float]] | None:
    """The first ``limit`` of :func:`matching_ids` found from the words' score lists, without ranking every match
    (``search_terms.py``); ``None`` where that is not proven cheaply, or the query has no word to rank by."""
    scored = _scored(query)
    if scored is None or scored[1] is None:
        return None
    where, rank, parameters = scored
    ranked = [_ranked_word(words(t.text), t.prefix) for t in query.included]
    return search_terms.top(session, ranked, where, rank, parameters, limit, CONFIG)


def matching_id_array(session: Session, query: Query) -> np.ndarray:
    """The ids of :func:`matching_ids`, in its order, as an int64 array: joined into one string by the server
    (``string_agg`` in the same order), one Python object instead of a tuple per match."""
    import numpy as np  # (not at the top: words-only searches never need numpy)

    plan = _plan(query)
    if plan is None:
        return np.zeros(0, dtype=np.int64)
    select, order, parameters = plan
    joined = _fetch(session, f"SELECT string_agg(id::text, ',' ORDER BY {order}) FROM ({select}) AS hits", parameters)
    return np.fromstring(joined[0][0], dtype=np.int64, sep=",") if joined[0][0] else np.zeros(0, dtype=np.int64)


def matching_any(session: Session, terms: tuple[Term, ...]) -> set[int]:
    """Ids of the photos matching any of ``terms``."""
    parameters: dict[str, str] = {}
    queries = [q for q in (_term(t, parameters) for t in terms) if q is not None]
    if not queries:
        return set()
    rows = _fetch(session, f"SELECT photo_id FROM {TABLE} WHERE document @@ {_once(queries, '||')}", parameters)
    return {int(row[0]) for row in rows}


def _plan(query: Query) -> tuple[str, str, dict[str, str]] | None:
    """(SELECT of (id, score) rows, ORDER BY keys best first, parameters) for the photos matching ``query``;
    ``None`` when nothing can match (an included term without a letter or digit, as in FTS5)."""
    scored = _scored(query)
    if scored is None:
        return None
    where, rank, parameters = scored
    if rank is not None:
        return f"SELECT photo_id AS id, {rank} AS score FROM {TABLE} WHERE {where}", "score DESC, id", parameters
    where = f" WHERE id NOT IN (SELECT photo_id FROM {TABLE} WHERE {where})" if where else ""
    return f"SELECT id, CAST(0 AS real) AS score FROM photos{where}", "id", parameters


def _scored(query: Query) -> tuple[str, str | None, dict[str, str]] | None:
    """(the condition on ``document`` of the photos matching ``query``, the SQL of their score, parameters); for a
    query without included terms, no score and the condition of the photos left out ('' if none). ``None`` when
    nothing can match (an included term without a letter or digit, as in FTS5)."""
    parameters: dict[str, str] = {}
    included = [q for q in (_term(t, parameters) for t in query.included) if q is not None]
    if len(included) < len(query.included):
        return None
    excluded = [q for q in (_term(t, parameters) for t in query.excluded) if q is not None]
    left_out = f"document @@ {_once(excluded, '||')}" if excluded else ""
    if not included:
        return left_out, None, parameters
    ranked = [q for q in (_term(t, parameters, ranked=True) for t in query.included) if q is not None]
    rank = f"ts_rank_cd('{RANK_WEIGHTS}', document, {_once(ranked, '||')}, {RANK_NORMALISATION})"
    where = f"document @@ {_once(included, '&&')}" + (f" AND NOT {left_out}" if left_out else "")
    return where, rank, parameters


def _once(queries: list[str], operator: str) -> str:
    """The tsquery of ``queries`` joined by ``operator``, made once per statement (a scalar subquery: an InitPlan).
    Written in place, the plan a prepared statement gets (psycopg prepares a statement run 5 times) would call
    to_tsquery on its parameter for every row: 26 ms instead of 9 for ``sunset -dog`` on 100,000 photos."""
    return f"(SELECT {f' {operator} '.join(queries)})"


def _term(term: Term, parameters: dict[str, str], *, ranked: bool = False) -> str | None:
    """SQL for the tsquery of one term, its text added to ``parameters`` (``None``: the term has no word).

    A word or phrase is its lexemes joined by ``<->`` (stemmed by :data:`CONFIG`); a prefix marks the last one
    ``:*``, stemmed as FTS5 stems it ("beaches*" finds "beach"). ``ranked``: the tsquery that ranks the term, a
    phrase's longest word (ts_rank_cd takes 3 µs a row to find where a phrase is: 19 ms for a page of
    ``"on the beach"`` on 100,000 photos instead of 5; FTS5 ranks the phrase's own places)."""
    found, prefix = words(term.text), term.prefix
    if not found:
        return None
    if ranked:
        word, prefix = _ranked_word(found, prefix)
        found = [word]
    name = f"t{len(parameters)}"
    parameters[name] = " <-> ".join(found) + (":*" if prefix else "")
    return f"to_tsquery('{CONFIG}', %({name})s)"


def _ranked_word(found: list[str], prefix: bool) -> tuple[str, bool]:
    """The word of a term (its words ``found``, the last a prefix or not) that ranks it, and whether that one is a
    prefix: its longest word (the last of equal length)."""
    longest = max(range(len(found)), key=lambda n: (len(found[n]), n))
    return found[longest], prefix and longest == len(found) - 1


def _fetch(session: Session, sql: str, parameters: dict[str, str]) -> Sequence[Sequence[Any]]:
    return session.connection().exec_driver_sql(sql, parameters).fetchall()
