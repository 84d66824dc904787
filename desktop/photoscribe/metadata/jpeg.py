"""Writing EXIF and XMP into a JPEG without exiftool, moving no existing byte.

The file is split into its segments; every segment except the EXIF and XMP APP1 is kept byte-identical. In the
EXIF block, a new IFD0 (the old entries plus ImageDescription, XPComment and XPKeywords) is appended at the end
and the header is pointed at it: every existing offset (sub-IFDs, maker notes, the thumbnail) stays valid, which
is exactly what re-dumping EXIF with piexif does not guarantee.
"""

from __future__ import annotations

import struct

SOS, EOI, APP0, APP1 = 0xDA, 0xD9, 0xE0, 0xE1
EXIF_HEADER = b"Exif\x00\x00"
XMP_HEADER = b"http://ns.adobe.com/xap/1.0/\x00"
MAX_PAYLOAD = 65533
ASCII, BYTE = 2, 1
IMAGE_DESCRIPTION, XP_COMMENT, XP_KEYWORDS = 0x010E, 0x9C9C, 0x9C9E
MINIMAL_TIFF = b"II*\x00" + struct.pack("<I", 8) + struct.pack("<H", 0) + b"\x00\x00\x00\x00"

Segment = tuple[int, bytes]


def split(data: bytes) -> tuple[list[Segment], bytes]:
    """(segments before the image data, the image data from SOS on); raises ValueError for a non-JPEG."""
    if data[:2] != b"\xff\xd8":
        raise ValueError("not a JPEG file")
    segments: list[Segment] = []
    pos = 2
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            raise ValueError(f"broken JPEG structure at byte {pos}")
        marker = data[pos + 1]
        if marker in (SOS, EOI):
            return segments, data[pos:]
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        if length < 2 or pos + 2 + length > len(data):
            raise ValueError(f"broken JPEG segment at byte {pos}")
        segments.append((marker, data[pos + 4 : pos + 2 + length]))
        pos += 2 + length
    raise ValueError("the JPEG has no image data")


def join(segments: list[Segment], image_data: bytes) -> bytes:
    """The inverse of :func:`split`."""
    parts = [b"\xff\xd8"]
    for marker, payload in segments:
        if len(payload) > MAX_PAYLOAD:
            raise ValueError("a metadata block would exceed the JPEG limit of 64 KB")
        parts.append(bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload)
    return b"".join(parts) + image_data


def find(segments: list[Segment], header: bytes) -> int | None:
    """Index of the APP1 segment starting with ``header``."""
    return next((i for i, (m, p) in enumerate(segments) if m == APP1 and p.startswith(header)), None)


def put(segments: list[Segment], header: bytes, payload: bytes, after: int | None) -> list[Segment]:
    """Replace the APP1 starting with ``header``, or insert it after index ``after`` (after APP0s when None)."""
    result = list(segments)
    index = find(result, header)
    if index is not None:
        result[index] = (APP1, header + payload)
        return result
    if after is None:
        after = max((i for i, (m, _) in enumerate(result) if m == APP0), default=-1)
    result.insert(after + 1, (APP1, header + payload))
    return result


def with_ifd0_entries(tiff: bytes | None, updates: dict[int, tuple[int, bytes]]) -> bytes:
    """``tiff`` with a new IFD0 appended at its end holding the old entries and ``updates`` (tag -> type, value)."""
    tiff = tiff or MINIMAL_TIFF
    order = {b"II": "<", b"MM": ">"}.get(tiff[:2])
    if order is None or len(tiff) < 8:
        raise ValueError("unreadable EXIF header")
    (ifd0,) = struct.unpack(order + "I", tiff[4:8])
    if ifd0 + 2 > len(tiff):
        raise ValueError("EXIF IFD0 lies outside the EXIF block")
    (count,) = struct.unpack(order + "H", tiff[ifd0 : ifd0 + 2])
    end = ifd0 + 2 + 12 * count
    if end + 4 > len(tiff):
        raise ValueError("EXIF IFD0 runs past the EXIF block")
    old = [tiff[ifd0 + 2 + 12 * i : ifd0 + 14 + 12 * i] for i in range(count)]
    kept = [e for e in old if struct.unpack(order + "H", e[:2])[0] not in updates]
    next_pointer = tiff[end : end + 4]
    if _replaceable_tail(tiff, order, ifd0, end, old, updates):
        tiff = tiff[:ifd0]  # the IFD0 appended by an earlier write goes, instead of piling up on every write
    start = len(tiff) + len(tiff) % 2
    values_at = start + 2 + 12 * (len(kept) + len(updates)) + 4
    entries, values = list(kept), bytearray()
    for tag, (kind, value) in updates.items():
        if len(value) <= 4:
            field = value.ljust(4, b"\x00")
        else:
            field = struct.pack(order + "I", values_at + len(values))
            values += value + b"\x00" * (len(value) % 2)
        entries.append(struct.pack(order + "HHI", tag, kind, len(value)) + field)
    entries.sort(key=lambda e: struct.unpack(order + "H", e[:2])[0])
    body = bytearray(tiff) + b"\x00" * (len(tiff) % 2)
    body += struct.pack(order + "H", len(entries)) + b"".join(entries) + next_pointer + values
    body[4:8] = struct.pack(order + "I", start)
    return bytes(body)


