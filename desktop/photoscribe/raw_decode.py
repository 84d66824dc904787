"""Camera RAW files as an 8-bit picture for the model and the thumbnails: the camera's preview first, demosaic last.

Like every comparable app, PhotoScribe never develops the full sensor data for a caption. In order:

1. LibRaw's embedded preview (rawpy ``extract_thumb()``: JPEG bytes or a bitmap);
2. exiftool's ``JpgFromRaw``, ``PreviewImage``, ``OtherImage`` and ``ThumbnailImage`` (one call for all, only when
   LibRaw's preview is not already big enough; e.g. LibRaw reads no thumbnail from a CR3);
3. a half-size demosaic (``postprocess(half_size=True, use_camera_wb=True)``) when no preview is at least the
   wanted size (three times the model's edge); the larger usable picture wins.

Placeholders (tiny, or one flat colour, as stripped files and some cameras hold) and all-black pictures are
never used, nor a demosaic of a file far too small for the sensor it declares (stripped files decode to junk
stripes). Previews are turned by the RAW's orientation (LibRaw's ``flip``, else exiftool's ``Orientation``); a
demosaic is already upright. Every LibRaw attempt opens a fresh handle: after a failed call the same handle only
reports ``LibRawOutOfOrderCallError``. rawpy (which loads OpenMP) is imported on first use only.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image

from photoscribe.errors import UnreadableImageError
from photoscribe.formats import MAX_PIXELS
from photoscribe.raw_previews import (
    FLIP_TO_ORIENTATION,
    PREVIEW_TAGS,
    decode_bytes,
    exiftool_json,
    exiftool_previews,
    exiftool_size,
    from_array,
    orientation_of,
    placeholder,
    turn,
)


class DecodeRoute(str, enum.Enum):
    """Which decoder gave a photo's picture."""

    PILLOW = "pillow"  # JPEG, PNG, TIFF, WebP, GIF, AVIF, HEIC (also a JPEG named like a RAW)
    RAWPY_PREVIEW = "rawpy preview"  # the RAW's embedded preview, read by LibRaw
    EXIFTOOL_PREVIEW = "exiftool preview"  # an embedded preview LibRaw does not read (CR3, cut-off files)
    DEMOSAIC = "demosaic"  # LibRaw's half-size development of the sensor data

    def __str__(self) -> str:
        return self.value


#: A RAW file holding fewer bytes per declared sensor pixel than this cannot hold its sensor data (lossless RAWs
#: hold 1-2 bytes a pixel, lossy ones about 0.3): it was stripped, and a demosaic gives only junk.
MIN_BYTES_PER_PIXEL = 0.05
RAW_ROUTES = (DecodeRoute.RAWPY_PREVIEW, DecodeRoute.EXIFTOOL_PREVIEW, DecodeRoute.DEMOSAIC)
#: exiftool tag -> EXIF tag number, for ``imaging``'s readers of capture time and camera.
_FACT_TAGS = {"Make": 0x010F, "Model": 0x0110, "DateTimeOriginal": 0x9003, "ModifyDate": 0x0132}


@dataclass(frozen=True)
class RawFacts:
    """What a RAW file says about itself: upright full-image size (``None`` when unknown) and EXIF-numbered tags
    (Make, Model, DateTimeOriginal, DateTime) from exiftool."""

    width: int | None
    height: int | None
    tags: dict[int, object]
    problem: str = ""  # why LibRaw cannot open the file, when it cannot


@dataclass
class _Opened:
    """What LibRaw's header gives (``None`` fields when LibRaw cannot open the file)."""

    orientation: int | None
    sensor_pixels: int


def decode_raw(path: Path | str, wanted: int, full_size: bool = False) -> tuple[Image.Image, DecodeRoute]:
    """The best usable picture of the RAW file ``path``, upright 8-bit RGB, and the route that gave it.

    A preview at least ``wanted`` pixels on its longer side is used as is (JPEG previews DCT-scaled towards that
    size unless ``full_size``); otherwise the next route is tried and the larger usable picture kept. Raises
    :class:`UnreadableImageError` saying what was tried when nothing usable is found.
    """
    path = Path(path)
    notes: list[str] = []
    opened = _open(path, notes)
    best: tuple[Image.Image, DecodeRoute] | None = None
    for route in RAW_ROUTES:
        image = _attempt(route, path, opened, wanted, full_size, notes)
        if image is not None and (best is None or max(image.size) > max(best[0].size)):
            best = (image, route)
        if best is not None and max(best[0].size) >= wanted:
            break
    if best is None:
        raise UnreadableImageError(path, "no usable picture in this RAW file: " + "; ".join(notes))
    return best


def decode_by(path: Path | str, route: DecodeRoute, wanted: int, full_size: bool = False) -> Image.Image:
    """The picture one RAW route alone gives (benchmarks and tests); :class:`UnreadableImageError` when it fails."""
    path = Path(path)
    notes: list[str] = []
    image = _attempt(route, path, _open(path, notes), wanted, full_size, notes)
    if image is None:
        raise UnreadableImageError(path, f"{route} gives no usable picture: " + "; ".join(notes))
    return image


