"""The engine with real watchdog observers on temp folders, a real library and the tiny trained BLIP."""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest

from photoscribe.captioning import Captioner
from photoscribe.events import (
    EngineError,
    EngineState,
    PhotoCaptioned,
    PhotoFailed,
    PhotosChanged,
    Progress,
    QueueEmpty,
)
from photoscribe.library import PhotoStatus
from tests.helpers import WAIT, save_colour, started, wait_for
from tests.tiny_blip import COLOURS


def test_existing_photos_are_caught_up_and_new_ones_captioned(make_engine, watched: Path) -> None:  # type: ignore[no-untyped-def]
    existing = save_colour(watched / "old.jpg", "red")
    engine, events = make_engine()
    engine.add_folder(watched)
    engine.start()
    wait_for(lambda: engine.library.stats().captioned == 1, what="catch-up")
    new = save_colour(watched / "sub" / "new.jpg", "blue")
    wait_for(
        lambda: (engine.library.photo(new) or None) is not None and engine.library.photo(new).status == PhotoStatus.DONE
    )
    assert engine.library.photo(existing).caption == "a photo of a red wall"
    assert engine.library.photo(new).caption == "a photo of a blue wall"
    captioned = {e.path: e for e in events.of(PhotoCaptioned)}
    assert captioned[str(new)].keywords == ("blue", "wall")
    assert events.of(QueueEmpty)
    progress = events.of(Progress)[-1]
    assert progress.done >= 1 and progress.total >= progress.done and progress.photos_per_second > 0


