"""The first run: the welcome in the grid's place, the model's state, the model chosen from the app (no restart)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from photoscribe.config import load_settings
from photoscribe.gui.settings_dialog import SettingsDialog
from photoscribe.gui.welcome import APP_HINT, ModelState, model_state
from photoscribe.library import PhotoStatus
from tests.gui.common import WAIT_MS
from tests.helpers import save_colour


def test_a_fresh_library_shows_the_welcome_until_a_folder_is_added(  # type: ignore[no-untyped-def]
    qtbot, open_window, tmp_path: Path
) -> None:
    window = open_window()
    welcome = window.first_run.welcome
    qtbot.waitUntil(welcome.isVisible, timeout=WAIT_MS)
    assert not window.grid.isVisible()
    assert welcome.add.isVisible() and welcome.add_network.isVisible()
    assert "a folder on this computer), ready" in welcome.model.text()  # the tiny model's folder
    assert not welcome.choose_model.isVisible()
    qtbot.waitUntil(lambda: window.state.text() == "No folders yet: add one to start", timeout=WAIT_MS)
    assert "Watching" not in window.statusBar().currentMessage()

    folder = tmp_path / "shoot"
    save_colour(folder / "a.jpg", "red")
    window.add_folder(str(folder))
    qtbot.waitUntil(lambda: window.grid.isVisible() and not welcome.isVisible(), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: window.library.stats().captioned == 1, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: "No folders" not in window.state.text(), timeout=WAIT_MS)

    # the last folder removed: its captions stay in the library and in the grid, and nothing is watched
    window.writes.run(lambda: window.engine.remove_folder(str(folder)), window._folder_added)
    qtbot.waitUntil(lambda: window.state.text() == "No folders yet: add one to start", timeout=WAIT_MS)
    assert window.grid.isVisible() and window.model.rowCount() == 1 and not welcome.isVisible()


def test_a_search_with_no_hit_keeps_the_grid(qtbot, open_window, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "shoot"
    save_colour(folder / "a.jpg", "red")
    window = open_window()
    window.add_folder(str(folder))
    qtbot.waitUntil(lambda: window.model.rowCount() == 1, timeout=WAIT_MS)
    window.search.setText("nothingmatchesthis")
    qtbot.waitUntil(lambda: window.model.rowCount() == 0, timeout=WAIT_MS)
    assert window.grid.isVisible() and not window.first_run.welcome.isVisible()


def test_a_folder_dropped_on_the_window_is_added(qtbot, open_window, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "dropped"
    save_colour(folder / "a.jpg", "blue")
    window = open_window()
    data = QMimeData()
    data.setUrls([QUrl.fromLocalFile(str(folder)), QUrl.fromLocalFile(str(folder / "a.jpg"))])
    at, copy, no_button, no_key = (
        QPointF(10, 10),
        Qt.DropAction.CopyAction,
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier(0),
    )
    enter = QDragEnterEvent(at.toPoint(), copy, data, no_button, no_key)  # (as a drag does: enter, then drop)
    QApplication.sendEvent(window, enter)
    assert enter.isAccepted()
    drop = QDropEvent(at, copy, data, no_button, no_key)
    QApplication.sendEvent(window, drop)
    assert drop.isAccepted()
    qtbot.waitUntil(lambda: [f.path for f in window.library.folders()] == [folder], timeout=WAIT_MS)


def test_a_missing_model_is_said_in_the_apps_words_and_a_chosen_folder_captions_without_a_restart(  # type: ignore[no-untyped-def]
    qtbot, open_window, tmp_path: Path, tiny_model_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PHOTOSCRIBE_CONFIG", str(tmp_path / "settings.toml"))
    missing = tmp_path / "no-model-here"
    window = open_window(model=str(missing))
    welcome = window.first_run.welcome
    qtbot.waitUntil(welcome.isVisible, timeout=WAIT_MS)
    assert welcome.choose_model.isVisible() and welcome.offline.isVisible()
    assert "--model" not in welcome.model.text() and APP_HINT in welcome.model.text()

    folder = tmp_path / "shoot"
    photo = save_colour(folder / "a.jpg", "green")
    window.add_folder(str(folder))
    banner = window.status_area.banner
    qtbot.waitUntil(banner.isVisible, timeout=WAIT_MS)  # the engine tried to load it: captioning stopped
    said = banner.message.text()
    assert "--model" not in said and "PHOTOSCRIBE_MODEL" not in said and "Choose a model folder" in said
    assert banner.retry.text() == "Download" and banner.choose_model.isVisible()

    window.first_run.pick_folder = lambda parent, title: str(tiny_model_dir)
    banner.choose_model.click()
    qtbot.waitUntil(lambda: window.library.photo(photo).status == PhotoStatus.DONE, timeout=WAIT_MS)
    assert window.library.photo(photo).caption == "a photo of a green wall"
    assert load_settings().model == str(tiny_model_dir)  # kept for the next start
    qtbot.waitUntil(lambda: not banner.isVisible(), timeout=WAIT_MS)


def test_working_offline_opens_the_help_at_its_entry(qtbot, open_window, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    window = open_window(model=str(tmp_path / "no-model-here"))
    welcome = window.first_run.welcome
    qtbot.waitUntil(welcome.isVisible, timeout=WAIT_MS)
    welcome.offline.click()
    dialog = window.help.dialogs[next(iter(window.help.dialogs))]
    assert dialog.isVisible()
    assert "cannot download model" in dialog.browser.textCursor().selectedText()  # type: ignore[attr-defined]


def test_the_model_state_is_read_from_the_disk_and_the_cache_without_loading(  # type: ignore[no-untyped-def]
    tmp_path: Path, tiny_model_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import huggingface_hub.constants

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    assert model_state(str(tiny_model_dir)) == ModelState.FOLDER
    assert model_state(str(tmp_path / "gone")) == ModelState.MISSING
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    assert model_state("Salesforce/blip-image-captioning-base") == ModelState.TO_DOWNLOAD
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert model_state("Salesforce/blip-image-captioning-base") == ModelState.MISSING
    snapshot = tmp_path / "hub" / "models--Salesforce--blip-image-captioning-base" / "snapshots" / "abc"
    snapshot.mkdir(parents=True)
    (snapshot / "config.json").write_text("{}")
    (snapshot.parents[1] / "refs").mkdir()
    (snapshot.parents[1] / "refs" / "main").write_text("abc")
    assert model_state("Salesforce/blip-image-captioning-base") == ModelState.CACHED


def test_the_settings_browse_button_fills_the_model_field(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from photoscribe.config import Settings

    dialog = SettingsDialog(Settings(library=str(tmp_path / "l.sqlite3")))
    qtbot.addWidget(dialog)
    dialog.pick_folder = lambda parent, title: str(tmp_path / "my-blip")
    dialog.browse_model.click()
    assert dialog.model.text() == str(tmp_path / "my-blip")
    assert dialog.settings().model == str(tmp_path / "my-blip")
