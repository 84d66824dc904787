"""Thumbnails: memory stays within its budget, closing drops the queued work instead of decoding it all, the
decode queue serves the newest request first and drops rows scrolled away, the disk cache stays within its limit
and a re-captioned photo's old thumbnail file goes."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

pytest.importorskip("pytestqt")

from photoscribe.gui.decode_queue import MAX_WAITING  # noqa: E402
from photoscribe.gui.disk_cache import PRUNE_TO, DiskCache  # noqa: E402
from photoscribe.gui.thumbnails import ThumbnailCache  # noqa: E402
from tests.helpers import save_colour  # noqa: E402
from tests.tiny_blip import COLOURS  # noqa: E402


def photos(folder: Path, count: int) -> list[Path]:
    return [save_colour(folder / f"{i:04d}.jpg", list(COLOURS)[i % 4]) for i in range(count)]


def load_all(qtbot, cache: ThumbnailCache, paths: list[Path], ids: range) -> None:  # type: ignore[no-untyped-def]
    ready: set[int] = set()
    cache.ready.connect(ready.update)
    for photo_id in ids:
        cache.get(photo_id, str(paths[photo_id]), paths[photo_id].stat().st_size, "k")
    qtbot.waitUntil(lambda: ready >= set(ids))
    cache.ready.disconnect(ready.update)


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


def test_the_decode_queue_keeps_the_newest_requests_and_drops_rows_scrolled_away(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    cache = ThumbnailCache(tmp_path / "cache", decoders=0)  # nothing decoded: the queue alone
    for photo_id in range(1000):  # a fast scroll asked for a thousand thumbnails
        assert cache.get(photo_id, f"/p/{photo_id}.jpg", 1, "k") is None
    assert cache.waiting() == list(range(1000 - MAX_WAITING, 1000))  # the newest; the oldest were dropped
    cache.keep_only(set(range(990, 1010)))  # the rows on screen now
    assert cache.waiting() == list(range(990, 1000))
    cache.get(3, "/p/3.jpg", 1, "k")  # a dropped row painted again asks again
    assert cache.waiting()[-1] == 3
    cache.shutdown()
    assert cache.waiting() == []


def test_decoders_take_the_newest_request_first(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    paths = photos(tmp_path / "photos", 200)
    cache = ThumbnailCache(tmp_path / "cache", decoders=1)
    order: list[int] = []
    cache.ready.connect(order.extend)
    for photo_id, path in enumerate(paths):
        cache.get(photo_id, str(path), path.stat().st_size, "k")
    qtbot.waitUntil(lambda: not cache.waiting() and {199, 100} <= set(order))
    assert order.index(199) < order.index(150) < order.index(100)  # the rows shown last come first
    cache.shutdown()


def test_the_disk_cache_is_pruned_to_its_limit_least_recently_used_first(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "cache"
    folder.mkdir()
    files = []
    for i in range(40):  # thumbnails left by earlier runs, file 0 used longest ago
        file = folder / f"{i:02d}.jpg"
        file.write_bytes(b"x" * 10_000)
        os.utime(file, (1_700_000_000 + i, 1_700_000_000 + i))
        files.append(file)
    disk = DiskCache(folder, budget=200_000)
    disk.used(files[0])  # shown again just now
    assert disk.prune() == 40 - 18
    assert disk.size() <= 200_000 * PRUNE_TO
    assert sorted(p.name for p in folder.iterdir()) == sorted(f.name for f in [files[0], *files[-17:]])


def test_thumbnails_written_past_the_limit_are_pruned_in_the_background(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    paths = photos(tmp_path / "photos", 30)
    cache = ThumbnailCache(tmp_path / "cache", disk_budget=8_000)
    load_all(qtbot, cache, paths, range(30))  # 30 thumbnails of about 700 bytes: more than the limit
    qtbot.waitUntil(lambda: cache.disk.size() <= 8_000)
    assert 0 < sum(1 for _ in (tmp_path / "cache").iterdir()) < 30
    cache.shutdown()


def test_a_recaptioned_photos_old_thumbnail_file_is_removed(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    paths = photos(tmp_path / "photos", 2)
    cache = ThumbnailCache(tmp_path / "cache")
    size = paths[1].stat().st_size
    load_all(qtbot, cache, paths, range(2))
    before = {p.name for p in (tmp_path / "cache").iterdir()}
    cache.forget(1)  # captioned again: its thumbnail is named after the new caption time
    ready: list[int] = []
    cache.ready.connect(ready.extend)
    cache.get(1, str(paths[1]), size, "captioned again")
    qtbot.waitUntil(lambda: 1 in ready)
    after = {p.name for p in (tmp_path / "cache").iterdir()}
    assert len(after) == 2 and len(after - before) == 1  # the new one replaced the old one
    cache.shutdown()


def test_recaptioning_in_the_app_leaves_one_thumbnail_file_per_photo(qtbot, open_window, colour_photos) -> None:  # type: ignore[no-untyped-def]
    from photoscribe.gui.disk_cache import file_name
    from photoscribe.gui.photo_model import thumbnail_key
    from tests.gui.common import WAIT_MS, captioned_window, select

    window = captioned_window(qtbot, open_window, colour_photos["red"][0].parent)
    folder, library = window.thumbnails.folder, window.engine.library

    def files() -> set[str]:
        return {file.name for file in folder.iterdir()} if folder.exists() else set()  # (made with the first one)

    def current() -> set[str]:  # the file names of the photos' thumbnails as they are now
        return {file_name(r.path, r.size, thumbnail_key(r)) for r in library.photos()}

    qtbot.waitUntil(lambda: files() == current(), timeout=WAIT_MS)  # (made again once captioned: old ones gone)
    before = files()
    photo = colour_photos["blue"][0]
    select(window, photo)
    window.review.recaption(None, str(photo))
    qtbot.waitUntil(lambda: library.photo(photo).revision == 2, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: files() == current() != before, timeout=WAIT_MS)
    assert len(files()) == 8 and len(before - files()) == 1
