"""What the caption worker's decode threads make of a photo, and how many of them there are.

A decode thread opens the photo, decodes it upright (JPEGs DCT-scaled, see :mod:`photoscribe.imaging`), resizes it
to the model's input and, when the model's processor is one :class:`InputPlan` repeats, turns it into the model's
input there and then: float32 pixels, bit for bit the processor's, or for a GPU its 8-bit values (a quarter of the
bytes to copy; the GPU normalises them itself). The thread running the model then only stacks the batch.

Nothing here imports PyTorch, so the caption command decodes its first batches while the model is still loading.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image

from photoscribe.captioning.cpu_threads import usable_cores
from photoscribe.captioning.model_input import InputPlan, JpegBytes
from photoscribe.errors import UnreadableImageError, one_line
from photoscribe.formats import is_raw_name
from photoscribe.imaging import MODEL_DRAFT_FACTOR, MODEL_EDGE, load_for_model, open_header

if TYPE_CHECKING:
    from photoscribe.captioning import Captioner
    from photoscribe.library import ClaimedPhoto

log = logging.getLogger(__name__)


def decode_threads() -> int:
    """Decode threads: one per core this process may use (at least two).

    Each 24 MP JPEG costs tens of milliseconds of one core however it is decoded; a GPU captions hundreds of
    photos a second, so on a GPU machine every core is needed to keep it fed (four threads held a 16-core machine
    to about 40 photos a second). On a CPU the model's own threads share the same cores: threads beyond the cores
    would only take turns.
    """
    return max(2, usable_cores())


#: How much lower than the rest of the process a decode thread runs (Linux ``nice`` steps; 10: about a tenth of a
#: core's time against a thread at the process's own priority, all of an idle core).
DECODE_NICENESS = 10


def yield_to_model() -> None:
    """Run the calling (decode) thread below the rest of the process, where the system allows it per thread.

    While the model loads, decoding and the load share the cores, and the load alone decides when captioning can
    start; afterwards the model's own threads should have the cores, the decode threads what they leave. Lower
    priority takes nothing from a decode thread when a core is idle.
    """
    if sys.platform.startswith("linux"):
        try:
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), DECODE_NICENESS)
        except OSError as exc:  # a sandbox may refuse; decoding then runs at the process's priority
            log.debug("decode thread priority unchanged: %s", exc)


@dataclass(frozen=True)
class ModelInput:
    """A decoded photo as the decode thread left it, and the plan that made it (``None``: a PIL image left for the
    processor)."""

    data: np.ndarray | Image.Image | JpegBytes
    plan: InputPlan | None


@dataclass(frozen=True)
class Decoding:
    """How decode threads turn a photo into model input."""

    plan: InputPlan | None  # None: the image is handed to the processor, which resizes and normalises it
    full_size: bool = False  # decode every pixel (the reference precision) instead of a DCT-scaled picture
    values: bool = False  # 8-bit values (height, width, 3) for a device that normalises them itself
    prepare: Callable[[Image.Image], Image.Image] | None = None  # without a plan: the resize the processor does
    gpu_jpegs: bool = False  # JPEGs are only read here (bytes and orientation) and decoded by the GPU
    factor: int = MODEL_DRAFT_FACTOR  # JPEGs are DCT-scaled to at least this many times the model's input

    def __call__(self, path: Path | str) -> ModelInput:
        """Runs on a decode thread: raises :class:`~photoscribe.errors.UnreadableImageError` like the decoder."""
        plan = self.plan
        if self.gpu_jpegs and plan is not None and not self.full_size:
            jpeg = _jpeg_bytes(path)
            if jpeg is not None:
                return ModelInput(jpeg, plan)
        edge = max(plan.width, plan.height) if plan is not None else MODEL_EDGE
        image = load_for_model(path, edge, full_size=self.full_size, factor=self.factor)
        if plan is None:
            return ModelInput(self.prepare(image) if self.prepare is not None else image, None)
        if self.values:
            return ModelInput(np.asarray(plan.resized(image)), plan)
        return ModelInput(plan.pixels(image), plan)


#: The thread running the model waited for the decode threads this long, as a share of its captioning time, in one
#: batch: the GPU is short of photos, and decodes JPEGs itself from then on (where it can).
STARVED = 0.25


def starved(waited: float, captioning: float) -> bool:
    """True when a batch's wait for decoding shows the decode threads cannot keep the device fed."""
    return waited > STARVED * captioning


def _jpeg_bytes(path: Path | str) -> JpegBytes | None:
    """A JPEG file's bytes and orientation for the GPU; ``None`` for any other file, a small picture (cheap for
    the CPU) or one whose header does not read (the CPU route then gives the reason)."""
    if is_raw_name(path):
        return None
    try:
        with open_header(path) as header:
            if header.format != "JPEG" or header.width * header.height < 4 * MODEL_EDGE * MODEL_EDGE:
                return None
            orientation = _orientation(header)
            return JpegBytes(Path(path).read_bytes(), orientation)
    except (UnreadableImageError, OSError):
        return None


def _orientation(header: Image.Image) -> int:
    try:
        value = int(header.getexif().get(0x0112, 1))
    except Exception:  # broken EXIF: as on the CPU route, the picture is taken as it is
        return 1
    return value if 1 <= value <= 8 else 1


def decoding_for(captioner: Captioner) -> Decoding:
    """How decode threads make input for ``captioner``: by its processor's plan, at its precision's decode size."""
    full = captioner.hardware.decode_full_size
    return Decoding(captioner.input_plan, full, values=captioner.takes_values, prepare=captioner.prepare)


def decode_failure(photo: ClaimedPhoto, exc: Exception) -> str:
    """The reason stored for a photo that could not be decoded."""
    if isinstance(exc, UnreadableImageError):
        return exc.reason
    log.error("unexpected error decoding %s", photo.path, exc_info=exc)
    return f"unexpected error while decoding ({one_line(exc)})"


def is_out_of_memory(exc: BaseException) -> bool:
    """CUDA's OutOfMemoryError, or a RuntimeError saying so (Apple's MPS and other backends raise those)."""
    torch = sys.modules.get("torch")  # an error from the model: PyTorch is loaded by then
    return (torch is not None and isinstance(exc, torch.OutOfMemoryError)) or (
        isinstance(exc, RuntimeError) and "out of memory" in str(exc).lower()
    )


def release_device_memory() -> None:
    """Give the GPU's cached blocks back after running out of memory."""
    torch = sys.modules.get("torch")
    if torch is None:
        return
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
    mps = getattr(torch, "mps", None)
    if mps is not None and torch.backends.mps.is_available():
        mps.empty_cache()
