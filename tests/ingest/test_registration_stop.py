"""A stop asked while a chunk's files are being read ends registration before the next file (a slow share never
holds a stop for a whole chunk); the chunks written before stay."""

from __future__ import annotations

from pathlib import Path

import pytest

from photoscribe.ingest import register_files
from photoscribe.ingest.registration import Stopped
from photoscribe.library import Library
from tests.helpers import save_colour


def test_a_stop_during_a_chunks_reads_drops_that_chunk_only(tmp_path: Path) -> None:
    photos = [save_colour(tmp_path / "shoot" / f"IMG_{i:02d}.jpg", "red") for i in range(9)]
    asked: list[int] = []

    def stop_at_the_seventh_file() -> bool:
        asked.append(1)
        return len(asked) == 7

    with Library(tmp_path / "l.sqlite3") as library:
        with pytest.raises(Stopped):
            register_files(library, photos, chunk=4, should_stop=stop_at_the_seventh_file)
        assert len(asked) == 7  # asked before each file: no file read after the stop
        assert [Path(p.path).name for p in library.photos()] == [f"IMG_0{i}.jpg" for i in range(4)]
