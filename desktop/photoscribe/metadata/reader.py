"""Reading what the photographer (or another tagger) already wrote into a photo or its XMP sidecar.

What PhotoScribe itself wrote is told apart by its XMP namespace: ``photoscribe:Caption`` holds the model caption it
wrote (a description equal to it is PhotoScribe's, not the photographer's) and ``photoscribe:Keywords`` the keywords
it added (compared case-insensitively; IPTC's 64-byte cut is allowed for).

Sources, in order of trust: an XMP sidecar (``IMG_1.CR2.xmp`` or ``IMG_1.xmp``), the file's XMP
(``dc:description`` x-default, ``dc:subject``), IPTC (Caption-Abstract, Keywords), EXIF ``ImageDescription`` and
Windows ``XPComment``/``XPKeywords``. Cameras fill ``ImageDescription`` with boilerplate ("OLYMPUS DIGITAL CAMERA",
their own model name, spaces); that is not a caption and is ignored. Reading never raises for broken metadata:
what cannot be parsed is skipped.
"""

from __future__ import annotations

import logging
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image, IptcImagePlugin

from photoscribe.metadata.exiftool import NAMESPACE_URI

log = logging.getLogger(__name__)

NS = {
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "dc": "http://purl.org/dc/elements/1.1/",
    "xml": "http://www.w3.org/XML/1998/namespace",
}
EXIF_IMAGE_DESCRIPTION, EXIF_MAKE, EXIF_MODEL = 0x010E, 0x010F, 0x0110
XP_COMMENT, XP_KEYWORDS = 0x9C9C, 0x9C9E
IPTC_CAPTION, IPTC_KEYWORDS = (2, 120), (2, 25)
IPTC_KEYWORD_BYTES = 64
BOILERPLATE = re.compile(r"digital (still )?camera|^(sony )?dsc$|^dcim$|^untitled$|^default$|^picture$|^image$", re.I)
#: A camera's frame or file number in ``ImageDescription`` ("DC0003M" from a Kodak DC50, "IMG_0001", "P1000123"):
#: one word of capitals, digits and separators with a run of three digits or more; never a photographer's caption.
FRAME_NUMBER = re.compile(r"^[A-Z_\-]*\d{3,}[A-Z\d_\-]*$")


@dataclass(frozen=True)
class FileMetadata:
    """A caption and keywords found in a photo's metadata or sidecar: the photographer's (``caption``,
    ``keywords``) and what PhotoScribe wrote there itself (``own_caption``, ``own_keywords``)."""

    caption: str | None = None
    keywords: list[str] = field(default_factory=list)
    own_caption: str | None = None
    own_keywords: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        """True when nothing was found."""
        return self.caption is None and not self.keywords


def sidecar_for(path: Path) -> Path | None:
    """The photo's existing XMP sidecar: ``IMG_1.CR2.xmp`` (digiKam, darktable) or ``IMG_1.xmp`` (Lightroom)."""
    for candidate in (path.with_name(path.name + ".xmp"), path.with_suffix(".xmp")):
        if candidate.is_file():
            return candidate
    return None


def read_file_metadata(path: Path, img: Image.Image | None = None) -> FileMetadata:
    """Caption and keywords already in ``path``'s sidecar or embedded metadata (empty when there are none),
    the photographer's apart from PhotoScribe's own. ``img``: the photo already opened (header only) by the
    caller, who closes it (registration opens each file once for this and its image facts)."""
    found: list[FileMetadata] = []
    sidecar = sidecar_for(path)
    if sidecar is not None:
        found.append(_from_xmp(_read_bytes(sidecar)))
    try:
        if img is not None:
            found += [_from_xmp(img.info.get("xmp")), _from_iptc(img), _from_exif(img)]
        else:
            with Image.open(path) as opened:
                found += [_from_xmp(opened.info.get("xmp")), _from_iptc(opened), _from_exif(opened)]
    except Exception as exc:  # unreadable photos are reported by the captioner, not here
        log.debug("no metadata read from %s: %s", path, exc)
    own_caption = next((m.own_caption for m in found if m.own_caption), None)
    own_keywords: dict[str, str] = {}
    for metadata in found:
        for word in metadata.own_keywords:
            own_keywords.setdefault(word.casefold(), word)
    ours = {form for word in own_keywords.values() for form in _forms(word)}
    caption = next((m.caption for m in found if m.caption and not _same_text(m.caption, own_caption)), None)
    keywords: dict[str, str] = {}
    for metadata in found:
        for word in metadata.keywords:
            if word.casefold() not in ours:
                keywords.setdefault(word.casefold(), word)
    return FileMetadata(caption, list(keywords.values()), own_caption, list(own_keywords.values()))


def iptc_keyword(keyword: str) -> str:
    """IPTC keywords hold at most 64 bytes: cut at a character boundary."""
    return keyword.encode("utf-8")[:IPTC_KEYWORD_BYTES].decode("utf-8", "ignore")


