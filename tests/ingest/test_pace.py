"""Long ingest loops give way to what the app installed (ingest/pace.py)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from photoscribe.ingest import pace, reconcile
from photoscribe.library import Library
from tests.helpers import save_colour


def test_nothing_installed_means_no_waiting_and_an_installed_wait_runs_every_few_items() -> None:
    pace.pause()  # nothing installed: returns
    calls: list[int] = []
    uninstall = pace.install(lambda: calls.append(1))
    try:
        assert list(pace.paced(range(10), every=4)) == list(range(10))
        assert len(calls) == 3  # before items 0, 4 and 8
    finally:
        uninstall()
    pace.pause()
    assert len(calls) == 3
    uninstall()  # (a second time does nothing)


def test_a_scan_pauses_between_files(tmp_path: Path) -> None:
    folder = tmp_path / "shoot"
    for n in range(3):
        save_colour(folder / f"IMG_{n}.jpg", "blue")
    calls: list[int] = []
    uninstall = pace.install(lambda: calls.append(1))
    try:
        with Library(tmp_path / "library.sqlite3") as library:
            reconcile(library, folder, library.add_folder(folder))
            assert library.stats().photos == 3
    finally:
        uninstall()
    assert len(calls) >= 4  # the walk, the settle check, registering, reading and the vanished check each paused


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork only")
def test_a_forked_process_never_waits_on_its_parents_wait() -> None:
    def refuse() -> None:
        raise AssertionError("the parent's wait ran in the child")

    uninstall = pace.install(refuse)
    try:
        child = os.fork()
        if child == 0:
            try:
                pace.pause()
                code = 0
            except BaseException:
                code = 1
            sys.stdout.flush()
            os._exit(code)
        _, status = os.waitpid(child, 0)
    finally:
        uninstall()
    assert os.waitstatus_to_exitcode(status) == 0
