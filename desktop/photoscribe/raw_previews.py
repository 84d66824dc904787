"""The pieces :mod:`photoscribe.raw_decode` builds on: the shared exiftool process, embedded previews as pictures,
orientation, and the test that tells a real picture from a placeholder.

exiftool runs as one ``-stay_open`` process for every decode thread (its commands are serialised by
:class:`~photoscribe.metadata.exiftool.ExifTool`'s lock), started on first use and stopped at exit.
"""

from __future__ import annotations

import atexit
import base64
import io
import json
import logging
import re
import threading
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from photoscribe.formats import MAX_PIXELS

log = logging.getLogger(__name__)

#: Pictures smaller than this on either side are placeholders, not previews.
MIN_EDGE = 32
PREVIEW_TAGS = ("JpgFromRaw", "PreviewImage", "OtherImage", "ThumbnailImage")
EXIFTOOL_TIMEOUT = 30.0
#: EXIF orientation -> the turn that makes the picture upright (as ``ImageOps.exif_transpose``).
TURNS = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
#: LibRaw's ``sizes.flip`` -> EXIF orientation (LibRaw: 3 = 180, 5 = 90 counter-clockwise, 6 = 90 clockwise).
FLIP_TO_ORIENTATION = {0: 1, 3: 3, 5: 8, 6: 6}

_session_lock = threading.Lock()
_session: tuple[str, Any] | None = None  # (executable, ExifTool)


def exiftool_json(path: Path, args: list[str], notes: list[str] | None = None) -> dict[str, object]:
    """exiftool's JSON for ``path`` (``-n``, with ``args``), or ``{}`` (and a note) when exiftool is missing or
    fails. Thread-safe: one shared process, restarted when the executable on the PATH changes."""
    from photoscribe.metadata.exiftool import ExifTool, ExifToolError, exiftool_path

    global _session
    executable = exiftool_path()
    if executable is None:
        if notes is not None:
            notes.append("exiftool is not installed (it reads previews LibRaw cannot)")
        return {}
    with _session_lock:
        if _session is None or _session[0] != executable:
            if _session is not None:
                _session[1].close()
            _session = (executable, ExifTool(executable, timeout=EXIFTOOL_TIMEOUT))
        tool = _session[1]
    try:
        out, _ = tool.run("-j", "-n", "-charset", "filename=utf8", *args, str(path))
        return json.loads(out)[0] if out.strip() else {}
    except (ExifToolError, ValueError, IndexError) as exc:
        log.debug("exiftool could not read %s: %s", path, exc)
        if notes is not None:
            notes.append(f"exiftool failed ({exc})")
        return {}


def close_exiftool() -> None:
    """Stop the shared exiftool process (it starts again when needed); also runs at exit."""
    global _session
    with _session_lock:
        session, _session = _session, None
    if session is not None:
        session[1].close()


atexit.register(close_exiftool)


def exiftool_previews(found: dict[str, object]) -> Iterator[tuple[str, bytes]]:
    """(tag, bytes) of the embedded previews in exiftool's ``-b`` JSON, largest declared picture first."""
    sized = []
    for tag in PREVIEW_TAGS:
        value = found.get(tag)
        if isinstance(value, str) and value.startswith("base64:"):
            data = base64.b64decode(value[7:])
            sized.append((-_declared_pixels(data), tag, data))
    for _, tag, data in sorted(sized):
        yield tag, data


def exiftool_size(found: dict[str, object]) -> tuple[int | None, int | None]:
    """exiftool's ImageSize, else ExifImageWidth x ExifImageHeight (as stored, not turned)."""
    numbers = [int(n) for n in re.findall(r"\d+", str(found.get("ImageSize") or ""))]
    if len(numbers) == 2 and all(numbers):
        return numbers[0], numbers[1]
    width, height = found.get("ExifImageWidth"), found.get("ExifImageHeight")
    return (width, height) if isinstance(width, int) and isinstance(height, int) else (None, None)


def orientation_of(value: object) -> int:
    """An EXIF orientation (1-8) from exiftool's ``-n`` value; 1 for anything else."""
    return value if isinstance(value, int) and value in TURNS else 1


def turn(image: Image.Image, orientation: int) -> Image.Image:
    """``image`` made upright for EXIF ``orientation``."""
    transpose = TURNS.get(orientation)
    return image.transpose(transpose) if transpose is not None else image


def placeholder(image: Image.Image) -> str | None:
    """Why ``image`` is no real picture (tiny, one flat colour, all black), or ``None`` when it is one."""
    if min(image.size) < MIN_EDGE:
        return f"a {image.width}x{image.height} placeholder"
    small = np.asarray(image.convert("RGB").resize((32, 32), Image.Resampling.BOX), dtype=np.int16)
    if small.max() <= 10:
        return "all black"
    if (small.max(axis=(0, 1)) - small.min(axis=(0, 1))).max() <= 6:
        return f"one flat colour ({image.width}x{image.height}, a placeholder)"
    return None


def decode_bytes(data: bytes, wanted: int, full_size: bool) -> Image.Image:
    """An embedded JPEG (or other Pillow format) as RGB, DCT-scaled towards ``wanted`` pixels unless ``full_size``."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        img = Image.open(io.BytesIO(data))
    if img.width * img.height > MAX_PIXELS:
        raise ValueError(f"a {img.width}x{img.height} preview is over the safety limit")
    if img.format == "JPEG" and not full_size:
        img.draft("RGB", (wanted, wanted))
    img.load()
    return img.convert("RGB")


def from_array(data: np.ndarray) -> Image.Image:
    """LibRaw's bitmap or demosaic output (8- or 16-bit, grey or RGB) as an 8-bit RGB picture."""
    if data.dtype == np.uint16:
        data = (data >> 8).astype(np.uint8)
    elif data.dtype != np.uint8:
        data = np.clip(data, 0, 255).astype(np.uint8)
    return Image.fromarray(np.ascontiguousarray(data)).convert("RGB")


def _declared_pixels(data: bytes) -> int:
    try:
        with Image.open(io.BytesIO(data)) as img:
            return img.width * img.height
    except Exception:  # not a picture Pillow knows: tried last, and its failure noted then
        return 0