def raw_facts(path: Path | str) -> RawFacts:
    """Upright size of the full image (LibRaw, else exiftool) and exiftool's camera and date tags; never raises."""
    path = Path(path)
    width = height = None
    orientation, problem = 1, ""
    try:
        with _rawpy().imread(str(path)) as raw:
            sizes = raw.sizes
        width, height = (sizes.crop_width, sizes.crop_height) if sizes.crop_width else (sizes.width, sizes.height)
        orientation = FLIP_TO_ORIENTATION.get(sizes.flip, 1)
    except Exception as exc:  # LibRaw's errors, or an OSError
        problem = f"LibRaw cannot open it ({_reason(exc)})"
    wanted = ["-ImageSize", "-ExifImageWidth", "-ExifImageHeight", "-Orientation", *(f"-{t}" for t in _FACT_TAGS)]
    found = exiftool_json(path, wanted)
    tags = {number: found[name] for name, number in _FACT_TAGS.items() if found.get(name) not in (None, "")}
    if found and not width:
        orientation = orientation_of(found.get("Orientation"))
        width, height = exiftool_size(found)
    if width and height and orientation in (5, 6, 7, 8):
        width, height = height, width
    return RawFacts(width or None, height or None, tags, problem)


def _rawpy() -> Any:
    import rawpy  # imported on first use: it loads OpenMP, which no other command needs

    return rawpy


def _open(path: Path, notes: list[str]) -> _Opened:
    try:
        with _rawpy().imread(str(path)) as raw:
            sizes = raw.sizes
            return _Opened(FLIP_TO_ORIENTATION.get(sizes.flip, 1), sizes.raw_width * sizes.raw_height)
    except Exception as exc:  # LibRaw's errors, or an OSError
        notes.append(f"LibRaw cannot open it ({_reason(exc)})")
        return _Opened(None, 0)


def _attempt(
    route: DecodeRoute, path: Path, opened: _Opened, wanted: int, full_size: bool, notes: list[str]
) -> Image.Image | None:
    """The usable, upright picture ``route`` gives, or ``None`` with a note of why not."""
    if route is DecodeRoute.RAWPY_PREVIEW:
        if opened.orientation is None:
            return None
        image = _usable(lambda: _rawpy_thumb(path, wanted, full_size), "LibRaw's preview", notes)
        return turn(image, opened.orientation) if image is not None else None
    if route is DecodeRoute.EXIFTOOL_PREVIEW:
        found = exiftool_json(path, ["-b", *(f"-{tag}" for tag in PREVIEW_TAGS), "-Orientation"], notes)
        orientation = opened.orientation or orientation_of(found.get("Orientation"))
        previews = list(exiftool_previews(found))
        for tag, data in previews:
            image = _usable(lambda data=data: decode_bytes(data, wanted, full_size), f"exiftool's {tag}", notes)
            if image is not None:
                return turn(image, orientation)
        if found and not previews:
            notes.append("exiftool finds no embedded preview")
        return None
    if route is DecodeRoute.DEMOSAIC and opened.orientation is not None:
        size = path.stat().st_size
        if size < MIN_BYTES_PER_PIXEL * opened.sensor_pixels:
            notes.append(f"its sensor data is missing ({size // 1024} KB for {opened.sensor_pixels / 1e6:.1f} MP)")
            return None
        return _usable(lambda: _demosaic(path), "the demosaic", notes)
    return None


def _usable(decode: Any, what: str, notes: list[str]) -> Image.Image | None:
    """The picture ``decode()`` gives when it is a usable picture; otherwise a note of why not and ``None``."""
    try:
        image = decode()
    except Exception as exc:  # LibRaw's and Pillow's errors alike: this route fails, the next is tried
        notes.append(f"{what} fails ({_reason(exc)})")
        return None
    problem = placeholder(image)
    if problem:
        notes.append(f"{what} is {problem}")
        return None
    return image


def _rawpy_thumb(path: Path, wanted: int, full_size: bool) -> Image.Image:
    rawpy = _rawpy()
    with rawpy.imread(str(path)) as raw:  # a fresh handle
        thumb = raw.extract_thumb()
    if thumb.format == rawpy.ThumbFormat.JPEG:
        return decode_bytes(thumb.data, wanted, full_size)
    return from_array(thumb.data)


def _demosaic(path: Path) -> Image.Image:
    with _rawpy().imread(str(path)) as raw:  # a fresh handle
        sizes = raw.sizes
        if sizes.raw_width * sizes.raw_height > MAX_PIXELS:
            raise ValueError(f"a {sizes.raw_width}x{sizes.raw_height} sensor is over the safety limit")
        return from_array(raw.postprocess(half_size=True, use_camera_wb=True, output_bps=8))


def _reason(exc: BaseException) -> str:
    """LibRaw's message (it comes as bytes) or any other exception's, on one line."""
    text = exc.args[0] if exc.args else ""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return " ".join(str(text).split()) or type(exc).__name__
