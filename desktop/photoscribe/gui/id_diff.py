"""How the grid's list of photo ids changes from one query to the next, worked out off the GUI thread.

A requery during an import usually adds a few photos at the top and drops one or two: the grid should insert and
remove those rows (the view keeps its selection and scroll position) rather than reset. :func:`plan` finds the
rows to remove and insert when the photos kept stay in the same order; otherwise (a new search, a new ranking,
or changes scattered all over) it asks for a reset.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

#: More separate runs of rows than this to insert or remove: a reset is cheaper than that many signals.
MAX_RUNS = 64


@dataclass(frozen=True)
class IdChange:
    """From ``old`` to ``ids``: remove the ``removed`` row runs (rows of ``old``, bottom first), then insert the
    ``inserted`` runs (rows of ``ids``, top first); or, with ``reset``, replace the list wholesale."""

    old: list[int]
    ids: list[int]
    row_of: dict[int, int]
    removed: list[tuple[int, int]] = field(default_factory=list)
    inserted: list[tuple[int, int]] = field(default_factory=list)
    reset: bool = False

    @property
    def unchanged(self) -> bool:
        return not self.reset and not self.removed and not self.inserted


def plan(old: list[int], ids: list[int], max_runs: int = MAX_RUNS) -> IdChange:
    """The change from ``old`` to ``ids`` (``ids`` may share nothing with ``old``)."""
    row_of = {photo_id: row for row, photo_id in enumerate(ids)}
    if old == ids:
        return IdChange(old, ids, row_of)
    if not old or not ids:
        return IdChange(old, ids, row_of, reset=True)
    before = set(old)
    kept = [photo_id for photo_id in old if photo_id in row_of]
    if kept != [photo_id for photo_id in ids if photo_id in before]:  # the photos kept were reordered
        return IdChange(old, ids, row_of, reset=True)
    removed = _runs(row for row, photo_id in enumerate(old) if photo_id not in row_of)
    inserted = _runs(row for row, photo_id in enumerate(ids) if photo_id not in before)
    if len(removed) + len(inserted) > max_runs or not kept:
        return IdChange(old, ids, row_of, reset=True)
    return IdChange(old, ids, row_of, removed[::-1], inserted)


def _runs(rows: Iterable[int]) -> list[tuple[int, int]]:
    """Consecutive rows grouped as (first, last), in order."""
    runs: list[tuple[int, int]] = []
    for row in rows:
        if runs and runs[-1][1] == row - 1:
            runs[-1] = (runs[-1][0], row)
        else:
            runs.append((row, row))
    return runs
