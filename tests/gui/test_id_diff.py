"""Working out the grid's change from one list of photo ids to the next (no Qt: plain lists)."""

from __future__ import annotations

from photoscribe.gui.id_diff import MAX_RUNS, plan


def applied(old: list[int], change) -> list[int]:  # type: ignore[no-untyped-def]
    """``old`` after the change's removals and insertions, done as the model does them."""
    ids = list(old)
    for first, last in change.removed:
        del ids[first : last + 1]
    for first, last in change.inserted:
        ids[first:first] = change.ids[first : last + 1]
    return ids


def test_new_photos_at_the_top_and_vanished_ones_are_row_changes() -> None:
    old = list(range(100, 0, -1))
    new = [103, 102, 101] + [i for i in old if i not in (50, 49, 7)]
    change = plan(old, new)
    assert not change.reset
    assert change.inserted == [(0, 2)]
    assert change.removed == [(93, 93), (50, 51)]  # bottom first: earlier rows keep their numbers
    assert applied(old, change) == new
    assert change.row_of[103] == 0 and change.row_of[1] == len(new) - 1


def test_the_same_list_changes_nothing() -> None:
    change = plan([3, 2, 1], [3, 2, 1])
    assert change.unchanged and not change.reset


def test_a_new_order_or_a_new_search_resets() -> None:
    assert plan([3, 2, 1], [1, 2, 3]).reset  # ranked differently
    assert plan([3, 2, 1], [9, 8]).reset  # nothing in common
    assert plan([], [1]).reset and plan([1], []).reset


def test_changes_scattered_all_over_reset() -> None:
    old = list(range(1000))
    new = [i for i in old if i % 10]  # 100 separate rows gone
    assert plan(old, new).reset
    few = [i for i in old if i % 100]
    change = plan(old, few)
    assert not change.reset and len(change.removed) == 10 <= MAX_RUNS
    assert applied(old, change) == few
