"""The model's input pixels, made on the decode threads exactly as BLIP's image processor makes them.

BLIP's processor resizes a photo to 384x384 (Pillow, bicubic), multiplies by 1/255 in float64, rounds to float32,
subtracts the mean and divides by the standard deviation of each channel in float32. Every step works on one
8-bit value at a time, so for each channel the 256 possible values map to 256 possible outputs: a table made once
with the processor's own operations gives the same float32 numbers bit for bit, at the cost of one lookup per value
(the processor's float64 passes took about 6 ms a photo on the thread running the model).

An :class:`InputPlan` is read from the model folder's JSON before PyTorch or transformers are imported, so photos
are decoded into model input while the model still loads; :meth:`InputPlan.of_processor` reads the same fields from
the loaded processor, and pixels made by a plan that differs from it are made again (see the worker).
No torch here.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

log = logging.getLogger(__name__)

#: Image processor classes whose work this module repeats: BLIP's (the Pillow and the torchvision version).
KNOWN_PROCESSORS = {"BlipImageProcessor", "BlipImageProcessorPil", "BlipImageProcessorFast"}
#: The class defaults of BLIP's image processor, for fields a saved configuration leaves out.
BLIP_DEFAULTS = {"do_resize": True, "do_rescale": True, "do_normalize": True, "rescale_factor": 1 / 255}


@dataclass(frozen=True)
class InputPlan:
    """How one photo becomes the model's ``(3, height, width)`` float32 pixels."""

    width: int
    height: int
    resample: int  # a Pillow resampling filter
    rescale: float | None  # multiply by this (in float64) when the processor rescales
    mean: tuple[float, ...] | None  # normalise by these when the processor normalises
    std: tuple[float, ...] | None
    table: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "table", _table(self.rescale, self.mean, self.std))

    @classmethod
    def from_folder(cls, folder: Path) -> InputPlan | None:
        """The plan a saved BLIP processor in ``folder`` follows, or ``None`` when it is not one this module knows
        (then the processor itself makes the pixels, after the model has loaded)."""
        for name, key in (("preprocessor_config.json", None), ("processor_config.json", "image_processor")):
            try:
                config = json.loads((folder / name).read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            config = config.get(key, {}) if key and isinstance(config, dict) else config
            if isinstance(config, dict) and config:
                return cls._from_fields(config)
        return None

    @classmethod
    def of_processor(cls, image_processor: object) -> InputPlan | None:
        """The plan a loaded image processor follows (``None`` when it does something this module does not)."""
        fields = {name: getattr(image_processor, name, None) for name in _FIELDS}
        fields["image_processor_type"] = type(image_processor).__name__
        size = getattr(image_processor, "size", None)
        fields["size"] = {k: size.get(k) if isinstance(size, dict) else getattr(size, k, None) for k in _SIZES}
        return cls._from_fields(fields)

    @classmethod
    def _from_fields(cls, config: dict[str, object]) -> InputPlan | None:
        if config.get("image_processor_type") not in KNOWN_PROCESSORS:
            return None
        if any(config.get(flag) for flag in ("do_center_crop", "do_pad")) or config.get("do_convert_rgb") is False:
            return None
        fields = {**BLIP_DEFAULTS, **{k: v for k, v in config.items() if v is not None}}
        size = fields.get("size")
        width, height = (size.get("width"), size.get("height")) if isinstance(size, dict) else (None, None)
        if not fields["do_resize"] or not isinstance(width, int) or not isinstance(height, int):
            return None  # an aspect-keeping resize (shortest_edge): left to the processor
        mean, std = fields.get("image_mean"), fields.get("image_std")
        if fields["do_normalize"] and not (_three(mean) and _three(std)):
            return None
        return cls(
            width=width,
            height=height,
            resample=int(fields.get("resample", Image.Resampling.BICUBIC)),  # type: ignore[call-overload]
            rescale=float(fields["rescale_factor"]) if fields["do_rescale"] else None,  # type: ignore[arg-type]
            mean=tuple(float(m) for m in mean) if fields["do_normalize"] else None,  # type: ignore[union-attr]
            std=tuple(float(s) for s in std) if fields["do_normalize"] else None,  # type: ignore[union-attr]
        )

    def resized(self, image: Image.Image) -> Image.Image:
        """``image`` (RGB) at the model's input size, resized as the processor does."""
        size = (self.width, self.height)
        return image if image.size == size else image.resize(size, Image.Resampling(self.resample))

    def pixels(self, image: Image.Image) -> np.ndarray:
        """The model's ``(3, height, width)`` float32 input for ``image`` (RGB): the processor's, bit for bit."""
        return self.normalised(np.asarray(self.resized(image)))

    def normalised(self, values: np.ndarray) -> np.ndarray:
        """``(3, h, w)`` float32 pixels of 8-bit ``(h, w, 3)`` values already at the model's size."""
        out = np.empty((3, *values.shape[:2]), dtype=np.float32)
        for channel in range(3):
            np.take(self.table[channel], values[:, :, channel], out=out[channel])
        return out


@dataclass(frozen=True)
class JpegBytes:
    """A JPEG file's bytes and EXIF orientation (1 to 8), read on a decode thread for the GPU to decode
    (:mod:`photoscribe.captioning.gpu_decode`)."""

    data: bytes
    orientation: int = 1


def decodes_full_size(precision: str) -> bool:
    """True when photos are decoded at full size for the ``precision`` the user asked for (not the one ``auto``
    resolves to): only ``fp32``, the reference, whose captions must be the model card's (see ``Hardware``)."""
    return precision == "fp32"


_FIELDS = ("do_resize", "do_rescale", "do_normalize", "rescale_factor", "image_mean", "image_std", "resample")
_FIELDS += ("do_center_crop", "do_pad", "do_convert_rgb")
_SIZES = ("width", "height", "shortest_edge", "longest_edge")


def _three(values: object) -> bool:
    return isinstance(values, (list, tuple)) and len(values) == 3


def _table(rescale: float | None, mean: tuple[float, ...] | None, std: tuple[float, ...] | None) -> np.ndarray:
    """``(3, 256)`` float32: each channel's output for each 8-bit value, by the processor's own operations
    (transformers' ``rescale``: float64 product, then float32; ``normalize``: float32 ``(x - mean) / std``)."""
    values = np.arange(256, dtype=np.uint8)
    scaled = (values.astype(np.float64) * rescale).astype(np.float32) if rescale else values.astype(np.float32)
    table = np.repeat(scaled[None, :], 3, axis=0)
    if mean is not None and std is not None:
        table = (table - np.array(mean, dtype=np.float32)[:, None]) / np.array(std, dtype=np.float32)[:, None]
    return np.ascontiguousarray(table, dtype=np.float32)
