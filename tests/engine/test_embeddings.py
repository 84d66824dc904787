"""The engine keeps search by meaning current by itself: the real MiniLM, a real library, the tiny BLIP."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from photoscribe import meaning
from photoscribe.config import Settings
from photoscribe.engine import Engine
from photoscribe.events import EngineState, SearchState, SearchStatus
from photoscribe.library import Library, MatchKind
from tests.helpers import Recorder, save_colour, wait_for
from tests.tiny_blip import COLOURS

EMBED_WAIT = 30.0  # well below the keeper's own recheck (60 s): only a wake-up can make these waits pass


@pytest.fixture(scope="session")
def minilm(text_model_dir: Path):  # type: ignore[no-untyped-def]
    """The real all-MiniLM-L6-v2, loaded once for the session (a load takes seconds)."""
    from photoscribe.captioning.text_embedder import TextEmbedder

    return TextEmbedder.load(str(text_model_dir), allow_download=False)


@pytest.fixture
def meaning_engine(  # type: ignore[no-untyped-def]
    tmp_path: Path, tiny_model_dir: Path, text_model_dir: Path, minilm
) -> Iterator[Callable[..., tuple[Engine, Recorder]]]:
    """``meaning_engine(**settings)``: an engine whose text model is the real MiniLM (the session's copy when
    the settings name its folder, any other model loaded for real), listened to by a :class:`Recorder`."""
    from photoscribe.engine_embeddings import load_text_model

    engines: list[Engine] = []
    loads: list[str] = []

    def loader(ref: str, progress: type):  # type: ignore[no-untyped-def]
        loads.append(ref)
        return minilm if ref == str(text_model_dir) else load_text_model(ref, progress)

    def make(**options: object) -> tuple[Engine, Recorder]:
        values: dict[str, object] = dict(model=str(tiny_model_dir), precision="fp32", batch_size=4, settle_seconds=0.3)
        values.update({"text_model": str(text_model_dir), **options})
        settings = Settings(library=str(tmp_path / "library.sqlite3"), **values)  # type: ignore[arg-type]
        engine = Engine(settings, library=Library(settings.library), poll_seconds=0.2, text_loader=loader)
        recorder = Recorder()
        engine.subscribe(recorder)
        engines.append(engine)
        return engine, recorder

    make.loads = loads  # type: ignore[attr-defined]
    yield make
    for engine in engines:
        engine.stop()
        engine.library.close()


def colour_shoot(folder: Path, count: int = 8) -> dict[str, list[Path]]:
    photos: dict[str, list[Path]] = {}
    for i in range(count):
        colour = list(COLOURS)[i % len(COLOURS)]
        photos.setdefault(colour, []).append(save_colour(folder / f"IMG_{i:03d}.jpg", colour))
    return photos


def current(engine: Engine, ref: str, count: int) -> Callable[[], bool]:
    return lambda: engine.library.text_vector_progress(ref) == (count, count)


def started_and_embedded(meaning_engine, watched: Path, minilm):  # type: ignore[no-untyped-def]
    """A shoot of 8 colour photos in ``watched``, captioned and embedded by a started engine."""
    photos = colour_shoot(watched)
    engine, events = meaning_engine()
    engine.add_folder(watched)
    engine.start()
    wait_for(current(engine, minilm.ref, 8), timeout=EMBED_WAIT, what="every caption embedded")
    return engine, events, photos


def test_captions_are_embedded_as_they_are_made_with_progress(meaning_engine, watched: Path, minilm) -> None:  # type: ignore[no-untyped-def]
    engine, events, photos = started_and_embedded(meaning_engine, watched, minilm)

    def ready_after_the_last_vector() -> bool:
        # the vectors are stored before their pass reports them (and an earlier pass, made while photos were
        # still being captioned, may have said READY at 4 of 8): wait for the report of the pass that stored
        # the last one, then READY
        said = events.of(SearchStatus)
        return (
            bool(said)
            and said[-1].state == SearchState.READY
            and any(s.state == SearchState.EMBEDDING and s.done == s.total == 8 for s in said)
        )

    wait_for(ready_after_the_last_vector, what="search ready after every vector was reported")
    statuses = events.of(SearchStatus)
    assert statuses[0] == SearchStatus(SearchState.LOADING, minilm.ref)
    progress = [s for s in statuses if s.state == SearchState.EMBEDDING]
    assert progress and progress[-1].done == progress[-1].total and progress[-1].total >= 1
    assert all(s.state != SearchState.EXACT_ONLY for s in statuses)
    assert engine.embeddings.exact_only is None
    # no caption says "ocean" or "paint": only the vectors of the captions can find the blue walls
    hits = meaning.search(engine.library, "ocean blue paint", embedder=minilm).hits
    assert {h.photo.path for h in hits[:2]} == {str(p) for p in photos["blue"]}
    assert {h.match for h in hits} == {MatchKind.MEANING}
    assert engine.embeddings.encode_query("ocean blue paint")[1] == minilm.ref


def test_an_edit_is_embedded_and_found_by_meaning(meaning_engine, watched: Path, minilm) -> None:  # type: ignore[no-untyped-def]
    engine, _, photos = started_and_embedded(meaning_engine, watched, minilm)
    dog, cat = photos["red"][0], photos["green"][1]
    engine.library.set_user_caption(dog, "a dog running on the beach")
    engine.library.set_user_caption(cat, "a cat sleeping on a sofa")
    engine.embeddings.wake()  # what the app does after saving an edit
    wait_for(current(engine, minilm.ref, 8), timeout=EMBED_WAIT, what="the edits embedded")
    assert meaning.search(engine.library, "puppy", embedder=minilm).hits[0].photo.path == str(dog)
    assert meaning.search(engine.library, "kitten on a couch", embedder=minilm).hits[0].photo.path == str(cat)


def test_a_change_of_text_model_embeds_again(meaning_engine, watched, text_model_dir, tmp_path, minilm) -> None:  # type: ignore[no-untyped-def]
    colour_shoot(watched, count=4)
    engine, events = meaning_engine()
    engine.add_folder(watched)
    engine.start()
    wait_for(current(engine, minilm.ref, 4), timeout=EMBED_WAIT, what="embedded with the first model")
    other = tmp_path / "other-minilm"
    other.symlink_to(text_model_dir, target_is_directory=True)  # another name: another model as far as vectors go
    engine.apply_settings(dataclasses.replace(engine.settings, text_model=str(other)))
    wait_for(current(engine, str(other), 4), timeout=EMBED_WAIT, what="embedded with the second model")
    assert engine.library.text_vector_progress(minilm.ref)[0] == 0  # the first model's vectors are stale now
    assert meaning_engine.loads == [minilm.ref, str(other)]
    assert engine.embeddings.embedder.ref == str(other)
    assert SearchStatus(SearchState.LOADING, str(other)) in events.of(SearchStatus)


def test_without_a_text_model_search_is_exact_and_says_why_once(meaning_engine, watched: Path) -> None:  # type: ignore[no-untyped-def]
    photos = colour_shoot(watched, count=4)
    engine, events = meaning_engine(text_model="nobody/no-such-text-model")  # offline (HF_HUB_OFFLINE) and absent
    engine.add_folder(watched)
    engine.start()
    wait_for(lambda: engine.library.stats().captioned == 4, what="captions")
    wait_for(lambda: engine.embeddings.exact_only != "the text model is not loaded yet", what="the text model tried")
    assert "no-such-text-model" in engine.embeddings.exact_only
    assert engine.embeddings.embedder is None and engine.embeddings.encode_query("red") is None
    exact = [s for s in events.of(SearchStatus) if s.state == SearchState.EXACT_ONLY]
    assert len(exact) == 1 and exact[0].detail == engine.embeddings.exact_only
    engine.embeddings.wake()  # waking again does not say it again
    engine.recaption([engine.library.photo(photos["red"][0]).id])
    assert engine.wait_until_idle(60)
    assert len([s for s in events.of(SearchStatus) if s.state == SearchState.EXACT_ONLY]) == 1
    assert engine.state != EngineState.ERROR  # captioning carries on
    outcome = meaning.search(engine.library, "red", embedder=engine.embeddings.embedder)
    assert {h.photo.path for h in outcome.hits} == {str(p) for p in photos["red"]}


def test_the_nearest_other_photo_to_a_yellow_photo_is_yellow(meaning_engine, watched: Path) -> None:  # type: ignore[no-untyped-def]
    photos = colour_shoot(watched, count=12)
    engine, _ = meaning_engine(text_model="")
    engine.add_folder(watched)
    engine.start()
    wait_for(lambda: engine.library.stats().captioned == 12, what="captions")
    for colour, paths in photos.items():
        for path in paths:
            nearest = meaning.similar(engine.library, path)
            assert Path(nearest[0].photo.path) in paths and str(path) not in {h.photo.path for h in nearest}, colour
