"""The grid's order chosen in the window: Newest added, Date taken, Name; remembered across windows."""

from __future__ import annotations

from pathlib import Path

from photoscribe.library import SortOrder
from tests.gui.common import WAIT_MS, close_window
from tests.helpers import save_colour


def shown_names(window) -> list[str | None]:  # type: ignore[no-untyped-def]
    records = [window.model.record(row) for row in range(window.model.rowCount())]
    return [None if record is None else Path(record.path).name for record in records]  # (None: not read yet)


def test_choosing_an_order_reorders_the_grid_and_is_remembered(qtbot, open_window, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "shoot"
    names = ["b.jpg", "C.jpg", "a.jpg", "d.jpg"]
    for name in names:
        save_colour(folder / name, "red")
    first = open_window()
    first.add_folder(str(folder))
    qtbot.waitUntil(lambda: first.model.rowCount() == 4 and None not in shown_names(first), timeout=WAIT_MS)
    added = shown_names(first)
    assert sorted(added) == sorted(names)
    assert first.sort.order == SortOrder.ADDED

    first.sort.widget.setCurrentText("Name")
    qtbot.waitUntil(lambda: shown_names(first) == ["a.jpg", "b.jpg", "C.jpg", "d.jpg"], timeout=WAIT_MS)
    close_window(qtbot, first)

    second = open_window()
    assert second.sort.order == SortOrder.NAME and second.sort.widget.currentText() == "Name"
    qtbot.waitUntil(lambda: shown_names(second) == ["a.jpg", "b.jpg", "C.jpg", "d.jpg"], timeout=WAIT_MS)
    second.sort.widget.setCurrentText("Newest added")
    qtbot.waitUntil(lambda: shown_names(second) == added, timeout=WAIT_MS)
