"""A small XMP packet editor (pure Python) for writing without exiftool: caption, keywords, PhotoScribe's marker.

Only ``dc:description`` (the x-default entry; other languages stay), ``dc:subject`` (the photographer's entries
stay), ``photoscribe:Caption`` and ``photoscribe:Keywords`` are changed; every other element and attribute is kept,
with its namespace prefix.
"""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET

from photoscribe.metadata.exiftool import NAMESPACE_URI

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
DC = "http://purl.org/dc/elements/1.1/"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
PREFIXES = {"x": "adobe:ns:meta/", "rdf": RDF, "dc": DC, "photoscribe": NAMESPACE_URI}
EMPTY = (
    f'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="{RDF}">'
    '<rdf:Description rdf:about=""/></rdf:RDF></x:xmpmeta>'
)
OURS = (("description", DC), ("subject", DC), ("Keywords", NAMESPACE_URI), ("Caption", NAMESPACE_URI))
BEGIN = '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
END = '\n<?xpacket end="w"?>'


def edit_packet(
    packet: bytes | None, caption: str | None, caption_is_ours: bool, subject: list[str], ours: list[str]
) -> bytes:
    """``packet`` with the caption set (recorded in ``photoscribe:Caption`` when it is the model's, removed from
    there when it is the photographer's), ``dc:subject`` set to ``subject`` and PhotoScribe's keywords to ``ours``
    (UTF-8 bytes)."""
    root, prefixes = parse(packet)
    first = root.find(f".//{{{RDF}}}Description")
    if first is None:
        raise ValueError("the XMP has no rdf:Description")
    if caption:
        _set_default_caption(_home(root, first, DC, "description"), caption)
        _set_text(_home(root, first, NAMESPACE_URI, "Caption"), NAMESPACE_URI, "Caption", caption_is_ours and caption)
    if subject != bag(root, DC, "subject"):
        _set_bag(_home(root, first, DC, "subject"), DC, "subject", subject)
    _set_bag(_home(root, first, NAMESPACE_URI, "Keywords"), NAMESPACE_URI, "Keywords", ours)
    for prefix, uri in {**prefixes, **PREFIXES}.items():
        ET.register_namespace(prefix, uri)
    return (BEGIN + ET.tostring(root, encoding="unicode") + END).encode("utf-8")


def bag(root: ET.Element, namespace: str, name: str) -> list[str]:
    """The entries of a Bag/Seq property, wherever it is in the packet."""
    element = root.find(f".//{{{namespace}}}{name}")
    return [li.text or "" for li in element.iter(f"{{{RDF}}}li")] if element is not None else []


def own_caption(packet: bytes) -> str | None:
    """``photoscribe:Caption``: the model caption PhotoScribe wrote."""
    root, _ = parse(packet)
    element = root.find(f".//{{{NAMESPACE_URI}}}Caption")
    if element is not None:
        return element.text
    return next((d.get(f"{{{NAMESPACE_URI}}}Caption") for d in root.iter(f"{{{RDF}}}Description")), None)


def default_caption(packet: bytes) -> str | None:
    """The x-default ``dc:description`` of ``packet``."""
    root, _ = parse(packet)
    for li in root.iter(f"{{{RDF}}}li"):
        if li.get(XML_LANG) == "x-default" and _is_caption(root, li):
            return li.text
    return None


def elements_except_ours(packet: bytes) -> list[tuple[str, tuple[tuple[str, str], ...], str]]:
    """Every element and attribute outside the properties PhotoScribe changes, for before/after comparison."""
    root, _ = parse(packet)
    skip: set[int] = set()
    for name, namespace in OURS:
        for element in root.iter(f"{{{namespace}}}{name}"):
            skip.update(id(e) for e in element.iter())
    caption_attribute = f"{{{NAMESPACE_URI}}}Caption"
    return sorted(
        (e.tag, tuple(sorted((k, v) for k, v in e.attrib.items() if k != caption_attribute)), (e.text or "").strip())
        for e in root.iter()
        if id(e) not in skip
    )


def parse(packet: bytes | None) -> tuple[ET.Element, dict[str, str]]:
    """The packet's root element and its namespace prefixes (an empty packet when there is none)."""
    text = (packet or b"").strip(b"\x00 \r\n\t") or EMPTY.encode()
    prefixes = {prefix: uri for _, (prefix, uri) in ET.iterparse(io.BytesIO(text), events=["start-ns"])}
    return ET.fromstring(text), prefixes


def _home(root: ET.Element, first: ET.Element, namespace: str, name: str) -> ET.Element:
    """The rdf:Description that already holds a property (packets often have several), else the first one."""
    for description in root.iter(f"{{{RDF}}}Description"):
        if description.find(f"{{{namespace}}}{name}") is not None:
            return description
    return first


def _set_default_caption(description: ET.Element, caption: str) -> None:
    element = description.find(f"{{{DC}}}description")
    if element is None:
        element = ET.SubElement(description, f"{{{DC}}}description")
    alt = element.find(f"{{{RDF}}}Alt")
    if alt is None:
        element.text = None
        alt = ET.SubElement(element, f"{{{RDF}}}Alt")
    default = next((li for li in alt.findall(f"{{{RDF}}}li") if li.get(XML_LANG) == "x-default"), None)
    if default is None:
        default = ET.Element(f"{{{RDF}}}li", {XML_LANG: "x-default"})
        alt.insert(0, default)
    default.text = caption


def _set_text(description: ET.Element, namespace: str, name: str, value: str | bool) -> None:
    description.attrib.pop(f"{{{namespace}}}{name}", None)
    element = description.find(f"{{{namespace}}}{name}")
    if element is not None:
        description.remove(element)
    if value:
        ET.SubElement(description, f"{{{namespace}}}{name}").text = str(value)


def _set_bag(description: ET.Element, namespace: str, name: str, values: list[str]) -> None:
    element = description.find(f"{{{namespace}}}{name}")
    if element is not None:
        description.remove(element)
    if values:
        container = ET.SubElement(ET.SubElement(description, f"{{{namespace}}}{name}"), f"{{{RDF}}}Bag")
        for value in values:
            ET.SubElement(container, f"{{{RDF}}}li").text = value


def _is_caption(root: ET.Element, li: ET.Element) -> bool:
    return any(li in list(d.iter()) for d in root.iter(f"{{{DC}}}description"))
