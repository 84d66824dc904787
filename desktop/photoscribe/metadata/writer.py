"""Writing captions and keywords into photos or XMP sidecars, proving nothing else changed.

Every write follows one protocol: copy the file to a temporary file in the same folder, write there, read both
back (with exiftool, or for the built-in writer with its own parser) and compare: the decoded pixels must be
identical and every tag that was readable before must still be readable with the same value (other than the
fields PhotoScribe sets and values exiftool recomputes); only then does the temporary file atomically replace
the original. On any doubt the original is left byte-identical and the reason is returned.
"""

from __future__ import annotations

import logging
import os
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from photoscribe.metadata import builtin
from photoscribe.metadata.exiftool import ExifTool, ExifToolError
from photoscribe.metadata.reader import sidecar_for, split_keywords

log = logging.getLogger(__name__)

BUILTIN_EMBEDDABLE = {".jpg", ".jpeg", ".jpe", ".jfif"}
EMBEDDABLE = {".jpg", ".jpeg", ".jpe", ".jfif", ".tif", ".tiff", ".png", ".webp", ".heic", ".heif", ".dng"}
CAPTION_TAGS = ("XMP-dc:Description", "IPTC:Caption-Abstract", "IFD0:ImageDescription", "IFD0:XPComment")
KEYWORD_LISTS = ("XMP-dc:Subject", "IPTC:Keywords")


@dataclass(frozen=True)
class Fields:
    """Where captions and keywords go: every reader's field in a photo, XMP alone in a sidecar."""

    captions: tuple[str, ...]
    keyword_lists: tuple[str, ...]
    windows_keywords: bool


IN_PHOTO = Fields(CAPTION_TAGS, KEYWORD_LISTS, windows_keywords=True)
IN_SIDECAR = Fields(("XMP-dc:Description",), ("XMP-dc:Subject",), windows_keywords=False)
OURS = "XMP-photoscribe:Keywords"
#: Tags exiftool recomputes or adds whenever it writes; they are not the photographer's data.
RECOMPUTED = {
    "IPTC:ApplicationRecordVersion",
    "IPTC:CodedCharacterSet",
    "Photoshop:IPTCDigest",
    "XMP-x:XMPToolkit",
    "IFD0:XPKeywords",
    "XMP-photoscribe:Model",
    "Photoshop:CurrentIPTCDigest",
}
VOLATILE_GROUPS = ("File:", "System:", "ExifTool:", "Composite:")
IPTC_KEYWORD_BYTES = 64
LOCK_RETRIES = 5


@dataclass(frozen=True)
class WriteOutcome:
    """What happened to one photo: where the metadata went, or why nothing was written."""

    path: Path
    written: bool  # the target now holds the caption and keywords
    target: Path | None = None  # the photo itself, or its sidecar
    reason: str = ""
    unchanged: bool = False  # it held them already: nothing was rewritten


@dataclass(frozen=True)
class WriteOptions:
    """How to write: mode, sidecar naming for new sidecars, mtime, backups."""

    mode: str = "embed"  # "sidecar" or "embed" (embed falls back to a sidecar for RAW and other formats)
    sidecar_naming: str = "full"  # "full": IMG_1.CR2.xmp (digiKam, darktable); "stem": IMG_1.xmp (Lightroom)
    keep_mtime: bool = False  # default: update it, so other programs notice the change
    backup: bool = False  # keep IMG_1.jpg.photoscribe-backup next to the photo


