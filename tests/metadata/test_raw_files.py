"""RAW files are never modified: their captions go to XMP sidecars in every mode (DNG: exiftool with its proof).

Every shared RAW sample, a JPEG named like a RAW file, a small valid DNG made here, and a link named ``.jpg`` to a
RAW file; read back with exiftool in a separate process.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from photoscribe.metadata import WriteOptions
from tests.metadata.conftest import as_list, lost, reference_read, state, temporaries

CAPTION = "Zwei Tonfiguren auf dem Tisch, 日本 ✓"
KEYWORDS = ["figures", "terracotta"]
RAW_SAMPLES = (
    "Canon-R6-pruned.CR3",
    "CanonRaw.cr2",
    "FujiFilm.raf",
    "Issue_247-1.nef",  # a JPEG named .nef: a RAW file by its name
    "Nikon.nef",
    "Panasonic.rw2",
    "RAW_KODAK_DC50_é.KDC",
    "fixture-sony-zv-e10.arw",
)


def raw_copies(samples: Path, folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    assert sorted(p.name for p in (samples / "raw").iterdir() if p.suffix != ".md") == sorted(RAW_SAMPLES)
    return [Path(shutil.copyfile(samples / "raw" / name, folder / name)) for name in RAW_SAMPLES]


def make_dng(path: Path, linear_raw: bool = True) -> Path:
    """A small valid DNG: a linear-raw RGB TIFF with DNG's tags, which exiftool calls DNG and LibRaw decodes
    (``linear_raw=False``: an RGB TIFF with DNG's tags, which LibRaw cannot read)."""
    Image.new("RGB", (48, 32), (200, 40, 40)).save(path.with_suffix(".tif"))
    path.with_suffix(".tif").rename(path)
    tags = ["-DNGVersion=1.4.0.0", "-DNGBackwardVersion=1.1.0.0", "-UniqueCameraModel=PhotoScribe Test"]
    if linear_raw:
        tags += ["-PhotometricInterpretation#=34892", "-SubfileType#=0", "-ColorMatrix1=1 0 0 0 1 0 0 0 1"]
    subprocess.run(["exiftool", "-q", "-overwrite_original", "-Make=PhotoScribe", *tags, str(path)], check=True)
    assert reference_read(path)["File:FileType"] == "DNG"
    return path


def raw_pixels(path: Path) -> bytes:
    import rawpy

    with rawpy.imread(str(path)) as raw:
        return raw.postprocess().tobytes()


@pytest.mark.parametrize("mode", ["embed", "sidecar"])
def test_every_raw_sample_stays_byte_identical_and_its_sidecar_holds_the_caption(
    make_writer, mode: str, samples: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    writer = make_writer(WriteOptions(mode))
    for raw in raw_copies(samples, tmp_path / "card"):
        before = state(raw)
        outcome = writer.write(raw, CAPTION, KEYWORDS)
        sidecar = raw.with_name(raw.name + ".xmp")
        assert outcome.written and outcome.target == sidecar, (raw.name, outcome.reason)
        assert state(raw) == before, f"{raw.name} was modified"
        tags = reference_read(sidecar)
        assert tags["XMP-dc:Description"] == CAPTION, raw.name
        assert as_list(tags["XMP-dc:Subject"]) == KEYWORDS, raw.name
    assert not temporaries(tmp_path / "card")


def test_a_jpeg_named_like_a_raw_file_gets_a_sidecar_not_an_embed(make_writer, samples: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    photo = Path(shutil.copyfile(samples / "camera" / "Nikon_D70.jpg", tmp_path / "DSC_0001.NEF"))
    assert photo.read_bytes()[:3] == b"\xff\xd8\xff"  # a JPEG by its content: the writers could embed into it
    before = state(photo)
    outcome = make_writer(WriteOptions("embed")).write(photo, CAPTION, KEYWORDS)
    assert outcome.written and outcome.target == tmp_path / "DSC_0001.NEF.xmp", outcome.reason
    assert state(photo) == before
    assert reference_read(outcome.target)["XMP-dc:Description"] == CAPTION


def test_a_link_named_like_a_jpeg_to_a_raw_file_does_not_modify_the_raw_file(
    make_writer, samples: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    raw = Path(shutil.copyfile(samples / "raw" / "Issue_247-1.nef", tmp_path / "DSC_0002.nef"))  # JPEG content
    link = tmp_path / "DSC_0002.jpg"
    link.symlink_to(raw.name)
    before = state(raw)
    outcome = make_writer(WriteOptions("embed")).write(link, CAPTION, KEYWORDS)
    assert outcome.written and outcome.target == tmp_path / "DSC_0002.jpg.xmp", outcome.reason
    assert state(raw) == before and link.is_symlink()


def test_a_dng_is_embedded_by_exiftool_with_the_proof(exiftool, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from photoscribe.metadata import MetadataWriter

    dng = make_dng(tmp_path / "IMG_0001.dng")
    before, pixels_before = reference_read(dng, binary=True), raw_pixels(dng)
    outcome = MetadataWriter(exiftool, WriteOptions("embed")).write(dng, CAPTION, KEYWORDS)
    assert outcome.written and outcome.target == dng, outcome.reason
    assert not (tmp_path / "IMG_0001.dng.xmp").exists()
    after = reference_read(dng, binary=True)
    assert after["File:FileType"] == "DNG"
    assert after["XMP-dc:Description"] == after["IPTC:Caption-Abstract"] == CAPTION
    assert as_list(after["XMP-dc:Subject"]) == KEYWORDS
    assert lost(before, after) == {}
    assert raw_pixels(dng) == pixels_before  # LibRaw decodes the same picture


def test_a_dng_whose_raw_data_cannot_be_proved_unchanged_is_left_alone(exiftool, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from photoscribe.metadata import MetadataWriter

    dng = make_dng(tmp_path / "IMG_0003.dng", linear_raw=False)  # Pillow decodes its IFD0; LibRaw cannot read it
    before = state(dng)
    outcome = MetadataWriter(exiftool, WriteOptions("embed")).write(dng, CAPTION, KEYWORDS)
    assert not outcome.written and "cannot prove the RAW image data unchanged" in outcome.reason
    assert state(dng) == before and not temporaries(tmp_path)


def test_a_dng_write_that_changed_the_sensor_data_is_refused(tmp_path: Path) -> None:
    from photoscribe.metadata import MetadataWriter
    from photoscribe.metadata.exiftool import ExifTool, exiftool_path

    if exiftool_path() is None:
        pytest.skip("exiftool is not installed")

    class Corrupting(ExifTool):  # exiftool's write, then one sensor value changed as a faulty tool might
        def write(self, path: Path, assignments: list[str]) -> None:  # type: ignore[override]
            super().write(path, assignments)
            offset = int(reference_read(path)["IFD0:StripOffsets"])
            with open(path, "r+b") as handle:
                handle.seek(offset)
                value = handle.read(1)
                handle.seek(offset)
                handle.write(bytes([value[0] ^ 0xFF]))

    dng = make_dng(tmp_path / "IMG_0004.dng")
    before = state(dng)
    with Corrupting() as tool:
        outcome = MetadataWriter(tool, WriteOptions("embed")).write(dng, CAPTION, KEYWORDS)
    assert not outcome.written and "the RAW image data changed" in outcome.reason
    assert state(dng) == before


def test_a_dng_gets_a_sidecar_from_the_builtin_writer_and_in_sidecar_mode(exiftool, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from photoscribe.metadata import MetadataWriter

    for tool, mode in ((None, "embed"), (exiftool, "sidecar")):
        (tmp_path / mode).mkdir()
        dng = make_dng(tmp_path / mode / "IMG_0002.DNG")
        before = state(dng)
        outcome = MetadataWriter(tool, WriteOptions(mode)).write(dng, CAPTION, KEYWORDS)
        assert outcome.written and outcome.target == dng.with_name("IMG_0002.DNG.xmp"), (mode, outcome.reason)
        assert state(dng) == before, mode
        assert reference_read(outcome.target)["XMP-dc:Description"] == CAPTION


def test_a_missing_photo_gets_no_sidecar(make_writer, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    for mode in ("embed", "sidecar"):
        outcome = make_writer(WriteOptions(mode)).write(tmp_path / "gone.CR3", CAPTION, KEYWORDS)
        assert not outcome.written and "does not exist" in outcome.reason
        assert list(tmp_path.iterdir()) == []
