"""A RAW+JPEG pair is one photo: its caption goes into the JPEG (embedded) and the RAW file's sidecar, never the RAW.

Real camera files (a JPEG sample and the CR3 sample, or a DNG made here), a real library pairing them, exiftool as
the reference reader.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from photoscribe.library import CaptionResult, Library, PhotoRecord, Registration
from photoscribe.metadata import WriteOptions
from photoscribe.metadata.sync import write_records
from tests.metadata.conftest import as_list, reference_read, state
from tests.metadata.test_raw_files import make_dng

CAPTION = "two terracotta figures on a table"


def pair(samples: Path, folder: Path, stem: str = "IMG_0001") -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    jpeg = Path(shutil.copyfile(samples / "camera" / "Canon_40D.jpg", folder / f"{stem}.JPG"))
    raw = Path(shutil.copyfile(samples / "raw" / "Canon-R6-pruned.CR3", folder / f"{stem}.CR3"))
    return jpeg, raw


def record(jpeg: Path, raw: Path, **fields: object) -> PhotoRecord:
    values: dict[str, object] = dict(
        id=1, path=str(jpeg), status="done", error=None, model_caption=CAPTION, user_caption=None
    )
    values.update(keywords=("figures", "terracotta"), companion_path=str(raw), **fields)
    return PhotoRecord(**values)  # type: ignore[arg-type]


def test_a_pair_writes_the_jpeg_embedded_and_the_raw_into_its_sidecar(
    make_writer, samples: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    jpeg, raw = pair(samples, tmp_path / "card")
    raw_before = state(raw)
    outcomes = write_records(make_writer(WriteOptions("embed")), [record(jpeg, raw)])
    assert [(o.path, o.target) for o in outcomes] == [(jpeg, jpeg), (raw, raw.with_name("IMG_0001.CR3.xmp"))]
    assert all(o.written for o in outcomes), [o.reason for o in outcomes]
    assert state(raw) == raw_before
    for target in (jpeg, raw.with_name("IMG_0001.CR3.xmp")):
        tags = reference_read(target)
        assert tags["XMP-dc:Description"] == tags["XMP-photoscribe:Caption"] == CAPTION, target.name
        assert as_list(tags["XMP-dc:Subject"]) == ["figures", "terracotta"], target.name


def test_sidecar_mode_gives_each_half_its_sidecar_and_a_lightroom_sidecar_is_shared(
    make_writer, samples: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    jpeg, raw = pair(samples, tmp_path / "full")
    before = state(jpeg), state(raw)
    outcomes = write_records(make_writer(WriteOptions("sidecar")), [record(jpeg, raw)])
    assert [o.target.name for o in outcomes if o.target] == ["IMG_0001.JPG.xmp", "IMG_0001.CR3.xmp"]
    assert (state(jpeg), state(raw)) == before
    jpeg, raw = pair(samples, tmp_path / "stem")
    outcomes = write_records(make_writer(WriteOptions("sidecar", sidecar_naming="stem")), [record(jpeg, raw)])
    assert [(o.target.name if o.target else None, o.unchanged) for o in outcomes] == [
        ("IMG_0001.xmp", False),
        ("IMG_0001.xmp", True),  # Lightroom's one sidecar for both halves holds it already
    ]
    assert reference_read(tmp_path / "stem" / "IMG_0001.xmp")["XMP-dc:Description"] == CAPTION


def test_the_raw_halfs_own_caption_is_kept_unless_the_user_wrote_one(
    make_writer, samples: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    jpeg, raw = pair(samples, tmp_path / "card")
    sidecar = raw.with_name("IMG_0001.CR3.xmp")  # darktable's: the photographer described the RAW file there
    sidecar.write_text(
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:description><rdf:Alt>'
        '<rdf:li xml:lang="x-default">Museum figures, Bonn</rdf:li></rdf:Alt></dc:description>'
        "</rdf:Description></rdf:RDF></x:xmpmeta>",
        encoding="utf-8",
    )
    writer = make_writer(WriteOptions("embed"))
    assert all(o.written for o in write_records(writer, [record(jpeg, raw)]))
    assert reference_read(jpeg)["XMP-dc:Description"] == CAPTION
    tags = reference_read(sidecar)
    assert tags["XMP-dc:Description"] == "Museum figures, Bonn"  # the model's caption does not replace it
    assert "XMP-photoscribe:Caption" not in tags
    assert as_list(tags["XMP-dc:Subject"]) == ["figures", "terracotta"]
    assert all(o.written for o in write_records(writer, [record(jpeg, raw, user_caption="Our figures")]))
    assert reference_read(sidecar)["XMP-dc:Description"] == reference_read(jpeg)["XMP-dc:Description"] == "Our figures"


def test_a_paired_library_photo_writes_both_halves_and_a_dng_write_is_its_own(
    exiftool, samples: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    from photoscribe.ingest import register_files
    from photoscribe.metadata import MetadataWriter

    folder = tmp_path / "card"
    jpeg, raw = pair(samples, folder)
    dng_jpeg = Path(shutil.copyfile(samples / "camera" / "Nikon_D70.jpg", folder / "IMG_0002.jpg"))
    dng = make_dng(folder / "IMG_0002.dng")
    with Library(tmp_path / "lib.sqlite3") as library:
        library.add_folder(folder)
        register_files(library, [jpeg, raw, dng_jpeg, dng])
        claimed = library.claim_batch(10)
        assert sorted(c.path.name for c in claimed) == ["IMG_0001.JPG", "IMG_0002.jpg"]  # one photo per pair
        library.save_results([CaptionResult(c.id, CAPTION, ["figures"], "m") for c in claimed])
        records = [library.photo(jpeg), library.photo(dng_jpeg)]
        assert [r.companion_path for r in records] == [str(raw), str(dng)]
        raw_before = state(raw)
        outcomes = write_records(MetadataWriter(exiftool, WriteOptions("embed")), records, library)
        assert [(o.target.name if o.target else o.reason) for o in outcomes] == [
            "IMG_0001.JPG",
            "IMG_0001.CR3.xmp",
            "IMG_0002.jpg",
            "IMG_0002.dng",  # DNG: embedded by exiftool with the proof
        ]
        assert state(raw) == raw_before
        assert reference_read(dng)["XMP-dc:Description"] == CAPTION
        again = register_files(library, [jpeg, raw, dng_jpeg, dng])
        assert again == {Registration.UNCHANGED: 4}, "our own writes (the JPEGs and the DNG) are not changes"
