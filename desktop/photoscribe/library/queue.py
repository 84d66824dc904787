"""The captioning queue: leases, so that any number of processes (and later machines) share one library.

A worker *claims* pending photos: each gets the worker's owner (host, pid and process start time) and an expiry.
While it holds leases, a daemon thread renews them (the heartbeat). Only the owner can store or release its
photos. A process starting up takes back only leases that expired, or whose owner is a process on this host
that no longer runs (checked by pid *and* start time, so a reused pid is not mistaken for the owner).
"""

from __future__ import annotations

import json
import logging
import os
import socket
import sys
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from photoscribe.library.database import Database
from photoscribe.library.models import Caption, Folder, KeywordSource, Photo, PhotoStatus
from photoscribe.library.records import CaptionResult, ClaimedPhoto, LibraryStats
from photoscribe.library.rows import now, reindex, replace_keywords, with_details, within

log = logging.getLogger(__name__)

LEASE_SECONDS = 300.0  # a lease not renewed for this long is taken back by the next process that looks


@dataclass(frozen=True)
class LeaseOwner:
    """Who holds a lease: a process on a host, told apart from a later process with the same pid."""

    host: str
    pid: int
    started: int  # the process's start time in clock ticks since boot (Linux); 0 where unknown

    def __str__(self) -> str:
        return f"{self.host}:{self.pid}:{self.started}"

    @classmethod
    def parse(cls, text: str) -> LeaseOwner | None:
        """The owner written by :meth:`__str__`, or ``None`` for anything else."""
        try:
            host, pid, started = text.rsplit(":", 2)
            return cls(host, int(pid), int(started))
        except ValueError:
            return None

    @classmethod
    def this_process(cls) -> LeaseOwner:
        """The owner for the running process."""
        return cls(socket.gethostname(), os.getpid(), process_start(os.getpid()) or 0)

    def is_dead(self) -> bool:
        """True only when this owner certainly no longer runs: on this host, and its pid is gone, a zombie, or
        now belongs to a process started at another time. Other hosts' owners are never judged dead."""
        if self.host != socket.gethostname() or sys.platform == "win32":  # os.kill(pid, 0) would kill on Windows
            return False
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            pass  # the pid runs as another user: alive as far as the pid can tell
        started = process_start(self.pid)
        if started is None:
            return sys.platform.startswith("linux")  # /proc says it is gone (or a zombie)
        return bool(self.started) and started != self.started


def process_start(pid: int) -> int | None:
    """The start time of ``pid`` in clock ticks since boot (Linux ``/proc``); ``None`` if gone, a zombie or unknown."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            fields = handle.read().rsplit(b")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return None if fields[0] == b"Z" else int(fields[19])


class LeaseKeeper:
    """The heartbeat: renews this owner's leases from a daemon thread while it holds any."""

    def __init__(self, db: Database, owner: LeaseOwner, lease_seconds: float) -> None:
        self.db, self.owner, self.lease_seconds = db, owner, lease_seconds
        self.held: set[int] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def hold(self, ids: Iterable[int]) -> None:
        with self._lock:
            self.held.update(ids)
            if self.held and self._thread is None:
                self._thread = threading.Thread(target=self._run, name="library-lease-heartbeat", daemon=True)
                self._thread.start()

    def drop(self, ids: Iterable[int]) -> None:
        with self._lock:
            self.held.difference_update(ids)

    def holding(self) -> list[int]:
        with self._lock:
            return sorted(self.held)

    def renew(self) -> int:
        """Push the expiry of every lease this owner holds; returns how many were renewed."""
        with self.db.writing() as session:
            result = session.execute(
                update(Photo)
                .where(Photo.lease_owner == str(self.owner), Photo.status == PhotoStatus.RUNNING)
                .values(lease_expires=time.time() + self.lease_seconds)
            )
            return result.rowcount or 0

    def _run(self) -> None:
        while not self._stop.wait(max(self.lease_seconds / 3, 0.05)):
            if not self.holding():
                continue
            try:
                if self.renew() == 0:
                    log.warning("this process's photo leases were taken back by another process")
            except Exception:  # a locked library: try again at the next beat, the lease still has time
                log.warning("could not renew photo leases; retrying", exc_info=True)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)


