"""The scan of a folder shows in the status bar ("Scanning 41,200 files…") and goes once every scan is done."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytest.importorskip("pytestqt")

from photoscribe.config import Settings  # noqa: E402
from photoscribe.engine import Engine  # noqa: E402
from photoscribe.events import ScanProgress  # noqa: E402
from photoscribe.gui.main_window import MainWindow  # noqa: E402
from tests.gui.common import WAIT_MS, close_window  # noqa: E402
from tests.helpers import save_colour  # noqa: E402


def test_scan_progress_of_several_folders_adds_up_in_the_status_bar(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    window = MainWindow(Engine(Settings(library=str(tmp_path / "l.sqlite3"))))  # not started: events come from here
    window.show()
    scan = window.status_area.scan
    window.bridge(ScanProgress(Path("/nas/2019"), 41_000, 40_000, False))
    qtbot.waitUntil(lambda: scan.text() == "Scanning 41,000 files…" and scan.isVisible())
    window.bridge(ScanProgress(Path("/nas/2020"), 200, 10, False))
    qtbot.waitUntil(lambda: scan.text() == "Scanning 41,200 files…")
    assert "/nas/2019" in scan.toolTip() and "/nas/2020" in scan.toolTip()
    window.bridge(ScanProgress(Path("/nas/2019"), 41_900, 41_900, True))
    qtbot.waitUntil(lambda: scan.text() == "Scanning 200 files…")
    window.bridge(ScanProgress(Path("/nas/2020"), 250, 250, True))
    qtbot.waitUntil(lambda: not scan.isVisible())
    close_window(qtbot, window)
    window.engine.library.close()


def test_adding_a_folder_shows_its_scan(qtbot, open_window, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "card"
    for i in range(40):
        save_colour(folder / f"{i // 10}" / f"{i}.jpg", "red")
    window = open_window()
    shown: list[tuple[str, bool]] = []  # what the status bar said after each scan event
    window.bridge.scan_progress.connect(lambda _p: shown.append((window.status_area.scan.text(), _p.done)))
    window.add_folder(str(folder))
    qtbot.waitUntil(lambda: bool(shown) and shown[-1][1], timeout=WAIT_MS)
    assert any(re.fullmatch(r"Scanning [\d,]+ files…", text) for text, done in shown if not done), shown
    assert shown[-1][0] == "" and not window.status_area.scan.isVisible()
    qtbot.waitUntil(lambda: window.model.rowCount() == 40, timeout=WAIT_MS)
