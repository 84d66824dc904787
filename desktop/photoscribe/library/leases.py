"""Leases on photos being captioned: who holds one (host, pid, process start time) and the heartbeat renewing them.

An owner is judged dead only when that is certain: on this host, its pid gone, a zombie, or now belonging to a
process started at another time (so a reused pid is not mistaken for the owner). Other hosts' owners are never
judged from here; their leases end by expiry.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import update

from photoscribe.library.database import Database
from photoscribe.library.location import this_host
from photoscribe.library.models import Photo, PhotoStatus

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
        return cls(this_host(), os.getpid(), process_start(os.getpid()) or 0)

    def is_dead(self) -> bool:
        """True only when this owner certainly no longer runs: on this host, and its pid is gone, a zombie, or
        now belongs to a process started at another time. Other hosts' owners are never judged dead."""
        if self.host != this_host() or sys.platform == "win32":  # os.kill(pid, 0) would kill on Windows
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
        self._settling: set[int] = set()  # held, and being stored or given back right now
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def hold(self, ids: Iterable[int]) -> None:
        with self._lock:
            self.held.update(ids)
            if self.held and self._thread is None:
                self._thread = threading.Thread(target=self._run, name="library-lease-heartbeat", daemon=True)
                self._thread.start()

    @contextmanager
    def settling(self, ids: Iterable[int]) -> Iterator[None]:
        """Around storing or giving back held photos: they are no longer held once it succeeded, and a beat
        meanwhile that finds their leases already ended (the transaction committed first) does not take that for a
        lease lost."""
        ids = set(ids)
        with self._lock:
            self._settling.update(ids)
        try:
            yield
        except BaseException:
            with self._lock:
                self._settling.difference_update(ids)  # nothing was stored: still held, still renewed
            raise
        with self._lock:
            self.held.difference_update(ids)
            self._settling.difference_update(ids)

    def holding(self) -> list[int]:
        with self._lock:
            return sorted(self.held)

    def renew(self) -> int:
        """Push the expiry of every lease this owner holds; returns how many were renewed."""
        with self.db.writing(serialised=False) as session:
            result = session.execute(
                update(Photo)
                .where(Photo.lease_owner == str(self.owner), Photo.status == PhotoStatus.RUNNING)
                .values(lease_expires=time.time() + self.lease_seconds)
            )
            return result.rowcount or 0

    def beat(self) -> None:
        """One heartbeat: renew; warn when a photo held (and not being settled) has no lease any more."""
        with self._lock:
            expected = self.held - self._settling
            if not self.held:
                return
        try:
            renewed = self.renew()
        except Exception:  # a locked library: try again at the next beat, the lease still has time
            log.warning("could not renew photo leases; retrying", exc_info=True)
            return
        if renewed == 0:
            with self._lock:
                lost = expected & (self.held - self._settling)
            if lost:
                log.warning("this process's photo leases were taken back by another process")

    def _run(self) -> None:
        while not self._stop.wait(max(self.lease_seconds / 3, 0.05)):
            self.beat()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)