OUR_TAGS = (IMAGE_DESCRIPTION, XP_COMMENT, XP_KEYWORDS)


def rewritable_from(tiff: bytes, tags: tuple[int, ...] = OUR_TAGS) -> int:
    """Where the part of ``tiff`` that a write may rebuild starts: IFD0 when an earlier write left it (with only
    the values of ``tags``) at the block's end, else the block's end (every existing byte stays)."""
    order = {b"II": "<", b"MM": ">"}.get(tiff[:2])
    if order is None or len(tiff) < 8:
        return len(tiff)
    (ifd0,) = struct.unpack(order + "I", tiff[4:8])
    if ifd0 + 2 > len(tiff):
        return len(tiff)
    (count,) = struct.unpack(order + "H", tiff[ifd0 : ifd0 + 2])
    end = ifd0 + 2 + 12 * count
    if end + 4 > len(tiff):
        return len(tiff)
    old = [tiff[ifd0 + 2 + 12 * i : ifd0 + 14 + 12 * i] for i in range(count)]
    return ifd0 if _replaceable_tail(tiff, order, ifd0, end, old, dict.fromkeys(tags)) else len(tiff)


TYPE_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4}
POINTER_TAGS = {0x8769, 0x8825, 0xA005, 0x014A}  # Exif, GPS, Interop sub-IFDs, SubIFDs


def _replaceable_tail(
    tiff: bytes, order: str, ifd0: int, end: int, old: list[bytes], updates: dict[int, object]
) -> bool:
    """True when IFD0 and the values of the tags being replaced are all that lies from IFD0 to the block's end
    (as an earlier write left it): nothing else points there, so that tail can be cut off and rebuilt."""
    (next_ifd,) = struct.unpack(order + "I", tiff[end : end + 4])
    if next_ifd >= ifd0:
        return False
    replaced_bytes = 0
    for entry in old:
        tag, kind, count, field = struct.unpack(order + "HHII", entry)
        size = TYPE_SIZES.get(kind, 0) * count
        if tag in updates:
            if size > 4:
                if field < end + 4:
                    return False
                replaced_bytes += size + size % 2
        elif (size > 4 or tag in POINTER_TAGS) and field >= ifd0:
            return False
    return len(tiff) == end + 4 + replaced_bytes


def ifd0_value(tiff: bytes, tag: int) -> bytes | None:
    """The raw value of an IFD0 tag (BYTE/ASCII/UNDEFINED tags), or None."""
    order = {b"II": "<", b"MM": ">"}[tiff[:2]]
    (ifd0,) = struct.unpack(order + "I", tiff[4:8])
    (count,) = struct.unpack(order + "H", tiff[ifd0 : ifd0 + 2])
    for i in range(count):
        entry = tiff[ifd0 + 2 + 12 * i : ifd0 + 14 + 12 * i]
        entry_tag, _, length = struct.unpack(order + "HHI", entry[:8])
        if entry_tag == tag:
            if length <= 4:
                return entry[8 : 8 + length]
            (offset,) = struct.unpack(order + "I", entry[8:12])
            return tiff[offset : offset + length]
    return None


def utf16(text: str) -> bytes:
    """A Windows XP* value: UTF-16LE with a two-byte terminator, no byte-order mark."""
    return text.encode("utf-16-le") + b"\x00\x00"