class MetadataWriter:
    """Writes caption and keywords, verifying every write: with :class:`ExifTool` when it is installed, else with
    the built-in writer (JPEG: EXIF and XMP; other formats and sidecars: XMP sidecars)."""

    def __init__(self, exiftool: ExifTool | None, options: WriteOptions = WriteOptions()) -> None:
        self.exiftool = exiftool
        self.options = options

    def write(self, photo: Path, caption: str | None, keywords: Sequence[str]) -> WriteOutcome:
        """Put ``caption`` and ``keywords`` into ``photo`` (or its sidecar); never raises for a bad file."""
        embeddable = EMBEDDABLE if self.exiftool is not None else BUILTIN_EMBEDDABLE
        embed = self.options.mode == "embed" and photo.suffix.lower() in embeddable
        target = photo if embed else (sidecar_for(photo) or self._new_sidecar_path(photo))
        if self.exiftool is None:
            return self._write_builtin(photo, target, caption, list(keywords), embed)
        created = not target.exists()
        try:
            if created:
                _create_sidecar(target)
            outcome = self._write_verified(photo, target, caption, list(keywords), IN_PHOTO if embed else IN_SIDECAR)
        except (OSError, ExifToolError) as exc:
            outcome = WriteOutcome(photo, False, None, f"not written: {exc}")
        if created and not outcome.written:
            target.unlink(missing_ok=True)
        return outcome

    def _write_builtin(
        self, photo: Path, target: Path, caption: str | None, keywords: list[str], embed: bool
    ) -> WriteOutcome:
        try:
            old = target.read_bytes() if target.exists() else None
            new, problems = (builtin.jpeg_bytes if embed else builtin.sidecar_bytes)(old, caption, keywords)
        except (OSError, ValueError, SyntaxError) as exc:  # SyntaxError: ElementTree's ParseError
            return WriteOutcome(photo, False, None, f"not written: {exc}")
        if problems:
            return WriteOutcome(photo, False, None, "left unchanged: " + "; ".join(problems[:3]))
        if new == old:
            return WriteOutcome(photo, True, target, "already up to date", unchanged=True)
        temporary = target.with_name(f".{target.name}.photoscribe-tmp{target.suffix}")
        try:
            temporary.write_bytes(new)
            if embed and not _same_pixels(target, temporary):
                return WriteOutcome(photo, False, None, "left unchanged: the decoded pixels changed")
            if old is None:
                os.replace(temporary, target)
            else:
                self._replace(target, temporary)
        finally:
            temporary.unlink(missing_ok=True)
        return WriteOutcome(photo, True, target)

    def _new_sidecar_path(self, photo: Path) -> Path:
        return (
            photo.with_suffix(".xmp") if self.options.sidecar_naming == "stem" else photo.with_name(photo.name + ".xmp")
        )

    def _write_verified(
        self, photo: Path, target: Path, caption: str | None, keywords: list[str], fields: Fields
    ) -> WriteOutcome:
        before = self.exiftool.read(target)
        ours_before = _as_list(before.get(OURS))
        if not _compare(before, before, caption, keywords, ours_before, fields) and ours_before == keywords:
            return WriteOutcome(photo, True, target, "already up to date", unchanged=True)
        temporary = target.with_name(f".{target.name}.photoscribe-tmp{target.suffix}")
        shutil.copy2(target, temporary)
        try:
            self.exiftool.write(temporary, _assignments(before, caption, keywords, ours_before, fields))
            problems = _compare(before, self.exiftool.read(temporary), caption, keywords, ours_before, fields)
            if fields is IN_PHOTO and not problems and not _same_pixels(target, temporary):
                problems = ["the decoded pixels changed"]
            if problems:
                return WriteOutcome(photo, False, None, "left unchanged: " + "; ".join(problems[:3]))
            self._replace(target, temporary)
        finally:
            temporary.unlink(missing_ok=True)
        return WriteOutcome(photo, True, target)

    def _replace(self, target: Path, temporary: Path) -> None:
        stat = target.stat()
        if self.options.backup:
            shutil.copy2(target, target.with_name(target.name + ".photoscribe-backup"))
        if self.options.keep_mtime:
            os.utime(temporary, ns=(stat.st_atime_ns, stat.st_mtime_ns))
        for attempt in range(LOCK_RETRIES):
            try:
                os.replace(temporary, target)
                return
            except PermissionError:  # Windows: another program has the file open for a moment
                if attempt == LOCK_RETRIES - 1:
                    raise
                time.sleep(0.2 * (attempt + 1))


