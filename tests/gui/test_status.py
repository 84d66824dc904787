"""Captioning controls and settings: the settings dialog reaches the running engine, a model error shows one
banner whose advice works (Retry, or new settings), folders can be removed and paused from the panel."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

pytest.importorskip("pytestqt")
from PySide6.QtCore import Qt, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox  # noqa: E402

from photoscribe.config import load_settings  # noqa: E402
from photoscribe.events import EngineState  # noqa: E402
from photoscribe.gui.settings_dialog import SettingsDialog  # noqa: E402
from tests.gui.common import WAIT_MS, captioned_window, select  # noqa: E402
from tests.helpers import save_colour  # noqa: E402


def answer_settings(monkeypatch, **fields: object) -> None:  # type: ignore[no-untyped-def]
    """The user fills in the settings dialog and presses Save (only ``exec``, the modal wait, is replaced)."""

    def exec_(dialog: SettingsDialog) -> int:
        assert "restart" not in " ".join(w.text() for w in dialog.findChildren(type(dialog.prompt)))
        for name, value in fields.items():
            widget = getattr(dialog, name)
            widget.setValue(value) if hasattr(widget, "setValue") else widget.setText(str(value))
        return QDialog.DialogCode.Accepted.value

    monkeypatch.setattr(QDialog, "exec", exec_)


class ModalWatch:
    """Counts (and closes) every modal dialog that opens while it runs."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        self.timer = QTimer()
        self.timer.setInterval(20)
        self.timer.timeout.connect(self._check)
        self.timer.start()

    def _check(self) -> None:
        modal = QApplication.activeModalWidget()
        if modal is not None:
            self.seen.append(modal.windowTitle() or type(modal).__name__)
            modal.close()


