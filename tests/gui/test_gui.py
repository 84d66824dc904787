"""The desktop app with real widgets (offscreen), a real engine, watchdog and the tiny trained BLIP."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

pytest.importorskip("pytestqt")
from PySide6.QtCore import Qt, QTimer  # noqa: E402

from photoscribe.config import Settings  # noqa: E402
from photoscribe.engine import Engine  # noqa: E402
from photoscribe.events import EngineState, Progress, StateChanged  # noqa: E402
from photoscribe.gui.main_window import MainWindow  # noqa: E402
from photoscribe.gui.photo_model import STATUS_ROLE  # noqa: E402
from photoscribe.library import PhotoStatus  # noqa: E402
from tests.gui.common import WAIT_MS, captioned_window, captions, close_window, row_of, select  # noqa: E402
from tests.helpers import save_colour  # noqa: E402
from tests.tiny_blip import COLOURS  # noqa: E402


def test_adding_a_folder_shows_captions_appearing_in_the_grid(qtbot, open_window, colour_photos) -> None:  # type: ignore[no-untyped-def]
    window = open_window()
    folder = colour_photos["red"][0].parent
    window.add_folder(str(folder))
    qtbot.waitUntil(lambda: window.model.rowCount() == 8, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: all(c.startswith("a photo of a") for c in captions(window)), timeout=WAIT_MS)
    assert sorted(captions(window)) == sorted(f"a photo of a {c} wall" for c in COLOURS for _ in range(2))
    assert window.count.text() == "8 photos"
    qtbot.waitUntil(lambda: "(8)" in window.folders.list.item(1).text(), timeout=WAIT_MS)
    new = save_colour(folder / "DSC_100.jpg", "green")  # watched: a new photo slides in
    qtbot.waitUntil(lambda: window.model.rowCount() == 9 and window.model.record(0).path == str(new), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: captions(window)[0] == "a photo of a green wall", timeout=WAIT_MS)


def test_typing_a_search_shows_exactly_the_matching_photos(qtbot, open_window, colour_photos) -> None:  # type: ignore[no-untyped-def]
    window = captioned_window(qtbot, open_window, colour_photos["red"][0].parent)
    qtbot.keyClicks(window.search, "red")
    expected = sorted(str(p) for p in colour_photos["red"])
    qtbot.waitUntil(lambda: sorted(window.model.record(r).path for r in range(window.model.rowCount())) == expected)
    assert window.count.text() == "2 photos"
    window.search.clear()
    qtbot.keyClicks(window.search, "wall -red -blue")
    qtbot.waitUntil(lambda: window.count.text() == "4 photos")
    window.search.clear()
    window.status_filter.setCurrentText("Failed")
    qtbot.waitUntil(lambda: window.model.rowCount() == 0)


def test_an_edited_caption_survives_recaptioning_and_a_restart(qtbot, open_window, colour_photos) -> None:  # type: ignore[no-untyped-def]
    window = captioned_window(qtbot, open_window, colour_photos["red"][0].parent)
    photo = colour_photos["blue"][0]
    select(window, photo)
    assert window.details.record.path == str(photo)
    window.details.caption.setPlainText("Our blue front door")
    qtbot.mouseClick(window.details.save_caption, Qt.MouseButton.LeftButton)
    library = window.engine.library
    qtbot.waitUntil(lambda: library.photo(photo).user_caption == "Our blue front door", timeout=WAIT_MS)
    qtbot.waitUntil(lambda: window.model.index(row_of(window, photo)).data(STATUS_ROLE) == "edited")
    qtbot.mouseClick(window.details.recaption, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: library.photo(photo).revision == 2, timeout=WAIT_MS)
    assert library.photo(photo).caption == "Our blue front door"
    close_window(qtbot, window)

    reopened = open_window()
    select(reopened, photo)
    assert reopened.details.caption.toPlainText() == "Our blue front door"
    assert "model's caption: a photo of a blue wall" in reopened.details.provenance.text()
    reopened.edit_caption(str(photo), "Front door")
    qtbot.waitUntil(lambda: reopened.engine.library.photo(photo).user_caption == "Front door", timeout=WAIT_MS)
    reopened.undo.undo()
    qtbot.waitUntil(lambda: reopened.engine.library.photo(photo).user_caption == "Our blue front door", timeout=WAIT_MS)


def test_pause_stops_new_work(qtbot, open_window, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    window = open_window()
    folder = tmp_path / "later"
    folder.mkdir()
    window.add_folder(str(folder))
    qtbot.waitUntil(lambda: len(window.engine.library.folders()) == 1, timeout=WAIT_MS)
    qtbot.mouseClick(window.pause_button, Qt.MouseButton.LeftButton)
    assert window.pause_button.text() == "Resume"
    qtbot.waitUntil(lambda: window.state.text() == "Paused", timeout=WAIT_MS)
    for i in range(3):
        save_colour(folder / f"{i}.jpg", "yellow")
    qtbot.waitUntil(lambda: window.engine.library.stats().pending == 3, timeout=WAIT_MS)
    assert window.engine.wait_until_idle(60)
    assert window.engine.library.stats().captioned == 0
    qtbot.waitUntil(lambda: window.model.rowCount() == 3, timeout=WAIT_MS)
    assert {window.model.index(r).data(STATUS_ROLE) for r in range(3)} == {"queued"}
    qtbot.mouseClick(window.pause_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.engine.library.stats().captioned == 3, timeout=WAIT_MS)


def test_a_failed_photo_shows_its_reason(qtbot, open_window, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "card"
    folder.mkdir()
    broken = folder / "IMG_0001.jpg"
    broken.write_bytes(b"")
    window = open_window()
    window.add_folder(str(folder))
    qtbot.waitUntil(lambda: window.engine.library.stats().failed == 1, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: window.model.rowCount() == 1 and window.model.record(0).status == PhotoStatus.FAILED)
    assert window.model.index(0).data(STATUS_ROLE) == "failed"
    window.grid.setCurrentIndex(window.model.index(0))
    assert window.details.error.text() == "Could not be captioned: the file is empty (0 bytes)"


def test_the_gui_never_waits_for_a_batch(qtbot, open_window, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Event-loop latency while real batches are captioned, against the batches' own measured duration: a GUI
    thread that waited for a batch (captioning, a lock held across one, a join) would miss ticks for that long.
    (The latency figure itself is a benchmark: benchmarks/bench_gui_latency.py.)"""
    folder = tmp_path / "many"
    for i in range(300):
        save_colour(folder / f"{i:03d}.jpg", list(COLOURS)[i % 4])
    window = open_window(batch_size=150, num_beams=6)  # long batches: a wait for one stands out from noise
    window.set_paused(True)  # the whole folder registered first: captioning then runs two full batches
    window.add_folder(str(folder))
    qtbot.waitUntil(lambda: window.engine.library.stats().pending == 300, timeout=WAIT_MS)
    batch_marks: list[float] = []  # engine thread: captioning starts, then each batch ends
    window.engine.subscribe(
        lambda e: (
            (isinstance(e, Progress) or (isinstance(e, StateChanged) and e.state == EngineState.CAPTIONING))
            and batch_marks.append(time.perf_counter())
        )
    )
    ticks = [time.perf_counter()]
    timer = QTimer(window)
    timer.setInterval(10)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    # What earlier tests left in this process (models, libraries) would make a full garbage collection pause
    # every thread for half a second; that is not a GUI wait, so it is moved out of the collector's way.
    gc.collect()
    gc.freeze()
    try:
        timer.start()
        window.set_paused(False)
        qtbot.waitUntil(lambda: window.engine.library.stats().captioned == 300, timeout=WAIT_MS)
        qtbot.waitUntil(lambda: len(batch_marks) >= 3)  # captioning started + 2 batches of 150
        timer.stop()
    finally:
        gc.unfreeze()
    # each batch from the start of captioning to its end: on a CPU the two batches are captioned at once, so the
    # gap between their ends says nothing; the first to end took at least this long
    batches = [mark - batch_marks[0] for mark in batch_marks[1:]]
    start, end = batch_marks[0], batch_marks[-1]
    gaps = sorted(b - a for a, b in zip(ticks, ticks[1:]) if start <= a and b <= end)
    assert min(batches) > 0.15, f"batches of {min(batches):.3f} s are too short to tell a wait from noise"
    assert len(gaps) >= 10, "the GUI timer hardly ran while captioning"
    threshold = min(batches) / 2
    p99 = gaps[int(len(gaps) * 0.99) - 1]
    print(f"batches {[round(b, 3) for b in batches]} s; GUI timer gaps p99 {p99:.3f} s, worst {gaps[-1]:.3f} s")
    assert gaps[-1] < threshold, f"the GUI stalled {gaps[-1]:.3f} s (p99 {p99:.3f} s) during batches of {batches}"


