"""Writing captions and keywords into real camera files and XMP sidecars, verified with exiftool."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from PIL import Image

from photoscribe.metadata import WriteOptions
from tests.metadata.conftest import (
    as_list,
    copies,
    digest,
    lost,
    pixels,
    reference_read,
    reference_read_all,
    temporaries,
)

CAPTION = "Grand-mère au jardin, 日本の庭 ✓"
KEYWORDS = ["grand-mère", "jardin", "庭"]
FIELDS = {
    "exiftool": (
        ("XMP-dc:Description", "IPTC:Caption-Abstract", "IFD0:ImageDescription", "IFD0:XPComment"),
        ("XMP-dc:Subject", "IPTC:Keywords"),
    ),
    "builtin": (("XMP-dc:Description", "IFD0:ImageDescription", "IFD0:XPComment"), ("XMP-dc:Subject",)),
}


def test_embedding_into_every_camera_and_orientation_sample_loses_nothing(
    make_writer, kind, samples: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    writer = make_writer(WriteOptions("embed"))
    captions, keyword_lists = FIELDS[kind]
    photos = copies(samples, tmp_path, "camera", "orientation")
    before, before_pixels = reference_read_all(photos, binary=True), {p: pixels(p) for p in photos}
    for photo in photos:
        outcome = writer.write(photo, CAPTION, KEYWORDS)
        assert outcome.written and outcome.target == photo, (photo.name, outcome.reason)
    everything_after = reference_read_all(photos, binary=True)
    for photo in photos:
        after = everything_after[photo]
        for tag in captions:
            assert after[tag] == CAPTION, (photo.name, tag)
        for tag in keyword_lists:
            assert as_list(after[tag]) == KEYWORDS, (photo.name, tag)
        assert after["IFD0:XPKeywords"] == ";".join(KEYWORDS)
        assert after["XMP-photoscribe:Caption"] == CAPTION
        assert lost(before[photo], after) == {}, photo.name
        assert pixels(photo) == before_pixels[photo], photo.name


def test_broken_exif_files_are_written_verified_or_left_byte_identical(
    make_writer, samples: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    writer = make_writer(WriteOptions("embed"))
    written = []
    for photo in copies(samples, tmp_path, "invalid"):
        before, before_digest, before_pixels = reference_read(photo, binary=True), digest(photo), pixels(photo)
        outcome = writer.write(photo, CAPTION, KEYWORDS)
        if outcome.written:
            written.append(photo.name)
            after = reference_read(photo, binary=True)
            assert after["XMP-dc:Description"] == CAPTION, photo.name
            assert lost(before, after) == {}, photo.name
            assert pixels(photo) == before_pixels, photo.name
        else:
            assert outcome.reason, photo.name
            assert digest(photo) == before_digest, photo.name
        assert not temporaries(photo.parent), "temporary files are cleaned up"
    assert len(written) >= 2, f"a writer that refuses everything passes nothing here (written: {written})"


def test_the_photographers_keywords_are_kept_and_ours_replaced(make_writer, kind, exiftool, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    photo = tmp_path / "a.jpg"
    Image.new("RGB", (30, 20), (10, 120, 200)).save(photo)
    exiftool.write(photo, ["-XMP-dc:Subject=holiday", "-IPTC:Keywords=holiday", "-IFD0:XPKeywords=holiday"])
    writer = make_writer(WriteOptions("embed"))
    assert writer.write(photo, "a blue wall", ["blue", "wall"]).written
    assert writer.write(photo, "a red car", ["red", "car"]).written
    after = reference_read(photo)
    for tag in FIELDS[kind][1]:
        assert as_list(after[tag]) == ["holiday", "red", "car"], tag
    assert after["IFD0:XPKeywords"] == "holiday;red;car"
    assert as_list(after["XMP-photoscribe:Keywords"]) == ["red", "car"]


def test_writing_the_same_again_leaves_the_file_alone(make_writer, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    photo = tmp_path / "a.jpg"
    Image.new("RGB", (30, 20), (10, 120, 200)).save(photo)
    writer = make_writer(WriteOptions("embed"))
    assert writer.write(photo, "a blue wall", ["blue"]).written
    before = digest(photo)
    outcome = writer.write(photo, "a blue wall", ["blue"])
    assert outcome.written and outcome.unchanged
    assert digest(photo) == before


def test_mtime_is_updated_by_default_and_kept_on_request(make_writer, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    for keep in (False, True):
        photo = tmp_path / f"{keep}.jpg"
        Image.new("RGB", (30, 20)).save(photo)
        os.utime(photo, (1_000_000, 1_000_000))
        assert make_writer(WriteOptions("embed", keep_mtime=keep)).write(photo, "x", []).written
        assert (photo.stat().st_mtime == 1_000_000) is keep


def test_sidecar_mode_never_touches_the_photo_and_exiftool_reads_the_sidecar(make_writer, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    photo = tmp_path / "IMG_1.jpg"
    Image.new("RGB", (30, 20), (200, 10, 10)).save(photo)
    before = digest(photo)
    outcome = make_writer(WriteOptions("sidecar")).write(photo, CAPTION, KEYWORDS)
    assert outcome.written and outcome.target == tmp_path / "IMG_1.jpg.xmp"
    assert digest(photo) == before
    sidecar = reference_read(outcome.target)
    assert sidecar["XMP-dc:Description"] == CAPTION
    assert as_list(sidecar["XMP-dc:Subject"]) == KEYWORDS
    Image.new("RGB", (30, 20)).save(tmp_path / "IMG_2.jpg")
    stem = make_writer(WriteOptions("sidecar", sidecar_naming="stem")).write(tmp_path / "IMG_2.jpg", "x", [])
    assert stem.written and stem.target == tmp_path / "IMG_2.xmp"
    assert reference_read(stem.target)["XMP-dc:Description"] == "x"


def test_an_existing_sidecar_keeps_another_programs_data(make_writer, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    raw = tmp_path / "IMG_7.CR2"
    raw.write_bytes(b"not really a raw file; sidecars never touch it")
    sidecar = tmp_path / "IMG_7.xmp"  # Lightroom's naming: it is updated, not replaced by IMG_7.CR2.xmp
    sidecar.write_text(
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/" '
        'xmlns:darktable="http://darktable.sf.net/" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmp:Rating="4" darktable:history_end="7"><dc:subject><rdf:Bag><rdf:li>portfolio</rdf:li></rdf:Bag>'
        "</dc:subject></rdf:Description></rdf:RDF></x:xmpmeta>",
        encoding="utf-8",
    )
    outcome = make_writer(WriteOptions("embed")).write(raw, "a dog on a beach", ["dog", "beach"])
    assert outcome.written and outcome.target == sidecar
    assert not (tmp_path / "IMG_7.CR2.xmp").exists()
    tags = reference_read(sidecar)
    assert tags["XMP-xmp:Rating"] == 4
    assert str(tags["XMP-darktable:History_end"]) == "7"
    assert as_list(tags["XMP-dc:Subject"]) == ["portfolio", "dog", "beach"]
    assert tags["XMP-dc:Description"] == "a dog on a beach"
    assert raw.read_bytes() == b"not really a raw file; sidecars never touch it"


def test_an_unwritable_file_is_left_alone_with_a_reason(make_writer, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    fake = tmp_path / "notes.jpg"
    fake.write_text("not a jpeg at all")
    outcome = make_writer(WriteOptions("embed")).write(fake, "x", ["y"])
    assert not outcome.written and outcome.reason
    assert fake.read_text() == "not a jpeg at all"
    assert not temporaries(tmp_path)


def test_iptc_keywords_are_cut_at_64_bytes_and_still_recognised_as_ours(exiftool, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from photoscribe.metadata import MetadataWriter, read_file_metadata

    photo = tmp_path / "a.jpg"
    Image.new("RGB", (30, 20), (9, 9, 9)).save(photo)
    long = "é" * 40  # 80 bytes in UTF-8: IPTC keeps 64, that is 32 whole characters
    writer = MetadataWriter(exiftool, WriteOptions("embed"))
    assert writer.write(photo, "a caption", [long, "short"]).written
    tags = reference_read(photo)
    assert as_list(tags["IPTC:Keywords"]) == ["é" * 32, "short"]
    assert as_list(tags["XMP-dc:Subject"]) == [long, "short"]  # XMP has no such limit
    found = read_file_metadata(photo)
    assert found.keywords == [] and found.own_keywords == [long, "short"]  # the cut form is ours too
    assert writer.write(photo, "a caption", ["other"]).written  # ours, cut or not, are replaced
    assert as_list(reference_read(photo)["IPTC:Keywords"]) == ["other"]


def test_caption_with_embed_writes_the_photos_and_a_rerun_captions_nothing(exiftool, cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from tests.tiny_blip import colour_image

    folder = tmp_path / "shoot"
    folder.mkdir()
    for i, colour in enumerate(("red", "blue")):
        colour_image(colour, size=(64, 48)).save(folder / f"{i}.jpg")
    code, out, _ = cli("caption", str(folder), "--write-metadata", "embed")
    assert code == 0 and "Metadata (embed, exiftool): written 2, already up to date 0, left unchanged 0." in out
    assert reference_read(folder / "0.jpg")["XMP-dc:Description"] == "a photo of a red wall"
    code, out, _ = cli("caption", str(folder), "--write-metadata", "embed")
    assert out.startswith("Captioned 0 photos, skipped 2 unchanged")  # our own write is not a change
    cli("set-caption", str(folder / "1.jpg"), "Our blue door")
    code, out, _ = cli("write-metadata", str(folder), "--write-metadata", "embed")
    assert "written 1, already up to date 1" in out
    tags = reference_read(folder / "1.jpg")
    assert tags["IPTC:Caption-Abstract"] == "Our blue door"
    assert "XMP-photoscribe:Caption" not in tags  # the user's caption is the photographer's, not PhotoScribe's
    code, out, _ = cli("export", "--format", "json")
    (exported,) = [p for p in json.loads(out) if p["path"].endswith("1.jpg")]
    assert as_list(tags.get("XMP-dc:Subject")) == exported["keywords"]  # the keywords in force, nothing stale


def test_write_metadata_needs_a_mode_and_works_without_exiftool(
    exiftool, cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    from photoscribe.metadata import sync
    from tests.tiny_blip import colour_image

    photo = tmp_path / "a.jpg"
    colour_image("green").save(photo)
    cli("caption", str(photo))
    code, _, err = cli("write-metadata")
    assert code == 2 and "--write-metadata embed" in err
    monkeypatch.setattr(sync, "exiftool_path", lambda: None)  # a machine without exiftool
    code, out, _ = cli("write-metadata", "--write-metadata", "embed")
    assert code == 0 and "built-in writer" in out and "written 1" in out
    tags = reference_read(photo)
    assert tags["XMP-dc:Description"] == tags["IFD0:XPComment"] == "a photo of a green wall"


def test_the_engine_embeds_captions_without_recaptioning_its_own_writes(exiftool, make_engine, watched: Path) -> None:  # type: ignore[no-untyped-def]
    from tests.helpers import WAIT, save_colour, wait_for

    engine, events = make_engine()
    engine.settings.write_metadata = "embed"
    engine.add_folder(watched)
    engine.start()
    photo = save_colour(watched / "a.jpg", "yellow")
    wait_for(lambda: engine.library.stats().captioned == 1)
    wait_for(lambda: reference_read(photo).get("XMP-dc:Description") == "a photo of a yellow wall")
    engine.settings.reconcile_minutes = 0.005  # a rescan now would catch a "changed" file if we got it wrong
    engine.add_folder(watched)
    assert engine.wait_until_idle(WAIT)
    assert engine.library.photo(photo).revision == 1


def test_the_check_script_reports_on_any_folder(exiftool, samples: Path) -> None:  # type: ignore[no-untyped-def]
    from benchmarks.check_metadata import check

    before = {p: digest(p) for p in (samples / "orientation").glob("*.jpg")}
    report = check(samples / "orientation", "embed")
    assert report == {"files": 16, "written": 16, "fields_verified": 64, "left_unchanged": {}}
    assert {p: digest(p) for p in before} == before  # the originals were only read


def test_a_backup_of_the_first_original_is_kept_on_request(make_writer, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    photo = tmp_path / "a.jpg"
    Image.new("RGB", (30, 20), (1, 2, 3)).save(photo)
    original = photo.read_bytes()
    writer = make_writer(WriteOptions("embed", backup=True))
    assert writer.write(photo, "x", ["y"]).written
    assert (tmp_path / "a.jpg.photoscribe-backup").read_bytes() == original
    first_write = photo.read_bytes()
    assert first_write != original
    assert writer.write(photo, "a second caption", ["z"]).written  # a re-caption
    assert photo.read_bytes() not in (original, first_write)
    assert (tmp_path / "a.jpg.photoscribe-backup").read_bytes() == original  # the true original, not the last one
