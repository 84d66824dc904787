"""The caption thread meets faults and carries on: unexpected errors, a model that will not load, a locked
library (a real second process holding the write lock), files moved or deleted under it, settings changed."""

from __future__ import annotations

import dataclasses
import logging
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from photoscribe.captioning import Captioner
from photoscribe.events import EngineError, EngineState, PhotoFailed
from photoscribe.library import Library, PhotoStatus
from tests.helpers import WAIT, save_colour, wait_for
from tests.tiny_blip import COLOURS


def captioned_names(library: Library) -> set[str]:
    return {Path(p.path).name for p in library.photos(status=PhotoStatus.DONE)}


def test_an_unexpected_error_is_reported_and_captioning_carries_on(engine_on, watched: Path) -> None:  # type: ignore[no-untyped-def]
    class ClaimFailsOnce(Library):
        failed = False

        def claim_batch(self, limit, within=None):  # type: ignore[no-untyped-def]
            if not ClaimFailsOnce.failed:
                ClaimFailsOnce.failed = True
                raise RuntimeError("something nobody expected")
            return super().claim_batch(limit, within)

    for i in range(5):
        save_colour(watched / f"{i}.jpg", "red")
    engine, events = engine_on(ClaimFailsOnce)
    engine.add_folder(watched)
    engine.start()
    wait_for(lambda: engine.library.stats().captioned == 5, what="captions after the error")
    (error,) = events.of(EngineError)
    assert "RuntimeError: something nobody expected" in error.message and not error.fatal
    save_colour(watched / "later.jpg", "blue")  # the thread is alive: new photos are still captioned
    wait_for(lambda: engine.library.stats().captioned == 6, what="a later photo")
    assert engine.wait_until_idle(WAIT) and engine.state == EngineState.IDLE


def test_a_photo_whose_caption_cannot_be_stored_fails_alone(engine_on, watched: Path) -> None:  # type: ignore[no-untyped-def]
    class RefusesOnePhoto(Library):
        def save_results(self, captions, failures=(), metadata_pending=False):  # type: ignore[no-untyped-def]
            bad = {p.id for p in self.photos() if Path(p.path).name == "bad.jpg"}
            if any(result.photo_id in bad for result in captions):
                raise ValueError("this row cannot be written")
            return super().save_results(captions, failures, metadata_pending=metadata_pending)

    for name in ("a.jpg", "bad.jpg", "c.jpg"):
        save_colour(watched / name, "green")
    engine, events = engine_on(RefusesOnePhoto)
    engine.add_folder(watched)
    engine.start()
    wait_for(lambda: engine.library.stats().failed == 1, what="the culprit failed")
    assert captioned_names(engine.library) == {"a.jpg", "c.jpg"}
    (failure,) = events.of(PhotoFailed)
    assert failure.path.endswith("bad.jpg") and "ValueError: this row cannot be written" in failure.reason
    save_colour(watched / "d.jpg", "blue")
    wait_for(lambda: "d.jpg" in captioned_names(engine.library), what="captioning carries on")


def test_a_model_error_of_any_kind_is_reported_once_and_resume_retries(
    engine_on, watched: Path, tiny_captioner: Captioner
) -> None:  # type: ignore[no-untyped-def]
    loads: list[int] = []

    def load() -> Captioner:
        loads.append(1)
        if len(loads) == 1:  # e.g. model.to("cuda") on a GPU this PyTorch build does not support
            raise RuntimeError("CUDA error: no kernel image is available for execution on the device\nmore")
        return tiny_captioner

    save_colour(watched / "a.jpg", "red")
    engine, events = engine_on(factory=load)
    engine.add_folder(watched)
    engine.start()
    wait_for(lambda: engine.state == EngineState.ERROR, what="error state")
    for i in range(3):  # every arrival wakes the thread: none may retry the load or report again
        save_colour(watched / f"more{i}.jpg", "red")
    wait_for(lambda: engine.library.stats().pending == 4, what="arrivals queued")
    (error,) = events.of(EngineError)
    assert error.fatal and "no kernel image is available" in error.message and "\n" not in error.message
    assert len(loads) == 1 and engine.state == EngineState.ERROR
    engine.resume()
    wait_for(lambda: engine.library.stats().captioned == 4, what="captions after resume")
    assert len(loads) == 2


