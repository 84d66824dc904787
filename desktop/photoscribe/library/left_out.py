"""Files in the photo folders that are not photos (videos, sidecars, others): counted by the scans that walk a
whole folder, kept per folder, summed for ``photoscribe status``."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from photoscribe.formats import LeftOut
from photoscribe.library.database import Database
from photoscribe.library.models import Folder, LeftOutFile
from photoscribe.library.paths import display_path, normalise, path_key


def set_left_out(db: Database, folder_id: int, counts: Mapping[tuple[str, str], int]) -> None:
    """Replace one folder's counts of files left out, by (``formats.LeftOut`` value, extension). A folder removed
    meanwhile is not an error: nothing is recorded."""
    rows: Counter[tuple[str, str]] = Counter()
    for (kind, extension), count in counts.items():
        if count > 0:
            rows[LeftOut(kind).value, display_path(extension).lower()] += count
    with db.writing() as session:
        if session.get(Folder, folder_id) is None:
            return
        session.execute(delete(LeftOutFile).where(LeftOutFile.folder_id == folder_id))
        session.add_all(LeftOutFile(folder_id=folder_id, kind=k, extension=e, count=n) for (k, e), n in rows.items())


def totals(session: Session, paths: Sequence[Path | str] | None = None) -> tuple[tuple[str, str, int], ...]:
    """(kind, extension, count) summed over the folders (at or under ``paths`` if given), largest first.

    A folder inside another of those folders is counted by the outer folder's scan already, so it is skipped.
    """
    folders = {f.id: f.path for f in session.scalars(select(Folder))}
    keys = {folder_id: path_key(path).rstrip(os.sep) for folder_id, path in folders.items()}
    wanted = None if paths is None else [path_key(normalise(p)).rstrip(os.sep) for p in paths]

    def inside(key: str, outer: str) -> bool:
        return key == outer or key.startswith(outer + os.sep)

    chosen = {i: key for i, key in keys.items() if wanted is None or any(inside(key, w) for w in wanted)}
    counted = {i for i, key in chosen.items() if not any(o != key and inside(key, o) for o in chosen.values())}
    summed: Counter[tuple[str, str]] = Counter()
    for row in session.scalars(select(LeftOutFile)):
        if row.folder_id in counted:
            summed[row.kind, row.extension] += row.count
    return tuple((kind, ext, n) for (kind, ext), n in sorted(summed.items(), key=lambda item: (-item[1], item[0])))
