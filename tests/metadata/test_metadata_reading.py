"""Reading captions and keywords that photos (or their XMP sidecars) already carry."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from photoscribe.ingest import register_files
from photoscribe.library import CaptionResult, Library
from photoscribe.metadata import read_file_metadata

XMP = """<?xpacket begin='' id='W5M0MpCehiHzreSzNTczkc9d'?>
<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">
<dc:description><rdf:Alt><rdf:li xml:lang="de">Oma im Garten</rdf:li>
<rdf:li xml:lang="x-default">{caption}</rdf:li></rdf:Alt></dc:description>
<dc:subject><rdf:Bag>{keywords}</rdf:Bag></dc:subject>
</rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end='w'?>"""


def xmp(caption: str, *keywords: str) -> str:
    return XMP.format(caption=caption, keywords="".join(f"<rdf:li>{k}</rdf:li>" for k in keywords))


def photo_with(
    path: Path,
    *,
    xmp_packet: str | None = None,
    description: str | None = None,
    make: str | None = None,
    xp_keywords: str | None = None,
) -> Path:
    exif = Image.Exif()
    if description is not None:
        exif[0x010E] = description
    if make is not None:
        exif[0x010F] = make
    if xp_keywords is not None:
        exif[0x9C9E] = xp_keywords.encode("utf-16-le") + b"\0\0"
    options = {"exif": exif.tobytes()}
    if xmp_packet is not None:
        options["xmp"] = xmp_packet.encode()
    Image.new("RGB", (40, 30), (200, 40, 40)).save(path, **options)
    return path


def test_xmp_caption_and_keywords_are_read(tmp_path: Path) -> None:
    path = photo_with(tmp_path / "a.jpg", xmp_packet=xmp("Grandma in the garden", "family", "Garden", "Sommer 2026"))
    found = read_file_metadata(path)
    assert found.caption == "Grandma in the garden"
    assert found.keywords == ["family", "Garden", "Sommer 2026"]


def test_a_sidecar_wins_and_both_sidecar_names_are_found(tmp_path: Path) -> None:
    for name in ("IMG_1.jpg.xmp", "IMG_1.xmp"):
        path = photo_with(tmp_path / "IMG_1.jpg", xmp_packet=xmp("embedded", "inside"))
        (tmp_path / name).write_text(xmp("from the sidecar", "outside"), encoding="utf-8")
        found = read_file_metadata(path)
        assert found.caption == "from the sidecar"
        assert found.keywords == ["outside", "inside"]
        (tmp_path / name).unlink()


def test_exif_description_and_windows_keywords_are_read(tmp_path: Path) -> None:
    path = photo_with(tmp_path / "a.jpg", description="Sunset over Lisboa", xp_keywords="sunset;Lisboa")
    found = read_file_metadata(path)
    assert (found.caption, found.keywords) == ("Sunset over Lisboa", ["sunset", "Lisboa"])


@pytest.mark.parametrize(
    ("description", "make"),
    [
        ("OLYMPUS DIGITAL CAMERA", "OLYMPUS"),
        ("          ", "NIKON"),
        ("WWL", "WWL"),
        ("SONY DSC", "SONY"),
        ("DC0003M", "Eastman Kodak Company"),  # the frame number a Kodak DC50 writes
        ("IMG_0001", "Canon"),
        ("P1000123", "Panasonic"),
    ],
)
def test_camera_boilerplate_is_not_a_caption(tmp_path: Path, description: str, make: str) -> None:
    assert read_file_metadata(photo_with(tmp_path / "a.jpg", description=description, make=make)).caption is None


@pytest.mark.parametrize("description", ["Lisboa 2024", "A7", "Porto", "BBQ"])
def test_short_real_captions_are_kept(tmp_path: Path, description: str) -> None:
    assert read_file_metadata(photo_with(tmp_path / "a.jpg", description=description, make="Canon")).caption == (
        description
    )


def test_real_camera_files_give_only_real_descriptions(samples: Path) -> None:
    found = {p.name: read_file_metadata(p) for p in sorted((samples / "camera").glob("*.jpg"))}
    assert found["long_description.jpg"].caption.startswith("Operation Mountain Viper")
    assert [name for name, m in found.items() if m.caption] == ["long_description.jpg"]


def test_broken_metadata_never_raises(samples: Path, tmp_path: Path) -> None:
    for path in sorted((samples / "invalid").glob("*.jpg")):
        read_file_metadata(path)
    junk = tmp_path / "junk.jpg"
    junk.write_bytes(b"\xff\xd8\xff\xe1\x00\x10Exif\x00\x00garbage")
    assert read_file_metadata(junk).empty
    broken_xmp = photo_with(tmp_path / "b.jpg", xmp_packet="<x:xmpmeta><unclosed>")
    assert read_file_metadata(broken_xmp).empty


def test_the_library_keeps_the_files_caption_above_the_models(tmp_path: Path) -> None:
    path = photo_with(tmp_path / "a.jpg", xmp_packet=xmp("Grandma in the garden", "family"))
    with Library(tmp_path / "lib.sqlite3") as library:
        register_files(library, [path])
        record = library.photo(path)
        assert (record.caption, record.file_caption, record.keywords) == (
            "Grandma in the garden",
            "Grandma in the garden",
            ("family",),
        )
        (claimed,) = library.claim_batch(1)
        library.save_results([CaptionResult(claimed.id, "a photo of a red wall", ["red", "wall"], "m")])
        record = library.photo(path)
        assert (record.caption, record.model_caption) == ("Grandma in the garden", "a photo of a red wall")
        assert record.keywords == ("family", "red", "wall")
        assert [h.photo.path for h in library.search("grandma")] == [str(path)]
        assert library.set_user_caption(path, "Oma").caption == "Oma"
        assert library.set_user_caption(path, None).caption == "Grandma in the garden"


def test_iptc_caption_and_keywords_written_by_exiftool_are_read_as_written(exiftool, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = photo_with(tmp_path / "a.jpg")
    exiftool.write(
        path,
        ["-IPTC:Caption-Abstract=Sunrise over Athens, Texas", "-IPTC:Keywords=James", "-IPTC:Keywords=Athens"],
    )
    tags = exiftool.read(path)
    assert "XMP-dc:Description" not in tags and "IFD0:ImageDescription" not in tags  # IPTC is the only source
    found = read_file_metadata(path)
    assert found.caption == "Sunrise over Athens, Texas"
    assert found.keywords == ["James", "Athens"]  # proper nouns as written: no "jame", no "athen"
    assert (found.own_caption, found.own_keywords) == (None, [])


def test_an_xmp_packet_handed_over_as_text_is_read_like_bytes() -> None:
    # Pillow hands some formats' XMP over as str (PNG's iTXt in older versions), others as bytes
    from photoscribe.metadata.reader import _from_xmp

    packet = xmp("Grandma in the garden", "family")
    assert (_from_xmp(packet).caption, _from_xmp(packet).keywords) == ("Grandma in the garden", ["family"])
    assert _from_xmp(packet.encode() + b"\x00\x00 \n") == _from_xmp(packet)  # padding after the packet
