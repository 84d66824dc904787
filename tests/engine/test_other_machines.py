"""The app's engine on a shared PostgreSQL library sees captions stored by another machine appear."""

from __future__ import annotations

from pathlib import Path

from photoscribe.config import Settings
from photoscribe.engine import Engine
from photoscribe.events import EngineState, PhotosChanged
from photoscribe.library import CaptionResult, Library
from photoscribe.library.leases import LeaseOwner
from tests.helpers import Recorder, wait_for
from tests.library.common import facts


def test_captions_stored_by_another_machine_reach_the_idle_app(
    postgres_url: str, tiny_model_dir: Path, tmp_path: Path
) -> None:
    other = Library(postgres_url, owner=LeaseOwner("render-box", 4242, 1))
    other.register([facts(str(tmp_path / "from-elsewhere.jpg"))])
    (claimed,) = other.claim_batch(1)  # the other machine is captioning it when the app starts
    settings = Settings(library=postgres_url, model=str(tiny_model_dir), precision="fp32", text_model="")
    engine = Engine(settings, poll_seconds=0.2)
    recorder = Recorder()
    engine.subscribe(recorder)
    try:
        engine.start()
        wait_for(lambda: engine.state == EngineState.IDLE, timeout=60, what="the engine idle")
        before = len(recorder.of(PhotosChanged))
        other.save_results([CaptionResult(claimed.id, "a caption from the render box", (), "m", {})])
        wait_for(lambda: len(recorder.of(PhotosChanged)) > before, timeout=20, what="the grid told of the caption")
        assert engine.library.photo(tmp_path / "from-elsewhere.jpg").caption == "a caption from the render box"
    finally:
        engine.stop()
        engine.library.close()
        other.close()
