"""The worker when the model fails: a batch that raises is retried photo by photo so only the culprit fails; out of
memory halves the batch (and a part that then fails is retried photo by photo too); a photo that does not fit even
alone fails with a hint. Run on the real tiny captioner and a real library, no engine in between, so each model call
can be counted."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np
import pytest
import torch

from photoscribe.captioning import Captioner
from photoscribe.ingest import register_files
from photoscribe.library import Library, PhotoStatus
from photoscribe.worker import CaptionWorker
from tests.helpers import save_colour
from tests.tiny_blip import COLOURS


class FaultyDevice(Captioner):
    """The tiny captioner on a device that runs out of memory above ``memory`` images and whose model raises on any
    call holding a blue image (a real photo a real model chokes on cannot be made on demand)."""

    def __init__(self, tiny: Captioner, memory: int = 64) -> None:
        super().__init__(tiny.model, tiny.processor, tiny.hardware, "tiny")
        self.memory, self.calls = memory, []  # calls: the number of images in each model call

    def caption(self, images, settings=None):  # type: ignore[no-untyped-def]
        self.calls.append(len(images))
        if len(images) > self.memory:
            raise torch.OutOfMemoryError("CUDA out of memory (simulated)")
        if any(_is_blue(image) for image in images):
            raise ValueError("bad pixels in the vision encoder")
        return super().caption(images, settings) if settings else super().caption(images)


def _is_blue(image) -> bool:  # type: ignore[no-untyped-def]
    """A blue photo, given as the model's normalised pixels (the decode threads make those; 0 is about mid-grey)."""
    red, green, blue = np.asarray(image).reshape(3, -1).mean(axis=1)
    return blue > 1 and red < -1 and green < -1


def _shoot(folder: Path, colours: list[str]) -> list[Path]:
    assert set(colours) <= set(COLOURS)
    photos = [save_colour(folder / f"{i}-{colour}.jpg", colour) for i, colour in enumerate(colours)]
    for photo in photos:
        os.utime(photo, (1_000_000, 1_000_000))
    return photos


def _run(tmp_path: Path, captioner: FaultyDevice, colours: list[str], batch_size: int):  # type: ignore[no-untyped-def]
    photos = _shoot(tmp_path / "photos", colours)
    library = Library(tmp_path / "library.sqlite3")
    register_files(library, photos)
    summary = CaptionWorker(library, captioner, batch_size=batch_size).run()
    return library, photos, summary


def test_a_model_error_fails_only_the_photo_that_caused_it(
    tmp_path: Path, tiny_captioner: Captioner, caplog: pytest.LogCaptureFixture
) -> None:
    captioner = FaultyDevice(tiny_captioner)
    with caplog.at_level(logging.INFO, logger="photoscribe.worker"):
        library, photos, summary = _run(tmp_path, captioner, ["green", "blue", "green", "yellow"], batch_size=4)
    culprit = photos[1]
    assert captioner.calls == [4, 1, 1, 1, 1]  # the batch, then each photo alone
    assert summary.failed == [(str(culprit), "captioning failed (ValueError: bad pixels in the vision encoder)")]
    assert summary.captioned == 3
    with library:
        assert [library.photo(p).caption for p in photos] == [
            "a photo of a green wall",
            None,
            "a photo of a green wall",
            "a photo of a yellow wall",
        ]
        assert library.photo(culprit).status == PhotoStatus.FAILED
    warning = next(r for r in caplog.records if r.levelno == logging.WARNING)
    assert warning.getMessage().startswith("captioning a batch of 4 failed (bad pixels")
    (error,) = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert error.getMessage() == f"captioning {culprit} failed" and error.exc_info is not None  # with its traceback


def test_out_of_memory_halves_the_batch_and_a_failing_part_is_retried_photo_by_photo(
    tmp_path: Path, tiny_captioner: Captioner
) -> None:
    captioner = FaultyDevice(tiny_captioner, memory=2)
    library, photos, summary = _run(tmp_path, captioner, ["green", "green", "blue", "yellow"], batch_size=4)
    assert captioner.calls == [4, 2, 2, 1, 1]  # halved, never retried whole; only the failing part one by one
    assert summary.failed == [(str(photos[2]), "captioning failed (ValueError: bad pixels in the vision encoder)")]
    with library:
        assert library.stats().captioned == 3
        assert library.photo(photos[3]).caption == "a photo of a yellow wall"


def test_a_photo_that_does_not_fit_even_alone_fails_with_a_hint(tmp_path: Path, tiny_captioner: Captioner) -> None:
    captioner = FaultyDevice(tiny_captioner, memory=0)
    library, photos, summary = _run(tmp_path, captioner, ["green", "yellow"], batch_size=2)
    assert captioner.calls == [2, 1, 1]
    hint = "out of memory even for a single photo; try --device cpu"
    assert summary.failed == [(str(photos[0]), hint), (str(photos[1]), hint)]
    library.close()