def _forms(keyword: str) -> set[str]:
    """How one of our keywords can read back: as written, or cut to IPTC's 64 bytes (case-insensitive)."""
    return {keyword.casefold(), (_clean(iptc_keyword(keyword)) or "").casefold()}


def _same_text(text: str, own: str | None) -> bool:
    return own is not None and _clean(text) == _clean(own)


def _read_bytes(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError as exc:
        log.warning("cannot read sidecar %s: %s", path, exc)
        return None


def _from_xmp(packet: bytes | str | None) -> FileMetadata:
    if not packet:
        return FileMetadata()
    try:
        root = ET.fromstring(packet.encode() if isinstance(packet, str) else packet.strip(b"\x00 \n"))
    except ET.ParseError as exc:
        log.debug("unreadable XMP: %s", exc)
        return FileMetadata()
    caption = None
    for alt in root.iter(f"{{{NS['dc']}}}description"):
        items = alt.findall(".//rdf:li", NS)
        default = [li for li in items if li.get(f"{{{NS['xml']}}}lang") == "x-default"] or items
        caption = _clean(default[0].text if default else alt.text)
        if caption:
            break
    keywords = [
        _clean(li.text) for subject in root.iter(f"{{{NS['dc']}}}subject") for li in subject.iter(f"{{{NS['rdf']}}}li")
    ]
    own_caption = _own_caption(root)
    own_keywords = [
        _clean(li.text) for bag in root.iter(f"{{{NAMESPACE_URI}}}Keywords") for li in bag.iter(f"{{{NS['rdf']}}}li")
    ]
    return FileMetadata(caption, [k for k in keywords if k], own_caption, [k for k in own_keywords if k])


def _own_caption(root: ET.Element) -> str | None:
    """``photoscribe:Caption``, written as an element (exiftool, the built-in writer) or an attribute."""
    tag = f"{{{NAMESPACE_URI}}}Caption"
    for element in root.iter(tag):
        return _clean(element.text)
    for description in root.iter(f"{{{NS['rdf']}}}Description"):
        if tag in description.attrib:
            return _clean(description.attrib[tag])
    return None


def _from_iptc(img: Image.Image) -> FileMetadata:
    try:
        info = IptcImagePlugin.getiptcinfo(img) or {}
    except Exception as exc:
        log.debug("unreadable IPTC: %s", exc)
        return FileMetadata()
    caption = _clean(_text(info.get(IPTC_CAPTION)))
    raw = info.get(IPTC_KEYWORDS) or []
    keywords = [_clean(_text(k)) for k in (raw if isinstance(raw, list) else [raw])]
    return FileMetadata(caption, [k for k in keywords if k])


def _from_exif(img: Image.Image) -> FileMetadata:
    try:
        exif = img.getexif()
        make, model = (_clean(_text(exif.get(tag))) or "" for tag in (EXIF_MAKE, EXIF_MODEL))
        description = _clean(_text(exif.get(EXIF_IMAGE_DESCRIPTION)))
        comment = _clean(decode_xp(exif.get(XP_COMMENT)))
        keywords = split_keywords(decode_xp(exif.get(XP_KEYWORDS)))
    except Exception as exc:
        log.debug("unreadable EXIF: %s", exc)
        return FileMetadata()
    if description and _is_boilerplate(description, make, model):
        description = None
    return FileMetadata(description or comment, keywords)


def _is_boilerplate(text: str, make: str, model: str) -> bool:
    """Camera-written filler such as "OLYMPUS DIGITAL CAMERA" or the camera's own name."""
    lowered = text.casefold()
    names = {make.casefold(), model.casefold(), f"{make} {model}".casefold()} - {""}
    return bool(BOILERPLATE.search(text) or FRAME_NUMBER.match(text)) or lowered in names


def _text(value: object) -> str | None:
    if isinstance(value, bytes):
        for encoding in ("utf-8", "latin-1"):
            try:
                return value.decode(encoding)
            except UnicodeDecodeError:
                continue
    return value if isinstance(value, str) else None


def split_keywords(text: str | None) -> list[str]:
    """Keywords from a Windows-style ``a;b;c`` list."""
    return [k.strip() for k in (text or "").split(";") if k.strip()]


def decode_xp(value: object) -> str | None:
    """Windows XP* tags: UTF-16LE bytes (or a tuple of byte values), NUL-terminated."""
    if isinstance(value, tuple):
        value = bytes(value)
    if isinstance(value, bytes):
        return value.decode("utf-16-le", "replace").rstrip("\x00")
    return value if isinstance(value, str) else None


def _clean(text: str | None) -> str | None:
    text = (text or "").replace("\x00", " ").strip()
    return " ".join(text.split()) or None
