"""Engines built around a given library (a real one, or a subclass that injects a fault)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from photoscribe.config import Settings
from photoscribe.engine import Engine
from photoscribe.library import Library
from tests.helpers import Recorder


@pytest.fixture
def engine_on(tmp_path: Path, tiny_model_dir: Path) -> Iterator[Callable[..., tuple[Engine, Recorder]]]:
    """``engine_on(library_class, factory=None, **settings)``: an engine on the test's library file."""
    engines: list[Engine] = []

    def make(library_class: type[Library] = Library, factory=None, **options: object) -> tuple[Engine, Recorder]:  # type: ignore[no-untyped-def]
        values: dict[str, object] = {"model": str(tiny_model_dir), "precision": "fp32", "batch_size": 4}
        values.update({"settle_seconds": 0.3, **options})
        settings = Settings(library=str(tmp_path / "library.sqlite3"), **values)  # type: ignore[arg-type]
        engine = Engine(settings, library=library_class(settings.library), captioner_factory=factory, poll_seconds=0.2)
        recorder = Recorder()
        engine.subscribe(recorder)
        engines.append(engine)
        return engine, recorder

    yield make
    for engine in engines:
        engine.stop()
        engine.library.close()
