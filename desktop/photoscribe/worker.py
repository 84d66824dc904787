"""The caption worker: claims batches from the library queue and captions them, decoding one batch ahead.

While the model works on batch n, a thread pool decodes batch n+1 into the model's input (worker_input); a CPU
captions two batches at once (:class:`CaptionStreams`). Each batch is stored in one transaction. A file that cannot
be decoded fails alone; if the model fails on a batch, its photos are retried one by one so only the culprit fails
(storing likewise). When the GPU runs out of memory (CUDA's error, or any RuntimeError saying "out of memory", as
MPS raises), the batch is halved (and stays halved) instead of failing. A photo moved after it was claimed is
captioned at its new path; one deleted is marked missing, not failed. Each caption is stored with the photo's pooled
vision vector from the same model call (``Captioner.caption_with_vectors``), for *similar photos*. The worker may
start before its model has loaded (given a future of it and a :class:`Decoding` read from the model's files): it
claims and decodes up to LOADING_AHEAD batches meanwhile, and waits for the model only to caption.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from photoscribe import worker_input
from photoscribe.captioning.caption_settings import CaptionSettings
from photoscribe.captioning.keywords import keywords_from_caption
from photoscribe.errors import library_busy, one_line
from photoscribe.library import CaptionResult, ClaimedPhoto, Library
from photoscribe.worker_input import Decoding, ModelInput, decode_failure, decoding_for, is_out_of_memory
from photoscribe.worker_results import BatchOutcome, CaptionStreams, RunSummary, Stopwatch

__all__ = ["BatchOutcome", "CaptionWorker", "RunSummary", "is_out_of_memory"]

if TYPE_CHECKING:  # PyTorch is imported by the model's loading, not here: photos decode while it loads
    from photoscribe.captioning import Captioner
    from photoscribe.captioning.captioner import Photo

log = logging.getLogger(__name__)

FIRST_BATCH = 12  # photos per batch claimed before the model (and the batch size it runs best with) is known
LOADING_AHEAD = 4  # batches claimed and decoded while the model loads (its import and load take a core for seconds)
Decoded = tuple[ClaimedPhoto, "Future[ModelInput]"]
Captioned = tuple[ClaimedPhoto, str, "np.ndarray | None"]  # photo, caption, pooled vision vector
Failed = tuple[ClaimedPhoto, str]  # photo, reason


class CaptionWorker:
    """Captions every pending photo of a library with one :class:`Captioner`."""

    def __init__(
        self,
        library: Library,
        captioner: Captioner | Future[Captioner],
        settings: CaptionSettings = CaptionSettings(),
        batch_size: int | None = None,
        decode_threads: int | None = None,
        within: Sequence[Path] | None = None,
        metadata_pending: bool = False,
        decoding: Callable[[Path], ModelInput] | None = None,
    ) -> None:
        """``captioner`` may still be loading (a future): then ``decoding`` says how to decode meanwhile."""
        self.library = library
        self._loading = captioner if isinstance(captioner, Future) else None
        self._captioner = None if isinstance(captioner, Future) else captioner
        self.settings = settings
        self._asked_batch_size = batch_size
        known = self._captioner.hardware.batch_size if self._captioner else FIRST_BATCH
        self.batch_size = max(1, batch_size or known)
        self.decode_threads = decode_threads or worker_input.decode_threads()
        self.within = list(within) if within else None  # caption only photos under these paths
        self.metadata_pending = metadata_pending  # captions still have to be written into the files
        self.decoding = decoding or (decoding_for(self._captioner) if self._captioner else Decoding(None))
        self._clock = Stopwatch()
        log.info("captioning in batches of %d photos, %d decode threads", self.batch_size, self.decode_threads)

    def share_batches(self, streams: int) -> None:  # ``streams`` batches at once share an automatic batch size
        if self._asked_batch_size is None:
            self.batch_size = max(1, self.captioner.hardware.batch_size // streams)

    @property
    def captioner(self) -> Captioner:
        """The model, waiting for it to finish loading if it is still loading (its load error is raised here)."""
        if self._captioner is None:
            assert self._loading is not None
            self._captioner = self._loading.result()
            self.decoding = decoding_for(self._captioner)
            if self._asked_batch_size is None:
                self.batch_size = self._captioner.hardware.batch_size
            log.info("model ready: batches of %d photos", self.batch_size)
        return self._captioner

    def run(
        self,
        on_batch: Callable[[BatchOutcome], None] | None = None,
        should_stop: Callable[[], bool] = lambda: False,
    ) -> RunSummary:
        """Caption until the queue is empty or ``should_stop()`` is true; claimed but unfinished photos go back."""
        summary = RunSummary()
        started = time.perf_counter()
        self._clock = summary.time_in
        in_flight: deque[tuple[list[Decoded], Future[tuple[list[Captioned], list[Failed]]]]] = deque()
        ahead: list[list[Decoded]] = []  # claimed and decoding, not captioning yet
        with (
            ThreadPoolExecutor(
                self.decode_threads, thread_name_prefix="decode", initializer=worker_input.yield_to_model
            ) as pool,
            CaptionStreams() as streams,
        ):
            try:
                ahead.append(self._claim_and_decode(pool))
                while self._captioner is None and len(ahead) < LOADING_AHEAD and ahead[-1] and not should_stop():
                    ahead.append(self._claim_and_decode(pool))  # decode threads use the cores the load leaves
                while ahead[0] or in_flight:
                    while ahead[0] and (not in_flight or len(in_flight) < streams.count(self)):
                        if len(ahead) == 1:  # one batch decodes ahead of those captioning
                            ahead.append([] if should_stop() else self._claim_and_decode(pool))
                        future = streams.submit(self, self._caption_batch, ahead[0])  # (first: waits for the model)
                        in_flight.append((ahead.pop(0), future))
                    before = dict(summary.time_in)
                    captioned, failed = in_flight[0][1].result()
                    with self._clock("storing"):
                        outcome = BatchOutcome(self._store(captioned, failed), failed)
                    in_flight.popleft()
                    self._check_feed(before, summary.time_in, first=not summary.captioned and not summary.failed)
                    summary.captioned += len(outcome.captioned)
                    summary.captioned_ids += [photo.id for photo, _ in outcome.captioned]
                    summary.failed += [(str(p.path), reason) for p, reason in outcome.failed]
                    if on_batch:
                        on_batch(outcome)
                    if should_stop():  # the batch in hand is done; the one claimed ahead goes back
                        break
            finally:
                unfinished = [p.id for batch, _ in in_flight for p, _ in batch] + [p.id for b in ahead for p, _ in b]
                if unfinished:
                    self._release(unfinished)
        summary.seconds = time.perf_counter() - started
        return summary

    def _check_feed(self, before: dict[str, float], after: dict[str, float], first: bool) -> None:
        """After a batch (not the first, whose decoding nothing could overlap): when the model waited for the decode
        threads, a GPU that can decodes the JPEGs itself from the next batch on."""
        waited, captioning = (after.get(k, 0.0) - before.get(k, 0.0) for k in ("waiting for decoding", "captioning"))
        if first or self.decoding.gpu_jpegs or not worker_input.starved(waited, captioning):
            return
        if self.captioner.decodes_jpegs_on_device:
            self.decoding = dataclasses.replace(self.decoding, gpu_jpegs=True)
            log.info(
                "the model waited %.2f s for decoding (%.2f s captioning): the GPU decodes JPEGs", waited, captioning
            )

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
        return [(photo, pool.submit(self.decoding, photo.path)) for photo in claimed]  # one decoding a batch

    def _caption_batch(self, batch: list[Decoded]) -> tuple[list[Captioned], list[Failed]]:
        """Runs on a caption stream: waits for the batch's decoding, then captions it (stored by :meth:`run`)."""
        images: list[tuple[ClaimedPhoto, Photo]] = []
        failed: list[tuple[ClaimedPhoto, str]] = []
        with self._clock("waiting for the model"):
            plan = self.captioner.input_plan  # (waits for the model while it loads)
        for photo, future in batch:
            try:
                with self._clock("waiting for decoding"):
                    made = future.result()
                if made.plan != plan:  # decoded while the model loaded, by a plan its processor does not follow
                    made = self.decoding(photo.path)
                images.append((photo, made.data))
            except Exception as exc:  # an unexpected decoder error must fail this photo alone
                if photo.path.exists():
                    failed.append((photo, decode_failure(photo, exc)))
                    continue
                moved = self._follow(photo)
                if moved is not None:
                    try:
                        images.append((moved, self.decoding(moved.path).data))
                    except Exception as again:
                        failed.append((moved, decode_failure(moved, again)))
        captioned: list[Captioned] = []
        for prompt in dict.fromkeys(photo.prompt for photo, _ in images):  # one call per prompt, usually one
            group = [item for item in images if item[0].prompt == prompt]
            with self._clock("captioning"):
                ok, bad = self._caption(group, self._settings_for(group[0][0]))
            captioned += ok
            failed += bad
        return captioned, failed

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
        self, images: list[tuple[ClaimedPhoto, Photo]], settings: CaptionSettings
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
            worker_input.release_device_memory()
            self.batch_size = min(self.batch_size, (len(images) + 1) // 2)
            log.warning("out of memory with %d photos per batch; retrying with %d", len(images), self.batch_size)
        return self._in_parts(images, settings)

    def _in_parts(
        self, images: list[tuple[ClaimedPhoto, Photo]], settings: CaptionSettings
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
        self, images: list[tuple[ClaimedPhoto, Photo]], settings: CaptionSettings, exc: Exception
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
