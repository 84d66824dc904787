"""A CPU captions two batches at once, each on a thread holding PyTorch to its share of the cores, and stores the
same captions and vision vectors as one batch at a time would."""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
import torch

from photoscribe import worker_input
from photoscribe.captioning import Captioner
from photoscribe.captioning.cpu_threads import cpu_streams, usable_cores
from photoscribe.ingest import register_files
from photoscribe.library import Library
from photoscribe.worker import CaptionWorker
from tests.helpers import save_colour
from tests.tiny_blip import COLOURS


def test_two_streams_of_the_cores_share_at_most_two_batches() -> None:
    assert cpu_streams(1) == (1, 1)
    assert cpu_streams(2) == (2, 1)  # this project's CI machine: one thread each, no waiting on one another
    assert cpu_streams(16) == (2, 8)


class Meeting(Captioner):
    """The tiny captioner; its first two calls must meet (each waits for the other, up to a minute), which they can
    only do when two batches are captioned at once. Records each call's PyTorch thread count."""

    def __init__(self, tiny: Captioner) -> None:
        super().__init__(tiny.model, tiny.processor, tiny.hardware, "tiny")
        self.meeting = threading.Barrier(2, timeout=60)
        self.threads: list[int] = []

    def caption_with_vectors(self, images, settings=None):  # type: ignore[no-untyped-def]
        self.threads.append(torch.get_num_threads())
        if len(self.threads) <= 2:
            self.meeting.wait()
        return super().caption_with_vectors(images, settings) if settings else super().caption_with_vectors(images)


@pytest.mark.skipif(usable_cores() < 2, reason="one core: one batch at a time")
def test_two_batches_are_captioned_at_once_with_the_same_results(tmp_path: Path, tiny_captioner: Captioner) -> None:
    photos = [save_colour(tmp_path / "photos" / f"{i:02d}-{c}.jpg", c) for i, c in enumerate(list(COLOURS) * 4)]
    meeting = Meeting(tiny_captioner)
    stored: dict[Path, tuple[str, np.ndarray | None]] = {}
    with Library(tmp_path / "library.sqlite3") as library:
        register_files(library, photos)
        worker = CaptionWorker(library, meeting, batch_size=4)
        summary = worker.run(
            on_batch=lambda o: stored.update({p.path: (r.caption, r.image_vector) for p, r in o.captioned})
        )
    assert summary.captioned == len(photos)
    assert not meeting.meeting.broken  # the first two calls met: they ran at once
    assert meeting.threads == [1] * 4  # 16 photos, batches of 4; each stream on one of the two cores
    assert torch.get_num_threads() == usable_cores()  # the test's own thread keeps its count
    # the oracle: all sixteen in one call on this thread (a photo's caption and vector do not depend on its batch)
    captions, vectors = tiny_captioner.caption_with_vectors([worker.decoding(p).data for p in photos])
    assert [stored[p][0] for p in photos] == captions
    assert all(np.allclose(stored[p][1], vector, atol=1e-6) for p, vector in zip(photos, vectors))


class Watched:
    """The worker's decoding, noting the priority of the thread each photo is decoded on."""

    def __init__(self, decoding: object, seen: list[int]) -> None:
        self._decoding, self._seen = decoding, seen

    def __call__(self, path: Path) -> object:
        self._seen.append(os.getpriority(os.PRIO_PROCESS, 0))  # 0: the calling thread, on Linux
        return self._decoding(path)  # type: ignore[operator]

    def __getattr__(self, name: str) -> object:
        return getattr(self._decoding, name)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread priority: Linux")
def test_photos_are_decoded_below_the_priority_of_the_model_threads(tmp_path: Path, tiny_captioner: Captioner) -> None:
    photos = [save_colour(tmp_path / "photos" / f"{i:02d}-{c}.jpg", c) for i, c in enumerate(COLOURS)]
    own = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    seen: list[int] = []
    with Library(tmp_path / "library.sqlite3") as library:
        register_files(library, photos)
        worker = CaptionWorker(library, tiny_captioner, batch_size=2)
        worker.decoding = Watched(worker.decoding, seen)  # type: ignore[assignment]
        assert worker.run().captioned == len(photos)
    assert seen and set(seen) == {min(own + worker_input.DECODE_NICENESS, 19)}
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == own  # the caller's thread is left alone
