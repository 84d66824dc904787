"""Which files are photos, of which kind, and which files are left out on purpose: the one list of extensions.

Pure names and magic bytes (no Pillow, no rawpy), so the scanner, registration, the writer and the app share one
rule. A photo's *kind* comes from its name (a ``.nef`` is a RAW file whatever it holds: it is never modified and
its captions go to a sidecar); how it is *decoded* comes from its content where the content is unambiguous
(:func:`content_kind`: a JPEG named ``.nef``, which happens, is decoded as the JPEG it is).
"""

from __future__ import annotations

import enum
from pathlib import Path, PurePath


class FileKind(str, enum.Enum):
    """What kind of photo a file is, by its name."""

    JPEG = "jpeg"
    RASTER = "raster"  # PNG, TIFF, WebP, BMP, GIF, AVIF: decoded by Pillow
    HEIF = "heif"  # HEIC/HEIF from phones and some cameras (pillow-heif)
    RAW = "raw"  # camera RAW (rawpy/LibRaw, embedded previews); never modified, captions go to a sidecar

    def __str__(self) -> str:
        return self.value


class LeftOut(str, enum.Enum):
    """Files in a photo folder that are not photos, left out on purpose (``photoscribe status`` counts them)."""

    VIDEO = "video"
    SIDECAR = "sidecar"  # XMP and other editors' sidecars (read with their photo, not captioned on their own)
    OTHER = "other"  # anything else (documents, unknown extensions)

    def __str__(self) -> str:
        return self.value


#: Largest image PhotoScribe decodes (about 8 times a 36-megapixel frame), whatever the decoder; beyond it a file
#: is treated as a decompression bomb.
MAX_PIXELS = 300_000_000

JPEG_EXTENSIONS = frozenset({".jpg", ".jpeg", ".jpe", ".jfif"})
RASTER_EXTENSIONS = frozenset({".png", ".tif", ".tiff", ".webp", ".bmp", ".gif", ".avif"})
HEIF_EXTENSIONS = frozenset({".heic", ".heif", ".hif"})
#: Camera RAW formats LibRaw reads (the list darktable and digiKam use), including DNG.
RAW_EXTENSIONS = frozenset(
    {
        ".3fr", ".ari", ".arw", ".bay", ".cap", ".cr2", ".cr3", ".crw", ".dcr", ".dcs", ".dng", ".drf", ".eip",
        ".erf", ".fff", ".gpr", ".iiq", ".k25", ".kdc", ".mdc", ".mef", ".mos", ".mrw", ".nef", ".nrw", ".orf",
        ".ori", ".pef", ".ptx", ".pxn", ".qtk", ".raf", ".raw", ".rdc", ".rw2", ".rwl", ".rwz", ".sr2", ".srf",
        ".srw", ".sti", ".x3f",
    }
)  # fmt: skip
PHOTO_EXTENSIONS = JPEG_EXTENSIONS | RASTER_EXTENSIONS | HEIF_EXTENSIONS | RAW_EXTENSIONS

VIDEO_EXTENSIONS = frozenset(
    {
        ".mp4", ".mov", ".m4v", ".avi", ".mts", ".m2ts", ".mkv", ".3gp", ".mpg", ".mpeg", ".wmv", ".webm", ".mxf",
        ".braw", ".r3d", ".crm", ".lrv", ".insv", ".360",
    }
)  # fmt: skip
SIDECAR_EXTENSIONS = frozenset({".xmp", ".aae", ".pp3", ".dop", ".thm", ".on1", ".cos", ".acr", ".lrcat"})

#: Kinds a RAW file is paired with when both have the same name in the same folder (cameras write RAW+JPEG and,
#: on some recent bodies, RAW+HEIF).
PAIRED_WITH_RAW = frozenset({FileKind.JPEG, FileKind.HEIF})

_BY_EXTENSION: dict[str, FileKind] = {
    **{e: FileKind.JPEG for e in JPEG_EXTENSIONS},
    **{e: FileKind.RASTER for e in RASTER_EXTENSIONS},
    **{e: FileKind.HEIF for e in HEIF_EXTENSIONS},
    **{e: FileKind.RAW for e in RAW_EXTENSIONS},
}
_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"hevm", b"hevs", b"mif1", b"msf1"}
#: How many leading bytes :func:`sniff` needs.
SNIFF_BYTES = 16


def kind_of_name(path: PurePath | str) -> FileKind | None:
    """The photo kind of ``path`` by its extension (case-insensitive), or ``None`` when it is not a photo name."""
    return _BY_EXTENSION.get(PurePath(path).suffix.lower())


def is_photo_name(path: PurePath | str) -> bool:
    """True when ``path`` has an extension PhotoScribe captions."""
    return kind_of_name(path) is not None


def is_raw_name(path: PurePath | str) -> bool:
    """True for a camera RAW file name (never modified; captions go to its XMP sidecar)."""
    return kind_of_name(path) is FileKind.RAW


def left_out_kind(path: PurePath | str) -> LeftOut | None:
    """Why a file that is not a photo is left out (``None`` for a photo name)."""
    suffix = PurePath(path).suffix.lower()
    if suffix in _BY_EXTENSION:
        return None
    if suffix in VIDEO_EXTENSIONS:
        return LeftOut.VIDEO
    if suffix in SIDECAR_EXTENSIONS:
        return LeftOut.SIDECAR
    return LeftOut.OTHER


def sniff(head: bytes) -> FileKind | None:
    """The kind the first bytes of a file prove it to be, when they are unambiguous.

    JPEG, PNG, GIF, WebP and HEIF (by its ``ftyp`` brand) are recognised; TIFF's header is not (most RAW formats
    are TIFF inside), nor is any RAW format: ``None`` means "go by the name".
    """
    if head.startswith(b"\xff\xd8\xff"):
        return FileKind.JPEG
    if head.startswith((b"\x89PNG\r\n\x1a\n", b"GIF87a", b"GIF89a")):
        return FileKind.RASTER
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return FileKind.RASTER
    if head[4:8] == b"ftyp" and head[8:12] in _HEIF_BRANDS:
        return FileKind.HEIF
    return None


def content_kind(path: Path | str) -> FileKind | None:
    """How to decode ``path``: what its content proves it to be, else its name's kind. Raises ``OSError``."""
    by_name = kind_of_name(path)
    with open(path, "rb") as handle:
        by_content = sniff(handle.read(SNIFF_BYTES))
    return by_content or by_name