def _assignments(
    before: dict[str, object], caption: str | None, keywords: list[str], ours: list[str], fields: Fields
) -> list[str]:
    """exiftool arguments: set the caption everywhere; swap our old keywords for the new ones, keep the rest."""
    args: list[str] = []
    if caption:
        args += [f"-{tag}={caption}" for tag in fields.captions]
    stale = [k for k in ours if k not in keywords]
    for tag in fields.keyword_lists:
        args += [f"-{tag}-={k}" for k in stale]
        for keyword in keywords:
            value = _iptc_keyword(keyword) if tag.startswith("IPTC") else keyword
            args += [f"-{tag}-={value}", f"-{tag}+={value}"]  # remove then add: no duplicates
    if fields.windows_keywords:
        theirs = [k for k in _xp_keywords(before) if k not in ours and k not in keywords]
        args.append(f"-IFD0:XPKeywords={';'.join([*theirs, *keywords])}")
    args += [f"-{OURS}={k}" for k in keywords] or [f"-{OURS}="]  # repeated "=" in one command sets the whole list
    return args


def _compare(
    before: dict[str, object],
    after: dict[str, object],
    caption: str | None,
    keywords: list[str],
    ours: list[str],
    fields: Fields,
) -> list[str]:
    """Problems found: lost or changed tags, or our fields not readable as written."""
    problems = []
    ours_tags = {*CAPTION_TAGS, *KEYWORD_LISTS, OURS} | RECOMPUTED
    for tag, value in before.items():
        if tag in ours_tags or tag == "SourceFile" or tag.startswith(VOLATILE_GROUPS) or _structural(tag):
            continue
        if tag not in after:
            problems.append(f"{tag} was lost")
        elif after[tag] != value:
            problems.append(f"{tag} changed")
    for tag in KEYWORD_LISTS:
        kept = [k for k in _as_list(before.get(tag)) if k not in ours]
        missing = [k for k in kept if k not in _as_list(after.get(tag))]
        if missing:
            problems.append(f"{tag} lost {missing[:3]}")
    if caption:
        problems += [f"{tag} does not read back" for tag in fields.captions if str(after.get(tag, "")) != caption]
    for tag in fields.keyword_lists:
        expected = [_iptc_keyword(k) if tag.startswith("IPTC") else k for k in keywords]
        if not set(expected) <= set(_as_list(after.get(tag))):
            problems.append(f"{tag} does not read back")
    return problems


def _structural(tag: str) -> bool:
    """Where a block sits in the file (offsets of thumbnails, previews, maker notes): moves when anything grows."""
    name = tag.split(":", 1)[-1]
    return "Offset" in name or name.endswith("Start")


def _same_pixels(original: Path, written: Path) -> bool:
    try:
        with Image.open(original) as a, Image.open(written) as b:
            return a.size == b.size and a.mode == b.mode and a.tobytes() == b.tobytes()
    except Exception as exc:  # a format Pillow cannot decode: exiftool never touches image data, but say so
        log.info("cannot compare pixels of %s (%s); relying on exiftool's tag comparison", original, exc)
        return True


def _create_sidecar(path: Path) -> None:
    """An empty but valid XMP sidecar for exiftool to fill."""
    path.write_text(
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description rdf:about=""/></rdf:RDF></x:xmpmeta>\n<?xpacket end="w"?>\n',
        encoding="utf-8",
    )


def _as_list(value: object) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def _xp_keywords(tags: dict[str, object]) -> list[str]:
    return split_keywords(str(tags.get("IFD0:XPKeywords") or ""))


def _iptc_keyword(keyword: str) -> str:
    """IPTC keywords hold at most 64 bytes: cut at a character boundary."""
    return keyword.encode("utf-8")[:IPTC_KEYWORD_BYTES].decode("utf-8", "ignore")
