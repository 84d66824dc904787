"""The caption worker: claims batches from the library queue and captions them, decoding one batch ahead.

While the model works on batch n, a small thread pool decodes batch n+1, so the model never waits for JPEG
decoding. Each batch is stored in one transaction. A file that cannot be decoded fails alone; if the model
fails on a batch, its photos are retried one by one so only the culprit fails. When the GPU runs out of memory,
the batch is halved (and stays halved) instead of failing.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import torch
from PIL import Image

from photoscribe.captioning import Captioner, CaptionSettings, keywords_from_caption
from photoscribe.errors import UnreadableImageError
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


def _release_accelerator_memory() -> None:
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


class CaptionWorker:
    """Captions every pending photo of a library with one :class:`Captioner`."""

    def __init__(
        self,
        library: Library,
        captioner: Captioner,
        settings: CaptionSettings = CaptionSettings(),
        batch_size: int | None = None,
        decode_threads: int | None = None,
    ) -> None:
        self.library = library
        self.captioner = captioner
        self.settings = settings
        self.batch_size = max(1, batch_size or captioner.hardware.batch_size)
        self.decode_threads = decode_threads or min(4, os.cpu_count() or 2)
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
            finally:
                unfinished = [photo.id for photo, _ in current + upcoming]
                if unfinished:
                    self.library.release(unfinished)
        summary.seconds = time.perf_counter() - started
        return summary

    def _claim_and_decode(self, pool: ThreadPoolExecutor) -> list[Decoded]:
        claimed = self.library.claim_batch(self.batch_size)
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
            except UnreadableImageError as exc:
                failed.append((photo, exc.reason))
            except Exception as exc:  # an unexpected decoder error must fail this photo alone
                log.exception("unexpected error decoding %s", photo.path)
                failed.append((photo, f"unexpected error while decoding ({type(exc).__name__}: {exc})"))
        captioned: list[tuple[ClaimedPhoto, str]] = []
        for prompt in dict.fromkeys(photo.prompt for photo, _ in images):  # one call per prompt, usually one
            group = [item for item in images if item[0].prompt == prompt]
            ok, bad = self._caption(group, self._settings_for(group[0][0]))
            captioned += ok
            failed += bad
        return BatchOutcome(self._store(captioned, failed), failed)

    def _settings_for(self, photo: ClaimedPhoto) -> CaptionSettings:
        """The worker's settings, with the photo's one-off prompt when the user asked for one."""
        return self.settings if photo.prompt is None else dataclasses.replace(self.settings, prompt=photo.prompt)

    def _caption(
        self, images: list[tuple[ClaimedPhoto, Image.Image]], settings: CaptionSettings
    ) -> tuple[list[tuple[ClaimedPhoto, str]], list[tuple[ClaimedPhoto, str]]]:
        """Caption in one call; on out-of-memory halve the batch (and later batches), on other errors go one by one."""
        if not images:
            return [], []
        try:
            captions = self.captioner.caption([img for _, img in images], settings)
            return [(photo, text) for (photo, _), text in zip(images, captions)], []
        except torch.OutOfMemoryError:
            if len(images) == 1:
                return [], [(images[0][0], "out of memory even for a single photo; try --device cpu")]
            _release_accelerator_memory()
            self.batch_size = min(self.batch_size, (len(images) + 1) // 2)
            log.warning("out of memory with %d photos per batch; retrying with %d", len(images), self.batch_size)
            parts = [images[: self.batch_size], images[self.batch_size :]]
        except Exception as exc:
            if len(images) == 1:
                log.exception("captioning %s failed", images[0][0].path)
                return [], [(images[0][0], f"captioning failed ({type(exc).__name__}: {exc})")]
            log.warning("captioning a batch of %d failed (%s); retrying one by one", len(images), exc)
            parts = [[item] for item in images]
        captioned: list[tuple[ClaimedPhoto, str]] = []
        failed: list[tuple[ClaimedPhoto, str]] = []
        for part in parts:
            ok, bad = self._caption(part, settings)
            captioned += ok
            failed += bad
        return captioned, failed

    def _result(self, photo: ClaimedPhoto, text: str) -> CaptionResult:
        """The caption to store for ``photo``, with its keywords and what made it."""
        settings = self._settings_for(photo)
        return CaptionResult(
            photo_id=photo.id,
            caption=text,
            keywords=keywords_from_caption(text, ignore=settings.prompt),
            model_ref=self.captioner.model_ref,
            settings=self.captioner.describe(settings),
        )

    def _store(
        self, captioned: list[tuple[ClaimedPhoto, str]], failed: list[tuple[ClaimedPhoto, str]]
    ) -> list[tuple[ClaimedPhoto, CaptionResult]]:
        results = [(photo, self._result(photo, text)) for photo, text in captioned]
        self.library.save_results([result for _, result in results], [(photo.id, reason) for photo, reason in failed])
        return results
