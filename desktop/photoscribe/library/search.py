"""Full-text search behind one small interface, with an implementation per database.

- SQLite: an FTS5 table ranked by bm25 (``search_fts5.py``);
- PostgreSQL: a tsvector column with a GIN index ranked by ts_rank (``search_tsvector.py``), and each word's
  photos listed by score for a page of hits (``search_terms.py``).

Each function here picks the implementation by the dialect of the session or connection it is given. Both hold
one search row per photo (its file name, the model's caption unless the user replaced it, what people wrote, the
keywords in force), weigh those fields alike (what people wrote most, then the model's caption, the keywords, the
file name), stem English words ("dogs" finds "dog") and read the query language of ``query.py`` alike. Where the
two engines still differ is said in ``search_tsvector.py``'s docstring.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from types import ModuleType
from typing import TYPE_CHECKING, NamedTuple

from sqlalchemy import Connection
from sqlalchemy.orm import Session

from photoscribe.errors import LibraryError
from photoscribe.library import search_fts5, search_tsvector
from photoscribe.library.query import Query, Term

if TYPE_CHECKING:
    import numpy as np

#: The search table's name in both implementations (old SQLite migration steps write to the FTS5 table).
FTS_TABLE = search_fts5.TABLE


class SearchRow(NamedTuple):
    """What a photo's search row holds."""

    photo_id: int
    filename: str
    model_caption: str | None  # unless the user replaced it
    user_caption: str | None  # what people wrote: the user's caption and the file's own
    keywords: Sequence[str]  # the keywords in force


class Dialect(str, enum.Enum):
    """The databases full-text search runs on (SQLAlchemy's dialect names)."""

    SQLITE = "sqlite"
    POSTGRESQL = "postgresql"


_IMPLEMENTATIONS: dict[str, ModuleType] = {Dialect.SQLITE: search_fts5, Dialect.POSTGRESQL: search_tsvector}


def create_index(conn: Connection) -> None:
    """Create the search table (with a new library's schema)."""
    _implementation(conn).create_index(conn)


def index_photo(
    session: Session,
    photo_id: int,
    filename: str,
    model_caption: str | None,
    user_caption: str | None,
    keywords: Sequence[str],
) -> None:
    """Replace the search row of ``photo_id`` with these texts."""
    index_photos(session, [SearchRow(photo_id, filename, model_caption, user_caption, keywords)])


def index_photos(session: Session, rows: Sequence[SearchRow]) -> None:
    """Replace the search rows of these photos (a search row a reused id may have left goes), in few statements:
    the bulk path of photos just added. A photo given twice gets its last row."""
    if rows:
        _implementation(session).index_photos(session, list({row.photo_id: row for row in rows}.values()))


def remove_photo(session: Session, photo_id: int) -> None:
    """Drop the search row of ``photo_id``, if any."""
    _implementation(session).remove_photo(session, photo_id)


def matching_ids(session: Session, query: Query, limit: int | None = None) -> list[tuple[int, float]]:
    """Photo ids matching ``query`` with their scores (higher is better), best first, equal scores by id. A query
    of only exclusions gives every other photo by id (score 0), an empty query every photo."""
    return _implementation(session).matching_ids(session, query, limit)


def matching_id_array(session: Session, query: Query) -> np.ndarray:
    """The ids of :func:`matching_ids`, in its order, as an int64 array (for hybrid search's arithmetic)."""
    return _implementation(session).matching_id_array(session, query)


def matching_any(session: Session, terms: tuple[Term, ...]) -> set[int]:
    """Ids of the photos matching any of ``terms`` (used to leave excluded photos out of meaning hits)."""
    if not terms:
        return set()
    return _implementation(session).matching_any(session, terms)


def _implementation(bind: Session | Connection) -> ModuleType:
    dialect = bind.dialect if isinstance(bind, Connection) else bind.get_bind().dialect
    try:
        return _IMPLEMENTATIONS[dialect.name]
    except KeyError:
        raise LibraryError(f"full-text search needs SQLite or PostgreSQL, not {dialect.name}") from None
