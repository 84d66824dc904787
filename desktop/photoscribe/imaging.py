"""Decoding photos for the model: fast, upright, RGB, and safe against hostile files, whatever their format.

The model sees 384x384 pixels, so JPEGs are decoded with libjpeg's DCT scaling (``Image.draft``) straight to
the smallest size that is still at least three times the model's input, not at full size (a 12- or
24-megapixel JPEG decodes at 1/2 scale) unless the caller asks for every pixel. Every image is turned
upright by its EXIF orientation and converted to plain 8-bit RGB whatever its mode. Camera RAW files go through
:mod:`photoscribe.raw_decode` (embedded previews first, a half-size demosaic last); what a file *is* decides the
decoder (:func:`photoscribe.formats.content_kind`: a JPEG named ``.nef`` decodes as a JPEG). Anything that cannot
be decoded raises :class:`UnreadableImageError` with a reason a photographer can read.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError
from pillow_heif import register_heif_opener

from photoscribe.errors import UnreadableImageError
from photoscribe.formats import MAX_PIXELS, PHOTO_EXTENSIONS, FileKind, content_kind, is_photo_name, is_raw_name
from photoscribe.raw_decode import DecodeRoute, decode_raw, raw_facts

log = logging.getLogger(__name__)

register_heif_opener()  # HEIC/HEIF, from phones
# Pillow's own bomb check is set to match MAX_PIXELS so that it never fires first with another message.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS // 2  # Pillow warns above this and raises above twice this
ImageFile.LOAD_TRUNCATED_IMAGES = False  # a truncated file is a failure, never half a photo

#: Extensions PhotoScribe captions (one list: :mod:`photoscribe.formats`).
IMAGE_EXTENSIONS = PHOTO_EXTENSIONS
is_image_name = is_photo_name

#: The model's input edge in pixels (BLIP-base uses 384).
MODEL_EDGE = 384
#: JPEGs are DCT-decoded to at least this many times the model's edge. At 3x, the final resize gives the model
#: practically the captions of a full-size decode (24 MP photos, fp32, random-weight BLIP-base: 95 of 96; at 2x,
#: 46 of 48) for about half its cost. ``--precision fp32`` decodes at full size (``Hardware.decode_full_size``).
DRAFT_FACTOR = 3
#: For captions, JPEGs are DCT-scaled to the smallest size still at least the model's input on both sides (a 24 MP
#: JPEG at 1/8 scale, 750x500): libjpeg's scaling averages each 8x8 block, a clean reduction, and the bicubic resize
#: to 384x384 does the rest. Measured on the trained stand-in (benchmarks/trained_blip.py, 48 photos of 24 MP, bf16):
#: 48 of 48 captions identical to the model card's full decode at 1x, 2x and 3x; decoding, resizing and normalising
#: a photo took 63, 81 and 135 ms.
MODEL_DRAFT_FACTOR = 1

EXIF_MAKE = 0x010F
EXIF_MODEL = 0x0110
EXIF_DATETIME_ORIGINAL = 0x9003
EXIF_DATETIME = 0x0132
EXIF_IFD = 0x8769


@dataclass(frozen=True)
class ImageFacts:
    """What PhotoScribe records about a photo besides its caption."""

    width: int
    height: int
    taken_at: datetime | None
    camera: str | None = None  # EXIF Make and Model, e.g. "Canon EOS 40D"


def load_for_model(
    path: Path | str, edge: int = MODEL_EDGE, full_size: bool = False, factor: int = DRAFT_FACTOR
) -> Image.Image:
    """Decode ``path`` upright and in RGB; JPEGs at the smallest DCT scale still at least ``factor`` x ``edge``
    pixels (3 by default: the viewer and RAW previews; captions ask for :data:`MODEL_DRAFT_FACTOR`).

    Libjpeg's DCT scaling decodes a 24-megapixel JPEG for a 384-pixel model twice as fast as a full decode,
    and the final resize (:meth:`Captioner.prepare`) from that size gives the model practically the pixels a full
    decode would; ``full_size`` decodes every pixel instead. RAW files give their best usable preview (or a
    half-size demosaic). Raises :class:`UnreadableImageError` when the file is empty, not an image, truncated,
    corrupt or too large, or a RAW file holds no usable picture.
    """
    return load_with_route(path, edge, full_size, factor)[0]


def load_with_route(
    path: Path | str, edge: int = MODEL_EDGE, full_size: bool = False, factor: int = DRAFT_FACTOR
) -> tuple[Image.Image, DecodeRoute]:
    """:func:`load_for_model`, and which decoder gave the picture; ``factor`` times ``edge`` is the least size a
    JPEG is DCT-scaled to (RAW previews are wanted at :data:`DRAFT_FACTOR` times ``edge`` whatever the factor)."""
    if is_raw_name(path) and _kind(path) is FileKind.RAW:  # only a RAW name can hold a RAW file
        return decode_raw(path, edge * DRAFT_FACTOR, full_size)  # (a preview's long side: kept at 3x the edge)
    with _open(path) as img:
        try:
            img.decodermaxblock = _whole_file(path)
            if img.format == "JPEG" and not full_size:
                img.draft("RGB", (edge * factor, edge * factor))
            img.load()
            return to_rgb(upright(img)), DecodeRoute.PILLOW
        except UnreadableImageError:
            raise
        except (OSError, ValueError, SyntaxError, Image.DecompressionBombError, EOFError) as exc:
            raise UnreadableImageError(path, _reason(exc)) from exc


def decodes(path: Path | str) -> bool:
    """True when ``path`` decodes completely (cheaply: JPEGs at 1/8 scale). Used to tell a finished copy."""
    try:
        load_for_model(path, edge=32)
    except UnreadableImageError:
        return False
    return True


def read_facts(path: Path | str) -> ImageFacts:
    """Upright width and height, EXIF capture time and camera of ``path``, reading only the header."""
    if is_raw_name(path) and _kind(path) is FileKind.RAW:  # only a RAW name can hold a RAW file
        return _raw_facts(path)
    with _open(path) as img:
        return facts_of(img)


def open_header(path: Path | str) -> Image.Image:
    """``path`` opened lazily (header only, no pixels), for :func:`facts_of` and the metadata reader to share one
    open (registration reads both); raises :class:`UnreadableImageError`. The caller closes it."""
    return _open(path)


def facts_of(img: Image.Image) -> ImageFacts:
    """:func:`read_facts` of an image opened by :func:`open_header` (not a RAW file)."""
    width, height = img.size
    exif = _exif(img)
    if exif.get(0x0112) in (5, 6, 7, 8):  # orientations that swap width and height
        width, height = height, width
    return ImageFacts(width=width, height=height, taken_at=_taken_at(exif), camera=_camera(exif))


def upright(img: Image.Image) -> Image.Image:
    """``img`` turned by its EXIF orientation; unchanged when the EXIF is missing or too broken to read."""
    try:
        return ImageOps.exif_transpose(img)
    except Exception as exc:  # broken EXIF must never stop a photo from being captioned
        log.debug("cannot apply EXIF orientation of %s: %s", getattr(img, "filename", "?"), exc)
        return img


def to_rgb(img: Image.Image) -> Image.Image:
    """Convert any Pillow mode (CMYK, palette, 16-bit, float, with alpha) to 8-bit RGB.

    Transparent areas become white, as photo viewers show them; 16-bit images are scaled from their full
    16-bit range (a dark scan stays dark), float images from 0..1.
    """
    if img.mode == "RGB":
        return img
    if img.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        img = _scale_to_8bit(img)
    if img.mode == "P":
        img = img.convert("RGBA" if "transparency" in img.info else "RGB")
    if img.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = img.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return img.convert("RGB")


#: Most bytes handed to Pillow's decoder at once (its default is 64 KB).
WHOLE_FILE_LIMIT = 64 * 2**20


def _whole_file(path: Path | str) -> int:
    """How many bytes Pillow hands its decoder at a time: the whole file (up to 64 MB). Pillow lets go of Python's
    GIL while its decoder runs, and takes it back between blocks: 64 KB blocks meant 140 takes for a 9 MB photo, and
    with another thread running Python (the model's loading, or its decoding loop) each take waited up to 5 ms.
    Measured: 16 photos of 24 MP decoded by two threads beside a busy Python thread in 13.0-13.5 s with 64 KB
    blocks, 1.1 s with the whole file (0.6 s without the busy thread either way)."""
    try:
        return max(ImageFile.MAXBLOCK, min(Path(path).stat().st_size, WHOLE_FILE_LIMIT))
    except OSError:
        return ImageFile.MAXBLOCK


def _kind(path: Path | str) -> FileKind | None:
    """How to decode ``path`` (by its content, else its name); raises :class:`UnreadableImageError` for a missing,
    unreadable or empty file."""
    try:
        if Path(path).stat().st_size == 0:
            raise UnreadableImageError(path, "the file is empty (0 bytes)")
        return content_kind(path)
    except OSError as exc:
        raise UnreadableImageError(path, _reason(exc)) from exc


def _raw_facts(path: Path | str) -> ImageFacts:
    """A RAW file's facts: size from LibRaw or exiftool, camera and date from exiftool, else from the EXIF that
    Pillow's TIFF reader finds (most RAW formats are TIFF inside)."""
    found = raw_facts(path)
    width, height, tags = found.width, found.height, dict(found.tags)
    if not tags or not width:
        try:
            with warnings.catch_warnings(), _open(path) as img:
                warnings.simplefilter("ignore")  # RAW files stretch the TIFF rules; only their EXIF is read here
                exif = _exif(img)
        except UnreadableImageError:
            exif = {}
        tags = tags or exif
        if not width and exif.get(0xA002) and exif.get(0xA003):  # ExifImageWidth and ExifImageHeight
            width, height = int(exif[0xA002]), int(exif[0xA003])  # type: ignore[call-overload]
            if exif.get(0x0112) in (5, 6, 7, 8):
                width, height = height, width
    if not width or not height:
        raise UnreadableImageError(path, f"cannot read the size of this RAW file; {found.problem or 'no size tags'}")
    return ImageFacts(width=width, height=height, taken_at=_taken_at(tags), camera=_camera(tags))


def _open(path: Path | str) -> Image.Image:
    """Open ``path`` lazily (header only), turning every failure into :class:`UnreadableImageError`."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise UnreadableImageError(path, _reason(exc)) from exc
    if size == 0:
        raise UnreadableImageError(path, "the file is empty (0 bytes)")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            img = Image.open(path)
    except UnidentifiedImageError as exc:
        raise UnreadableImageError(path, "not an image file PhotoScribe can read") from exc
    except Image.DecompressionBombError as exc:
        raise UnreadableImageError(path, _reason(exc)) from exc
    except (OSError, ValueError, SyntaxError) as exc:
        raise UnreadableImageError(path, _reason(exc)) from exc
    pixels = img.width * img.height
    if pixels > MAX_PIXELS:
        img.close()
        raise UnreadableImageError(
            path,
            f"image is {img.width}x{img.height} pixels, over the {MAX_PIXELS // 1_000_000}-megapixel "
            "safety limit (a decompression bomb?)",
        )
    return img


def _scale_to_8bit(img: Image.Image) -> Image.Image:
    """A 16-bit, 32-bit or float single-channel image as 8-bit grey, at its container's full scale.

    A photographer's dark 16-bit scan stays dark: 16-bit values are divided by 65535/255, never stretched to
    the picture's own range. Only values no known scale holds (negative, over 16 bits, float outside 0..255)
    are stretched to their own range, as there is nothing else to go by.
    """
    f = img.convert("F")
    low, high = f.getextrema()
    if img.mode.startswith("I;16") or (img.mode == "I" and low >= 0 and 255 < high <= 65535):
        return f.point(lambda v: v * (255.0 / 65535.0) + 0.5).convert("L")  # rounded, not truncated
    if img.mode == "F" and low >= 0 and high <= 1.0:
        return f.point(lambda v: v * 255.0 + 0.5).convert("L")
    if low >= 0 and high <= 255:
        return f.convert("L")  # 8-bit values in a wider container
    if high <= low:
        return Image.new("L", img.size, 0)
    return f.point(lambda v: (v - low) * 255.0 / (high - low)).convert("L")


def _exif(img: Image.Image) -> dict[int, object]:
    """The image's EXIF tags (IFD0 and the Exif IFD), or nothing when they cannot be parsed."""
    try:
        exif = img.getexif()
        tags: dict[int, object] = dict(exif)
        tags.update(exif.get_ifd(EXIF_IFD))
        return tags
    except Exception as exc:  # broken EXIF must never stop a photo from being captioned
        log.debug("unreadable EXIF in %s: %s", getattr(img, "filename", "?"), exc)
        return {}


def _taken_at(exif: dict[int, object]) -> datetime | None:
    for tag in (EXIF_DATETIME_ORIGINAL, EXIF_DATETIME):
        value = exif.get(tag)
        if isinstance(value, bytes):
            value = value.decode("ascii", "replace")
        if isinstance(value, str):
            try:
                return datetime.strptime(value.strip("\x00 ")[:19], "%Y:%m:%d %H:%M:%S")
            except ValueError:
                continue
    return None


def _camera(exif: dict[int, object]) -> str | None:
    """ "Make Model" from EXIF, without the make repeated ("Canon Canon EOS 40D" -> "Canon EOS 40D")."""
    make, model = (str(exif.get(tag) or "").strip("\x00 ") for tag in (EXIF_MAKE, EXIF_MODEL))
    if model.lower().startswith(make.lower().split(" ")[0]) and make:
        make = ""
    return " ".join(part for part in (make, model) if part)[:128] or None


def _reason(exc: BaseException) -> str:
    """One readable sentence for a decoding failure."""
    if isinstance(exc, Image.DecompressionBombError):
        return "image is too large to open safely (a decompression bomb?)"
    if isinstance(exc, PermissionError):
        return "permission denied"
    if isinstance(exc, FileNotFoundError):
        return "the file no longer exists"
    text = str(exc).strip() or type(exc).__name__
    if "truncated" in text.lower():
        return f"the file is truncated or still being copied ({text})"
    return f"the image data is corrupt ({text})"
