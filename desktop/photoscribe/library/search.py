"""Full-text search with SQLite FTS5 (the SQLite-only part of the library; a PostgreSQL twin would use tsvector).

One FTS5 row per photo, rowid = photo id, holding the file name, the model's caption, the user's caption and
the keywords in force. The Porter stemmer makes "dogs" find "dog"; bm25 ranks best matches first.
"""

from __future__ import annotations

from sqlalchemy import Connection, text
from sqlalchemy.orm import Session

from photoscribe.library.query import Query, Term

FTS_TABLE = "photo_search"
COLUMNS = ("filename", "model_caption", "user_caption", "keywords")
#: bm25 weights per column: the user's own words count most, file names least.
WEIGHTS = (1.0, 4.0, 6.0, 3.0)


def create_index(conn: Connection) -> None:
    """Create the FTS5 table (schema migration 1)."""
    conn.execute(
        text(
            f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5("
            f"{', '.join(COLUMNS)}, tokenize = 'porter unicode61 remove_diacritics 2')"
        )
    )


def index_photo(
    session: Session,
    photo_id: int,
    filename: str,
    model_caption: str | None,
    user_caption: str | None,
    keywords: list[str],
) -> None:
    """Replace the search row of ``photo_id`` with these texts."""
    remove_photo(session, photo_id)
    session.execute(
        text(f"INSERT INTO {FTS_TABLE}(rowid, {', '.join(COLUMNS)}) VALUES (:id, :f, :m, :u, :k)"),
        {"id": photo_id, "f": filename, "m": model_caption or "", "u": user_caption or "", "k": " ".join(keywords)},
    )


def remove_photo(session: Session, photo_id: int) -> None:
    """Drop the search row of ``photo_id``, if any."""
    session.execute(text(f"DELETE FROM {FTS_TABLE} WHERE rowid = :id"), {"id": photo_id})


def matching_ids(session: Session, query: Query, limit: int | None = None) -> list[tuple[int, float]]:
    """Photo ids matching ``query`` with their scores (higher is better), best first."""
    included = _any_of(query.included, "AND")
    excluded = _any_of(query.excluded, "OR")
    limit_sql = "" if limit is None else f" LIMIT {int(limit)}"
    if included:
        expression = f"({included}) NOT ({excluded})" if excluded else included
        weights = ", ".join(str(w) for w in WEIGHTS)
        rows = session.execute(
            text(
                f"SELECT rowid, -bm25({FTS_TABLE}, {weights}) AS score FROM {FTS_TABLE} "
                f"WHERE {FTS_TABLE} MATCH :q ORDER BY score DESC, rowid{limit_sql}"
            ),
            {"q": expression},
        )
    elif excluded:
        rows = session.execute(
            text(
                f"SELECT id, 0.0 FROM photos WHERE id NOT IN "
                f"(SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH :q) ORDER BY id{limit_sql}"
            ),
            {"q": excluded},
        )
    else:
        rows = session.execute(text(f"SELECT id, 0.0 FROM photos ORDER BY id{limit_sql}"))
    return [(int(r[0]), float(r[1])) for r in rows]


def matching_any(session: Session, terms: tuple[Term, ...]) -> set[int]:
    """Ids of the photos matching any of ``terms`` (used to leave excluded photos out of meaning hits)."""
    if not terms:
        return set()
    rows = session.execute(
        text(f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH :q"), {"q": _any_of(terms, "OR")}
    )
    return {int(r[0]) for r in rows}


def _any_of(terms: tuple[Term, ...], operator: str) -> str:
    return f" {operator} ".join(_fts_term(t) for t in terms)


def _fts_term(term: Term) -> str:
    quoted = '"' + term.text.replace('"', '""') + '"'
    return quoted + "*" if term.prefix else quoted
