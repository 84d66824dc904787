"""Subfolders in the folders panel: indented under their watched folder with the photos inside each, selectable."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt

from photoscribe.gui.folders_panel import SubFolder, subfolder_counts
from tests.gui.common import WAIT_MS
from tests.helpers import save_colour

#: photos written directly in each folder, relative to the watched one
SHOOT = {"": 1, "2024": 0, "2024/Day 1": 2, "2024/Day 2": 3, "2025": 4, "2025/raw/edits": 1}


def rows(window) -> list[tuple[str, object]]:  # type: ignore[no-untyped-def]
    items = [window.folders.list.item(i) for i in range(window.folders.list.count())]
    return [(item.text(), item.data(Qt.ItemDataRole.UserRole)) for item in items]


def test_subfolders_are_listed_with_their_counts_and_filter_the_grid(qtbot, open_window, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    top = tmp_path / "Photos"
    for sub, count in SHOOT.items():
        for i in range(count):
            save_colour(top / sub / f"IMG_{i}.jpg", "red")
    window = open_window()
    window.add_folder(str(top))
    qtbot.waitUntil(lambda: window.library.stats().photos == 11, timeout=WAIT_MS)
    expected = [
        "All photos",
        "Photos  (11)",
        "    2024  (5)",
        "        Day 1  (2)",
        "        Day 2  (3)",
        "    2025  (5)",
        "        raw  (1)",
        "            edits  (1)",
    ]
    qtbot.waitUntil(lambda: [text.replace(" · polling", "") for text, _ in rows(window)] == expected, timeout=WAIT_MS)
    assert rows(window)[3][1] == SubFolder(top / "2024" / "Day 1")

    window.folders.list.setCurrentRow(2)  # 2024: its photos and its subfolders'
    qtbot.waitUntil(lambda: window.model.rowCount() == 5, timeout=WAIT_MS)
    paths = {Path(window.library.records([i])[i].path) for i in window.model.ids()}
    assert {p.parent for p in paths} == {top / "2024" / "Day 1", top / "2024" / "Day 2"}
    assert not window.folders.pause.isEnabled() and not window.folders.remove.isEnabled()  # watched folders only

    with qtbot.waitSignal(window.refresher.folders_shown, timeout=WAIT_MS):
        window.refresh_folders()  # counted again: the subfolder stays selected
    assert window.folders.list.currentRow() == 2
    window.folders.list.setCurrentRow(1)
    qtbot.waitUntil(lambda: window.model.rowCount() == 11, timeout=WAIT_MS)
    assert window.folders.pause.isEnabled()


def test_subfolder_counts_add_up_the_folders_inside() -> None:
    top = Path("/p/Photos")
    directories = {"/p/Photos": 1, "/p/Photos/a/b": 2, "/p/Photos/a": 1, "/p/Photos/c": 3, "/p/Other/a": 9}
    assert subfolder_counts(top, directories) == [
        (Path("/p/Photos/a"), 3),
        (Path("/p/Photos/a/b"), 2),
        (Path("/p/Photos/c"), 3),
    ]
    assert subfolder_counts(Path("/p/Photo"), directories) == []  # a name that only starts like it


def test_a_shared_root_this_machine_cannot_see_is_listed_with_how_to_map_it(qtbot, open_window, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    window = open_window()
    window.library.roots.add("nas", tmp_path / "nas-as-the-render-box-sees-it")  # not a folder here
    with qtbot.waitSignal(window.refresher.folders_shown, timeout=WAIT_MS):
        window.refresh_folders()
    text, root = rows(window)[-1]
    assert text == "nas  (not reachable here)"
    item = window.folders.list.item(window.folders.list.count() - 1)
    assert "photoscribe roots set nas PATH" in item.toolTip()
    assert not item.flags() & Qt.ItemFlag.ItemIsSelectable
    (tmp_path / "nas-as-the-render-box-sees-it").mkdir()  # mounted: no longer listed
    with qtbot.waitSignal(window.refresher.folders_shown, timeout=WAIT_MS):
        window.refresh_folders()
    assert [text for text, _ in rows(window)] == ["All photos"]
