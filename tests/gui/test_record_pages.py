"""The grid's records read in the background: a photo that changes while its page is read is not shown as it was."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

pytest.importorskip("pytestqt")

from photoscribe.gui.record_pages import RecordPages  # noqa: E402
from photoscribe.library import Library  # noqa: E402
from tests.gui.common import fill_library  # noqa: E402


class HeldLibrary(Library):
    """A library whose record reads read, then wait while ``go`` is clear (a slow page)."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.go, self.read = threading.Event(), threading.Event()
        self.go.set()

    def records(self, photo_ids: object) -> dict:  # type: ignore[type-arg]
        found = super().records(photo_ids)  # type: ignore[arg-type]
        self.read.set()
        self.go.wait(10)
        return found


def test_a_photo_changed_while_its_page_is_read_is_read_again(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    library = HeldLibrary(tmp_path / "l.sqlite3")
    paths = fill_library(library, 3)
    ids = library.photo_ids()
    pages = RecordPages(library)
    delivered: list[tuple[dict, list[int]]] = []  # type: ignore[type-arg]
    pages.loaded.connect(lambda records, stale: delivered.append((records, stale)))
    library.go.clear()
    pages.request(ids)
    qtbot.waitUntil(library.read.is_set)  # the page is read as the photos were
    library.set_user_caption(paths[1], "the harbour at dawn")  # one changes meanwhile
    pages.changed({paths[1]})
    library.go.set()
    qtbot.waitUntil(lambda: len(delivered) == 1)
    records, stale = delivered[0]
    changed_id = library.photo(paths[1]).id
    assert list(stale) == [changed_id] and set(records) == set(ids) - {changed_id}
    pages.request([changed_id])  # its row painted again: read again
    qtbot.waitUntil(lambda: len(delivered) == 2)
    assert delivered[1][0][changed_id].caption == "the harbour at dawn" and delivered[1][1] == {}
    pages.shutdown()
    library.close()
