"""The app never loses an edit: typed captions are saved before anything replaces them, captions and keywords
are separate undoable edits, and with metadata writing on an edit reaches the photo."""

from __future__ import annotations

import pytest

pytest.importorskip("pytestqt")
from PySide6.QtCore import Qt  # noqa: E402

from tests.gui.common import WAIT_MS, captioned_window, close_window, row_of, select, type_caption  # noqa: E402
from tests.helpers import save_colour  # noqa: E402


def add_keyword(qtbot, window, word: str) -> None:  # type: ignore[no-untyped-def]
    entry = window.details.keywords.entry
    entry.setFocus()
    qtbot.keyClicks(entry, word)
    qtbot.keyClick(entry, Qt.Key.Key_Return)


def test_typed_caption_is_saved_before_a_keyword_edit_applies(qtbot, open_window, colour_photos) -> None:  # type: ignore[no-untyped-def]
    window = captioned_window(qtbot, open_window, colour_photos["red"][0].parent)
    photo = colour_photos["red"][0]
    select(window, photo)
    type_caption(qtbot, window, "Our red front door")
    add_keyword(qtbot, window, "Paris")
    library = window.engine.library
    qtbot.waitUntil(lambda: "Paris" in library.photo(photo).keywords, timeout=WAIT_MS)  # case kept
    assert library.photo(photo).user_caption == "Our red front door"
    assert window.details.caption.toPlainText() == "Our red front door"


def test_typed_caption_is_saved_when_another_photo_is_selected(qtbot, open_window, colour_photos) -> None:  # type: ignore[no-untyped-def]
    window = captioned_window(qtbot, open_window, colour_photos["red"][0].parent)
    photo, other = colour_photos["blue"]
    select(window, photo)
    type_caption(qtbot, window, "Sky over the harbour")
    select(window, other)
    assert window.details.caption.toPlainText() == "a photo of a blue wall"
    qtbot.waitUntil(lambda: window.engine.library.photo(photo).user_caption == "Sky over the harbour", timeout=WAIT_MS)
    select(window, photo)
    assert window.details.caption.toPlainText() == "Sky over the harbour"


def test_a_caption_arriving_for_the_photo_being_edited_keeps_the_typing(qtbot, open_window, colour_photos) -> None:  # type: ignore[no-untyped-def]
    window = captioned_window(qtbot, open_window, colour_photos["red"][0].parent)
    photo = colour_photos["green"][0]
    select(window, photo)
    type_caption(qtbot, window, "Moss on the old wal")
    box = window.details.caption
    cursor = box.textCursor().position()
    library = window.engine.library
    window.engine.recaption([library.photo(photo).id])  # the engine, not the GUI, captions it again
    qtbot.waitUntil(lambda: library.photo(photo).revision == 2, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: library.photo(photo).user_caption == "Moss on the old wal", timeout=WAIT_MS)
    assert box.toPlainText() == "Moss on the old wal" and box.textCursor().position() == cursor
    qtbot.keyClicks(box, "l")  # the user goes on typing where they were
    assert box.toPlainText() == "Moss on the old wall"
    close_window(qtbot, window)
    assert library.photo(photo).user_caption == "Moss on the old wall"


def test_recaption_saves_the_typing_first(qtbot, open_window, colour_photos) -> None:  # type: ignore[no-untyped-def]
    window = captioned_window(qtbot, open_window, colour_photos["red"][0].parent)
    photo = colour_photos["yellow"][1]
    select(window, photo)
    type_caption(qtbot, window, "Sunflowers")
    qtbot.mouseClick(window.details.recaption, Qt.MouseButton.LeftButton)
    library = window.engine.library
    qtbot.waitUntil(lambda: library.photo(photo).revision == 2, timeout=WAIT_MS)
    assert library.photo(photo).user_caption == "Sunflowers"
    qtbot.waitUntil(lambda: "model's caption: a photo of a yellow wall" in window.details.provenance.text())
    assert window.details.caption.toPlainText() == "Sunflowers"


def test_closing_the_window_saves_the_typing(qtbot, open_window, colour_photos) -> None:  # type: ignore[no-untyped-def]
    window = captioned_window(qtbot, open_window, colour_photos["red"][0].parent)
    photo = colour_photos["red"][1]
    select(window, photo)
    type_caption(qtbot, window, "Last one before closing")
    close_window(qtbot, window)
    assert window.engine.library.photo(photo).user_caption == "Last one before closing"


