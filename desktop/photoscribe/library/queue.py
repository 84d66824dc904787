"""The captioning queue, shared by any number of processes (and later machines) through leases (see leases.py).

A worker *claims* pending photos: each gets the worker's owner and an expiry, renewed by a heartbeat while it is
held. Only the owner can store or release its photos. A process starting up takes back only leases that expired,
or whose owner is a process on this host that no longer runs.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

from sqlalchemy import and_, func, or_, select, update

from photoscribe.library import left_out
from photoscribe.library.database import Database
from photoscribe.library.leases import LEASE_SECONDS, LeaseKeeper, LeaseOwner
from photoscribe.library.models import Folder, Photo, PhotoStatus
from photoscribe.library.records import CaptionResult, ClaimedPhoto, LibraryStats
from photoscribe.library.rows import now, with_details, within
from photoscribe.library.storing import store_captions

log = logging.getLogger(__name__)


class Queue:
    """Claiming, releasing and finishing photos, and the counts of the queue."""

    def __init__(self, db: Database, owner: LeaseOwner, lease_seconds: float = LEASE_SECONDS) -> None:
        self.db, self.owner, self.lease_seconds = db, owner, lease_seconds
        self.keeper = LeaseKeeper(db, owner, lease_seconds)

    def mine(self, *statuses: PhotoStatus):  # type: ignore[no-untyped-def]
        """A filter keeping the photos this owner holds (leased: RUNNING, unless other ``statuses`` are given)."""
        return and_(Photo.status.in_(statuses or (PhotoStatus.RUNNING,)), Photo.lease_owner == str(self.owner))

    def claim_batch(
        self,
        limit: int,
        paths: Sequence[Path | str] | None = None,
        excluding: Sequence[Path | str] = (),
    ) -> list[ClaimedPhoto]:
        """Atomically lease up to ``limit`` pending photos (under ``paths`` if given, not under ``excluding``),
        oldest first.

        On PostgreSQL the rows are locked as they are read and rows another worker is claiming right now are
        skipped (``FOR UPDATE SKIP LOCKED``), so workers claim side by side, never the same photo and never waiting
        on each other; SQLite has one writer at a time anyway (the clause is not rendered there)."""
        query = select(Photo).where(Photo.status == PhotoStatus.PENDING).with_for_update(skip_locked=True)
        inside = within(paths)
        if inside is not None:
            query = query.where(inside)
        outside = within(excluding) if excluding else None
        if outside is not None:  # roots this machine cannot see: left for the machines that can
            query = query.where(~outside)
        with self.db.writing(serialised=False) as session:
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
        with self.keeper.settling(ids), self.db.writing() as session:
            result = session.execute(
                update(Photo).where(Photo.id.in_(ids), self.mine()).values(**UNLEASED, status=PhotoStatus.PENDING)
            )
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
        ``metadata_pending`` the captioned photos are marked as still to be written into their files. A RAW that
        became the RAW half of a pair while it was captioned keeps its result and stays paired (see pairs.py).
        A result's ``image_vector`` is stored with its ``model_ref`` (for similar photos).
        """
        ids = [r.photo_id for r in captions] + [photo_id for photo_id, _ in failures]
        held_or_paired = self.mine(PhotoStatus.RUNNING, PhotoStatus.PAIRED)  # a RAW that paired while leased
        with self.keeper.settling(ids), self.db.writing(serialised=False) as session:
            query = with_details(select(Photo).where(Photo.id.in_(ids), held_or_paired))
            held = {photo.id: photo for photo in session.scalars(query)}
            kept = list({r.photo_id: (held[r.photo_id], r) for r in captions if r.photo_id in held}.values())
            store_captions(session, kept, metadata_pending)
            stored = [photo.id for photo, _ in kept]
            seen = [(r.photo_id, r.model_ref, r.image_vector) for r in captions if r.photo_id in held]
            if any(vector is not None for _, _, vector in seen):
                from photoscribe.library.vectors import store_image_vectors  # numpy only when there are vectors

                store_image_vectors(session, [(i, ref, vector) for i, ref, vector in seen if vector is not None])
            for photo_id, reason in failures:
                if photo_id in held:
                    photo = held[photo_id]
                    if photo.status != PhotoStatus.PAIRED:
                        photo.status, photo.error = PhotoStatus.FAILED, reason
                    photo.lease_owner = photo.lease_expires = photo.claimed_at = None
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
                .values(**UNLEASED, status=PhotoStatus.PENDING)
            )
            return result.rowcount or 0

    def requeue(self, photo_ids: Iterable[int], prompt: str | None = None) -> int:
        """Queue photos for captioning again (the user asked, e.g. to retry failures); returns how many.

        Missing photos and the RAW halves of pairs (captioned through their JPEG) are left as they are.
        ``prompt`` is used for these photos' next caption instead of the settings' prompt.
        """
        ids = list(photo_ids)
        with self.db.writing() as session:
            result = session.execute(
                update(Photo)
                .where(Photo.id.in_(ids), Photo.status.not_in([PhotoStatus.MISSING, PhotoStatus.PAIRED]))
                .values(**UNLEASED, status=PhotoStatus.PENDING, error=None, prompt=prompt)
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
        """How many photos (under ``paths`` if given) are in each state; a RAW+JPEG pair counts as one photo. Files
        left out (not photos) are summed over the folders at or under ``paths``."""
        query = select(Photo.status, func.count()).group_by(Photo.status)
        inside = within(paths)
        with self.db.reading() as session:
            counts = dict(session.execute(query if inside is None else query.where(inside)).all())
            folders = session.scalar(select(func.count()).select_from(Folder)) or 0
            not_photos = left_out.totals(session, paths)
        missing, paired = counts.get(PhotoStatus.MISSING, 0), counts.get(PhotoStatus.PAIRED, 0)
        return LibraryStats(
            photos=sum(counts.values()) - missing - paired,
            captioned=counts.get(PhotoStatus.DONE, 0),
            pending=counts.get(PhotoStatus.PENDING, 0) + counts.get(PhotoStatus.RUNNING, 0),
            failed=counts.get(PhotoStatus.FAILED, 0),
            missing=missing,
            cancelled=counts.get(PhotoStatus.CANCELLED, 0),
            folders=folders,
            running=counts.get(PhotoStatus.RUNNING, 0),
            paired=paired,
            left_out=not_photos,
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


#: A photo's lease columns once no one holds it (given back, taken back, re-queued, copied to another library).
UNLEASED = {"lease_owner": None, "lease_expires": None, "claimed_at": None}


def _dead(owner: str) -> bool:
    parsed = LeaseOwner.parse(owner)
    return parsed is not None and parsed.is_dead()
