"""Library roots: folders shared by several machines (a NAS share), each mounting them where it likes.

A root has a name and a path: where the machine that added it sees it. Photos under a root are stored under that
path, so a photo's stored path is the root's path followed by the photo's path relative to the root. Each machine
(by host name) may record its own mount point of a root; the library then gives and takes that machine's paths
(``paths.PathBytes`` maps them), so the app, ``photoscribe add`` and workers on every machine work with paths that
open there. A machine that cannot see a root (no mount recorded, and the root's own path is not a folder there)
leaves that root's photos in the queue for the machines that can: they are neither claimed nor failed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from photoscribe.errors import LibraryError
from photoscribe.library.database import Database
from photoscribe.library.location import this_host
from photoscribe.library.models import Root, RootMount
from photoscribe.library.paths import ROOTS_ATTRIBUTE, normalise, path_key
from photoscribe.library.rows import now

__all__ = ["RootMap", "RootRecord", "Roots", "this_host"]


@dataclass(frozen=True)
class RootRecord:
    """A root as one machine sees it."""

    name: str
    path: str  # where the machine that added it sees it (photos are stored under this)
    mount: str | None  # where this machine sees it, if recorded
    photos: int = 0

    @property
    def here(self) -> str:
        """Where this machine looks for the root's photos."""
        return self.mount or self.path

    @property
    def reachable(self) -> bool:
        """True when the root is a folder on this machine (at its mount point, or at its own path)."""
        return os.path.isdir(self.here)


class RootMap:
    """Rewrites path prefixes between this machine's mount points and the roots' stored paths (bytes)."""

    def __init__(self, roots: list[RootRecord]) -> None:
        self._pairs: list[tuple[bytes, bytes, bytes, bytes]] = []  # stored, local, stored key, local key
        for root in roots:
            if root.mount is not None and root.mount != root.path:
                self._pairs.append(
                    (
                        os.fsencode(root.path),
                        os.fsencode(root.mount),
                        os.fsencode(path_key(root.path)),
                        os.fsencode(path_key(root.mount)),
                    )
                )
        self._pairs.sort(key=lambda pair: -len(pair[1]))  # the deepest mount point first

    def __bool__(self) -> bool:
        return bool(self._pairs)

    def to_stored(self, raw: bytes, key: bool = False) -> bytes:
        """A path (or path key) as this machine gives it, as the library stores it."""
        return self._rewrite(raw, key, to_stored=True)

    def to_local(self, raw: bytes, key: bool = False) -> bytes:
        """A stored path (or path key) as this machine sees it."""
        return self._rewrite(raw, key, to_stored=False)

    def _rewrite(self, raw: bytes, key: bool, to_stored: bool) -> bytes:
        for stored, local, stored_key, local_key in self._pairs:
            library, here = (stored_key, local_key) if key else (stored, local)
            found = _replace(raw, here, library) if to_stored else _replace(raw, library, here)
            if found is not None:
                return found
        return raw


def _replace(raw: bytes, prefix: bytes, by: bytes) -> bytes | None:
    """``raw`` with the folder ``prefix`` replaced by ``by``: the folder itself, anything inside it, or the upper
    bound of a range of paths inside it (the prefix and the byte after the separator, see ``paths.key_range``)."""
    sep = os.fsencode(os.sep)
    if not raw.startswith(prefix):
        return None
    rest = raw[len(prefix) :]
    if not rest or rest.startswith(sep) or rest == bytes([sep[0] + 1]):
        return by + rest
    return None


def read_roots(db: Database, host: str) -> list[RootRecord]:
    """Every root, with this host's mount point where recorded."""
    with db.reading() as session:
        mounts = dict(session.execute(select(RootMount.root_id, RootMount.path).where(RootMount.host == host)).all())
        rows = session.execute(select(Root.id, Root.name, Root.path).order_by(Root.name)).all()
    return [RootRecord(name, path, mounts.get(root_id)) for root_id, name, path in rows]


def install(db: Database, host: str) -> list[RootRecord]:
    """Read the roots and make ``db`` map this host's paths; returns the roots."""
    roots = read_roots(db, host)
    setattr(db.engine.dialect, ROOTS_ATTRIBUTE, RootMap(roots) or None)
    return roots


def add_root(db: Database, name: str, path: Path | str, host: str) -> None:
    """A new root named ``name`` at ``path`` as this host sees it (photos already under it keep their paths)."""
    name = name.strip()
    if not name:
        raise LibraryError("a root needs a name")
    where = str(normalise(path))
    with db.writing() as session:
        existing = session.scalars(select(Root).where((Root.name == name) | (Root.path == where))).first()
        if existing is not None:
            raise LibraryError(f"a root named {existing.name!r} already exists at {existing.path}")
        session.add(Root(name=name, path=where, added_at=now()))


def set_mount(db: Database, name: str, path: Path | str | None, host: str) -> None:
    """Record where ``host`` sees the root ``name`` (``None``: forget it, the root's own path is used)."""
    with db.writing() as session:
        root = session.scalars(select(Root).where(Root.name == name)).first()
        if root is None:
            raise LibraryError(f"the library has no root named {name!r} (photoscribe roots lists them)")
        mount = session.get(RootMount, (root.id, host))
        if path is None:
            if mount is not None:
                session.delete(mount)
        elif mount is None:
            session.add(RootMount(root_id=root.id, host=host, path=str(normalise(path))))
        else:
            mount.path = str(normalise(path))


class Roots:
    """The roots of one library as this machine sees them (``Library.roots``)."""

    def __init__(self, db: Database, host: str) -> None:
        self.db, self.host = db, host
        self._known = install(db, host)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self._known)

    def refresh(self) -> list[RootRecord]:
        """Read the roots again (another machine may have added one) and map paths accordingly."""
        self._known = install(self.db, self.host)
        return self._known

    def add(self, name: str, path: Path | str) -> None:
        """A new root at ``path`` as this machine sees it."""
        add_root(self.db, name, path, self.host)
        self.refresh()

    def set_mount(self, name: str, path: Path | str | None) -> None:
        """Where this machine sees the root ``name`` (``None``: at the root's own path)."""
        set_mount(self.db, name, path, self.host)
        self.refresh()

    def unreachable(self) -> list[str]:
        """Where this machine would look for the roots it cannot see (their photos are left to others)."""
        return [root.here for root in self._known if not root.reachable]
