"""register_files with reader processes (as ``photoscribe add`` runs it): the same facts as reading in-process,
chunks written in order, and a stop between chunks leaves nothing half done."""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

from photoscribe.ingest import register_files
from photoscribe.library import Library, Registration
from tests.helpers import save_colour


@pytest.fixture(scope="module")
def readers() -> Iterator[ProcessPoolExecutor]:
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
        yield pool


def _shoot(folder: Path, count: int) -> list[Path]:
    return [save_colour(folder / f"IMG_{i:02d}.jpg", ("red", "blue")[i % 2]) for i in range(count)]


def test_reader_processes_read_what_this_process_would(tmp_path: Path, readers: ProcessPoolExecutor) -> None:
    photos = _shoot(tmp_path / "shoot", 9)
    written: list[int] = []
    with Library(tmp_path / "pool.sqlite3") as pooled, Library(tmp_path / "here.sqlite3") as here:
        outcomes = register_files(pooled, photos, chunk=2, readers=readers, on_chunk=written.append)
        assert outcomes == register_files(here, photos, chunk=2) == {Registration.NEW: 9}
        assert sum(written) == 9 and len(written) >= 3  # chunk by chunk
        assert [(p.path, p.width, p.height, p.size) for p in pooled.photos()] == [
            (p.path, p.width, p.height, p.size) for p in here.photos()
        ]
        assert register_files(pooled, photos, chunk=2, readers=readers) == {Registration.UNCHANGED: 9}


def test_a_stop_between_chunks_drops_the_reads_ahead(tmp_path: Path, readers: ProcessPoolExecutor) -> None:
    photos = _shoot(tmp_path / "shoot", 10)

    class Stop(Exception):
        pass

    def stop_after_the_first(_count: int) -> None:
        raise Stop

    with Library(tmp_path / "pool.sqlite3") as library:
        with pytest.raises(Stop):
            register_files(library, photos, chunk=2, readers=readers, on_chunk=stop_after_the_first)
        assert library.stats().photos == 2  # the first chunk, no other
    assert readers.submit(len, "still usable").result(timeout=60) == 12
