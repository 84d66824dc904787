"""The worker starts before its model has loaded: it claims and decodes the first batches meanwhile (from the plan
read from the model's files), and captions them exactly as a worker given the loaded model does."""

from __future__ import annotations

import threading
from concurrent.futures import Future
from pathlib import Path

import pytest

from photoscribe.captioning import Captioner
from photoscribe.captioning.model_input import InputPlan
from photoscribe.errors import ModelLoadError
from photoscribe.ingest import register_files
from photoscribe.library import Library, PhotoStatus
from photoscribe.worker import CaptionWorker, RunSummary
from photoscribe.worker_input import Decoding, ModelInput
from tests.helpers import save_colour
from tests.tiny_blip import COLOURS

BATCH = 4


def _library(tmp_path: Path, name: str) -> tuple[Library, list[Path]]:
    photos = [save_colour(tmp_path / "photos" / f"{i:02d}-{c}.jpg", c) for i, c in enumerate(list(COLOURS) * 3)]
    library = Library(tmp_path / f"{name}.sqlite3")
    register_files(library, photos)
    return library, photos


def _oracle_and_library(tmp_path: Path, tiny_captioner: Captioner) -> tuple[list[str | None], Library, list[Path]]:
    """The captions a worker given the loaded model stores, and a second library of the same photos, waiting."""
    reference, photos = _library(tmp_path, "reference")
    CaptionWorker(reference, tiny_captioner, batch_size=BATCH).run()
    library, _ = _library(tmp_path, "early")
    return _captions(reference, photos), library, photos


def _captions(library: Library, photos: list[Path]) -> list[str | None]:
    return [library.photo(p).caption for p in photos]  # type: ignore[union-attr]


def _run(worker: CaptionWorker) -> RunSummary:
    """``worker.run()`` on a thread, so that a worker waiting for a model that never comes fails the test."""
    result: list[RunSummary | BaseException] = []

    def run() -> None:
        try:
            result.append(worker.run())
        except BaseException as exc:
            result.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=120)
    assert result, "the worker never finished: it waited for the model before decoding"
    if isinstance(result[0], BaseException):
        raise result[0]
    return result[0]


def test_the_first_batches_decode_before_the_model_is_there(
    tmp_path: Path, tiny_model_dir: Path, tiny_captioner: Captioner
) -> None:
    expected, library, photos = _oracle_and_library(tmp_path, tiny_captioner)
    loading: Future[Captioner] = Future()
    early = Decoding(InputPlan.from_folder(tiny_model_dir))
    decoded_before: list[Path] = []
    lock = threading.Lock()

    def decode(path: Path) -> ModelInput:
        made = early(path)
        with lock:
            decoded_before.append(path)
            if len(decoded_before) == 2 * BATCH:  # the batch in hand and the one ahead: now the model arrives
                loading.set_result(tiny_captioner)
        return made

    summary = _run(CaptionWorker(library, loading, batch_size=BATCH, decoding=decode))  # type: ignore[arg-type]
    assert summary.captioned == len(photos) and not summary.failed
    assert len(decoded_before) >= 2 * BATCH  # (up to four batches are claimed and decoded while the model loads)
    assert _captions(library, photos) == expected


def test_photos_decoded_by_another_plan_are_decoded_again(
    tmp_path: Path, tiny_model_dir: Path, tiny_captioner: Captioner
) -> None:
    expected, library, photos = _oracle_and_library(tmp_path, tiny_captioner)
    plan = InputPlan.from_folder(tiny_model_dir)
    assert plan is not None
    other = InputPlan(16, 16, plan.resample, plan.rescale, plan.mean, plan.std)  # not what the processor does
    loading: Future[Captioner] = Future()
    loading.set_result(tiny_captioner)
    summary = _run(CaptionWorker(library, loading, batch_size=BATCH, decoding=Decoding(other)))
    assert summary.captioned == len(photos)
    assert _captions(library, photos) == expected


def test_a_model_that_fails_to_load_gives_its_error_and_the_claimed_photos_back(tmp_path: Path) -> None:
    library, photos = _library(tmp_path, "failing")
    loading: Future[Captioner] = Future()
    loading.set_exception(ModelLoadError("no BLIP model in that folder"))
    with pytest.raises(ModelLoadError, match="no BLIP model"):
        _run(CaptionWorker(library, loading, batch_size=BATCH))
    assert {p.status for p in library.photos()} == {PhotoStatus.PENDING}
    assert library.stats().pending == len(photos)
