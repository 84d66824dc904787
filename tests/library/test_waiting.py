"""Waiting for photos to caption: a worker waiting on a PostgreSQL library wakes when photos are queued."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from photoscribe.library import Library
from tests.library.common import facts


@pytest.mark.parametrize("library_location", ["postgresql"], indirect=True)
def test_a_waiting_worker_wakes_when_another_process_queues_photos(library_location: str, tmp_path: Path) -> None:
    worker, other = Library(library_location), Library(library_location)
    stop = threading.Event()
    try:
        with worker.waiter(poll_seconds=120) as waiter:
            woken: list[bool] = []
            thread = threading.Thread(target=lambda: woken.append(waiter.wait(stop)))
            thread.start()
            other.register([facts(str(tmp_path / "new.jpg"))])
            thread.join(timeout=60)
            assert woken == [True]  # an announcement, not the 120 s poll
            assert [p.path.name for p in worker.claim_batch(5)] == ["new.jpg"]
    finally:
        stop.set()
        worker.close()
        other.close()


def test_a_waiter_on_sqlite_looks_again_after_its_poll_and_stops_when_told(tmp_path: Path) -> None:
    library = Library(tmp_path / "lib.sqlite3")
    stop = threading.Event()
    try:
        with library.waiter(poll_seconds=0.05) as waiter:
            assert waiter.wait(stop) is False  # nothing announces on SQLite: the poll ends the wait
        stop.set()
        with library.waiter(poll_seconds=3600) as waiter:
            assert waiter.wait(stop) is False  # returns at once when stopped
    finally:
        library.close()


@pytest.mark.parametrize("library_location", ["postgresql"], indirect=True)
def test_one_process_at_a_time_holds_a_photos_metadata_lock(library_location: str) -> None:
    from sqlalchemy import text

    from tests.helpers import wait_for

    first, second = Library(library_location), Library(library_location)
    entered = threading.Event()

    def other_machine() -> None:
        with second.photo_lock(7):
            entered.set()

    try:
        with first.photo_lock(7):
            thread = threading.Thread(target=other_machine)
            thread.start()

            def waiting() -> bool:
                with first.db.reading() as session:
                    sql = "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = 7 AND NOT granted"
                    return session.execute(text(sql)).scalar() == 1

            wait_for(waiting, timeout=30, what="the second writer waiting for the lock")
            assert not entered.is_set()
            with first.photo_lock(8):  # another photo is not held up
                pass
        thread.join(timeout=30)
        assert entered.is_set()
    finally:
        first.close()
        second.close()
