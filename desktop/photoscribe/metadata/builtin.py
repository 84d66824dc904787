"""The built-in writer, for machines without exiftool: new bytes for a JPEG or a sidecar, and their check.

:func:`jpeg_plan` / :func:`sidecar_plan` decide what the file should hold; :func:`jpeg_bytes` /
:func:`sidecar_bytes` build it; :func:`check_jpeg` / :func:`check_sidecar` compare the bytes read back from disk with
the old ones and the plan. An empty list of problems means every segment, every EXIF byte and every XMP property
other than ours came through unchanged and our fields read back. Fields written: EXIF ImageDescription, XPComment,
XPKeywords and XMP dc:description, dc:subject, photoscribe:Caption and photoscribe:Keywords (IPTC needs exiftool).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from photoscribe.metadata import jpeg, lists, xmp
from photoscribe.metadata.reader import decode_xp, split_keywords


@dataclass(frozen=True)
class Plan:
    """What the file should hold after the write."""

    caption: str | None  # None: the caption is left as it is
    caption_is_ours: bool  # the model's caption (recorded in photoscribe:Caption), not the photographer's
    subject: list[str]  # dc:subject
    ours: list[str]  # photoscribe:Keywords
    xp: list[str] | None = None  # XPKeywords (JPEG only)


def jpeg_plan(old: bytes, caption: str | None, keywords: list[str], caption_is_ours: bool) -> Plan:
    """The state to write into the JPEG ``old``; raises ValueError for a file that is not a readable JPEG."""
    segments, _ = jpeg.split(old)
    old_tiff, old_xmp = _payload(segments, jpeg.EXIF_HEADER), _payload(segments, jpeg.XMP_HEADER)
    ours_before, subject, xp = _ours(old_xmp), _subject(old_xmp), _xp_keywords(old_tiff)
    ours = lists.recorded(keywords, [subject, xp], ours_before)  # the photographer's words stay theirs
    return Plan(
        caption, caption_is_ours, lists.merged(subject, ours_before, ours), ours, lists.merged(xp, ours_before, ours)
    )


def sidecar_plan(old: bytes | None, caption: str | None, keywords: list[str], caption_is_ours: bool) -> Plan:
    """The state to write into the sidecar ``old`` (None: a new sidecar)."""
    ours_before, subject = _ours(old), _subject(old)
    ours = lists.recorded(keywords, [subject], ours_before)
    return Plan(caption, caption_is_ours, lists.merged(subject, ours_before, ours), ours)


def jpeg_bytes(old: bytes, plan: Plan) -> bytes:
    """The JPEG ``old`` holding ``plan`` (``old`` itself when it holds it already)."""
    segments, image = jpeg.split(old)
    old_tiff, old_xmp = _payload(segments, jpeg.EXIF_HEADER), _payload(segments, jpeg.XMP_HEADER)
    updates = _exif_updates(old_tiff, plan)
    if not updates and _xmp_holds(old_xmp, plan):
        return old
    new_tiff = jpeg.with_ifd0_entries(old_tiff, updates) if updates else old_tiff
    new_xmp = xmp.edit_packet(old_xmp, plan.caption, plan.caption_is_ours, plan.subject, plan.ours)
    new_segments = segments if new_tiff is None else jpeg.put(segments, jpeg.EXIF_HEADER, new_tiff, after=None)
    new_segments = jpeg.put(new_segments, jpeg.XMP_HEADER, new_xmp, after=jpeg.find(new_segments, jpeg.EXIF_HEADER))
    return jpeg.join(new_segments, image)


def sidecar_bytes(old: bytes | None, plan: Plan) -> bytes:
    """The sidecar ``old`` (or a new one) holding ``plan``."""
    if old is not None and _xmp_holds(old, plan):
        return old
    return xmp.edit_packet(old, plan.caption, plan.caption_is_ours, plan.subject, plan.ours)


def check_jpeg(old: bytes, new: bytes, plan: Plan) -> list[str]:
    """Problems in ``new`` (read back from disk) against ``old`` and ``plan``."""
    try:
        old_segments, old_image = jpeg.split(old)
        new_segments, new_image = jpeg.split(new)
    except ValueError as exc:
        return [f"the written file is not a readable JPEG ({exc})"]
    problems = []
    if new_image != old_image:
        problems.append("the image data changed")
    if _others(old_segments) != _others(new_segments):
        problems.append("another metadata segment changed")
    old_tiff = _payload(old_segments, jpeg.EXIF_HEADER)
    new_tiff = _payload(new_segments, jpeg.EXIF_HEADER) or b""
    kept = jpeg.rewritable_from(old_tiff) if old_tiff is not None else 0  # an earlier write's IFD0 may go
    if old_tiff is not None and new_tiff[:kept] != (old_tiff[:4] + new_tiff[4:8] + old_tiff[8:])[:kept]:
        problems.append("existing EXIF bytes moved or changed")
    try:
        if _exif_updates(new_tiff or None, plan):
            problems.append("the EXIF caption or keywords do not read back")
    except (ValueError, KeyError, IndexError, struct.error) as exc:
        problems.append(f"the written EXIF is unreadable ({exc})")
    return problems + check_sidecar(
        _payload(old_segments, jpeg.XMP_HEADER), _payload(new_segments, jpeg.XMP_HEADER), plan
    )


def check_sidecar(old: bytes | None, new: bytes | None, plan: Plan) -> list[str]:
    """Problems in the XMP ``new`` against ``old`` and ``plan``."""
    if new is None:
        return ["the XMP was not written"]
    try:
        problems = []
        if old is not None and xmp.elements_except_ours(old) != xmp.elements_except_ours(new):
            problems.append("other XMP properties changed")
        if not _xmp_holds(new, plan):
            problems.append("the XMP caption or keywords do not read back")
        return problems
    except (ValueError, SyntaxError) as exc:  # SyntaxError: ElementTree's ParseError
        return [f"the written XMP is unreadable ({exc})"]


def _exif_updates(tiff: bytes | None, plan: Plan) -> dict[int, tuple[int, bytes]]:
    """The IFD0 entries to write so that ``tiff`` holds ``plan`` (empty: it holds it already)."""
    wanted: dict[int, tuple[int, bytes]] = {}
    if plan.caption:
        wanted[jpeg.IMAGE_DESCRIPTION] = (jpeg.ASCII, plan.caption.encode("utf-8") + b"\x00")
        wanted[jpeg.XP_COMMENT] = (jpeg.BYTE, jpeg.utf16(plan.caption))
    updates = {t: v for t, v in wanted.items() if tiff is None or jpeg.ifd0_value(tiff, t) != v[1]}
    if plan.xp is not None and plan.xp != _xp_keywords(tiff):
        updates[jpeg.XP_KEYWORDS] = (jpeg.BYTE, jpeg.utf16(";".join(plan.xp)))
    return updates


def _xmp_holds(packet: bytes | None, plan: Plan) -> bool:
    if packet is None:
        return False
    if plan.caption is not None:
        if xmp.default_caption(packet) != plan.caption:
            return False
        if xmp.own_caption(packet) != (plan.caption if plan.caption_is_ours else None):
            return False
    return _ours(packet) == plan.ours and _subject(packet) == plan.subject


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