class Queue:
    """Claiming, releasing and finishing photos, and the counts of the queue."""

    def __init__(self, db: Database, owner: LeaseOwner, lease_seconds: float = LEASE_SECONDS) -> None:
        self.db, self.owner, self.lease_seconds = db, owner, lease_seconds
        self.keeper = LeaseKeeper(db, owner, lease_seconds)

    def mine(self):  # type: ignore[no-untyped-def]
        """A filter keeping the photos this owner holds."""
        return and_(Photo.status == PhotoStatus.RUNNING, Photo.lease_owner == str(self.owner))

    def claim_batch(self, limit: int, paths: Sequence[Path | str] | None = None) -> list[ClaimedPhoto]:
        """Atomically lease up to ``limit`` pending photos (under ``paths`` if given), oldest first."""
        query = select(Photo).where(Photo.status == PhotoStatus.PENDING)
        inside = within(paths)
        if inside is not None:
            query = query.where(inside)
        with self.db.writing() as session:
            photos = session.scalars(query.order_by(Photo.id).limit(limit)).all()
            claimed_at, expires = None, time.time() + self.lease_seconds
            for photo in photos:
                photo.status, photo.lease_owner, photo.lease_expires = PhotoStatus.RUNNING, str(self.owner), expires
                photo.claimed_at = claimed_at = claimed_at or now()
            claimed = [ClaimedPhoto(photo.id, Path(photo.path), photo.prompt) for photo in photos]
        self.keeper.hold(c.id for c in claimed)
        return claimed

    def release(self, photo_ids: Iterable[int]) -> int:
        """Give this owner's claimed photos back to the queue unprocessed; returns how many."""
        ids = list(photo_ids)
        with self.db.writing() as session:
            result = session.execute(
                update(Photo).where(Photo.id.in_(ids), self.mine()).values(**_UNLEASED, status=PhotoStatus.PENDING)
            )
        self.keeper.drop(ids)
        return result.rowcount or 0

    def save_results(
        self,
        captions: Sequence[CaptionResult],
        failures: Sequence[tuple[int, str]] = (),
        metadata_pending: bool = False,
    ) -> list[int]:
        """Store a batch's captions and failures in one transaction; returns the ids of the captions stored.

        Only photos this owner still holds are touched: a photo whose file changed while it was captioned (it is
        queued again), whose lease was taken back, or that the user re-queued is left to its next caption. With
        ``metadata_pending`` the captioned photos are marked as still to be written into their files.
        """
        ids = [r.photo_id for r in captions] + [photo_id for photo_id, _ in failures]
        stored: list[int] = []
        with self.db.writing() as session:
            query = with_details(select(Photo).where(Photo.id.in_(ids), self.mine()))
            held = {photo.id: photo for photo in session.scalars(query)}
            for result in captions:
                if result.photo_id in held:
                    _store_caption(session, held[result.photo_id], result, metadata_pending)
                    stored.append(result.photo_id)
            for photo_id, reason in failures:
                if photo_id in held:
                    photo = held[photo_id]
                    photo.status, photo.error = PhotoStatus.FAILED, reason
                    photo.lease_owner = photo.lease_expires = photo.claimed_at = None
        self.keeper.drop(ids)
        return stored

    def reclaim_expired(self) -> int:
        """Put back in the queue photos whose lease expired or whose owner died; returns how many."""
        with self.db.reading() as session:
            owners = set(
                session.scalars(select(Photo.lease_owner).where(Photo.status == PhotoStatus.RUNNING).distinct())
            )
        dead = [o for o in owners if o and o != str(self.owner) and _dead(o)]
        with self.db.writing() as session:
            result = session.execute(
                update(Photo)
                .where(
                    Photo.status == PhotoStatus.RUNNING,
                    or_(Photo.lease_owner.is_(None), Photo.lease_expires < time.time(), Photo.lease_owner.in_(dead)),
                )
                .values(**_UNLEASED, status=PhotoStatus.PENDING)
            )
            return result.rowcount or 0

    def requeue(self, photo_ids: Iterable[int], prompt: str | None = None) -> int:
        """Queue photos for captioning again (the user asked, e.g. to retry failures); returns how many.

        ``prompt`` is used for these photos' next caption instead of the settings' prompt.
        """
        ids = list(photo_ids)
        with self.db.writing() as session:
            result = session.execute(
                update(Photo)
                .where(Photo.id.in_(ids), Photo.status != PhotoStatus.MISSING)
                .values(**_UNLEASED, status=PhotoStatus.PENDING, error=None, prompt=prompt)
            )
            return result.rowcount or 0

    def cancel_pending(self, paths: Sequence[Path | str] | None = None) -> int:
        """Take waiting photos (under ``paths`` if given) off the queue; they return when asked or changed."""
        query = update(Photo).where(Photo.status == PhotoStatus.PENDING)
        inside = within(paths)
        with self.db.writing() as session:
            result = session.execute(
                (query if inside is None else query.where(inside)).values(status=PhotoStatus.CANCELLED)
            )
            return result.rowcount or 0

    def metadata_pending_ids(self) -> list[int]:
        """Photos captioned whose caption still has to be written into the file."""
        with self.db.reading() as session:
            return list(session.scalars(select(Photo.id).where(Photo.metadata_pending).order_by(Photo.id)))

    def clear_metadata_pending(self, photo_ids: Iterable[int]) -> None:
        """The metadata of these photos was written (or will not be): they are no longer pending."""
        with self.db.writing() as session:
            session.execute(update(Photo).where(Photo.id.in_(list(photo_ids))).values(metadata_pending=False))

    def stats(self, paths: Sequence[Path | str] | None = None) -> LibraryStats:
        """How many photos (under ``paths`` if given) are in each state."""
        query = select(Photo.status, func.count()).group_by(Photo.status)
        inside = within(paths)
        with self.db.reading() as session:
            counts = dict(session.execute(query if inside is None else query.where(inside)).all())
            folders = session.scalar(select(func.count()).select_from(Folder)) or 0
        missing = counts.get(PhotoStatus.MISSING, 0)
        return LibraryStats(
            photos=sum(counts.values()) - missing,
            captioned=counts.get(PhotoStatus.DONE, 0),
            pending=counts.get(PhotoStatus.PENDING, 0) + counts.get(PhotoStatus.RUNNING, 0),
            failed=counts.get(PhotoStatus.FAILED, 0),
            missing=missing,
            cancelled=counts.get(PhotoStatus.CANCELLED, 0),
            folders=folders,
            running=counts.get(PhotoStatus.RUNNING, 0),
        )

    def close(self) -> None:
        """Stop the heartbeat and give back the leases still held (a worker stopping without finishing)."""
        self.keeper.stop()
        held = self.keeper.holding()
        if held:
            try:
                self.release(held)
            except Exception:  # the leases expire by themselves
                log.warning("could not give back %d claimed photos; they return when their lease expires", len(held))


_UNLEASED = {"lease_owner": None, "lease_expires": None, "claimed_at": None}


def _store_caption(session: Session, photo: Photo, result: CaptionResult, metadata_pending: bool) -> None:
    if photo.caption is None:
        photo.caption = Caption()
    photo.caption.model_caption = result.caption
    photo.caption.model_ref = result.model_ref
    photo.caption.settings = json.dumps(result.settings, sort_keys=True)
    photo.caption.captioned_at = now()
    photo.caption.revision = (photo.caption.revision or 0) + 1
    replace_keywords(session, photo, KeywordSource.MODEL, result.keywords)
    photo.status, photo.error, photo.prompt, photo.metadata_pending = PhotoStatus.DONE, None, None, metadata_pending
    photo.lease_owner = photo.lease_expires = photo.claimed_at = None
    session.flush()
    reindex(session, photo)


def _dead(owner: str) -> bool:
    parsed = LeaseOwner.parse(owner)
    return parsed is not None and parsed.is_dead()
