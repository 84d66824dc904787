"""Thumbnails: memory stays within its budget, closing drops the queued work instead of decoding it all."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

pytest.importorskip("pytestqt")

from photoscribe.gui.thumbnails import ThumbnailCache  # noqa: E402
from tests.helpers import save_colour  # noqa: E402
from tests.tiny_blip import COLOURS  # noqa: E402


def photos(folder: Path, count: int) -> list[Path]:
    return [save_colour(folder / f"{i:04d}.jpg", list(COLOURS)[i % 4]) for i in range(count)]


def load_all(qtbot, cache: ThumbnailCache, paths: list[Path], ids: range) -> None:  # type: ignore[no-untyped-def]
    ready: set[int] = set()
    cache.ready.connect(ready.add)
    for photo_id in ids:
        cache.get(photo_id, str(paths[photo_id]), paths[photo_id].stat().st_size, "k")
    qtbot.waitUntil(lambda: ready >= set(ids))
    cache.ready.disconnect(ready.add)


def test_thumbnails_in_memory_stay_within_their_budget(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    paths = photos(tmp_path / "photos", 12)
    one = 64 * 48 * 3  # a 64 × 48 photo's thumbnail in RGB888
    cache = ThumbnailCache(tmp_path / "cache", memory_budget=5 * one)
    load_all(qtbot, cache, paths, range(5))
    assert all(cache.loaded(i) is not None for i in range(1, 5))
    assert cache.loaded(0) is not None  # shown again just now: kept when room is needed
    load_all(qtbot, cache, paths, range(5, 9))
    assert cache.memory_used() <= 5 * one
    assert sum(cache.loaded(i) is not None for i in range(12)) == 5
    assert cache.loaded(0) is not None
    assert all(cache.loaded(i) is None for i in range(1, 5))  # the least recently used went
    load_all(qtbot, cache, paths, range(1, 2))  # shown again: back from the disk cache
    assert cache.loaded(1) is not None and cache.memory_used() <= 5 * one
    cache.shutdown()


def test_closing_drops_thumbnails_still_queued(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    paths = photos(tmp_path / "photos", 400)  # a fast scroll through a big folder queued them all
    cache = ThumbnailCache(tmp_path / "cache")
    for photo_id, path in enumerate(paths):
        assert cache.get(photo_id, str(path), path.stat().st_size, "k") is None
    started = time.perf_counter()
    cache.shutdown()
    made = len(list((tmp_path / "cache").glob("*.jpg")))
    assert made < 100, f"closing decoded {made} of 400 queued thumbnails"
    print(f"closing took {time.perf_counter() - started:.3f} s; {made} thumbnails made")
