"""The review workflow: *To review* gone through from the keyboard with Enter, keyword edits and re-captions of
many photos selected at once (Ctrl+A, Shift and Ctrl clicks), and *With prompt…* only for a selection."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

import pytest

pytest.importorskip("pytestqt")
from PySide6.QtCore import QPoint, Qt, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication, QInputDialog  # noqa: E402

from photoscribe.library import CaptionResult, Library, PhotoFilter  # noqa: E402
from tests.gui.common import WAIT_MS, captioned_window, close_window, row_of, select  # noqa: E402
from tests.gui.conftest import BIG  # noqa: E402
from tests.gui.test_edits import add_keyword  # noqa: E402
from tests.helpers import save_colour  # noqa: E402
from tests.tiny_blip import COLOURS  # noqa: E402


def click(qtbot, window, row: int, modifier=Qt.KeyboardModifier.NoModifier) -> None:  # type: ignore[no-untyped-def]
    """Click the grid's cell at ``row`` (with Shift or Ctrl held), as the user would."""
    grid = window.grid
    grid.scrollTo(window.model.index(row))
    centre: QPoint = grid.visualRect(window.model.index(row)).center()
    qtbot.mouseClick(grid.viewport(), Qt.MouseButton.LeftButton, modifier, centre)


def in_grid(window) -> None:  # type: ignore[no-untyped-def]
    """The keyboard is in the grid, as after clicking it."""
    window.activateWindow()
    window.grid.setFocus()