@pytest.mark.slow
def test_plain_photoscribe_opens_the_window(tmp_path: Path, tiny_model_dir: Path) -> None:
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "PHOTOSCRIBE_LIBRARY": str(tmp_path / "l.sqlite3"),
        "PHOTOSCRIBE_MODEL": str(tiny_model_dir),
    }
    done = subprocess.run(
        [sys.executable, "-m", "photoscribe", "--quit-after", "1500"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "l.sqlite3").exists()


def test_bridge_delivers_events_in_slices(qtbot) -> None:  # type: ignore[no-untyped-def]
    from photoscribe.events import PhotoCaptioned
    from photoscribe.gui.bridge import EVENTS_PER_TICK, EngineBridge

    bridge = EngineBridge()
    seen: list[str] = []
    sizes: list[int] = []
    bridge.photo_changed.connect(seen.append)
    bridge.drained.connect(sizes.append)
    threads = [
        threading.Thread(target=lambda k=k: [bridge(PhotoCaptioned(f"{k}-{i}", "c", ())) for i in range(250)])
        for k in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    qtbot.waitUntil(lambda: len(seen) == 500)
    assert max(sizes) <= EVENTS_PER_TICK and len(sizes) >= 3


def test_recaption_with_a_prompt_from_the_detail_panel(qtbot, open_window, colour_photos, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtWidgets import QInputDialog

    window = captioned_window(qtbot, open_window, colour_photos["red"][0].parent)
    photo = colour_photos["yellow"][0]
    select(window, photo)
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("a photography of", True))  # the user's answer
    qtbot.mouseClick(window.details.recaption_prompt, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.details.caption.toPlainText() == "a photography of a yellow wall", timeout=WAIT_MS)
    assert 'prompt "a photography of"' in window.details.provenance.text()


def test_keyword_chips_edit_the_photos_keywords(qtbot, open_window, colour_photos) -> None:  # type: ignore[no-untyped-def]
    window = captioned_window(qtbot, open_window, colour_photos["red"][0].parent)
    photo = colour_photos["green"][1]
    select(window, photo)
    chips = window.details.keywords
    assert chips.keywords() == ["green", "wall"]
    wall = chips.chips.item(1)
    qtbot.mouseClick(chips.chips.viewport(), Qt.MouseButton.LeftButton, pos=chips.chips.visualItemRect(wall).center())
    qtbot.keyClicks(chips.entry, "Garden")
    qtbot.keyClick(chips.entry, Qt.Key.Key_Return)
    library = window.engine.library
    qtbot.waitUntil(lambda: library.photo(photo).keywords == ("green", "Garden"), timeout=WAIT_MS)  # case kept
    assert [h.photo.path for h in library.search("garden")] == [str(photo)]


def test_a_huge_library_loads_only_what_is_visible(qtbot, tmp_path: Path, tiny_model_dir: Path) -> None:  # type: ignore[no-untyped-def]
    from datetime import datetime

    from sqlalchemy import insert

    from photoscribe.gui.photo_model import PAGE
    from photoscribe.library import Library
    from photoscribe.library.models import Photo

    library = Library(tmp_path / "big.sqlite3")
    now = datetime(2026, 1, 1)
    rows = [
        {
            "path": f"/photos/{i // 1000}/IMG_{i:06d}.jpg",
            "size": 1,
            "mtime": 0.0,
            "status": "pending",
            "added_at": now,
            "updated_at": now,
        }
        for i in range(50_000)
    ]
    with library.db.writing() as session:  # bulk fixture: 50,000 registered photos without 50,000 files
        session.execute(insert(Photo), rows)
    settings = Settings(library=str(library.path), model=str(tiny_model_dir))
    engine = Engine(settings, library=library)
    window = MainWindow(engine)  # the engine is not started: this test is about the view alone
    qtbot.addWidget(window)
    fetched: list[int] = []
    real_records = library.records
    library.records = lambda ids: (fetched.append(len(ids)), real_records(ids))[1]  # type: ignore[method-assign]
    window.show()
    qtbot.waitUntil(lambda: window.model.rowCount() == 50_000 and window.count.text() == "50000 photos")
    qtbot.waitUntil(lambda: len(fetched) >= 1)  # the first screen was painted
    first_screen = len(fetched)
    window.grid.scrollToBottom()
    qtbot.waitUntil(lambda: len(fetched) > first_screen)  # the last screen was painted
    assert window.grid.indexAt(window.grid.viewport().rect().bottomLeft()).row() > 49_000
    assert sum(fetched) <= 6 * PAGE, f"{sum(fetched)} records read for two screens of photos"
    close_window(qtbot, window)
    library.close()


def test_the_first_model_download_shows_a_progress_dialog(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from photoscribe.events import ModelDownload, StateChanged

    window = MainWindow(Engine(Settings(library=str(tmp_path / "l.sqlite3"))))  # not started: events come from here
    qtbot.addWidget(window)
    window.show()
    window.bridge(ModelDownload(2, 7))
    status = window.status_area
    qtbot.waitUntil(lambda: status.download is not None and status.download.value() == 2)
    assert status.download.maximum() == 7 and "Downloading" in status.download.labelText()
    window.bridge(StateChanged(EngineState.CAPTIONING, "cpu bf16"))
    qtbot.waitUntil(lambda: status.download is None)
    assert status.hardware.text() == "cpu bf16"
    close_window(qtbot, window)
    window.engine.library.close()


def test_clearing_the_queue_and_retrying_failures_from_the_menu(qtbot, open_window, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "card"
    folder.mkdir()
    window = open_window()
    qtbot.mouseClick(window.pause_button, Qt.MouseButton.LeftButton)
    window.add_folder(str(folder))
    for i in range(3):
        save_colour(folder / f"{i}.jpg", "blue")
    (folder / "broken.jpg").write_bytes(b"")
    library = window.engine.library
    qtbot.waitUntil(lambda: library.stats().pending == 4, timeout=WAIT_MS)
    window.clear_queue.trigger()
    qtbot.waitUntil(lambda: library.stats().cancelled == 4, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: {window.model.index(r).data(STATUS_ROLE) for r in range(4)} == {"cancelled"})
    qtbot.mouseClick(window.pause_button, Qt.MouseButton.LeftButton)
    assert window.engine.wait_until_idle(60) and library.stats().captioned == 0
    window.engine.recaption([p.id for p in library.photos()])
    qtbot.waitUntil(lambda: library.stats().captioned == 3 and library.stats().failed == 1, timeout=WAIT_MS)
    qtbot.mouseClick(window.pause_button, Qt.MouseButton.LeftButton)
    window.retry_failed()
    qtbot.waitUntil(lambda: library.stats().pending == 1, timeout=WAIT_MS)  # the failed photo is queued again
    qtbot.mouseClick(window.pause_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: library.stats().failed == 1 and library.stats().pending == 0, timeout=WAIT_MS)