def test_settings_changed_at_runtime_reach_the_engine(  # type: ignore[no-untyped-def]
    engine_on, watched: Path, tiny_model_dir: Path, tmp_path: Path
) -> None:
    os.utime(save_colour(watched / "a.jpg", "red"), (1_000_000, 1_000_000))  # long settled: queued at the start
    engine, events = engine_on(model=str(tmp_path / "not-downloaded"), settle_seconds=600.0)
    engine.add_folder(watched)
    engine.start()
    wait_for(lambda: engine.state == EngineState.ERROR, what="the missing model reported")
    second_model = tmp_path / "second-model"
    shutil.copytree(tiny_model_dir, second_model)
    engine.apply_settings(dataclasses.replace(engine.settings, model=str(second_model), settle_seconds=0.2))
    wait_for(lambda: engine.library.stats().captioned == 1, what="captioned with the new model")
    assert engine.library.photo(watched / "a.jpg").model_ref == str(second_model)
    assert len(events.of(EngineError)) == 1
    save_colour(watched / "b.jpg", "blue")  # the 600 s settle time would hold it for ten minutes
    wait_for(lambda: "b.jpg" in captioned_names(engine.library), timeout=30, what="the new settle time in force")
    engine.apply_settings(dataclasses.replace(engine.settings, model=str(tiny_model_dir), prompt="a photography of"))
    engine.recaption([engine.library.photo(watched / "a.jpg").id])
    wait_for(lambda: engine.library.photo(watched / "a.jpg").revision == 2, what="re-caption")
    record = engine.library.photo(watched / "a.jpg")
    assert (record.model_ref, record.caption) == (str(tiny_model_dir), "a photography of a red wall")


LOCKER = """
import sqlite3, sys
connection = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)
connection.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
sys.stdin.readline()
connection.execute("COMMIT")
"""