def test_twenty_new_photos_are_reviewed_from_the_keyboard(qtbot, open_window, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "new"
    photos = [save_colour(folder / f"IMG_{i:03d}.jpg", list(COLOURS)[i % 4]) for i in range(20)]
    window = captioned_window(qtbot, open_window, folder, count=20)
    library, grid, model = window.engine.library, window.grid, window.model
    window.status_filter.setCurrentText("To review")
    qtbot.waitUntil(lambda: window.count.text() == "20 photos" and model.rowCount() == 20, timeout=WAIT_MS)
    in_grid(window)
    select(window, Path(model.record(0).path))
    qtbot.keyClick(grid, Qt.Key.Key_Right)  # the arrows move between photos
    assert grid.currentIndex().row() == 1 and window.details.record.path == model.record(1).path
    qtbot.keyClick(grid, Qt.Key.Key_Left)
    assert grid.currentIndex().row() == 0
    accepted: list[str] = []
    for left in range(19, 9, -1):  # one at a time: each leaves the list, the next is current
        shown = window.details.record
        assert shown is not None and shown.to_review and shown.path not in accepted
        assert "captioned, to review" in window.details.status.text()
        qtbot.keyClick(grid, Qt.Key.Key_Return)
        accepted.append(shown.path)
        qtbot.waitUntil(lambda: model.rowCount() == left, timeout=WAIT_MS)  # noqa: B023
        assert QApplication.focusWidget() is grid and shown.path not in [r.path for r in map(model.record, range(left))]
        assert window.details.record.path == model.record(grid.currentIndex().row()).path
        assert library.photo(shown.path).reviewed_at is not None
    for _ in range(10):  # the rest as fast as the keys come: each press accepts the next photo
        assert window.details.record.path not in accepted
        accepted.append(window.details.record.path)
        qtbot.keyClick(grid, Qt.Key.Key_Enter)
    qtbot.waitUntil(lambda: model.rowCount() == 0 and window.count.text() == "0 photos", timeout=WAIT_MS)
    assert sorted(accepted) == sorted(map(str, photos)) and window.details.record is None
    assert all(library.photo(photo).reviewed_at is not None for photo in photos)
    assert library.photo_ids(status=PhotoFilter.TO_REVIEW) == []
    assert not window.details.recaption_prompt.isEnabled()  # nothing selected any more


def test_a_keyword_added_to_every_photo_selected_reaches_the_library_and_the_files(  # type: ignore[no-untyped-def]
    qtbot, open_window, colour_photos
) -> None:
    window = captioned_window(qtbot, open_window, colour_photos["red"][0].parent, write_metadata="sidecar")
    photos = {photo: colour for colour, paths in colour_photos.items() for photo in paths}
    library = window.engine.library

    def sidecar(photo: Path) -> str:
        xmp = photo.with_name(photo.name + ".xmp")
        return xmp.read_text() if xmp.exists() else ""

    qtbot.waitUntil(lambda: all("a photo of a" in sidecar(p) for p in photos), timeout=WAIT_MS)
    in_grid(window)
    select(window, colour_photos["red"][0])
    qtbot.keyClick(window.grid, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    assert len(window.review.selected_ids()) == 8 and "8 photos selected" in window.details.selection.text()
    add_keyword(qtbot, window, "Holiday")
    for photo, colour in photos.items():
        qtbot.waitUntil(lambda: library.photo(photo).keywords == (colour, "wall", "Holiday"), timeout=WAIT_MS)  # noqa: B023
    for photo in photos:
        qtbot.waitUntil(lambda: "Holiday" in sidecar(photo), timeout=WAIT_MS)  # noqa: B023
    chips = window.details.keywords
    qtbot.waitUntil(lambda: chips.keywords() == ["red", "wall", "Holiday"], timeout=WAIT_MS)
    wall = chips.chips.item(1)
    qtbot.mouseClick(chips.chips.viewport(), Qt.MouseButton.LeftButton, pos=chips.chips.visualItemRect(wall).center())
    for photo, colour in photos.items():  # a chip removed leaves every photo selected
        qtbot.waitUntil(lambda: library.photo(photo).keywords == (colour, "Holiday"), timeout=WAIT_MS)  # noqa: B023
    window.activateWindow()
    chips.entry.setFocus()
    qtbot.keyClick(chips.entry, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)  # one undo for them all
    for photo, colour in photos.items():
        qtbot.waitUntil(lambda: library.photo(photo).keywords == (colour, "wall", "Holiday"), timeout=WAIT_MS)  # noqa: B023
    assert library.photo_ids(status=PhotoFilter.TO_REVIEW) == []  # an edit counts as reviewed


def test_a_selection_is_accepted_and_captioned_again(qtbot, open_window, colour_photos) -> None:  # type: ignore[no-untyped-def]
    window = captioned_window(qtbot, open_window, colour_photos["red"][0].parent)
    library, model = window.engine.library, window.model
    in_grid(window)
    click(qtbot, window, 0)
    qtbot.keyClick(window.grid, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.mouseClick(window.details.accept, Qt.MouseButton.LeftButton)  # the button: every photo selected
    qtbot.waitUntil(lambda: library.photo_ids(status=PhotoFilter.TO_REVIEW) == [], timeout=WAIT_MS)
    assert QApplication.focusWidget() is window.grid
    click(qtbot, window, 1)
    click(qtbot, window, 3, Qt.KeyboardModifier.ShiftModifier)  # rows 1 to 3
    click(qtbot, window, 6, Qt.KeyboardModifier.ControlModifier)  # and row 6
    chosen = {Path(model.record(row).path) for row in (1, 2, 3, 6)}
    assert {Path(r.path) for r in library.records(window.review.selected_ids()).values()} == chosen
    assert window.details.record.path == model.record(6).path  # the current photo
    qtbot.mouseClick(window.details.recaption, Qt.MouseButton.LeftButton)
    others = [p for paths in colour_photos.values() for p in paths if p not in chosen]
    qtbot.waitUntil(lambda: all(library.photo(p).revision == 2 for p in chosen), timeout=WAIT_MS)
    assert all(library.photo(p).revision == 1 and not library.photo(p).to_review for p in others)
    assert all(library.photo(p).to_review for p in chosen)  # a new model caption is to review again
    click(qtbot, window, row_of(window, sorted(chosen)[0]))
    click(qtbot, window, row_of(window, sorted(chosen)[1]), Qt.KeyboardModifier.ControlModifier)

    def answer() -> None:  # the user types a prompt into the real dialog
        dialog = QApplication.activeModalWidget()
        assert isinstance(dialog, QInputDialog)
        dialog.setTextValue("a photography of")
        dialog.accept()

    QTimer.singleShot(0, answer)
    qtbot.mouseClick(window.details.recaption_prompt, Qt.MouseButton.LeftButton)
    two = sorted(chosen)[:2]
    qtbot.waitUntil(lambda: all(library.photo(p).revision == 3 for p in two), timeout=WAIT_MS)
    assert all(library.photo(p).caption.startswith("a photography of a ") for p in two)
    assert all(library.photo(p).revision == 2 for p in sorted(chosen)[2:])


def test_with_prompt_needs_a_selection(qtbot, open_window, colour_photos) -> None:  # type: ignore[no-untyped-def]
    window = captioned_window(qtbot, open_window, colour_photos["red"][0].parent)
    details = window.details
    prompt_action = next(a for a in window.review.actions if a.text().startswith("Re-caption with a"))
    assert window.review.selected_ids() == [] and details.record is None
    assert not details.recaption_prompt.isEnabled() and not prompt_action.isEnabled()
    in_grid(window)
    click(qtbot, window, 2)
    assert details.recaption_prompt.isEnabled() and prompt_action.isEnabled()
    click(qtbot, window, 2, Qt.KeyboardModifier.ControlModifier)  # Ctrl+click: no photo selected any more
    assert window.review.selected_ids() == [] and details.record is None
    assert not details.recaption_prompt.isEnabled() and not prompt_action.isEnabled()
    assert not details.accept.isEnabled() and not details.recaption.isEnabled()


def test_write_metadata_writes_the_photos_selected(qtbot, open_window, colour_photos) -> None:  # type: ignore[no-untyped-def]
    import dataclasses

    window = captioned_window(qtbot, open_window, colour_photos["red"][0].parent)  # metadata writing off
    write = next(a for a in window.review.actions if a.text() == "&Write metadata")
    chosen = [colour_photos["red"][0], colour_photos["blue"][1]]
    in_grid(window)
    click(qtbot, window, row_of(window, chosen[0]))
    click(qtbot, window, row_of(window, chosen[1]), Qt.KeyboardModifier.ControlModifier)
    write.trigger()
    assert "Metadata writing is off" in window.statusBar().currentMessage()
    window.engine.apply_settings(dataclasses.replace(window.engine.settings, write_metadata="sidecar"))
    write.trigger()
    for photo in chosen:
        xmp = photo.with_name(photo.name + ".xmp")
        qtbot.waitUntil(lambda: xmp.exists() and "a photo of a" in xmp.read_text(), timeout=WAIT_MS)  # noqa: B023
    window.writes.run(lambda: None).result(timeout=60)
    window.engine.wait_until_idle(60)
    others = [p for paths in colour_photos.values() for p in paths if p not in chosen]
    assert not any(p.with_name(p.name + ".xmp").exists() for p in others)  # only the photos selected


class NotingLibrary(Library):
    """A library that notes the threads its review writes run on."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.writers: dict[str, str] = {}  # method: the thread it ran on

    def mark_reviewed(self, photo_ids: Sequence[int]) -> int:
        self.writers["mark_reviewed"] = threading.current_thread().name
        return super().mark_reviewed(photo_ids)

    def change_keywords(self, *args: object, **kwargs: object) -> dict[int, tuple[str, ...]]:
        self.writers["change_keywords"] = threading.current_thread().name
        return super().change_keywords(*args, **kwargs)  # type: ignore[arg-type]


def test_thousands_of_photos_are_accepted_and_keyworded_without_stalling_the_gui(  # type: ignore[no-untyped-def]
    qtbot, big_library: Path, tiny_model_dir: Path
) -> None:
    from tests.gui.test_large import STALL_S, Ticks, window_on

    library = NotingLibrary(big_library)
    claimed = library.claim_batch(2000)  # captioned as a worker stores them
    library.save_results([CaptionResult(c.id, "a photo of a red wall", ["red", "wall"], "m") for c in claimed])
    window = window_on(qtbot, library, tiny_model_dir)
    grid, model = window.grid, window.model
    assert model.rowCount() == BIG
    window.status_filter.setCurrentText("To review")
    qtbot.waitUntil(lambda: model.rowCount() == 2000, timeout=WAIT_MS)
    in_grid(window)
    select(window, Path(model.record(0).path))
    ticks = Ticks()
    qtbot.keyClick(grid, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(grid, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: model.rowCount() == 0, timeout=WAIT_MS)
    window.status_filter.setCurrentText("Captioned")
    qtbot.waitUntil(lambda: model.rowCount() == 2000, timeout=WAIT_MS)
    select(window, Path(model.record(0).path))
    qtbot.keyClick(grid, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    window.review.change_keywords(["Archive"], [])  # as Photos > Add keyword… does
    qtbot.waitUntil(lambda: len(library.writers) == 2 and not window.edits._queued, timeout=WAIT_MS)
    worst = ticks.worst()
    assert worst < STALL_S, f"the GUI thread stalled {worst:.2f} s"
    assert threading.main_thread().name not in library.writers.values()
    assert library.photo_ids(status=PhotoFilter.TO_REVIEW) == []
    assert sorted(library.photo_ids("Archive")) == sorted(c.id for c in claimed)
    close_window(qtbot, window)
    library.close()
