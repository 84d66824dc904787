"""``Library.folder_counts``: photos shown per library folder, in one query, matching the grid's folder filter."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import event

from photoscribe.library import Library
from tests.library.common import facts


def test_counts_match_the_grids_folder_filter(library: Library, tmp_path: Path) -> None:
    trips, holiday, nested, empty = (tmp_path / n for n in ("trips", "holiday", "trips/2024", "empty"))
    for folder in (trips, holiday, nested, empty):
        folder.mkdir(parents=True, exist_ok=True)
        library.add_folder(folder)
    library.register([facts(str(trips / f"a{i}.jpg")) for i in range(3)])
    library.register([facts(str(nested / f"b{i}.jpg")) for i in range(2)])
    library.register([facts(str(holiday / "c.jpg")), facts(str(tmp_path / "trips-old" / "d.jpg"))])  # a lookalike
    library.register([facts(str(holiday / "pair.jpg")), facts(str(holiday / "pair.cr2"))])  # one photo shown
    library.mark_missing([trips / "a0.jpg"])

    counts = library.folder_counts()

    assert counts == {trips: 4, holiday: 2, nested: 2, empty: 0}  # trips: a1, a2 and 2024's two
    assert counts == {f.path: len(library.photo_ids(folder=f.path)) for f in library.folders()}


def test_counts_come_from_one_query_whatever_the_number_of_folders(library: Library, tmp_path: Path) -> None:
    folders = [tmp_path / f"f{i}" for i in range(12)]
    for i, folder in enumerate(folders):
        folder.mkdir()
        library.add_folder(folder)
        library.register([facts(str(folder / f"p{j}.jpg")) for j in range(i)])
    statements: list[str] = []

    def count(conn, cursor, statement, *args) -> None:  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith(("SELECT", "WITH")) and "photos" in statement:
            statements.append(statement)

    event.listen(library.db.engine, "before_cursor_execute", count)
    try:
        counts = library.folder_counts()
    finally:
        event.remove(library.db.engine, "before_cursor_execute", count)
    assert counts == {folder: i for i, folder in enumerate(folders)}
    assert len(statements) == 1, statements


def test_no_folders_no_counts(library: Library) -> None:
    assert library.folder_counts() == {}
