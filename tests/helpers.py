"""Helpers shared by the engine, GUI, watch and metadata tests."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.tiny_blip import colour_image

WAIT = 60.0  # generous ceiling for every condition wait; a passing run takes a fraction of it


def wait_for(condition: Callable[[], bool], timeout: float = WAIT, what: str = "condition") -> None:
    """Wait until ``condition()`` is true, checking every 20 ms; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    done = threading.Event()
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        done.wait(0.02)


class Recorder:
    """Collects engine events (they arrive on engine threads)."""

    def __init__(self) -> None:
        self.events: list[object] = []
        self.lock = threading.Lock()

    def __call__(self, event: object) -> None:
        with self.lock:
            self.events.append(event)

    def of(self, kind: type) -> list:  # type: ignore[type-arg]
        with self.lock:
            return [e for e in self.events if isinstance(e, kind)]


def save_colour(path: Path, colour: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    colour_image(colour, size=(64, 48)).save(path, format="JPEG", quality=92)
    return path


def started(make_engine, folder: Path, captioned: int, **options: object) -> tuple:  # type: ignore[no-untyped-def]
    """An engine watching ``folder`` once ``captioned`` photos are captioned."""
    engine, events = make_engine(**options)
    engine.add_folder(folder)
    engine.start()
    wait_for(lambda: engine.library.stats().captioned == captioned, what=f"{captioned} captions")
    return engine, events
