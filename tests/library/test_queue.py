"""The queue's leases, with real processes on one library file: no photo is captioned twice, none is lost."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from photoscribe.library import CaptionResult, LeaseOwner, Library, PhotoStatus
from photoscribe.library.leases import process_start
from photoscribe.library.models import Photo
from tests.helpers import wait_for
from tests.library.common import facts

CLAIMER = Path(__file__).with_name("claimer.py")


def queue_of(library: Library, count: int, folder: str = "/photos") -> None:
    library.register([facts(f"{folder}/{i:04d}.jpg") for i in range(count)])


def claimer(library: Path, role: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(CLAIMER), str(library), role],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def leases(library: Library) -> dict[int, str | None]:
    with library.db.reading() as session:
        return dict(
            session.execute(select(Photo.id, Photo.lease_owner).where(Photo.status == PhotoStatus.RUNNING)).all()
        )


def test_claims_are_leases_of_this_owner_and_only_the_owner_releases_or_stores_them(library: Library) -> None:
    queue_of(library, 5)
    first, second = library.claim_batch(3), library.claim_batch(3)
    assert len(first) == 3 and len(second) == 2 and not {p.id for p in first} & {p.id for p in second}
    assert library.claim_batch(3) == []
    assert set(leases(library).values()) == {str(library.owner)}
    other = Library(library.path, owner=LeaseOwner("another-host", 1, 1))
    try:
        assert other.release(p.id for p in first) == 0
        assert other.save_results([CaptionResult(first[0].id, "not mine", [], "m")], [(first[1].id, "no")]) == []
        assert other.reclaim_expired() == 0  # a live owner's leases stay with it
    finally:
        other.close()
    assert len(leases(library)) == 5
    assert library.release([first[0].id]) == 1
    assert library.save_results([CaptionResult(first[1].id, "a red wall", ["red"], "m")]) == [first[1].id]
    assert library.stats().captioned == 1 and library.stats().running == 3


def test_two_processes_claiming_from_one_library_never_get_the_same_photo(tmp_path: Path) -> None:
    """The second process starts while the first holds a claim (the old start-up requeue took it back, so both
    captioned it), then both work the queue at once."""
    path = tmp_path / "lib.sqlite3"
    with Library(path) as library:
        queue_of(library, 400)
    first = claimer(path, "hold")
    first_batch = json.loads(first.stdout.readline())
    second = claimer(path, "work")
    assert second.stdout.readline().strip() == "ready", second.stderr.read()
    second_batch = json.loads(second.stdout.readline())  # claimed while the first still holds its batch
    first.stdin.write("go\n")
    first.stdin.flush()
    out_first, err_first = first.communicate(timeout=120)
    out_second, err_second = second.communicate(timeout=120)
    assert first.returncode == 0 and second.returncode == 0, err_first + err_second
    by_first = first_batch + [i for line in out_first.splitlines() for i in json.loads(line)]
    by_second = second_batch + [i for line in out_second.splitlines() for i in json.loads(line)]
    assert second_batch, "the second process must have claimed photos for this test to mean anything"
    assert set(first_batch).isdisjoint(by_second)
    assert sorted(by_first + by_second) == list(range(1, 401))  # each photo claimed once, none left behind
    with Library(path) as library:
        photos = library.photos()
        assert {p.status for p in photos} == {PhotoStatus.DONE} and {p.revision for p in photos} == {1}


def test_a_new_process_takes_back_a_killed_processes_leases_but_not_a_live_ones(tmp_path: Path) -> None:
    path = tmp_path / "lib.sqlite3"
    with Library(path) as library:
        queue_of(library, 10)
    worker = claimer(path, "sleep")
    try:
        held = json.loads(worker.stdout.readline())
        with Library(path) as starting:
            assert starting.reclaim_expired() == 0
            owners = set(leases(starting).values())
            assert len(owners) == 1 and LeaseOwner.parse(owners.pop()).pid == worker.pid
            worker.send_signal(signal.SIGKILL)
            wait_for(lambda: process_start(worker.pid) is None, what="the worker to die")  # a zombie until reaped
            assert starting.reclaim_expired() == len(held)  # dead on this host: no need to wait for expiry
            assert leases(starting) == {}
            assert {p.id for p in starting.claim_batch(10)} >= set(held)
    finally:
        worker.kill()
        worker.wait()


def test_expired_leases_of_other_machines_are_taken_back_and_live_ones_are_not(tmp_path: Path) -> None:
    path = tmp_path / "lib.sqlite3"
    with Library(path) as library:
        queue_of(library, 6)
        lapsed = Library(path, owner=LeaseOwner("nas-client-a", 4242, 1), lease_seconds=-60)  # ran out a minute ago
        live = Library(path, owner=LeaseOwner("nas-client-b", 4242, 1))
        try:
            expired = {p.id for p in lapsed.claim_batch(2)}
            kept = {p.id for p in live.claim_batch(2)}
            assert library.reclaim_expired() == 2
            assert set(leases(library)) == kept
            assert {p.id for p in library.claim_batch(10)} == expired | {5, 6}
        finally:
            lapsed.close()
            live.close()


def test_the_heartbeat_renews_held_leases_until_they_are_stored(tmp_path: Path) -> None:
    with Library(tmp_path / "lib.sqlite3", lease_seconds=3) as library:
        queue_of(library, 2)
        claimed = library.claim_batch(2)

        def expiry() -> float:
            with library.db.reading() as session:
                return session.scalar(select(Photo.lease_expires).where(Photo.id == claimed[0].id))

        first = expiry()
        wait_for(lambda: expiry() > first, timeout=10, what="a heartbeat")
        library.save_results([CaptionResult(p.id, "done", [], "m") for p in claimed])
        assert library.queue.keeper.holding() == []


def test_a_heartbeat_just_after_a_batch_is_stored_is_not_taken_for_a_lost_lease(  # type: ignore[no-untyped-def]
    library: Library, monkeypatch: pytest.MonkeyPatch, caplog
) -> None:
    queue_of(library, 3)
    stored = library.claim_batch(2)
    keeper, writing = library.queue.keeper, library.db.writing
    beats: list[list[int]] = []

    @contextmanager
    def writing_then_a_beat(serialised: bool = True) -> Iterator[Session]:
        with writing(serialised) as session:
            yield session
        if not beats:  # the heartbeat fires once, after the batch's transaction committed and before it returns
            beats.append(keeper.holding())
            keeper.beat()

    monkeypatch.setattr(library.db, "writing", writing_then_a_beat)
    library.save_results([CaptionResult(p.id, "done", [], "m") for p in stored])
    assert beats == [sorted(p.id for p in stored)]
    assert "taken back" not in caplog.text
    assert keeper.holding() == []
    kept = library.claim_batch(1)
    with writing() as session:  # another process really takes the last photo's lease
        session.execute(update(Photo).where(Photo.id == kept[0].id).values(lease_owner="elsewhere:1:1"))
    keeper.beat()
    assert "this process's photo leases were taken back by another process" in caplog.text


def test_closing_a_library_gives_back_the_photos_it_still_holds(tmp_path: Path) -> None:
    library = Library(tmp_path / "lib.sqlite3")
    queue_of(library, 3)
    library.claim_batch(3)
    library.close()
    with Library(tmp_path / "lib.sqlite3") as reopened:
        assert reopened.stats().running == 0 and reopened.stats().pending == 3


def test_lease_owners_are_told_apart_by_host_pid_and_start_time() -> None:
    me = LeaseOwner.this_process()
    assert str(me).startswith(f"{socket.gethostname()}:{os.getpid()}:") and LeaseOwner.parse(str(me)) == me
    assert not me.is_dead()
    assert not LeaseOwner("some-other-host", os.getpid() + 1_000_000, 1).is_dead()  # never judged from here
    if sys.platform.startswith("linux"):
        assert LeaseOwner(me.host, me.pid, me.started + 1).is_dead()  # the pid was reused by a later process
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    assert LeaseOwner(me.host, child.pid, 0).is_dead()


def test_claims_and_counts_can_be_limited_to_paths(library: Library) -> None:
    queue_of(library, 3, "/photos/new")
    queue_of(library, 4, "/photos/archive")
    library.register([facts("/photos/newer.jpg")])  # a name sharing the prefix, outside /photos/new
    assert library.stats(within=["/photos/new"]).pending == 3
    claimed = library.claim_batch(10, within=["/photos/new", "/photos/newer.jpg"])
    assert sorted(p.path.name for p in claimed) == ["0000.jpg", "0001.jpg", "0002.jpg", "newer.jpg"]
    assert library.stats().pending == 8 and library.stats(within=["/photos/archive"]).running == 0


def test_metadata_pending_survives_a_restart_until_cleared(tmp_path: Path) -> None:
    with Library(tmp_path / "lib.sqlite3") as library:
        queue_of(library, 2)
        claimed = library.claim_batch(2)
        library.save_results([CaptionResult(claimed[0].id, "a red wall", [], "m")], metadata_pending=True)
        library.save_results([CaptionResult(claimed[1].id, "a blue wall", [], "m")])
    with Library(tmp_path / "lib.sqlite3") as library:
        assert library.metadata_pending_ids() == [claimed[0].id]
        assert library.records([claimed[0].id])[claimed[0].id].metadata_pending
        library.clear_metadata_pending([claimed[0].id])
        assert library.metadata_pending_ids() == []


def test_a_photo_changed_while_captioned_is_not_stored_and_stays_queued(tmp_path: Path, library: Library) -> None:
    library.register([facts("/photos/a.jpg", "v1")])
    (claimed,) = library.claim_batch(1)
    library.register([facts("/photos/a.jpg", "v2", size=2)])  # the file changed: its caption would be stale
    assert library.save_results([CaptionResult(claimed.id, "old content", [], "m")]) == []
    record = library.photo("/photos/a.jpg")
    assert (record.status, record.caption, record.revision) == (PhotoStatus.PENDING, None, 0)


def test_cancelling_takes_only_the_waiting_photos_under_the_folder_off_the_queue(library: Library) -> None:
    queue_of(library, 3, "/photos/trip")
    queue_of(library, 2, "/photos/home")
    (leased,) = library.claim_batch(1)  # being captioned: not waiting, so not cancelled
    assert library.cancel_pending(["/photos/trip"]) == 2
    by_path = {str(r.path): r.status for r in library.photos()}
    trip = {p: s for p, s in by_path.items() if "/trip/" in p}
    assert trip.pop(str(leased.path)) == PhotoStatus.RUNNING
    assert list(trip.values()) == [PhotoStatus.CANCELLED] * 2
    assert [s for p, s in by_path.items() if "/home/" in p] == [PhotoStatus.PENDING] * 2
    assert library.stats().cancelled == 2
    assert library.cancel_pending() == 2  # everywhere: the two at home
    assert library.cancel_pending() == 0


@pytest.mark.parametrize("size", [4, 64])
def test_a_batch_of_captions_is_stored_in_the_same_few_statements_whatever_its_size(
    library: Library, tmp_path: Path, size: int
) -> None:
    """One statement (or executemany) per table for the batch: the per-photo ORM writes cost a studio's workers
    half their speed. Re-captioning (old model keywords replaced by the same words) stores the same rows."""
    from sqlalchemy import event

    library.register([facts(str(tmp_path / f"{i}.jpg")) for i in range(size)])
    statements: list[str] = []
    event.listen(library.db.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    for round_ in range(2):
        claimed = library.claim_batch(size) if round_ == 0 else library.claim_batch(size)
        statements.clear()
        results = [CaptionResult(p.id, f"a red wall {p.id}", ["red", "wall", "Red"], "m") for p in claimed]
        assert sorted(library.save_results(results)) == sorted(p.id for p in claimed)
        assert len(statements) <= 20, f"{len(statements)} statements for {size} captions"
        library.requeue(p.id for p in claimed)
    records = library.records([p.id for p in claimed])
    assert {r.keywords for r in records.values()} == {("red", "wall")}
    assert {r.revision for r in records.values()} == {2}
    assert [h.photo.id for h in library.search("wall", limit=size)] != []
