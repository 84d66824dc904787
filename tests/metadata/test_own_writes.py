"""PhotoScribe recognises its own writes when it reads a photo again: they are the model's, not the photographer's."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from photoscribe.library import CaptionResult, Library
from photoscribe.metadata import WriteOptions, read_file_metadata
from photoscribe.metadata.exiftool import NAMESPACE_URI
from photoscribe.metadata.sync import write_records
from tests.metadata.conftest import as_list, reference_read

PACKET = """<?xpacket begin='' id='W5M0MpCehiHzreSzNTczkc9d'?>
<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:photoscribe="{ns}" {attribute}>
<dc:description><rdf:Alt><rdf:li xml:lang="x-default">{caption}</rdf:li></rdf:Alt></dc:description>
<dc:subject><rdf:Bag>{subject}</rdf:Bag></dc:subject>
{element}
<photoscribe:Keywords><rdf:Bag>{ours}</rdf:Bag></photoscribe:Keywords>
</rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end='w'?>"""


def packet(caption: str, subject: list[str], ours: list[str], own: str | None, as_attribute: bool = False) -> bytes:
    items = lambda words: "".join(f"<rdf:li>{w}</rdf:li>" for w in words)  # noqa: E731
    return PACKET.format(
        ns=NAMESPACE_URI,
        caption=caption,
        subject=items(subject),
        ours=items(ours),
        attribute=f'photoscribe:Caption="{own}"' if own and as_attribute else "",
        element=f"<photoscribe:Caption>{own}</photoscribe:Caption>" if own and not as_attribute else "",
    ).encode()


def jpeg_with(path: Path, xmp: bytes | None = None) -> Path:
    Image.new("RGB", (40, 30), (90, 30, 30)).save(path, **({"xmp": xmp} if xmp else {}))
    return path


def test_our_caption_and_keywords_are_told_apart_from_the_photographers(tmp_path: Path) -> None:
    for as_attribute in (False, True):
        xmp = packet(
            "a dog on a beach", ["Dog", "Brighton", "beach"], ["dog", "beach"], "a dog on a beach", as_attribute
        )
        found = read_file_metadata(jpeg_with(tmp_path / "a.jpg", xmp))
        assert found.caption is None  # the description is the caption PhotoScribe wrote
        assert found.keywords == ["Brighton"]  # "Dog" is ours: decided without regard to case
        assert (found.own_caption, found.own_keywords) == ("a dog on a beach", ["dog", "beach"])


def test_a_caption_the_photographer_changed_after_our_write_is_theirs(tmp_path: Path) -> None:
    xmp = packet("Rex at Brighton, 2019", ["dog"], ["dog"], "a dog on a beach")
    found = read_file_metadata(jpeg_with(tmp_path / "a.jpg", xmp))
    assert found.caption == "Rex at Brighton, 2019"
    assert found.keywords == []


def test_the_writer_records_the_model_caption_but_not_the_photographers(make_writer, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    photo = jpeg_with(tmp_path / "a.jpg")
    writer = make_writer(WriteOptions("embed"))
    assert writer.write(photo, "a red wall", ["red", "wall"]).written
    found = read_file_metadata(photo)
    assert (found.caption, found.keywords) == (None, [])
    assert (found.own_caption, found.own_keywords) == ("a red wall", ["red", "wall"])
    assert writer.write(photo, "Our red door", ["red", "wall"], caption_is_ours=False).written  # a user edit
    found = read_file_metadata(photo)
    assert found.caption == "Our red door" and found.own_caption is None
    assert "XMP-photoscribe:Caption" not in reference_read(photo)


def test_keyword_case_is_kept_and_the_photographers_words_are_never_ours(
    make_writer, kind, exiftool, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    photo = jpeg_with(tmp_path / "a.jpg")
    exiftool.write(photo, ["-XMP-dc:Subject=Paris", "-XMP-dc:Subject=John Smith", "-IFD0:XPKeywords=Paris;John Smith"])
    writer = make_writer(WriteOptions("embed"))
    assert writer.write(photo, "a tower in paris", ["paris", "Eiffel Tower"]).written
    tags = reference_read(photo)
    assert as_list(tags["XMP-dc:Subject"]) == ["Paris", "John Smith", "Eiffel Tower"]  # no "paris" twice
    assert tags["IFD0:XPKeywords"] == "Paris;John Smith;Eiffel Tower"
    assert as_list(tags["XMP-photoscribe:Keywords"]) == ["Eiffel Tower"]
    found = read_file_metadata(photo)
    assert found.keywords == ["Paris", "John Smith"] and found.own_keywords == ["Eiffel Tower"]
    assert writer.write(photo, "a cat", ["cat"]).written  # a re-caption: only our words go
    tags = reference_read(photo)
    assert as_list(tags["XMP-dc:Subject"]) == ["Paris", "John Smith", "cat"]
    assert tags["IFD0:XPKeywords"] == "Paris;John Smith;cat"
    if kind == "exiftool":
        assert as_list(tags["IPTC:Keywords"]) == ["cat"]


def register(library: Library, path: Path) -> None:
    try:
        from photoscribe.ingest import register_files
    except ImportError:  # before registration moved out of the library
        library.register_files([path])
    else:
        register_files(library, [path])


def caption(library: Library, path: Path, text: str, keywords: list[str]) -> None:
    (claimed,) = library.claim_batch(1)
    assert claimed.path == path
    library.save_results([CaptionResult(claimed.id, text, keywords, "m")])


def test_registering_a_written_photo_again_lets_the_new_model_caption_win(make_writer, kind, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    photo = jpeg_with(tmp_path / "a.jpg", packet("", ["Paris"], [], None))
    writer = make_writer(WriteOptions("embed"))
    with Library(tmp_path / "first.sqlite3") as library:
        register(library, photo)
        caption(library, photo, "a red wall", ["red", "wall"])
        (outcome,) = write_records(writer, library.records([library.photo(photo).id]).values(), library)
        assert outcome.written and not outcome.unchanged, outcome.reason
    with Library(tmp_path / "second.sqlite3") as library:  # a new library, or the photo edited elsewhere
        register(library, photo)
        record = library.photo(photo)
        assert record.file_caption is None, "our old caption must not come back as the photographer's"
        assert list(record.file_keywords) == ["Paris"]
        caption(library, photo, "a blue door", ["blue", "door"])
        record = library.photo(photo)
        assert record.caption == "a blue door"
        assert {k.casefold() for k in record.keywords} >= {"paris", "blue", "door"}
        (outcome,) = write_records(writer, [record], library)
        assert outcome.written, outcome.reason
    tags = reference_read(photo)
    assert tags["XMP-dc:Description"] == tags["XMP-photoscribe:Caption"] == "a blue door"
    assert as_list(tags["XMP-dc:Subject"]) == ["Paris", "blue", "door"]  # the file's own keyword stays
    assert as_list(tags["XMP-photoscribe:Keywords"]) == ["blue", "door"]


def test_a_user_caption_written_into_the_file_comes_back_as_the_photographers(make_writer, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    photo = jpeg_with(tmp_path / "a.jpg")
    writer = make_writer(WriteOptions("embed"))
    with Library(tmp_path / "first.sqlite3") as library:
        register(library, photo)
        caption(library, photo, "a red wall", ["red", "wall"])
        library.set_user_caption(photo, "Grandma's red barn")
        (outcome,) = write_records(writer, [library.photo(photo)], library)
        assert outcome.written, outcome.reason
    with Library(tmp_path / "second.sqlite3") as library:
        register(library, photo)
        assert library.photo(photo).file_caption == "Grandma's red barn"


def test_the_library_is_told_before_the_replace_what_the_photo_will_be(make_writer, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    photo = jpeg_with(tmp_path / "a.jpg")
    expected: list[tuple[object, ...]] = []

    class Recording(Library):
        def expect_own_write(self, path, size, mtime, fingerprint):  # type: ignore[no-untyped-def]
            assert photo.stat().st_size != size, "called before the replace"
            expected.append((Path(path), size, mtime, fingerprint))
            super_expect = getattr(super(), "expect_own_write", None)
            if super_expect is not None:
                super_expect(path, size, mtime, fingerprint)

    from photoscribe.library.fingerprint import content_fingerprint

    with Recording(tmp_path / "lib.sqlite3") as library:
        register(library, photo)
        caption(library, photo, "a red wall", ["red"])
        (outcome,) = write_records(make_writer(WriteOptions("embed")), [library.photo(photo)], library)
        assert outcome.written
    stat = photo.stat()
    assert expected == [(photo, stat.st_size, stat.st_mtime, content_fingerprint(photo))]
