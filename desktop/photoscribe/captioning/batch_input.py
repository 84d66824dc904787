"""A batch of photos prepared on the decode threads, made into the vision encoder's input on the model's device.

On the CPU the decode threads have already made the float32 pixels; they are stacked and cast. On a CUDA GPU the
decode threads hand over 8-bit values instead (a quarter of the bytes); they are stacked into a pinned (page-locked)
staging buffer, reused from batch to batch, copied to the GPU without blocking, and normalised there through the
plan's table (:mod:`photoscribe.captioning.model_input`): the same float32 numbers the processor makes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import torch

from photoscribe.captioning.gpu_decode import decode_on_gpu
from photoscribe.captioning.model_input import InputPlan, JpegBytes


class BatchInput:
    """Stacks prepared photos (float32 ``(3, h, w)`` pixels or 8-bit ``(h, w, 3)`` values) into the vision encoder's
    ``(n, 3, h, w)`` input, on ``device`` and in ``dtype``."""

    def __init__(self, plan: InputPlan, device: torch.device, dtype: torch.dtype, pinned: bool | None = None) -> None:
        self.device, self.dtype = device, dtype
        self.pinned = device.type == "cuda" if pinned is None else pinned
        self.plan = plan
        offsets = torch.arange(3).mul_(256).view(1, 3, 1, 1)
        self._table = torch.from_numpy(plan.table).reshape(-1).to(device)  # channel c, value v at c * 256 + v
        self._offsets = offsets.to(device)
        self._staging: torch.Tensor | None = None  # pinned host memory, grown as needed
        self._copied: torch.cuda.Event | None = None  # the last copy out of the staging buffer

    def __call__(self, items: Sequence[np.ndarray | torch.Tensor | JpegBytes]) -> torch.Tensor:
        """The batch on the device, normalised, in the encoder's number format."""
        if all(isinstance(item, np.ndarray) for item in items):
            arrays = list(items)
            if len({array.dtype for array in arrays}) > 1:  # some made before the model loaded: all as pixels
                arrays = [self.plan.normalised(a) if a.dtype == np.uint8 else a for a in arrays]  # type: ignore[union-attr]
            moved = self._to_device(self._stacked(arrays))  # type: ignore[arg-type]
        else:
            moved = self._one_by_one(items)
        if moved.dtype == torch.uint8:
            moved = self.normalise(moved)
        return moved.to(self.dtype)

    def _one_by_one(self, items: Sequence[np.ndarray | torch.Tensor | JpegBytes]) -> torch.Tensor:
        """A batch holding JPEGs for the GPU to decode (or tensors on the device already), and maybe others."""
        jpegs = [item for item in items if isinstance(item, JpegBytes)]
        decoded = iter(decode_on_gpu(jpegs, (self.plan.width, self.plan.height), self.device) if jpegs else [])
        tensors = [next(decoded) if isinstance(item, JpegBytes) else self._on_device(item) for item in items]
        if len({tensor.dtype for tensor in tensors}) > 1:
            tensors = [self.normalise(t[None])[0] if t.dtype == torch.uint8 else t for t in tensors]
        return torch.stack(tensors)

    def normalise(self, values: torch.Tensor) -> torch.Tensor:
        """8-bit ``(n, h, w, 3)`` values to float32 ``(n, 3, h, w)`` pixels through the plan's table."""
        index = values.permute(0, 3, 1, 2).long().add_(self._offsets)
        return torch.take(self._table, index)

    def _on_device(self, item: np.ndarray | torch.Tensor) -> torch.Tensor:
        return item.to(self.device) if isinstance(item, torch.Tensor) else torch.tensor(item, device=self.device)

    def _stacked(self, arrays: list[np.ndarray]) -> torch.Tensor:
        if not self.pinned:
            return torch.from_numpy(np.stack(arrays))
        shape = (len(arrays), *arrays[0].shape)
        dtype = torch.from_numpy(arrays[0][:0]).dtype
        count = math.prod(shape)
        if self._staging is None or self._staging.dtype != dtype or self._staging.numel() < count:
            self._staging = torch.empty(count, dtype=dtype, pin_memory=True)
        elif self._copied is not None:
            self._copied.synchronize()  # the previous batch's copy has left the buffer before it is overwritten
        host = self._staging[:count].view(shape)
        np.stack(arrays, out=host.numpy())
        return host

    def _to_device(self, host: torch.Tensor) -> torch.Tensor:
        if self.device.type == "cpu":
            return host
        moved = host.to(self.device, non_blocking=self.pinned)
        if self.pinned and self.device.type == "cuda":
            self._copied = torch.cuda.Event()
            self._copied.record()
        return moved
