"""The built-in writer, for machines without exiftool: new bytes for a JPEG or a sidecar, plus what is wrong.

Each function returns the new file content and a list of problems found by checking it against the old one; an
empty list means every segment, every EXIF byte and every XMP property other than ours came through unchanged
and our fields read back. Fields written: EXIF ImageDescription, XPComment, XPKeywords and XMP dc:description,
dc:subject (IPTC needs exiftool).
"""

from __future__ import annotations

from photoscribe.metadata import jpeg, xmp
from photoscribe.metadata.reader import decode_xp, split_keywords


def jpeg_bytes(old: bytes | None, caption: str | None, keywords: list[str]) -> tuple[bytes, list[str]]:
    """The JPEG ``old`` with caption and keywords written, and the problems verification found."""
    if old is None:
        raise ValueError("the photo does not exist")
    segments, image = jpeg.split(old)
    old_tiff = _payload(segments, jpeg.EXIF_HEADER)
    old_xmp = _payload(segments, jpeg.XMP_HEADER)
    ours = _ours(old_xmp)
    theirs = [k for k in _xp_keywords(old_tiff) if k not in ours and k not in keywords]
    updates = {jpeg.XP_KEYWORDS: (jpeg.BYTE, jpeg.utf16(";".join([*theirs, *keywords])))}
    if caption:
        updates[jpeg.IMAGE_DESCRIPTION] = (jpeg.ASCII, caption.encode("utf-8") + b"\x00")
        updates[jpeg.XP_COMMENT] = (jpeg.BYTE, jpeg.utf16(caption))
    holds_exif = old_tiff is not None and all(jpeg.ifd0_value(old_tiff, t) == v for t, (_, v) in updates.items())
    if holds_exif and _xmp_holds(old_xmp, caption, keywords):
        return old, []  # already up to date
    new_tiff = jpeg.with_ifd0_entries(old_tiff, updates)
    new_xmp = xmp.edit_packet(old_xmp, caption, keywords)
    new_segments = jpeg.put(segments, jpeg.EXIF_HEADER, new_tiff, after=None)
    new_segments = jpeg.put(new_segments, jpeg.XMP_HEADER, new_xmp, after=jpeg.find(new_segments, jpeg.EXIF_HEADER))
    new = jpeg.join(new_segments, image)
    return new, _check_jpeg(old, new, old_tiff, updates, old_xmp, caption, keywords)


def sidecar_bytes(old: bytes | None, caption: str | None, keywords: list[str]) -> tuple[bytes, list[str]]:
    """The sidecar ``old`` (or a new one) with caption and keywords, and the problems verification found."""
    new = xmp.edit_packet(old, caption, keywords)
    if old is not None and _xmp_holds(old, caption, keywords):
        return old, []
    return new, _check_xmp(old, new, caption, keywords)


def _check_jpeg(
    old: bytes,
    new: bytes,
    old_tiff: bytes | None,
    updates: dict[int, tuple[int, bytes]],
    old_xmp: bytes | None,
    caption: str | None,
    keywords: list[str],
) -> list[str]:
    problems = []
    old_segments, old_image = jpeg.split(old)
    new_segments, new_image = jpeg.split(new)
    if new_image != old_image:
        problems.append("the image data changed")
    if _others(old_segments) != _others(new_segments):
        problems.append("another metadata segment changed")
    new_tiff = _payload(new_segments, jpeg.EXIF_HEADER) or b""
    if old_tiff is not None and new_tiff[: len(old_tiff)] != old_tiff[:4] + new_tiff[4:8] + old_tiff[8:]:
        problems.append("existing EXIF bytes moved or changed")
    problems += [
        f"EXIF tag {tag:#06x} does not read back"
        for tag, (_, v) in updates.items()
        if jpeg.ifd0_value(new_tiff, tag) != v
    ]
    return problems + _check_xmp(old_xmp, _payload(new_segments, jpeg.XMP_HEADER), caption, keywords)


def _check_xmp(old: bytes | None, new: bytes | None, caption: str | None, keywords: list[str]) -> list[str]:
    if new is None:
        return ["the XMP was not written"]
    problems = []
    if old is not None and xmp.elements_except_ours(old) != xmp.elements_except_ours(new):
        problems.append("other XMP properties changed")
    if not _xmp_holds(new, caption, keywords):
        problems.append("the XMP caption or keywords do not read back")
    return problems


def _xmp_holds(packet: bytes | None, caption: str | None, keywords: list[str]) -> bool:
    if packet is None:
        return False
    root_caption = xmp.default_caption(packet)
    return (
        (caption is None or root_caption == caption)
        and _ours(packet) == keywords
        and set(keywords) <= set(_subject(packet))
    )


def _payload(segments: list[jpeg.Segment], header: bytes) -> bytes | None:
    index = jpeg.find(segments, header)
    return segments[index][1][len(header) :] if index is not None else None


def _others(segments: list[jpeg.Segment]) -> list[jpeg.Segment]:
    return [s for s in segments if not (s[0] == jpeg.APP1 and s[1].startswith((jpeg.EXIF_HEADER, jpeg.XMP_HEADER)))]


def _ours(packet: bytes | None) -> list[str]:
    return _bag(packet, xmp.NAMESPACE_URI, "Keywords")


def _subject(packet: bytes | None) -> list[str]:
    return _bag(packet, xmp.DC, "subject")


def _bag(packet: bytes | None, namespace: str, name: str) -> list[str]:
    return xmp.bag(xmp.parse(packet)[0], namespace, name) if packet else []


def _xp_keywords(tiff: bytes | None) -> list[str]:
    return split_keywords(decode_xp(jpeg.ifd0_value(tiff, jpeg.XP_KEYWORDS) if tiff else None))
