"""Polled folders (network shares) with a real temp tree: looked at every ``poll_seconds``, listing only the
directories whose mtime changed; new and deleted files are still caught."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

from photoscribe.config import Settings
from photoscribe.engine import Engine
from photoscribe.library import PhotoStatus
from tests.helpers import save_colour, wait_for

LONG_AGO = 1_000_000_000


def _untouched_for_years(root: Path) -> None:
    for folder, _, files in os.walk(root):
        for name in files:
            os.utime(Path(folder, name), (LONG_AGO, LONG_AGO))
        os.utime(folder, (LONG_AGO, LONG_AGO))


def test_a_polled_share_lists_only_the_directories_that_changed(make_engine, watched: Path) -> None:  # type: ignore[no-untyped-def]
    for year in ("2019", "2020", "2021"):
        for i in range(2):
            save_colour(watched / year / f"IMG_{i}.jpg", "red")
    _untouched_for_years(watched)
    engine, _ = make_engine()  # polls every 0.2 s
    assert engine.add_folder(watched, polling=True) == "polling"
    engine.start()
    wait_for(lambda: engine.library.stats().captioned == 6, what="the first scan's captions")
    tree = engine._folders._trees[watched]
    assert set(tree.listings.values()) == {1}  # the first scan listed each directory once

    new = save_colour(watched / "2021" / "new.jpg", "green")
    (watched / "2019" / "IMG_0.jpg").unlink()
    wait_for(lambda: (engine.library.photo(new) or None) is not None, what="the new photo seen by polling")
    wait_for(lambda: engine.library.photo(watched / "2019" / "IMG_0.jpg").status == PhotoStatus.MISSING)
    wait_for(lambda: engine.library.photo(new).caption == "a photo of a green wall", what="its caption")

    assert tree.listings[watched / "2021"] >= 2 and tree.listings[watched / "2019"] >= 2
    assert tree.listings[watched / "2020"] == 1 and tree.listings[watched] == 1  # unchanged: never listed again


def test_the_poll_interval_is_a_setting(tmp_path: Path) -> None:
    settings = Settings(library=str(tmp_path / "library.sqlite3"), poll_seconds=45.0)
    engine = Engine(settings)
    try:
        assert engine._watcher.poll_seconds == 45.0
        engine.apply_settings(dataclasses.replace(settings, poll_seconds=120.0))
        assert engine._watcher.poll_seconds == 120.0
    finally:
        engine.library.close()
    assert Settings().poll_seconds == 30.0


def test_an_unmounted_share_is_not_taken_for_deleted_photos(make_engine, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from photoscribe.events import ScanProgress

    share = tmp_path / "share"
    photo = save_colour(share / "2020" / "a.jpg", "red")
    engine, _ = make_engine()
    engine.add_folder(share, polling=True)
    engine.start()
    wait_for(lambda: engine.library.stats().captioned == 1)
    engine.stop()
    share.rename(tmp_path / "elsewhere")  # the share is not mounted when the app starts again

    engine2, events = make_engine()
    engine2.start()
    wait_for(lambda: any(e.done and e.folder == share for e in events.of(ScanProgress)), what="the scan")
    assert engine2.library.photo(photo).status == PhotoStatus.DONE  # not missing: the share is away, not emptied


def test_watch_takes_the_poll_interval_from_the_command_line() -> None:
    from photoscribe.cli import _settings_from, build_parser

    args = build_parser().parse_args(["watch", "/mnt/share", "--poll", "--poll-seconds", "5"])
    assert _settings_from(args).poll_seconds == 5.0
    assert _settings_from(build_parser().parse_args(["watch"])).poll_seconds == 30.0
