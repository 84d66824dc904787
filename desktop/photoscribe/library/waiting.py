"""Waiting for photos to caption: woken at once on PostgreSQL (LISTEN/NOTIFY), at the next look on SQLite.

Whoever queues photos (registration, a retry, photos given back or taken back from a dead worker) *announces* it
after committing; a waiting worker wakes and claims. An announcement only says "look again": a worker that wakes
for nothing finds nothing to claim and waits again, and one that misses an announcement (its connection dropped)
still looks every ``poll_seconds``.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING, Any

from sqlalchemy import text

if TYPE_CHECKING:
    from photoscribe.library.database import Database

log = logging.getLogger(__name__)

QUEUE_CHANNEL = "photoscribe_queue"  # photos were queued
CAPTIONS_CHANNEL = "photoscribe_captions"  # captions were stored (the app on other machines shows them)
#: How often a waiter looks at ``stop`` while it waits for an announcement.
STOP_CHECK_SECONDS = 0.25


def announce_queued(db: Database) -> None:
    """Tell waiting workers that photos were queued (PostgreSQL; nothing to do on SQLite, where they poll)."""
    announce(db, QUEUE_CHANNEL)


def announce(db: Database, channel: str) -> None:
    """NOTIFY ``channel`` on a PostgreSQL library (after the change it announces was committed)."""
    if not db.server or db.read_only:
        return
    try:
        with db.engine.connect() as conn:
            conn.execute(text(f"NOTIFY {channel}"))
            conn.commit()
    except Exception:  # whoever waits still looks again at their next poll
        log.warning("could not announce %s", channel, exc_info=True)


class QueueWaiter:
    """Blocks until photos may have been queued (or what ``channels`` announce happened), ``poll_seconds``
    passed, or ``stop`` is set."""

    def __init__(self, db: Database, poll_seconds: float = 30.0, channels: tuple[str, ...] = (QUEUE_CHANNEL,)) -> None:
        self.db, self.poll_seconds, self.channels = db, poll_seconds, channels
        self._conn: Any = None
        if db.server:
            self._listen()

    def _listen(self) -> None:
        import psycopg

        url = self.db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        try:
            self._conn = psycopg.connect(url, autocommit=True, connect_timeout=10)
            for channel in self.channels:
                self._conn.execute(f"LISTEN {channel}")
        except psycopg.Error:
            log.warning("cannot listen for new photos; looking every %.0f s instead", self.poll_seconds, exc_info=True)
            self._conn = None

    def wait(self, stop: threading.Event) -> bool:
        """Wait; returns True when woken by an announcement, False on timeout or ``stop``."""
        deadline = time.monotonic() + self.poll_seconds
        while not stop.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            if self._conn is None:
                stop.wait(min(left, STOP_CHECK_SECONDS))
                continue
            try:
                for _ in self._conn.notifies(timeout=min(left, STOP_CHECK_SECONDS), stop_after=1):
                    return True
            except Exception:  # the connection dropped: poll, and listen again next time
                log.warning("lost the connection that listens for new photos", exc_info=True)
                self.close()
        return False

    def close(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            finally:
                self._conn = None

    def __enter__(self) -> QueueWaiter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
