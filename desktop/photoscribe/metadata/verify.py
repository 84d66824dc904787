"""What exiftool should change in a file, and the proof that it changed only that.

:func:`plan` turns the tags read before the write into exiftool assignments (none: the file holds the caption and
keywords already); :func:`problems` compares the tags read back from the written file with those read before:
every tag that is not ours must be there with the same value (binary tags such as thumbnails and previews by
their content; only the offsets where a block sits may move), the photographer's entries of every keyword list,
XPKeywords included, must be kept, and our fields must read back exactly as planned.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import PurePath

from photoscribe.formats import JPEG_EXTENSIONS
from photoscribe.metadata import lists
from photoscribe.metadata.reader import iptc_keyword, split_keywords

CAPTION_TAGS = ("XMP-dc:Description", "IPTC:Caption-Abstract", "IFD0:ImageDescription", "IFD0:XPComment")
KEYWORD_LISTS = ("XMP-dc:Subject", "IPTC:Keywords")
XP_KEYWORDS = "IFD0:XPKeywords"
OURS = "XMP-photoscribe:Keywords"
OWN_CAPTION = "XMP-photoscribe:Caption"
#: Tags exiftool recomputes or adds whenever it writes; they are not the photographer's data.
RECOMPUTED = {
    "IPTC:ApplicationRecordVersion",
    "IPTC:CodedCharacterSet",
    "Photoshop:IPTCDigest",
    "Photoshop:CurrentIPTCDigest",
    "XMP-x:XMPToolkit",
}
VOLATILE_GROUPS = ("File:", "System:", "ExifTool:", "Composite:")
#: Sizes of container blocks that grow when metadata is added inside them (HEIC/AVIF keep EXIF and XMP as items
#: in the ``mdat`` box); the pictures in them are compared by their decoded pixels.
CONTAINER_SIZES = frozenset({"MediaDataSize"})


@dataclass(frozen=True)
class Fields:
    """Where captions and keywords go: every reader's field in a photo, XMP alone in a sidecar."""

    captions: tuple[str, ...]
    keyword_lists: tuple[str, ...]
    windows_keywords: bool


IN_PHOTO = Fields(CAPTION_TAGS, KEYWORD_LISTS, windows_keywords=True)
#: HEIC, AVIF, WebP and PNG have no standard place for IPTC (exiftool writes none into the first three and a
#: non-standard text chunk into PNG): XMP and EXIF carry the caption there.
WITHOUT_IPTC = Fields(
    tuple(t for t in CAPTION_TAGS if not t.startswith("IPTC")),
    tuple(t for t in KEYWORD_LISTS if not t.startswith("IPTC")),
    windows_keywords=True,
)
IN_SIDECAR = Fields(("XMP-dc:Description",), ("XMP-dc:Subject",), windows_keywords=False)
IPTC_FORMATS = JPEG_EXTENSIONS | {".tif", ".tiff", ".dng"}


def fields_in(photo: PurePath) -> Fields:
    """The fields a caption goes into inside ``photo``: every reader's, IPTC only where the format has a place."""
    return IN_PHOTO if photo.suffix.lower() in IPTC_FORMATS else WITHOUT_IPTC


@dataclass(frozen=True)
class Plan:
    """The assignments for exiftool and the state they must produce."""

    fields: Fields
    caption: str | None
    caption_is_ours: bool
    lists: dict[str, list[str]]  # keyword list tag -> its entries after the write
    xp: list[str] | None
    ours: list[str]
    assignments: list[str] = field(default_factory=list)


def plan(
    before: dict[str, object], caption: str | None, keywords: list[str], caption_is_ours: bool, fields: Fields
) -> Plan:
    """The assignments that put ``caption`` and ``keywords`` into a file whose tags are ``before``."""
    ours_before = as_list(before.get(OURS))
    existing = {tag: as_list(before.get(tag)) for tag in fields.keyword_lists}
    xp_before = split_keywords(text(before.get(XP_KEYWORDS))) if fields.windows_keywords else []
    ours = lists.recorded(keywords, [*existing.values(), xp_before], ours_before)  # the photographer's stay theirs
    targets = {tag: lists.merged(values, *_forms(tag, ours_before, ours)) for tag, values in existing.items()}
    xp = lists.merged(xp_before, ours_before, ours) if fields.windows_keywords else None
    args: list[str] = []
    if caption:
        args += [f"-{tag}={caption}" for tag in fields.captions if text(before.get(tag)) != caption]
        own = caption if caption_is_ours else None
        if text(before.get(OWN_CAPTION)) != own:
            args.append(f"-{OWN_CAPTION}={own or ''}")
    for tag, target in targets.items():
        args += [f"-{tag}-={e}" for e in dict.fromkeys(existing[tag]) if e not in target]
        args += [f"-{tag}+={e}" for e in target if e not in existing[tag]]
    if xp is not None and xp != xp_before:
        args.append(f"-{XP_KEYWORDS}={';'.join(xp)}")
    if ours != ours_before:
        args += [f"-{OURS}={k}" for k in ours] or [f"-{OURS}="]  # repeated "=" in one command sets the whole list
    return Plan(fields, caption, caption_is_ours, targets, xp, ours, args)


def problems(before: dict[str, object], after: dict[str, object], plan: Plan) -> list[str]:
    """What is wrong with the written file: lost or changed tags, or our fields not readable as planned."""
    found = []
    ours = {OURS, *plan.lists, *RECOMPUTED}
    if plan.xp is not None:
        ours.add(XP_KEYWORDS)
    if plan.caption:
        ours.update({*plan.fields.captions, OWN_CAPTION})
    for tag, value in before.items():
        if tag in ours or tag == "SourceFile" or tag.startswith(VOLATILE_GROUPS) or structural(tag):
            continue
        if tag not in after:
            found.append(f"{tag} was lost")
        elif after[tag] != value:
            found.append(f"{tag} changed")
    for tag, target in plan.lists.items():
        if as_list(after.get(tag)) != target:
            found.append(f"{tag} does not read back as planned")
    if plan.xp is not None and split_keywords(text(after.get(XP_KEYWORDS))) != plan.xp:
        found.append(f"{XP_KEYWORDS} does not read back as planned (the photographer's entries must stay)")
    if plan.caption:
        found += [f"{tag} does not read back" for tag in plan.fields.captions if text(after.get(tag)) != plan.caption]
        if text(after.get(OWN_CAPTION)) != (plan.caption if plan.caption_is_ours else None):
            found.append(f"{OWN_CAPTION} does not read back")
    if as_list(after.get(OURS)) != plan.ours:
        found.append(f"{OURS} does not read back")
    return found


def structural(tag: str) -> bool:
    """Where a block sits in the file (thumbnail, preview, strips): moves when anything before it grows. Time-zone
    offsets (``OffsetTime*``, ``TimeZoneOffset``) are data, and the blocks themselves are compared by content."""
    name = tag.split(":", 1)[-1]
    return name in CONTAINER_SIZES or (name.endswith(("Offset", "Offsets", "Start")) and "Time" not in name)


def _forms(tag: str, ours_before: list[str], keywords: list[str]) -> tuple[list[str], list[str]]:
    if tag.startswith("IPTC"):
        return [iptc_keyword(k) for k in ours_before], [iptc_keyword(k) for k in keywords]
    return ours_before, keywords


def as_list(value: object) -> list[str]:
    """A list tag's entries (exiftool gives a single entry as a plain value)."""
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def text(value: object) -> str | None:
    """A tag's value as text (exiftool gives numbers for numeric-looking text)."""
    return None if value is None else str(value)
