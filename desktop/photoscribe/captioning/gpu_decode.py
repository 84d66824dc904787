"""JPEG photos decoded by the GPU (nvJPEG, through ``torchvision.io.decode_jpeg`` on CUDA) when the decode threads
cannot keep it fed.

A GPU captions a batch of 24 MP photos faster than the CPU's cores decode it: each JPEG takes tens of milliseconds
of a core even DCT-scaled, and an H100 captions hundreds a second. When the thread running the model waits for the
decode threads (see the worker), JPEG files are instead read as bytes on the decode threads (with their EXIF
orientation, from the header) and decoded in batches on the GPU, turned upright, resized to the model's input
(antialiased bicubic) and normalised there. These pixels are not the CPU route's bit for bit (nvJPEG decodes at full
size, PyTorch's bicubic is not Pillow's), so the captions are nearly, not exactly, the same.

Only with torchvision installed and a CUDA device; not measured on a GPU yet.
"""

from __future__ import annotations

import logging

import torch
import torch.nn.functional as F

from photoscribe.captioning.model_input import JpegBytes

log = logging.getLogger(__name__)

#: Photos decoded by one nvJPEG call: a 24 MP photo takes 72 MB of GPU memory at full size before it is resized.
DECODE_GROUP = 16


def gpu_jpeg_decoding(device: torch.device) -> bool:
    """True when JPEGs can be decoded on ``device``: a CUDA GPU and a torchvision with ``decode_jpeg``."""
    if device.type != "cuda":
        return False
    try:
        from torchvision.io import decode_jpeg  # noqa: F401
    except Exception:  # not installed, or built for another PyTorch
        return False
    return True


def decode_on_gpu(items: list[JpegBytes], size: tuple[int, int], device: torch.device) -> list[torch.Tensor]:
    """Each JPEG as 8-bit ``(height, width, 3)`` values at ``size`` (width, height), upright, on ``device``."""
    from torchvision.io import ImageReadMode, decode_jpeg

    out: list[torch.Tensor] = []
    for start in range(0, len(items), DECODE_GROUP):
        group = items[start : start + DECODE_GROUP]
        encoded = [torch.frombuffer(bytearray(item.data), dtype=torch.uint8) for item in group]
        decoded = decode_jpeg(encoded, mode=ImageReadMode.RGB, device=device)
        out += [resized(upright(image, item.orientation), size) for image, item in zip(decoded, group)]
    return out


def upright(image: torch.Tensor, orientation: int) -> torch.Tensor:
    """A ``(3, h, w)`` image turned by its EXIF orientation, as Pillow's ``ImageOps.exif_transpose`` turns it."""
    if orientation == 2:
        return image.flip(2)
    if orientation == 3:
        return image.flip(1, 2)
    if orientation == 4:
        return image.flip(1)
    if orientation == 5:
        return image.transpose(1, 2)
    if orientation == 6:
        return image.transpose(1, 2).flip(2)
    if orientation == 7:
        return image.transpose(1, 2).flip(1, 2)
    if orientation == 8:
        return image.transpose(1, 2).flip(1)
    return image


def resized(image: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """A ``(3, h, w)`` 8-bit image resized to ``size`` (width, height), antialiased bicubic, as 8-bit
    ``(height, width, 3)`` values (the layout the decode threads hand over)."""
    width, height = size
    if image.shape[1:] != (height, width):
        scaled = F.interpolate(image[None].float(), size=(height, width), mode="bicubic", antialias=True)
        image = scaled[0].round_().clamp_(0, 255).to(torch.uint8)
    return image.permute(1, 2, 0)