@pytest.mark.slow
def test_a_burst_of_500_files_is_captioned_exactly_once_each(make_engine, watched: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    source = tmp_path / "card"
    for i in range(500):
        save_colour(source / f"DSC_{i:04d}.jpg", list(COLOURS)[i % 4])
    engine, _ = make_engine(batch_size=16)
    engine.add_folder(watched)
    engine.start()
    wait_for(lambda: engine.state == EngineState.IDLE, what="engine idle")
    for path in sorted(source.iterdir()):  # copied in at once, as a card reader dump does
        shutil.copy2(path, watched / path.name)
    wait_for(lambda: engine.library.stats().captioned == 500, timeout=240, what="500 captions")
    assert engine.wait_until_idle(WAIT)
    photos = engine.library.photos()
    assert len(photos) == 500
    assert {p.revision for p in photos} == {1}
    assert all(p.caption == f"a photo of a {list(COLOURS)[int(Path(p.path).stem[4:]) % 4]} wall" for p in photos)


def test_a_file_written_slowly_is_not_captioned_until_complete(make_engine, watched: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    whole = save_colour(tmp_path / "whole.jpg", "yellow").read_bytes()
    engine, _ = make_engine(settle=0.5)
    engine.add_folder(watched)
    engine.start()
    target = watched / "slow.jpg"
    pace = threading.Event()
    with open(target, "wb") as out:
        for start in range(0, len(whole), 64):
            out.write(whole[start : start + 64])
            out.flush()
            pace.wait(0.05)  # a slow copy: one chunk every 50 ms, well inside the settle time
            assert engine.library.photo(target) is None, "registered while still being written"
    wait_for(
        lambda: engine.library.photo(target) is not None and engine.library.photo(target).status == PhotoStatus.DONE
    )
    record = engine.library.photo(target)
    assert (record.caption, record.revision) == ("a photo of a yellow wall", 1)


def test_a_move_keeps_the_caption_and_a_delete_marks_missing(make_engine, watched: Path) -> None:  # type: ignore[no-untyped-def]
    photo = save_colour(watched / "a.jpg", "green")
    engine, _ = started(make_engine, watched, 1)
    engine.library.set_user_caption(photo, "the green door")
    moved = watched / "renamed" / "door.jpg"
    moved.parent.mkdir()
    photo.rename(moved)
    wait_for(lambda: engine.library.photo(moved) is not None, what="the move")
    record = engine.library.photo(moved)
    assert (record.caption, record.model_caption, record.revision) == ("the green door", "a photo of a green wall", 1)
    assert engine.library.photo(photo) is None
    moved.unlink()
    wait_for(lambda: engine.library.photo(moved).status == PhotoStatus.MISSING, what="missing")
    assert engine.library.search("door") == []
    save_colour(moved, "green")
    shutil.copystat(watched, moved)  # different mtime; same pixels, so same caption
    wait_for(lambda: engine.library.photo(moved).status == PhotoStatus.DONE, what="restored")
    assert engine.library.photo(moved).caption == "the green door"


def test_hidden_and_temporary_files_are_ignored(make_engine, watched: Path) -> None:  # type: ignore[no-untyped-def]
    engine, _ = make_engine()
    engine.add_folder(watched)
    engine.start()
    save_colour(watched / ".hidden.jpg", "red")
    save_colour(watched / "upload.jpg.part", "red")
    (watched / "notes.txt").write_text("not a photo")
    save_colour(watched / "real.jpg", "red")
    wait_for(lambda: engine.library.stats().captioned == 1)
    assert engine.wait_until_idle(WAIT)
    assert [Path(p.path).name for p in engine.library.photos()] == ["real.jpg"]


def test_own_writes_are_ignored(make_engine, watched: Path) -> None:  # type: ignore[no-untyped-def]
    photo = save_colour(watched / "a.jpg", "red")
    engine, _ = started(make_engine, watched, 1)
    engine.ignore_own_write(photo)
    with open(photo, "ab") as out:  # e.g. PhotoScribe writing metadata
        out.write(b"\0")
    save_colour(watched / "b.jpg", "red")  # an outside change, to know events were processed
    wait_for(lambda: engine.library.stats().captioned == 2)
    assert engine.wait_until_idle(WAIT)
    assert engine.library.photo(photo).revision == 1


def test_a_broken_file_in_a_batch_fails_alone(make_engine, watched: Path) -> None:  # type: ignore[no-untyped-def]
    for i in range(7):
        save_colour(watched / f"good{i}.jpg", "blue")
    (watched / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 this is not really a jpeg")
    engine, events = make_engine(batch_size=8)
    engine.add_folder(watched)
    engine.start()
    assert engine.wait_until_idle(WAIT)
    stats = engine.library.stats()
    assert (stats.captioned, stats.failed) == (7, 1)
    (failure,) = events.of(PhotoFailed)
    assert failure.path == str(watched / "broken.jpg") and failure.reason


def test_pause_stops_new_work_and_resume_carries_on(make_engine, watched: Path) -> None:  # type: ignore[no-untyped-def]
    engine, _ = make_engine()
    engine.add_folder(watched)
    engine.start()
    engine.pause()
    wait_for(lambda: engine.state == EngineState.PAUSED, what="paused")
    for i in range(5):
        save_colour(watched / f"{i}.jpg", "red")
    wait_for(lambda: engine.library.stats().pending == 5, what="queued while paused")
    assert engine.wait_until_idle(WAIT)  # paused: nothing more will happen
    assert engine.library.stats().captioned == 0
    engine.resume()
    wait_for(lambda: engine.library.stats().captioned == 5, what="captioned after resume")


def test_cancel_empties_the_queue(make_engine, watched: Path) -> None:  # type: ignore[no-untyped-def]
    engine, _ = make_engine()
    seen_after_a_change: list[int] = []  # cancelled photos when each PhotosChanged came: lists refresh then
    engine.subscribe(
        lambda e: isinstance(e, PhotosChanged) and seen_after_a_change.append(engine.library.stats().cancelled)
    )
    engine.add_folder(watched)
    engine.start()
    engine.pause()
    for i in range(4):
        save_colour(watched / f"{i}.jpg", "red")
    wait_for(lambda: engine.library.stats().pending == 4)
    engine.cancel()
    wait_for(lambda: engine.library.stats().cancelled == 4, what="cancelled")
    wait_for(lambda: 4 in seen_after_a_change, what="a PhotosChanged once the queue is cleared")
    engine.resume()
    assert engine.wait_until_idle(WAIT)
    assert engine.library.stats().captioned == 0
    save_colour(watched / "0.jpg", "blue")  # a cancelled photo that changes is queued again
    wait_for(lambda: engine.library.stats().captioned == 1)


def test_a_model_that_cannot_load_is_reported_and_nothing_is_lost(make_engine, watched: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    save_colour(watched / "a.jpg", "red")
    engine, events = make_engine()
    engine.settings.model = str(tmp_path / "no-model")
    engine.add_folder(watched)
    engine.start()
    wait_for(lambda: engine.state == EngineState.ERROR, what="error state")
    (error,) = events.of(EngineError)
    assert error.fatal and "does not exist" in error.message
    assert engine.library.stats().pending == 1


def test_polling_folders_see_new_files(make_engine, watched: Path) -> None:  # type: ignore[no-untyped-def]
    engine, _ = make_engine()
    assert engine.add_folder(watched, polling=True) == "polling"
    engine.start()
    save_colour(watched / "share.jpg", "yellow")
    wait_for(lambda: engine.library.stats().captioned == 1)
    assert engine.library.folders()[0].polling


def test_events_lost_while_stopped_are_caught_up_at_start(make_engine, watched: Path) -> None:  # type: ignore[no-untyped-def]
    kept, removed = save_colour(watched / "kept.jpg", "red"), save_colour(watched / "removed.jpg", "blue")
    engine, _ = make_engine()
    engine.add_folder(watched)
    engine.start()
    wait_for(lambda: engine.library.stats().captioned == 2)
    engine.stop()
    removed.unlink()
    added = save_colour(watched / "added.jpg", "green")
    engine2, _ = make_engine()
    engine2.start()
    wait_for(lambda: engine2.library.photo(removed).status == PhotoStatus.MISSING, what="missing")
    wait_for(
        lambda: engine2.library.photo(added) is not None and engine2.library.photo(added).status == PhotoStatus.DONE
    )
    assert engine2.library.photo(added).caption == "a photo of a green wall"
    assert engine2.library.photo(kept).revision == 1


def test_out_of_memory_halves_the_batch_instead_of_failing(
    make_engine, watched: Path, tiny_captioner: Captioner
) -> None:  # type: ignore[no-untyped-def]
    import torch

    calls: list[int] = []

    class SmallMemoryCaptioner(Captioner):
        """The real tiny captioner on a device that runs out of memory above 2 images (CUDA cannot run here)."""

        def caption(self, images, settings=None):  # type: ignore[no-untyped-def]
            calls.append(len(images))
            if len(images) > 2:
                raise torch.OutOfMemoryError("CUDA out of memory (simulated)")
            return super().caption(images, settings) if settings else super().caption(images)

    captioner = SmallMemoryCaptioner(tiny_captioner.model, tiny_captioner.processor, tiny_captioner.hardware, "tiny")
    for i in range(6):
        photo = save_colour(watched / f"{i}.jpg", "green")
        os.utime(photo, (1_000_000, 1_000_000))  # long settled: all six are queued together, as one batch
    engine, events = make_engine(batch_size=6, factory=lambda: captioner)
    engine.add_folder(watched)
    engine.start()
    wait_for(lambda: engine.library.stats().captioned == 6, what="captioned in smaller batches")
    assert not events.of(PhotoFailed)
    assert calls[:3] == [6, 3, 2]  # halved until it fits
    assert max(calls[3:]) <= 3


def test_running_out_of_native_watches_falls_back_to_polling(
    make_engine, watched: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    import errno

    from photoscribe.ingest import watcher

    real_start = watcher.FolderWatcher._start_observer

    def no_native_watches(self, folder, polling):  # type: ignore[no-untyped-def]
        # The kernel's answer when fs.inotify.max_user_watches is used up (exhausting it for real would
        # disturb every other program on the machine).
        if not polling:
            raise OSError(errno.ENOSPC, "inotify watch limit reached")
        return real_start(self, folder, polling)

    monkeypatch.setattr(watcher.FolderWatcher, "_start_observer", no_native_watches)
    engine, events = make_engine()
    assert engine.add_folder(watched) == "polling"
    engine.start()
    (warning,) = {e.message for e in events.of(EngineError)}
    assert "ran out of file watches" in warning and "max_user_watches" in warning
    save_colour(watched / "a.jpg", "red")
    wait_for(lambda: engine.library.stats().captioned == 1, what="captioned through polling")


def test_a_periodic_rescan_catches_what_events_missed(make_engine, watched: Path) -> None:  # type: ignore[no-untyped-def]
    engine, _ = make_engine()
    engine.settings.reconcile_minutes = 0.01  # every 0.6 s
    engine.add_folder(watched)
    engine.start()
    wait_for(lambda: engine.state == EngineState.IDLE)
    engine._watcher.unwatch(watched)  # events for this folder are now lost, as on a silent network share
    save_colour(watched / "unseen.jpg", "blue")
    wait_for(lambda: engine.library.stats().captioned == 1, what="the rescan")


def test_download_progress_is_reported_as_events() -> None:
    from photoscribe.engine import download_progress
    from photoscribe.events import ModelDownload

    seen: list[object] = []
    import io

    bar = download_progress(seen.append)(total=3, file=io.StringIO())
    bar.update(1)
    bar.update(2)
    bar.close()
    assert seen == [ModelDownload(1, 3), ModelDownload(3, 3)]


def test_recaption_with_a_prompt_uses_it_once(make_engine, watched: Path) -> None:  # type: ignore[no-untyped-def]
    photos = [save_colour(watched / f"{i}.jpg", "red") for i in range(3)]
    engine, _ = started(make_engine, watched, 3)
    first = engine.library.photo(photos[0])
    assert engine.recaption([first.id], prompt="a photography of") == 1
    wait_for(lambda: engine.library.photo(photos[0]).revision == 2, what="re-caption with prompt")
    record = engine.library.photo(photos[0])
    assert record.caption == "a photography of a red wall"
    assert record.settings["prompt"] == "a photography of"
    assert record.keywords == ("red", "wall")
    assert engine.library.photo(photos[1]).caption == "a photo of a red wall"
    engine.recaption([first.id])  # the prompt was for one caption only
    wait_for(lambda: engine.library.photo(photos[0]).revision == 3)
    assert engine.library.photo(photos[0]).caption == "a photo of a red wall"


@pytest.mark.parametrize(("precision", "default"), [("fp32", 12), ("bf16", 24)])
def test_without_a_batch_size_the_worker_uses_the_hardware_default(
    tmp_path: Path, tiny_model_dir: Path, precision: str, default: int
) -> None:
    from photoscribe.captioning import choose_hardware
    from photoscribe.ingest import register_files
    from photoscribe.library import Library
    from photoscribe.worker import CaptionWorker

    for i in range(30):
        save_colour(tmp_path / "photos" / f"{i}.jpg", "red")
    captioner = Captioner.load(str(tiny_model_dir), choose_hardware("cpu", precision))
    assert captioner.hardware.batch_size == default
    seen: list[int] = []
    with Library(tmp_path / "library.sqlite3") as library:
        register_files(library, sorted((tmp_path / "photos").iterdir()))
        CaptionWorker(library, captioner).run(on_batch=lambda outcome: seen.append(len(outcome.captioned)))
        assert library.stats().captioned == 30
    # the first batch is claimed with the default; batches captioned at once share it (cpu_threads.cpu_streams)
    assert seen[0] == default and sum(seen) == 30 and max(seen) <= default


def test_the_engines_scan_pairs_raw_and_jpeg_and_counts_the_files_left_out(  # type: ignore[no-untyped-def]
    make_engine, watched: Path, samples: Path
) -> None:
    """The RAW half is an unreadable CR2: the pair is captioned from its JPEG, the RAW never decoded."""
    save_colour(watched / "IMG_1.JPG", "green")
    shutil.copy(samples / "raw" / "CanonRaw.cr2", watched / "IMG_1.CR2")
    for name in ("MVI_2.MOV", "IMG_1.xmp"):
        (watched / name).write_bytes(b"not a photo")
    engine, events = make_engine()
    engine.add_folder(watched)
    engine.start()
    wait_for(lambda: engine.library.stats().captioned == 1, what="the pair captioned")
    assert engine.wait_until_idle(WAIT)
    stats = engine.library.stats()
    assert (stats.photos, stats.paired, stats.failed) == (1, 1, 0)
    assert stats.left_out == (("sidecar", ".xmp", 1), ("video", ".mov", 1))
    assert engine.library.photo(watched / "IMG_1.JPG").companion_path == str(watched / "IMG_1.CR2")
    assert not events.of(PhotoFailed)


def test_the_loaded_model_is_kept_out_of_full_garbage_collections(make_engine, watched: Path) -> None:  # type: ignore[no-untyped-def]
    """A full collection over PyTorch's and the model's objects pauses every thread (the app's search stalled
    0.25 s every few dozen queries at 100,000 photos): once the model is loaded, they are frozen out of it."""
    import gc

    gc.unfreeze()
    save_colour(watched / "one.jpg", "red")
    engine, _ = make_engine()
    engine.add_folder(watched)
    engine.start()
    wait_for(lambda: engine.library.stats().captioned == 1, what="a caption")
    frozen = gc.get_freeze_count()
    gc.unfreeze()  # the rest of the suite collects as usual
    assert frozen > 10_000  # the model, torch and transformers: far more than any test's own objects


def test_a_folder_of_photos_moved_in_is_captioned_without_waiting_for_the_rescan(  # type: ignore[no-untyped-def]
    make_engine, watched: Path, tmp_path: Path
) -> None:
    """The system reports the folder, not the photos inside it: the watcher looks inside (the rescan is 30 minutes
    away)."""
    engine, _events = make_engine()
    engine.add_folder(watched)
    engine.start()
    assert engine.wait_until_idle(WAIT)
    shoot = tmp_path / "card" / "DCIM"
    photos = [save_colour(shoot / f"{colour}.jpg", colour) for colour in ("red", "green")]
    for photo in photos:
        os.utime(photo, (1_000_000, 1_000_000))
    shutil.move(str(shoot), str(watched / "DCIM"))  # a rename within one file system: one event for the folder
    wait_for(lambda: engine.library.stats().captioned == 2, what="the moved-in folder's photos captioned")
    assert engine.library.photo(watched / "DCIM" / "green.jpg").caption == "a photo of a green wall"
