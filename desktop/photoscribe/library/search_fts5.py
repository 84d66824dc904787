"""Full-text search with SQLite FTS5 (SQLite's half of ``search.py``; ``search_tsvector.py`` is PostgreSQL's).

One FTS5 row per photo, rowid = photo id, holding the file name, the model's caption, the user's caption and
the keywords in force. The Porter stemmer makes "dogs" find "dog"; bm25 ranks best matches first.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, text
from sqlalchemy.orm import Session

from photoscribe.library.query import Query, Term

if TYPE_CHECKING:
    import numpy as np

    from photoscribe.library.search import SearchRow

TABLE = "photo_search"
COLUMNS = ("filename", "model_caption", "user_caption", "keywords")
#: bm25 weights per column: the user's own words count most, file names least.
WEIGHTS = (1.0, 4.0, 6.0, 3.0)
ROWS_PER_DELETE = 500


def create_index(conn: Connection) -> None:
    """Create the FTS5 table (with a new library's schema; schema migration 1 made it in old ones)."""
    conn.execute(
        text(
            f"CREATE VIRTUAL TABLE IF NOT EXISTS {TABLE} USING fts5("
            f"{', '.join(COLUMNS)}, tokenize = 'porter unicode61 remove_diacritics 2')"
        )
    )


def index_photos(session: Session, rows: Sequence[SearchRow]) -> None:
    """Replace the search rows of these photos: old rows deleted by chunks (FTS5 has no upsert; a reused id may
    have left one), the new ones inserted in one executemany."""
    ids = [row.photo_id for row in rows]
    for start in range(0, len(ids), ROWS_PER_DELETE):
        chunk = ",".join(str(int(i)) for i in ids[start : start + ROWS_PER_DELETE])
        session.execute(text(f"DELETE FROM {TABLE} WHERE rowid IN ({chunk})"))
    if rows:
        values = [
            {"id": i, "f": name, "m": model or "", "u": people or "", "k": " ".join(words)}
            for i, name, model, people, words in rows
        ]
        statement = f"INSERT INTO {TABLE}(rowid, {', '.join(COLUMNS)}) VALUES (:id, :f, :m, :u, :k)"
        session.execute(text(statement), values)


def remove_photo(session: Session, photo_id: int) -> None:
    """Drop the search row of ``photo_id``, if any."""
    session.execute(text(f"DELETE FROM {TABLE} WHERE rowid = :id"), {"id": photo_id})


def matching_ids(session: Session, query: Query, limit: int | None = None) -> list[tuple[int, float]]:
    """Photo ids matching ``query`` with their scores (higher is better), best first."""
    return [(int(photo_id), float(score)) for photo_id, score in _matching(session, query, limit)]


def matching_id_array(session: Session, query: Query) -> np.ndarray:
    """The ids of :func:`matching_ids`, best first, as an int64 array (for hybrid search's arithmetic).

    SQLite joins them into one string (``group_concat`` over the ordered rows, which it reads in their order):
    12,000 matches come back in 14 ms instead of 17.5, and as one Python object instead of 12,000 tuples."""
    import numpy as np  # (not at the top: words-only searches never need numpy)

    sql, parameters = _matching_sql(query, None, scored=False)
    joined = _fetch(session, f"SELECT group_concat(id) FROM ({sql})", parameters)[0][0]
    return np.fromstring(joined, dtype=np.int64, sep=",") if joined else np.zeros(0, dtype=np.int64)


def _matching(session: Session, query: Query, limit: int | None) -> Sequence[Sequence[Any]]:
    """(id, score) rows best first. Read through the driver: 12,000 matches come back in half the time the ORM's
    result rows take (bm25 itself costs about 1 µs a match)."""
    return _fetch(session, *_matching_sql(query, limit, scored=True))


def _matching_sql(query: Query, limit: int | None, *, scored: bool) -> tuple[str, tuple[str, ...]]:
    """SQL and parameters for the matching photos best first: (id, score) rows, or (id) rows when not ``scored``
    (in the same order: best bm25 first, then by id)."""
    included = _any_of(query.included, "AND")
    excluded = _any_of(query.excluded, "OR")
    limit_sql = "" if limit is None else f" LIMIT {int(limit)}"
    if included:
        expression = f"({included}) NOT ({excluded})" if excluded else included
        rank = f"bm25({TABLE}, {', '.join(str(w) for w in WEIGHTS)})"
        columns, order = (f"rowid AS id, -{rank} AS score", "score DESC") if scored else ("rowid AS id", rank)
        sql = f"SELECT {columns} FROM {TABLE} WHERE {TABLE} MATCH ? ORDER BY {order}, rowid{limit_sql}"
        return sql, (expression,)
    columns = "id, 0.0" if scored else "id"
    if excluded:
        sql = (
            f"SELECT {columns} FROM photos WHERE id NOT IN "
            f"(SELECT rowid FROM {TABLE} WHERE {TABLE} MATCH ?) ORDER BY id{limit_sql}"
        )
        return sql, (excluded,)
    return f"SELECT {columns} FROM photos ORDER BY id{limit_sql}", ()


def matching_any(session: Session, terms: tuple[Term, ...]) -> set[int]:
    """Ids of the photos matching any of ``terms`` (used to leave excluded photos out of meaning hits)."""
    if not terms:
        return set()
    rows = _fetch(session, f"SELECT rowid FROM {TABLE} WHERE {TABLE} MATCH ?", (_any_of(terms, "OR"),))
    return {int(row[0]) for row in rows}


def _fetch(session: Session, sql: str, parameters: tuple[str, ...]) -> Sequence[Sequence[Any]]:
    return session.connection().exec_driver_sql(sql, parameters).fetchall()


def _any_of(terms: tuple[Term, ...], operator: str) -> str:
    return f" {operator} ".join(_fts_term(t) for t in terms)


def _fts_term(term: Term) -> str:
    quoted = '"' + term.text.replace('"', '""') + '"'
    return quoted + "*" if term.prefix else quoted