def test_keywords_survive_a_caption_edit_and_undo_takes_each_back(qtbot, open_window, colour_photos) -> None:  # type: ignore[no-untyped-def]
    window = captioned_window(qtbot, open_window, colour_photos["red"][0].parent)
    photo = colour_photos["blue"][1]
    select(window, photo)
    library = window.engine.library
    add_keyword(qtbot, window, "John Smith")
    qtbot.waitUntil(lambda: library.photo(photo).keywords == ("blue", "wall", "John Smith"), timeout=WAIT_MS)
    type_caption(qtbot, window, "John at the harbour")
    qtbot.mouseClick(window.details.save_caption, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: library.photo(photo).user_caption == "John at the harbour", timeout=WAIT_MS)
    assert library.photo(photo).keywords == ("blue", "wall", "John Smith")  # the caption edit kept them
    window.activateWindow()
    entry = window.details.keywords.entry
    entry.setFocus()
    qtbot.keyClick(entry, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)  # the real shortcut
    qtbot.waitUntil(lambda: library.photo(photo).user_caption is None, timeout=WAIT_MS)
    assert library.photo(photo).keywords == ("blue", "wall", "John Smith")
    qtbot.keyClick(entry, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: library.photo(photo).keywords == ("blue", "wall"), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: window.details.keywords.keywords() == ["blue", "wall"])
    qtbot.waitUntil(lambda: window.details.caption.toPlainText() == "a photo of a blue wall", timeout=WAIT_MS)
    select(window, colour_photos["red"][0])  # leaving the photo must not save the undone text again
    window.writes.run(lambda: None).result(timeout=60)  # the one save thread works in order: saves are done
    assert library.photo(photo).user_caption is None


def test_use_models_caption_goes_back_to_the_model(qtbot, open_window, colour_photos) -> None:  # type: ignore[no-untyped-def]
    window = captioned_window(qtbot, open_window, colour_photos["red"][0].parent)
    photo = colour_photos["green"][1]
    select(window, photo)
    window.edit_caption(str(photo), "Lawn")
    library = window.engine.library
    qtbot.waitUntil(lambda: window.details.caption.toPlainText() == "Lawn", timeout=WAIT_MS)
    assert window.details.use_model.isEnabled()
    type_caption(qtbot, window, "typed, then thrown away on purpose")
    qtbot.mouseClick(window.details.use_model, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: library.photo(photo).user_caption is None, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: window.details.caption.toPlainText() == "a photo of a green wall")
    assert not window.details.use_model.isEnabled()


def test_an_edit_is_written_into_the_photo_when_writing_is_on(qtbot, open_window, colour_photos) -> None:  # type: ignore[no-untyped-def]
    folder = colour_photos["red"][0].parent
    window = captioned_window(qtbot, open_window, folder, write_metadata="sidecar")
    photo = colour_photos["red"][0]
    sidecar = photo.with_name(photo.name + ".xmp")
    qtbot.waitUntil(lambda: sidecar.exists() and "a photo of a red wall" in sidecar.read_text(), timeout=WAIT_MS)
    select(window, photo)
    type_caption(qtbot, window, "The old red barn")
    add_keyword(qtbot, window, "Vermont")
    qtbot.waitUntil(lambda: "The old red barn" in sidecar.read_text(), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: "Vermont" in sidecar.read_text(), timeout=WAIT_MS)


def has_preview(window) -> bool:  # type: ignore[no-untyped-def]
    pixmap = window.details.preview.pixmap()
    return pixmap is not None and not pixmap.isNull()


def test_the_preview_never_shows_the_previous_photo(qtbot, open_window, colour_photos) -> None:  # type: ignore[no-untyped-def]
    window = captioned_window(qtbot, open_window, colour_photos["red"][0].parent)
    red, blue = colour_photos["red"][0], colour_photos["blue"][0]
    select(window, red)
    qtbot.waitUntil(
        lambda: window.details.preview.pixmap() is not None and not window.details.preview.pixmap().isNull()
    )
    assert window.details.preview.pixmap().toImage().pixelColor(10, 10).red() > 150
    window.thumbnails.forget(window.engine.library.photo(blue).id)  # not loaded yet, as after a long scroll
    select(window, blue)
    shown = window.details.preview.pixmap()
    assert shown is None or shown.isNull() or shown.toImage().pixelColor(10, 10).red() < 100
    qtbot.waitUntil(
        lambda: window.details.preview.pixmap() is not None and not window.details.preview.pixmap().isNull()
    )
    assert window.details.preview.pixmap().toImage().pixelColor(10, 10).blue() > 150


def test_new_and_vanished_photos_keep_the_selection(qtbot, open_window, colour_photos) -> None:  # type: ignore[no-untyped-def]
    window = captioned_window(qtbot, open_window, colour_photos["red"][0].parent)
    photo = colour_photos["yellow"][0]
    select(window, photo)
    type_caption(qtbot, window, "Still typing")
    new = save_colour(photo.parent / "DSC_900.jpg", "green")  # arrives at the top of the grid
    qtbot.waitUntil(lambda: window.model.rowCount() == 9 and window.model.record(0).path == str(new), timeout=WAIT_MS)
    assert window.grid.currentIndex().row() == row_of(window, photo)
    assert window.grid.selectionModel().isSelected(window.model.index(row_of(window, photo)))
    colour_photos["red"][1].unlink()  # one goes away: the list is rebuilt
    qtbot.waitUntil(lambda: window.model.rowCount() == 8, timeout=WAIT_MS)
    assert window.grid.currentIndex().row() == row_of(window, photo)
    assert window.details.record.path == str(photo) and window.details.caption.toPlainText() == "Still typing"
