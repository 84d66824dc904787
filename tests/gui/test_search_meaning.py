"""The app's search by meaning: the search bar with the engine's text model (the real MiniLM), the status line
saying how far it is or why search matches words only, and *Find similar*."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from photoscribe.config import Settings
from photoscribe.events import SearchState, SearchStatus
from photoscribe.gui.main_window import MainWindow
from photoscribe.gui.search import status_text
from tests.gui.common import WAIT_MS, row_of, select

SEARCH_WAIT_MS = 30_000  # below the embedding thread's own recheck (60 s): only the edit's wake-up passes it


@pytest.fixture(scope="session")
def minilm(text_model_dir: Path):  # type: ignore[no-untyped-def]
    from photoscribe.captioning.text_embedder import TextEmbedder

    return TextEmbedder.load(str(text_model_dir), allow_download=False)


@pytest.fixture
def open_meaning_window(open_window, text_model_dir: Path, minilm) -> Callable[..., MainWindow]:  # type: ignore[no-untyped-def]
    """A started window whose engine's text model is the session's MiniLM (``text_model`` may name another)."""
    from photoscribe.engine_embeddings import load_text_model

    def loader(ref: str, progress: type):  # type: ignore[no-untyped-def]
        return minilm if ref == str(text_model_dir) else load_text_model(ref, progress)

    return lambda **overrides: open_window(text_loader=loader, **{"text_model": str(text_model_dir), **overrides})


def shown_paths(window: MainWindow) -> list[str]:
    return [window.model.record(row).path for row in range(window.model.rowCount())]


def captioned(qtbot, window: MainWindow, folder: Path, count: int = 8) -> None:  # type: ignore[no-untyped-def]
    window.add_folder(str(folder))
    qtbot.waitUntil(
        lambda: window.model.rowCount() == count and window.engine.library.stats().captioned == count, timeout=WAIT_MS
    )


def test_the_search_bar_finds_a_puppy_by_meaning_after_an_edit(qtbot, open_meaning_window, colour_photos) -> None:  # type: ignore[no-untyped-def]
    window = open_meaning_window()
    lines: list[str] = []
    window.bridge.search_status.connect(lambda status: lines.append(window.searcher.line.text()))
    captioned(qtbot, window, colour_photos["red"][0].parent)
    dog, cat = colour_photos["red"][0], colour_photos["blue"][1]
    window.edit_caption(str(dog), "a dog running on the beach")  # through the app: saved, then embedded
    window.edit_caption(str(cat), "a cat sleeping on a sofa")
    qtbot.keyClicks(window.search, "puppy")
    qtbot.waitUntil(lambda: shown_paths(window)[:1] == [str(dog)], timeout=SEARCH_WAIT_MS)
    window.search.clear()
    qtbot.keyClicks(window.search, "kitten on a couch")
    qtbot.waitUntil(lambda: shown_paths(window)[:1] == [str(cat)], timeout=SEARCH_WAIT_MS)
    qtbot.waitUntil(
        lambda: window.engine.library.text_vector_progress(str(window.engine.settings.text_model)) == (8, 8)
    )
    qtbot.waitUntil(lambda: not window.searcher.line.isVisible(), timeout=WAIT_MS)  # ready: nothing to say
    assert any(line.startswith("Preparing search by meaning: ") and line.endswith(" of 8") for line in lines)
    window.search.clear()
    qtbot.keyClicks(window.search, "puppy -beach")  # an exclusion leaves out meaning hits too, as in the CLI
    qtbot.waitUntil(lambda: str(dog) not in shown_paths(window), timeout=SEARCH_WAIT_MS)


def test_without_a_text_model_the_status_line_says_search_matches_words(
    qtbot, open_meaning_window, colour_photos
) -> None:  # type: ignore[no-untyped-def]
    window = open_meaning_window(text_model="nobody/no-such-text-model")  # offline and not downloaded
    captioned(qtbot, window, colour_photos["red"][0].parent)
    line = window.searcher.line  # (it may say "Loading the text model…" first)
    qtbot.waitUntil(lambda: line.isVisible() and line.text().startswith("Search matches words only: "), timeout=WAIT_MS)
    assert "no-such-text-model" in line.toolTip()
    qtbot.keyClicks(window.search, "red")
    qtbot.waitUntil(lambda: sorted(shown_paths(window)) == sorted(map(str, colour_photos["red"])), timeout=WAIT_MS)
    window.search.clear()
    qtbot.keyClicks(window.search, "crimson")  # no caption says it, and there is no meaning to go by
    qtbot.waitUntil(lambda: window.model.rowCount() == 0, timeout=WAIT_MS)


def test_find_similar_shows_the_photo_then_the_photos_like_it(qtbot, open_meaning_window, colour_photos) -> None:  # type: ignore[no-untyped-def]
    window = open_meaning_window(text_model="")
    captioned(qtbot, window, colour_photos["red"][0].parent)
    yellow, other_yellow = colour_photos["yellow"]
    select(window, yellow)
    qtbot.mouseClick(window.details.find_similar, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: shown_paths(window)[:2] == [str(yellow), str(other_yellow)], timeout=WAIT_MS)
    assert window.searcher.similar_chip.text().startswith(f"Similar to {yellow.name}")
    assert window.searcher.similar_chip.isVisible()
    qtbot.keyClicks(window.search, "blue")  # typing a search leaves Find similar
    qtbot.waitUntil(lambda: sorted(shown_paths(window)) == sorted(map(str, colour_photos["blue"])), timeout=WAIT_MS)
    assert not window.searcher.similar_chip.isVisible()
    blue = colour_photos["blue"][1]
    menu = window.searcher.context_menu(window.model.index(row_of(window, blue)))
    [action] = [a for a in menu.actions() if a.text() == "Find similar"]
    action.trigger()
    qtbot.waitUntil(lambda: shown_paths(window)[:2] == [str(blue), str(colour_photos["blue"][0])], timeout=WAIT_MS)
    qtbot.mouseClick(window.searcher.similar_chip, Qt.MouseButton.LeftButton)  # back to the search
    qtbot.waitUntil(lambda: sorted(shown_paths(window)) == sorted(map(str, colour_photos["blue"])), timeout=WAIT_MS)


@pytest.mark.parametrize(
    ("status", "text"),
    [
        (SearchStatus(SearchState.EMBEDDING, "m", 1200, 5000), "Preparing search by meaning: 1,200 of 5,000"),
        (
            SearchStatus(SearchState.EXACT_ONLY, "text model 'x' is offline. Connect once."),
            "Search matches words only: text model 'x' is offline",
        ),
        (
            SearchStatus(SearchState.LOADING, "m", 2, 7),
            "Downloading the text model for search by meaning: 2 of 7 files",
        ),
        (SearchStatus(SearchState.READY, "m"), ""),
    ],
)
def test_status_line_texts(status: SearchStatus, text: str) -> None:
    assert status_text(status)[0] == text


def test_the_settings_dialog_changes_the_text_model(qtbot, text_model_dir: Path) -> None:  # type: ignore[no-untyped-def]
    from photoscribe.gui.settings_dialog import SettingsDialog

    dialog = SettingsDialog(Settings(text_model="sentence-transformers/all-MiniLM-L6-v2"))
    qtbot.addWidget(dialog)
    assert dialog.text_model.text() == "sentence-transformers/all-MiniLM-L6-v2"
    dialog.text_model.setText(f"  {text_model_dir}  ")
    assert dialog.settings().text_model == str(text_model_dir)
    dialog.text_model.clear()  # off: words only
    assert dialog.settings().text_model == ""