@pytest.mark.slow
def test_a_library_locked_by_another_program_loses_no_photo(
    engine_on, watched: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:  # type: ignore[no-untyped-def]
    from photoscribe.library import database

    monkeypatch.setattr(database, "BUSY_TIMEOUT_MS", 200)  # a backup tool holds the lock far longer than this
    engine, events = engine_on()
    engine.add_folder(watched)
    engine.pause()
    engine.start()
    for i in range(4):  # queued before the lock: the caption thread meets the lock when it claims them
        save_colour(watched / f"before{i}.jpg", list(COLOURS)[i % 4])
    wait_for(lambda: engine.library.stats().pending == 4, what="queued")
    command = [sys.executable, "-c", LOCKER, str(engine.library.path)]
    locker = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert locker.stdout is not None and locker.stdout.readline().strip() == "locked"
        with caplog.at_level(logging.WARNING):
            engine.resume()
            for i in range(8):  # arriving while the library is locked
                save_colour(watched / f"during{i}.jpg", list(COLOURS)[i % 4])
            wait_for(lambda: any("cannot be written" in e.message for e in events.of(EngineError)), what="claim")
            wait_for(lambda: any("could not record" in r.getMessage() for r in caplog.records), what="arrivals")
        assert engine.library.stats().captioned == 0
    finally:
        locker.communicate("\n", timeout=30)
    wait_for(lambda: engine.library.stats().captioned == 12, what="every photo captioned after the lock")
    assert engine.wait_until_idle(WAIT)
    photos = engine.library.photos()
    assert len(photos) == 12 and {p.revision for p in photos} == {1}
    assert engine.state == EngineState.IDLE


def test_the_own_write_replace_is_not_taken_for_a_change(make_engine, watched: Path) -> None:  # type: ignore[no-untyped-def]
    from tests.helpers import started

    photo = save_colour(watched / "a.jpg", "red")
    engine, _ = started(make_engine, watched, 1)
    engine.ignore_own_write(photo)
    temporary = photo.with_name(f".{photo.name}.photoscribe-tmp{photo.suffix}")  # as the metadata writers do
    temporary.write_bytes(photo.read_bytes() + b"\0")
    os.replace(temporary, photo)  # a *moved* event onto the photo
    save_colour(watched / "b.jpg", "red")  # an outside change, to know the events were handled
    wait_for(lambda: engine.library.stats().captioned == 2)
    assert engine.wait_until_idle(WAIT)
    engine.library.note_own_write(photo)  # recorded late (a slow write): the event must not have queued it
    assert engine.library.photo(photo).revision == 1
    assert engine.library.stats().pending == 0


def test_out_of_memory_of_any_backend_halves_the_batch_and_it_stays_halved(
    make_engine, watched: Path, tiny_captioner: Captioner
) -> None:  # type: ignore[no-untyped-def]
    limit = 2
    calls: list[tuple[int, bool]] = []  # (photos in the call, ran out of memory)

    class SmallMemoryCaptioner(Captioner):
        """The tiny captioner on a device whose memory holds ``limit`` images; Apple's MPS raises a RuntimeError."""

        def caption(self, images, settings=None):  # type: ignore[no-untyped-def]
            calls.append((len(images), len(images) > limit))
            if len(images) > limit:
                raise RuntimeError("MPS backend out of memory (MPS allocated: 17.1 GB, max allowed: 18.1 GB)")
            return super().caption(images, settings) if settings else super().caption(images)

    captioner = SmallMemoryCaptioner(tiny_captioner.model, tiny_captioner.processor, tiny_captioner.hardware, "tiny")
    for i in range(12):
        photo = save_colour(watched / f"{i:02d}.jpg", "green")
        os.utime(photo, (1_000_000, 1_000_000))  # long settled: queued together
    engine, events = make_engine(batch_size=6, factory=lambda: captioner)
    engine.add_folder(watched)
    engine.start()
    wait_for(lambda: engine.library.stats().captioned == 12, what="captioned in smaller batches")
    for i in range(6):  # a second backlog later on: the batch size found stays in use
        save_colour(watched / f"later{i}.jpg", "blue")
    wait_for(lambda: engine.library.stats().captioned == 18, what="second backlog")
    assert not events.of(PhotoFailed)
    assert calls[0] == (6, True)
    first_fit = next(i for i, (_, oom) in enumerate(calls) if not oom)
    halved = calls[first_fit][0]
    assert 1 < halved < 6
    assert all(size <= halved and not oom for size, oom in calls[first_fit:]), str(calls)


def test_a_photo_moved_or_deleted_after_its_claim_is_not_failed(
    tmp_path: Path, tiny_captioner: Captioner, caplog: pytest.LogCaptureFixture
) -> None:
    from photoscribe.ingest import register_files
    from photoscribe.worker import CaptionWorker

    folder = tmp_path / "photos"
    moving, deleted, kept = (save_colour(folder / name, "yellow") for name in ("moving.jpg", "deleted.jpg", "kept.jpg"))
    moved_to = folder / "renamed.jpg"

    class ThingsHappenAfterTheClaim(Library):
        def claim_batch(self, limit, within=None):  # type: ignore[no-untyped-def]
            claimed = super().claim_batch(limit, within)
            if claimed and moving.exists():  # what the watcher reports while the decoders start
                moving.rename(moved_to)
                self.move_photo(moving, moved_to)
                deleted.unlink()
            return claimed

    with ThingsHappenAfterTheClaim(tmp_path / "library.sqlite3") as library:
        register_files(library, [moving, deleted, kept])
        with caplog.at_level(logging.INFO, logger="photoscribe.worker"):
            summary = CaptionWorker(library, tiny_captioner, batch_size=3).run()
        assert summary.failed == []
        said = [r.getMessage() for r in caplog.records]  # what a user reading the log learns
        assert f"{moving} moved to {moved_to} after it was queued" in said
        assert f"{deleted} was deleted after it was queued" in said
        assert not [r for r in caplog.records if r.levelno >= logging.WARNING]  # the deleted one's claim given back
        assert library.photo(moved_to).status == PhotoStatus.DONE
        assert library.photo(moved_to).caption == "a photo of a yellow wall"
        assert library.photo(kept).status == PhotoStatus.DONE
        assert library.photo(deleted).status == PhotoStatus.MISSING
        save_colour(deleted, "red")  # the file comes back: it is captioned, never stuck as failed
        register_files(library, [deleted])
        CaptionWorker(library, tiny_captioner).run()
        assert library.photo(deleted).caption == "a photo of a red wall"


def test_removing_a_folder_while_it_is_scanned_harms_nothing(engine_on, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    big, other = tmp_path / "big", tmp_path / "other"
    for i in range(6):  # long settled: the scan itself registers them
        os.utime(save_colour(big / f"{i}.jpg", "red"), (1_000_000, 1_000_000))
    save_colour(other / "x.jpg", "blue")
    scanning, removed = threading.Event(), threading.Event()

    class SlowScan(Library):
        def register(self, facts, folder_id=None):  # type: ignore[no-untyped-def]
            if any(Path(f.path).parent == big for f in facts) and not removed.is_set():
                scanning.set()
                removed.wait(WAIT)  # the user removes the folder right now
            return super().register(facts, folder_id)

    engine, events = engine_on(SlowScan)
    engine.add_folder(other)
    engine.add_folder(big)
    engine.start()
    assert scanning.wait(WAIT)
    engine.remove_folder(big)
    removed.set()
    wait_for(lambda: "x.jpg" in captioned_names(engine.library), what="the other folder captioned")
    assert engine.wait_until_idle(WAIT)
    assert not [e for e in events.of(EngineError) if "unexpected" in e.message]
    assert [f.path for f in engine.library.folders()] == [other]
    assert engine.library.stats(within=[big]).pending == 0 and engine.library.stats(within=[big]).captioned == 0
    save_colour(other / "y.jpg", "green")
    wait_for(lambda: "y.jpg" in captioned_names(engine.library), what="captioning carries on")