def test_settings_reach_the_running_engine(qtbot, open_window, colour_photos, door_model_dir, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    window = captioned_window(qtbot, open_window, colour_photos["red"][0].parent)
    assert SettingsDialog(window.engine.settings).batch_size.text() == "automatic"
    answer_settings(monkeypatch, model=door_model_dir, batch_size=4, settle=1.5, prompt="a photo of")
    window.open_settings()
    engine, library = window.engine, window.engine.library
    assert (engine.settings.model, engine.settings.batch_size) == (str(door_model_dir), 4)
    assert engine.settings.settle_seconds == 1.5 and engine.settings.prompt == "a photo of"
    saved = load_settings()
    assert (saved.model, saved.batch_size, saved.prompt) == (str(door_model_dir), 4, "a photo of")
    photo = colour_photos["red"][0]
    select(window, photo)
    qtbot.mouseClick(window.details.recaption, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: library.photo(photo).revision == 2, timeout=WAIT_MS)
    assert library.photo(photo).model_caption == "a photo of a red door"  # made by the new model, no restart
    assert library.photo(photo).model_ref == str(door_model_dir)
    qtbot.waitUntil(lambda: window.details.caption.toPlainText() == "a photo of a red door")


def broken_model_window(qtbot, open_window, tmp_path: Path, photos: int = 2):  # type: ignore[no-untyped-def]
    model = tmp_path / "model"
    model.mkdir()  # an empty folder: the model cannot load (as after an interrupted download)
    folder = tmp_path / "card"
    for i in range(photos):
        save_colour(folder / f"{i}.jpg", "red")
    window = open_window(model=str(model))
    window.add_folder(str(folder))
    qtbot.waitUntil(lambda: window.status_area.banner.isVisible(), timeout=WAIT_MS)
    return window, model, folder


def test_a_model_error_shows_one_banner_and_retry_resumes(qtbot, open_window, tmp_path, tiny_model_dir) -> None:  # type: ignore[no-untyped-def]
    modal = ModalWatch()
    window, model, folder = broken_model_window(qtbot, open_window, tmp_path)
    library = window.engine.library
    assert window.pause_button.text() == "Retry"
    assert window.state.text().startswith("Captioning stopped: ")
    assert "Retry" in window.status_area.banner.message.text()
    save_colour(folder / "late.jpg", "blue")  # the engine wakes up for it
    qtbot.waitUntil(lambda: library.stats().pending == 3, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: window.engine.state == EngineState.ERROR, timeout=WAIT_MS)
    assert modal.seen == []  # no dialog, let alone one per wake-up
    shutil.copytree(tiny_model_dir, model, dirs_exist_ok=True)  # the user fixes the model
    qtbot.mouseClick(window.pause_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: library.stats().captioned == 3, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: not window.status_area.banner.isVisible(), timeout=WAIT_MS)
    assert window.pause_button.text() == "Pause" and modal.seen == []


def test_new_settings_fix_a_model_error(qtbot, open_window, tmp_path, tiny_model_dir, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    window, _model, _folder = broken_model_window(qtbot, open_window, tmp_path)
    answer_settings(monkeypatch, model=tiny_model_dir)
    qtbot.mouseClick(window.status_area.banner.settings, Qt.MouseButton.LeftButton)  # the banner's advice
    qtbot.waitUntil(lambda: window.engine.library.stats().captioned == 2, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: window.pause_button.text() == "Pause", timeout=WAIT_MS)


def folder_item(window, folder: Path):  # type: ignore[no-untyped-def]
    items = window.folders.list
    return next(items.item(i) for i in range(items.count()) if items.item(i).toolTip() == str(folder))


def two_folders(qtbot, open_window, tmp_path: Path):  # type: ignore[no-untyped-def]
    kept, other = tmp_path / "kept", tmp_path / "other"
    save_colour(kept / "a.jpg", "red")
    save_colour(other / "b.jpg", "blue")
    window = open_window()
    window.add_folder(str(kept))
    window.add_folder(str(other))
    qtbot.waitUntil(lambda: window.engine.library.stats().captioned == 2, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: window.folders.list.count() == 3, timeout=WAIT_MS)
    window.folders.list.setCurrentItem(folder_item(window, other))
    return window, kept, other


def new_photo_seen_only_in(qtbot, window, watched: Path, unwatched: Path, name: str) -> None:  # type: ignore[no-untyped-def]
    """A photo lands in each folder (the unwatched one first): only the watched folder's is registered."""
    library = window.engine.library
    save_colour(unwatched / name, "green")
    save_colour(watched / name, "green")
    qtbot.waitUntil(lambda: library.photo(watched / name) is not None, timeout=WAIT_MS)
    assert window.engine.wait_until_idle(60)
    assert library.photo(unwatched / name) is None


def test_remove_a_folder_from_the_panel(qtbot, open_window, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    window, kept, other = two_folders(qtbot, open_window, tmp_path)
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)  # the user's answer
    qtbot.mouseClick(window.folders.remove, Qt.MouseButton.LeftButton)
    library = window.engine.library
    qtbot.waitUntil(lambda: [f.path for f in library.folders()] == [kept], timeout=WAIT_MS)
    qtbot.waitUntil(lambda: window.folders.list.count() == 2, timeout=WAIT_MS)
    assert library.photo(other / "b.jpg").caption == "a photo of a blue wall"  # its captions stay
    new_photo_seen_only_in(qtbot, window, kept, other, "new.jpg")


def test_pause_a_folder_from_the_panel(qtbot, open_window, tmp_path) -> None:  # type: ignore[no-untyped-def]
    window, kept, other = two_folders(qtbot, open_window, tmp_path)
    library = window.engine.library
    qtbot.mouseClick(window.folders.pause, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: next(f for f in library.folders() if f.path == other).paused, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: "paused" in folder_item(window, other).text(), timeout=WAIT_MS)
    new_photo_seen_only_in(qtbot, window, kept, other, "new.jpg")
    window.folders.list.setCurrentItem(folder_item(window, other))
    assert window.folders.pause.isChecked()
    qtbot.mouseClick(window.folders.pause, Qt.MouseButton.LeftButton)  # watching again: what came meanwhile is found
    qtbot.waitUntil(lambda: library.photo(other / "new.jpg") is not None, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: library.stats().captioned == 4, timeout=WAIT_MS)
