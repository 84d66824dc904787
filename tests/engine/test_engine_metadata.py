"""Metadata writing from the engine: after each batch, caught up after a restart, and for edits."""

from __future__ import annotations

import os
from pathlib import Path

from photoscribe.library import Library
from tests.helpers import WAIT, save_colour, wait_for


def sidecar(photo: Path) -> Path:
    return photo.with_name(photo.name + ".xmp")  # sidecar_naming "full"


def sidecar_text(photo: Path) -> str:
    return sidecar(photo).read_text(encoding="utf-8") if sidecar(photo).exists() else ""


def test_captions_stored_but_not_written_before_a_kill_are_written_at_the_next_start(
    engine_on, watched: Path, tiny_captioner
) -> None:  # type: ignore[no-untyped-def]
    from photoscribe.ingest import register_files
    from photoscribe.worker import CaptionWorker

    photos = [save_colour(watched / f"{i}.jpg", "red") for i in range(3)]
    for photo in photos:
        os.utime(photo, (1_000_000, 1_000_000))
    library_file = watched.parent / "library.sqlite3"
    with Library(library_file) as library:  # an earlier run: captions stored, then killed before writing
        library.add_folder(watched)
        register_files(library, photos)
        CaptionWorker(library, tiny_captioner, metadata_pending=True).run()
        assert len(library.metadata_pending_ids()) == 3
    assert not any(sidecar(p).exists() for p in photos)
    engine, _ = engine_on(write_metadata="sidecar")
    engine.start()
    wait_for(lambda: all("a photo of a red wall" in sidecar_text(p) for p in photos), what="sidecars written")
    wait_for(lambda: engine.library.metadata_pending_ids() == [], what="nothing left pending")
    assert {p.revision for p in engine.library.photos()} == {1}  # written, not captioned again


def test_fresh_captions_and_edits_reach_the_files(engine_on, watched: Path) -> None:  # type: ignore[no-untyped-def]
    photo = save_colour(watched / "a.jpg", "blue")
    engine, _ = engine_on(write_metadata="sidecar")
    engine.add_folder(watched)
    engine.start()
    wait_for(lambda: "a photo of a blue wall" in sidecar_text(photo), what="the fresh caption written")
    assert engine.wait_until_idle(WAIT)
    assert engine.library.metadata_pending_ids() == []
    record = engine.library.set_user_caption(photo, "Grandma's blue door")
    engine.write_metadata_for([record.id])
    wait_for(lambda: "Grandma&#39;s blue door" in sidecar_text(photo) or "Grandma's blue door" in sidecar_text(photo))
    assert engine.library.photo(photo).revision == 1


def test_a_raw_jpeg_pair_gets_the_caption_in_both_sidecars_and_the_raw_file_is_untouched(
    engine_on, watched: Path, samples: Path
) -> None:  # type: ignore[no-untyped-def]
    import hashlib
    import shutil

    raw = Path(shutil.copyfile(samples / "raw" / "Canon-R6-pruned.CR3", watched / "IMG_0001.CR3"))
    before = hashlib.sha256(raw.read_bytes()).hexdigest()
    photo = save_colour(watched / "IMG_0001.JPG", "green")
    engine, _ = engine_on(write_metadata="sidecar")
    engine.add_folder(watched)
    engine.start()
    wait_for(lambda: "a photo of a green wall" in sidecar_text(photo), what="the JPEG's sidecar written")
    wait_for(lambda: "a photo of a green wall" in sidecar_text(raw), what="the RAW half's sidecar written")
    assert engine.wait_until_idle(WAIT)
    assert hashlib.sha256(raw.read_bytes()).hexdigest() == before
    assert engine.library.metadata_pending_ids() == []
    assert [r.path for r in engine.library.photos()] == [str(photo)]  # one photo, captioned once
