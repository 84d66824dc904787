"""Helpers of the tests every full-text search implementation must pass: photo rows and their search rows on one
library database (a SQLite file or a PostgreSQL database), written and read through its Sessions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import insert

from photoscribe.library import search
from photoscribe.library.database import Database
from photoscribe.library.models import Photo, PhotoStatus
from photoscribe.library.query import parse_query
from photoscribe.library.search import SearchRow

#: (file name, model caption, what people wrote, keywords) of a photo's search row.
Texts = tuple[str, str | None, str | None, Sequence[str]]


class SearchDb:
    """A library's database (a SQLite file or a PostgreSQL database, its tables made as a new library's are, by
    ``Base.metadata.create_all`` and ``search.create_index``), for writing photo rows and searching them."""

    def __init__(self, location: str) -> None:
        self.db = Database(location)
        self.dialect = search.Dialect(self.db.dialect)
        self.reading, self.writing = self.db.reading, self.db.writing
        self._added = 0

    def close(self) -> None:
        self.db.close()

    def add(self, texts: Sequence[Texts], *, bulk: bool = True) -> list[int]:
        """Photo rows with these search texts (by ``search.index_photos``, or one ``index_photo`` each); their ids,
        ascending in the order given."""
        stamp = datetime(2024, 1, 1)
        first = self._added
        self._added += len(texts)
        rows = [
            {"path": f"/photos/{first + n:05d}/{t[0]}", "size": 1, "mtime": 0.0, "status": PhotoStatus.DONE}
            for n, t in enumerate(texts)
        ]
        with self.writing() as session:
            ids = [
                session.execute(
                    insert(Photo).values(**row, added_at=stamp, updated_at=stamp).returning(Photo.id)
                ).scalar_one()
                for row in rows
            ]
            if bulk:
                search.index_photos(session, [SearchRow(i, *t) for i, t in zip(ids, texts, strict=True)])
            else:
                for i, t in zip(ids, texts, strict=True):
                    search.index_photo(session, i, *t)
        return ids

    def captioned(self, captions: Sequence[str]) -> list[int]:
        """Photos named 0000.jpg, 0001.jpg... with these model captions and their last two words as keywords (as
        ``tests/library/common.caption_all`` stores them)."""
        start = self._added
        return self.add([(f"{start + n:04d}.jpg", c, None, c.split()[-2:]) for n, c in enumerate(captions)])

    def scored(self, text: str, limit: int | None = None) -> list[tuple[int, float]]:
        with self.reading() as session:
            return search.matching_ids(session, parse_query(text), limit)

    def ids(self, text: str, limit: int | None = None) -> list[int]:
        """Ids of the photos matching ``text`` (the search language), best first."""
        return [photo_id for photo_id, _ in self.scored(text, limit)]
