"""The caption worker: claims batches from the library queue and captions them, decoding one batch ahead.

While the model works on batch n, a small thread pool decodes batch n+1, so the model never waits for JPEG
decoding. Each batch is stored in one transaction. A file that cannot be decoded fails alone; if the model
fails on a batch, its photos are retried one by one so only the culprit fails (storing likewise). When the GPU
runs out of memory (CUDA's error, or any RuntimeError saying "out of memory", as MPS raises), the batch is halved
(and stays halved) instead of failing. A photo moved after it was claimed is captioned at its new path; one
deleted is marked missing, not failed. Each caption is stored with the photo's pooled vision vector, taken from
the same model call (:meth:`~photoscribe.captioning.Captioner.caption_with_vectors`), for *similar photos*.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from photoscribe.captioning import Captioner, CaptionSettings, keywords_from_caption
from photoscribe.errors import UnreadableImageError, library_busy, one_line
from photoscribe.imaging import MODEL_EDGE, load_for_model
from photoscribe.library import CaptionResult, ClaimedPhoto, Library

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BatchOutcome:
    """What happened to one batch: (photo, stored caption) pairs and (photo, reason) pairs."""

    captioned: list[tuple[ClaimedPhoto, CaptionResult]]
    failed: list[tuple[ClaimedPhoto, str]]


@dataclass
class RunSummary:
    """Totals of one :meth:`CaptionWorker.run`."""

    captioned: int = 0
    captioned_ids: list[int] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)
    seconds: float = 0.0

    @property
    def photos_per_second(self) -> float:
        """Throughput of the run (captioned and failed photos alike)."""
        done = self.captioned + len(self.failed)
        return done / self.seconds if self.seconds > 0 else 0.0


Decoded = tuple[ClaimedPhoto, "Future[Image.Image]"]
Captioned = tuple[ClaimedPhoto, str, "np.ndarray | None"]  # photo, caption, pooled vision vector
Failed = tuple[ClaimedPhoto, str]  # photo, reason


def _release_accelerator_memory() -> None:
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
    mps = getattr(torch, "mps", None)
    if mps is not None and torch.backends.mps.is_available():
        mps.empty_cache()


def _decode_failure(photo: ClaimedPhoto, exc: Exception) -> str:
    if isinstance(exc, UnreadableImageError):
        return exc.reason
    log.error("unexpected error decoding %s", photo.path, exc_info=exc)
    return f"unexpected error while decoding ({one_line(exc)})"


def is_out_of_memory(exc: BaseException) -> bool:
    """CUDA's OutOfMemoryError, or a RuntimeError saying so (Apple's MPS and other backends raise those)."""
    return isinstance(exc, torch.OutOfMemoryError) or (
        isinstance(exc, RuntimeError) and "out of memory" in str(exc).lower()
    )


class CaptionWorker:
    """Captions every pending photo of a library with one :class:`Captioner`."""

    def __init__(
        self,
        library: Library,
        captioner: Captioner,
        settings: CaptionSettings = CaptionSettings(),
        batch_size: int | None = None,
        decode_threads: int | None = None,
        within: Sequence[Path] | None = None,
        metadata_pending: bool = False,
    ) -> None:
        self.library = library
        self.captioner = captioner
        self.settings = settings
        self.batch_size = max(1, batch_size or captioner.hardware.batch_size)
        self.decode_threads = decode_threads or min(4, os.cpu_count() or 2)
        self.within = list(within) if within else None  # caption only photos under these paths
        self.metadata_pending = metadata_pending  # captions still have to be written into the files
        log.info("captioning in batches of %d photos", self.batch_size)

    def run(
        self,
        on_batch: Callable[[BatchOutcome], None] | None = None,
        should_stop: Callable[[], bool] = lambda: False,
    ) -> RunSummary:
        """Caption until the queue is empty or ``should_stop()`` is true; claimed but unfinished photos go back."""
        summary = RunSummary()
        started = time.perf_counter()
        with ThreadPoolExecutor(self.decode_threads, thread_name_prefix="decode") as pool:
            current: list[Decoded] = []
            upcoming = self._claim_and_decode(pool)
            try:
                while upcoming:
                    current = upcoming
                    upcoming = [] if should_stop() else self._claim_and_decode(pool)
                    outcome = self._process(current)
                    current = []
                    summary.captioned += len(outcome.captioned)
                    summary.captioned_ids += [photo.id for photo, _ in outcome.captioned]
                    summary.failed += [(str(p.path), reason) for p, reason in outcome.failed]
                    if on_batch:
                        on_batch(outcome)
                    if should_stop():  # the batch in hand is done; the one claimed ahead goes back
                        break
            finally:
                unfinished = [photo.id for photo, _ in current + upcoming]
                if unfinished:
                    self._release(unfinished)
        summary.seconds = time.perf_counter() - started
        return summary

    def _release(self, photo_ids: list[int]) -> None:
        try:
            self.library.release(photo_ids)
        except Exception:  # e.g. a locked library: the leases run out and the photos go back by themselves
            log.warning("could not give back %d claimed photos; they return to the queue later", len(photo_ids))

    def _claim_and_decode(self, pool: ThreadPoolExecutor) -> list[Decoded]:
        if self.within is None:
            claimed = self.library.claim_batch(self.batch_size)
        else:
            claimed = self.library.claim_batch(self.batch_size, within=self.within)
        return [(photo, pool.submit(self._decode, photo.path)) for photo in claimed]

    def _decode(self, path: Path) -> Image.Image:
        """Runs on a decode thread: the photo, upright and already at the model's input size."""
        hardware = self.captioner.hardware
        return self.captioner.prepare(load_for_model(path, MODEL_EDGE, full_size=hardware.decode_full_size))

    def _process(self, batch: list[Decoded]) -> BatchOutcome:
        images: list[tuple[ClaimedPhoto, Image.Image]] = []
        failed: list[tuple[ClaimedPhoto, str]] = []
        for photo, future in batch:
            try:
                images.append((photo, future.result()))
            except Exception as exc:  # an unexpected decoder error must fail this photo alone
                if photo.path.exists():
                    failed.append((photo, _decode_failure(photo, exc)))
                    continue
                moved = self._follow(photo)
                if moved is not None:
                    try:
                        images.append((moved, self._decode(moved.path)))
                    except Exception as again:
                        failed.append((moved, _decode_failure(moved, again)))
        captioned: list[Captioned] = []
        for prompt in dict.fromkeys(photo.prompt for photo, _ in images):  # one call per prompt, usually one
            group = [item for item in images if item[0].prompt == prompt]
            ok, bad = self._caption(group, self._settings_for(group[0][0]))
            captioned += ok
            failed += bad
        return BatchOutcome(self._store(captioned, failed), failed)

    def _follow(self, photo: ClaimedPhoto) -> ClaimedPhoto | None:
        """A photo whose file went away after it was claimed: if it moved, the photo at its new path; if it was
        deleted, ``None`` and it is marked missing instead of failed (it comes back if the file returns)."""
        record = self.library.records([photo.id]).get(photo.id)
        current = Path(record.path) if record is not None else photo.path
        if current != photo.path and current.exists():
            log.info("%s moved to %s after it was queued", photo.path, current)
            return dataclasses.replace(photo, path=current)
        log.info("%s was deleted after it was queued", photo.path)
        self.library.mark_missing([current])
        self._release([photo.id])
        return None

    def _settings_for(self, photo: ClaimedPhoto) -> CaptionSettings:
        """The worker's settings, with the photo's one-off prompt when the user asked for one."""
        return self.settings if photo.prompt is None else dataclasses.replace(self.settings, prompt=photo.prompt)

    def _caption(
        self, images: list[tuple[ClaimedPhoto, Image.Image]], settings: CaptionSettings
    ) -> tuple[list[Captioned], list[Failed]]:
        """Caption in one call; on out-of-memory halve the batch (and later batches), on other errors go one by one."""
        if not images:
            return [], []
        if len(images) > self.batch_size:  # claimed before the batch size shrank: never try it whole
            return self._in_parts(images, settings)
        try:
            captions, vectors = self.captioner.caption_with_vectors([img for _, img in images], settings)
            rows = list(vectors) if vectors is not None else [None] * len(captions)
            return [(photo, text, row) for (photo, _), text, row in zip(images, captions, rows)], []
        except Exception as exc:
            if not is_out_of_memory(exc):
                return self._one_by_one(images, settings, exc)
            if len(images) == 1:
                return [], [(images[0][0], "out of memory even for a single photo; try --device cpu")]
            _release_accelerator_memory()
            self.batch_size = min(self.batch_size, (len(images) + 1) // 2)
            log.warning("out of memory with %d photos per batch; retrying with %d", len(images), self.batch_size)
        return self._in_parts(images, settings)

    def _in_parts(
        self, images: list[tuple[ClaimedPhoto, Image.Image]], settings: CaptionSettings
    ) -> tuple[list[Captioned], list[Failed]]:
        captioned: list[Captioned] = []
        failed: list[Failed] = []
        rest = images
        while rest:  # in parts of the batch size in force, which may shrink again on the way
            part, rest = rest[: self.batch_size], rest[self.batch_size :]
            ok, bad = self._caption(part, settings)
            captioned += ok
            failed += bad
        return captioned, failed

    def _one_by_one(
        self, images: list[tuple[ClaimedPhoto, Image.Image]], settings: CaptionSettings, exc: Exception
    ) -> tuple[list[Captioned], list[Failed]]:
        if len(images) == 1:
            log.exception("captioning %s failed", images[0][0].path, exc_info=exc)
            return [], [(images[0][0], f"captioning failed ({one_line(exc)})")]
        log.warning("captioning a batch of %d failed (%s); retrying one by one", len(images), exc)
        captioned: list[Captioned] = []
        failed: list[Failed] = []
        for item in images:
            ok, bad = self._caption([item], settings)
            captioned += ok
            failed += bad
        return captioned, failed

    def _result(self, photo: ClaimedPhoto, text: str, vector: np.ndarray | None) -> CaptionResult:
        """The caption to store for ``photo``, with its keywords, its vision vector and what made it."""
        settings = self._settings_for(photo)
        return CaptionResult(
            photo_id=photo.id,
            caption=text,
            keywords=keywords_from_caption(text, ignore=settings.prompt),
            model_ref=self.captioner.model_ref,
            settings=self.captioner.describe(settings),
            image_vector=vector,
        )

    def _store(self, captioned: list[Captioned], failed: list[Failed]) -> list[tuple[ClaimedPhoto, CaptionResult]]:
        results = [(photo, self._result(photo, text, vector)) for photo, text, vector in captioned]
        try:
            self._save([result for _, result in results], [(photo.id, reason) for photo, reason in failed])
            return results
        except Exception as exc:
            if library_busy(exc) or len(results) + len(failed) == 1:
                raise
            log.warning("storing a batch failed (%s); storing its photos one by one", exc)
        stored = []
        for photo, result in results:
            try:
                self._save([result], [])
                stored.append((photo, result))
            except Exception as exc:
                if library_busy(exc):
                    raise
                log.exception("storing the caption of %s failed", photo.path)
                failed.append((photo, f"the caption could not be stored ({one_line(exc)})"))
        if failed:
            self._save([], [(photo.id, reason) for photo, reason in failed])
        return stored

    def _save(self, captions: list[CaptionResult], failures: list[tuple[int, str]]) -> None:
        if self.metadata_pending:
            self.library.save_results(captions, failures, metadata_pending=True)
        else:
            self.library.save_results(captions, failures)
