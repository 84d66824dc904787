"""Which device and number format the model runs in, and why.

``auto`` picks CUDA, then Apple MPS, then the CPU; and fp16 on a GPU (as the model card runs it), bf16 on CPUs
that compute bf16 natively (AVX512-BF16, AMX or Arm BF16), fp32 otherwise. In fp16 and bf16 the decoder's word
choice is still made by fp32 scores (:mod:`photoscribe.captioning.word_choice`).

``mixed`` (never chosen by ``auto``) runs the vision encoder in bf16 and the text decoder in fp32. It was the
careful choice before the exact word choice; measured on a full-size BLIP-base with a trained decoder
(``benchmarks/bench_caption.py --weights trained``), bf16 now gives the same captions as fp32, faster.
"""

from __future__ import annotations

import logging
import platform
from dataclasses import dataclass
from pathlib import Path

import torch

from photoscribe.captioning.model_input import decodes_full_size
from photoscribe.errors import ConfigError

log = logging.getLogger(__name__)

#: (vision encoder, text decoder) number formats of each precision.
DTYPES = {
    "fp32": (torch.float32, torch.float32),
    "fp16": (torch.float16, torch.float16),
    "bf16": (torch.bfloat16, torch.bfloat16),
    "mixed": (torch.bfloat16, torch.float32),
}
NATIVE_BF16_FLAGS = {"avx512_bf16", "amx_bf16", "bf16"}  # x86 (AVX512/AMX) and Arm (FEAT_BF16) flag names
#: GPU memory one photo of a batch takes with BLIP-base in fp16, rounded well up: the decoder's cached
#: cross-attention keys and values (577 image tokens x 768 x 12 layers x 2, 21 MB), the vision encoder's largest
#: activations (about 10 MB), the input and the decoding state. fp32 takes twice as much.
GPU_BYTES_PER_PHOTO = 64 * 2**20
#: Larger batches hardly add speed on a GPU (the model's matrix products are already wide) but make the first
#: captions wait, and the decode threads must fill each one in turn.
GPU_MAX_BATCH = 256


@dataclass(frozen=True)
class Hardware:
    """A resolved device and precision with the reason each was chosen."""

    device: torch.device
    precision: str
    reason: str
    #: Photos are decoded at full size rather than DCT-scaled. Only when fp32 is asked for: that is the reference
    #: mode, whose captions must be the model card's, so it sees the very pixels the card's full decode gives.
    #: Everywhere else (fp32 chosen by ``auto`` included) the scaled decode costs half and changes less than
    #: reduced precision does.
    decode_full_size: bool = False

    @property
    def vision_dtype(self) -> torch.dtype:
        """The number format of the vision encoder (and of the pixels fed to it)."""
        return DTYPES[self.precision][0]

    @property
    def text_dtype(self) -> torch.dtype:
        """The number format of the text decoder."""
        return DTYPES[self.precision][1]

    @property
    def batch_size(self) -> int:
        """Photos per model call when the user sets none.

        A decoder step reads all of the decoder's weights whatever the batch, so bigger batches spread that over
        more photos: 24 where the decoder is bf16/fp16, 12 where fp32, on a CPU shared by the batches it captions
        at once (two of 12 photos each in bf16: 16% less time a photo than 8 each on one thread, measured; a
        whole run of 48 photos of 24 MP peaks at 1.8-2.0 GB).

        On a CUDA GPU: as many as half its free memory holds (:func:`gpu_batch_size`), read when asked (after the
        model has loaded); running out of memory still halves the batch (the worker).
        """
        if self.device.type == "cuda":
            free, _total = torch.cuda.mem_get_info(self.device)
            return gpu_batch_size(free, 2 if self.text_dtype == torch.float32 else 1)
        return 12 if self.text_dtype == torch.float32 else 24

    def describe(self) -> str:
        """Short human description, e.g. ``cpu bf16``."""
        return f"{self.device.type} {self.precision}"


def gpu_batch_size(free_bytes: int, scale: int = 1) -> int:
    """Photos per batch on a GPU with ``free_bytes`` of free memory: the largest power of two from 16 to
    :data:`GPU_MAX_BATCH` whose photos (``scale`` x :data:`GPU_BYTES_PER_PHOTO` each) fit in half of it."""
    fits = free_bytes // 2 // (GPU_BYTES_PER_PHOTO * scale)
    size = 16
    while size * 2 <= min(fits, GPU_MAX_BATCH):
        size *= 2
    return size


def choose_hardware(device: str = "auto", precision: str = "auto") -> Hardware:
    """Resolve ``device`` (auto|cpu|cuda|mps) and ``precision`` (auto|fp32|fp16|bf16|mixed) for this machine."""
    dev, dev_reason = _choose_device(device)
    prec, prec_reason = _choose_precision(dev, precision)
    full_size = decodes_full_size(precision)
    hardware = Hardware(dev, prec, f"{dev_reason}; {prec_reason}", decode_full_size=full_size)
    log.info("captioning on %s (%s)", hardware.describe(), hardware.reason)
    return hardware


def cpu_has_native_bf16() -> bool:
    """True when the CPU advertises bf16 arithmetic (Linux ``/proc/cpuinfo`` flags, or Apple silicon)."""
    if platform.system() == "Darwin" and platform.machine() == "arm64":
        return True  # every Apple M-series core since M2 has BF16; M1 emulates it acceptably in torch
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="ascii", errors="ignore")
    except OSError:
        return False
    for line in text.splitlines():
        if line.startswith(("flags", "Features")):
            return bool(NATIVE_BF16_FLAGS & set(line.split(":", 1)[-1].split()))
    return False


def _choose_device(requested: str) -> tuple[torch.device, str]:
    cuda = torch.cuda.is_available()
    mps = bool(getattr(torch.backends, "mps", None) and torch.backends.mps.is_available())
    if requested == "auto":
        if cuda:
            return torch.device("cuda"), f"auto: CUDA GPU {torch.cuda.get_device_name(0)} found"
        if mps:
            return torch.device("mps"), "auto: Apple GPU (MPS) found"
        return torch.device("cpu"), "auto: no CUDA or Apple GPU found"
    if requested == "cuda" and not cuda:
        raise ConfigError("device 'cuda' was asked for but no CUDA GPU is available; use --device auto or cpu")
    if requested == "mps" and not mps:
        raise ConfigError("device 'mps' was asked for but Apple's GPU is not available; use --device auto or cpu")
    if requested not in ("cpu", "cuda", "mps"):
        raise ConfigError(f"unknown device {requested!r}; use auto, cpu, cuda or mps")
    return torch.device(requested), f"{requested} as asked"


def _choose_precision(device: torch.device, requested: str) -> tuple[str, str]:
    if requested != "auto":
        if requested not in DTYPES:
            raise ConfigError(f"unknown precision {requested!r}; use auto, fp32, fp16, bf16 or mixed")
        return requested, f"{requested} as asked"
    if device.type in ("cuda", "mps"):
        return "fp16", f"auto: fp16 on {device.type}, as the model card runs it"
    if cpu_has_native_bf16():
        return "bf16", "auto: this CPU computes bf16 natively"
    return "fp32", "auto: this CPU has no native bf16"
