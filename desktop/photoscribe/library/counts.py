"""Photos per library folder, for the folders panel: one query over the photo table's ``path_key`` index.

Each library folder's photos are one index range of ``path_key`` (see ``paths.key_range``), so the counts are one
``UNION ALL`` of range counts sent in one round trip: work in proportion to the photos in the folders, never a
scan of every row per folder. A photo inside two nested library folders counts in both, as the grid's folder
filter shows it in both. Missing photos and the RAW halves of pairs are not shown, so they are not counted.
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

from sqlalchemy import func, literal, select, union_all

from photoscribe.library import plain
from photoscribe.library.database import Database
from photoscribe.library.edits import folders
from photoscribe.library.models import Photo
from photoscribe.library.paths import key_range
from photoscribe.library.rows import HIDDEN


def folder_counts(db: Database) -> dict[Path, int]:
    """How many photos the grid shows under each library folder, by the folder's path (0 for an empty one)."""
    wanted = folders(db)
    if not wanted:
        return {}
    parts = []
    for position, folder in enumerate(wanted):
        low, high = key_range(folder.path)
        inside = (Photo.path_key >= low, Photo.path_key < high, Photo.status.not_in(HIDDEN))
        parts.append(select(literal(position), func.count()).select_from(Photo).where(*inside))
    with db.reading() as session:
        rows = session.execute(union_all(*parts)).all() if len(parts) > 1 else session.execute(parts[0]).all()
    counts = {folder.path: 0 for folder in wanted}
    for position, count in rows:
        counts[wanted[position].path] = int(count)
    return counts


def directory_counts(db: Database) -> dict[str, int]:
    """How many shown photos each directory holds directly (not counting its subdirectories), by its path: one
    read of every shown photo's path through the driver's cursor (about 0.1 s at 100,000 photos)."""
    with db.reading() as session:
        paths = plain.shown_paths(session)
    return dict(Counter(os.path.dirname(path) for path in paths))
