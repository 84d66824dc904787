"""Helpers of the GUI tests."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt

from photoscribe.gui.main_window import MainWindow
from photoscribe.library import Library, PhotoFacts
from tests.library.common import fake_fingerprint

WAIT_MS = 60_000


def captions(window: MainWindow) -> list[str]:
    model = window.model
    return [str(model.index(row).data(Qt.ItemDataRole.DisplayRole)) for row in range(model.rowCount())]


def captioned_window(qtbot, open_window, folder: Path, count: int = 8, **settings: object) -> MainWindow:  # type: ignore[no-untyped-def]
    """A window on ``folder`` once its ``count`` photos are captioned and shown."""
    window = open_window(**settings)
    window.add_folder(str(folder))
    qtbot.waitUntil(
        lambda: window.model.rowCount() == count and window.engine.library.stats().captioned == count, timeout=WAIT_MS
    )
    return window


def select(window: MainWindow, photo: Path) -> None:
    """Select ``photo`` in the grid, as a click would."""
    window.grid.setCurrentIndex(window.model.index(row_of(window, photo)))


def row_of(window: MainWindow, path: Path) -> int:
    return next(row for row in range(window.model.rowCount()) if window.model.record(row).path == str(path))


def type_caption(qtbot, window: MainWindow, text: str) -> None:  # type: ignore[no-untyped-def]
    """Replace the caption box's text by typing, as a user would (nothing is saved by this)."""
    box = window.details.caption
    box.setFocus()
    box.selectAll()
    qtbot.keyClicks(box, text)
    assert box.toPlainText() == text


def close_window(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    """Close ``window`` as the user would and wait until it has finished closing (engine stopped, edits saved)."""
    window.close()
    qtbot.waitUntil(lambda: window.closing_done, timeout=WAIT_MS)


def fill_library(library: Library, count: int, first: int = 0, root: str = "/big") -> list[str]:
    """Register ``count`` photos (files that need not exist: their thumbnails fail at once, quietly) through the
    Library API, 1,000 to a folder; returns their paths, in the order registered."""
    folder = library.add_folder(root)
    paths = [f"{root}/{n // 1000:03d}/IMG_{n:06d}.jpg" for n in range(first, first + count)]
    for start in range(0, count, 5000):
        chunk = paths[start : start + 5000]
        library.register(
            [PhotoFacts(p, 3_000_000 + i, 1.7e9 + i, fake_fingerprint(p)) for i, p in enumerate(chunk)], folder
        )
    return paths
