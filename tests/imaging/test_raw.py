"""Camera RAW decoding with real files: the shared samples' routes, sizes, orientation and reasons, and DNGs made
by the benchmark's writer (a Bayer DNG LibRaw develops) for the rules the samples cannot show."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from io import BytesIO
from pathlib import Path

import numpy as np
import pytest
import rawpy
from PIL import Image

from benchmarks.bench_raw import make_dng, scene
from photoscribe import raw_previews
from photoscribe.errors import UnreadableImageError
from photoscribe.imaging import decodes, load_for_model, load_with_route, read_facts
from photoscribe.raw_decode import DecodeRoute, decode_by
from photoscribe.raw_previews import placeholder


@pytest.fixture
def raw(samples: Path) -> Path:
    return samples / "raw"


@pytest.fixture
def no_exiftool(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """exiftool hidden from the PATH (and the shared process stopped), as on a machine without it."""
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    raw_previews.close_exiftool()
    monkeypatch.setenv("PATH", str(empty))
    yield
    raw_previews.close_exiftool()


def exiftool_bytes(path: Path, tag: str) -> bytes:
    return subprocess.run(["exiftool", "-b", f"-{tag}", str(path)], capture_output=True, check=True).stdout


def mean_difference(a: Image.Image, b: Image.Image) -> float:
    assert a.size == b.size
    return float(np.abs(np.asarray(a, dtype=np.int16) - np.asarray(b, dtype=np.int16)).mean())


@pytest.mark.parametrize(
    ("name", "route", "size"),
    [
        ("Canon-R6-pruned.CR3", DecodeRoute.EXIFTOOL_PREVIEW, (1620, 1080)),
        ("FujiFilm.raf", DecodeRoute.RAWPY_PREVIEW, (160, 120)),
        ("RAW_KODAK_DC50_é.KDC", DecodeRoute.DEMOSAIC, (384, 256)),
        ("Issue_247-1.nef", DecodeRoute.PILLOW, (2000, 3008)),  # a JPEG named .nef
        ("fixture-sony-zv-e10.arw", DecodeRoute.EXIFTOOL_PREVIEW, (120, 160)),  # Rotate 90 CW: upright portrait
    ],
)
def test_each_raw_sample_decodes_through_its_route(raw: Path, name: str, route: DecodeRoute, size: tuple) -> None:
    image, got = load_with_route(raw / name)
    assert (got, image.size, image.mode) == (route, size, "RGB")
    assert placeholder(image) is None  # a real picture, not a flat or black one


def test_the_cr3_gives_exiftools_preview_pixels(raw: Path) -> None:
    path = raw / "Canon-R6-pruned.CR3"
    expected = Image.open(BytesIO(exiftool_bytes(path, "PreviewImage"))).convert("RGB")
    assert mean_difference(load_for_model(path), expected) < 1


def test_the_fuji_white_8x8_preview_is_refused_for_libraws_real_one(raw: Path) -> None:
    path = raw / "FujiFilm.raf"
    with rawpy.imread(str(path)) as handle:
        expected = Image.open(BytesIO(handle.extract_thumb().data)).convert("RGB")
    assert mean_difference(load_for_model(path), expected) < 1


def test_the_arw_preview_is_turned_clockwise_by_its_orientation(raw: Path) -> None:
    path = raw / "fixture-sony-zv-e10.arw"
    stored = Image.open(BytesIO(exiftool_bytes(path, "ThumbnailImage"))).convert("RGB")  # 160x120, lying down
    image = load_for_model(path)
    assert mean_difference(image, stored.transpose(Image.Transpose.ROTATE_270)) < 1  # 90 degrees clockwise
    assert mean_difference(image, stored.transpose(Image.Transpose.ROTATE_90)) > 10


def test_the_kdc_demosaic_is_a_real_picture(raw: Path) -> None:
    image = load_for_model(raw / "RAW_KODAK_DC50_é.KDC")
    top, bottom = np.asarray(image)[:60].mean(), np.asarray(image)[-60:].mean()
    assert top > bottom + 20  # sky above the apartment blocks, as LibRaw develops it


@pytest.mark.parametrize(
    ("name", "fragments"),
    [
        ("Panasonic.rw2", ["LibRaw's preview is a 8x8 placeholder", "JpgFromRaw is a 8x8", "sensor data is missing"]),
        ("Nikon.nef", ["LibRaw's preview fails (No thumbnail in file)", "no embedded preview", "sensor data"]),
        ("CanonRaw.cr2", ["LibRaw cannot open it (Unsupported file format", "exiftool finds no embedded preview"]),
    ],
)
def test_raw_files_without_a_usable_picture_say_what_was_tried(raw: Path, name: str, fragments: list[str]) -> None:
    with pytest.raises(UnreadableImageError) as caught:
        load_for_model(raw / name)
    reason = caught.value.reason
    assert reason.startswith("no usable picture in this RAW file: ") and "\n" not in reason
    for fragment in fragments:
        assert fragment in reason
    assert not decodes(raw / name)


def test_without_exiftool_libraw_alone_still_decodes(raw: Path, no_exiftool: None) -> None:
    assert load_with_route(raw / "FujiFilm.raf")[1] is DecodeRoute.RAWPY_PREVIEW
    assert load_with_route(raw / "RAW_KODAK_DC50_é.KDC")[1] is DecodeRoute.DEMOSAIC
    for name in ("Canon-R6-pruned.CR3", "fixture-sony-zv-e10.arw"):  # only exiftool reads their previews
        with pytest.raises(UnreadableImageError, match="exiftool is not installed"):
            load_for_model(raw / name)
    assert raw_previews._session is None


def test_facts_of_raw_files_come_from_libraw_and_exiftool(raw: Path) -> None:
    cr3 = read_facts(raw / "Canon-R6-pruned.CR3")
    assert (cr3.width, cr3.height, cr3.camera) == (3408, 2272, "Canon EOS R6")
    assert cr3.taken_at is not None and cr3.taken_at.year == 2021
    arw = read_facts(raw / "fixture-sony-zv-e10.arw")  # LibRaw cannot open it; exiftool: 6000x4000, Rotate 90 CW
    assert (arw.width, arw.height, arw.camera) == (4000, 6000, "SONY ZV-E10")
    kdc = read_facts(raw / "RAW_KODAK_DC50_é.KDC")
    assert (kdc.width, kdc.height) == (768, 512)  # LibRaw's full size: twice the half-size demosaic
    for name in ("CanonRaw.cr2", "Nikon.nef", "Panasonic.rw2"):  # no picture, but readable facts
        assert read_facts(raw / name).camera


def test_facts_without_exiftool_come_from_libraw_and_the_tiff_exif(raw: Path, no_exiftool: None) -> None:
    cr2 = read_facts(raw / "CanonRaw.cr2")  # LibRaw cannot open it; Pillow's TIFF reader finds its EXIF
    assert (cr2.width, cr2.height, cr2.camera) == (3456, 2304, "Canon EOS 350D DIGITAL")
    nef = read_facts(raw / "Nikon.nef")
    assert (nef.width, nef.height, nef.camera) == (3039, 2014, "NIKON D70")
    with pytest.raises(UnreadableImageError, match="cannot read the size"):
        read_facts(raw / "fixture-sony-zv-e10.arw")


def test_raw_decoding_is_thread_safe(raw: Path) -> None:
    names = ["Canon-R6-pruned.CR3", "FujiFilm.raf", "RAW_KODAK_DC50_é.KDC", "fixture-sony-zv-e10.arw"] * 4
    with ThreadPoolExecutor(4) as pool:
        routes = list(pool.map(lambda n: load_with_route(raw / n)[1], names))
    assert routes == [load_with_route(raw / n)[1] for n in names]


def test_the_benchmarks_dng_is_developed_by_libraw(tmp_path: Path) -> None:
    path = make_dng(tmp_path / "bench.dng", 600, 400)
    with rawpy.imread(str(path)) as handle:
        assert handle.extract_thumb().format == rawpy.ThumbFormat.JPEG
    developed = decode_by(path, DecodeRoute.DEMOSAIC, 1000)
    assert developed.size == (300, 200)
    expected = Image.fromarray(scene(600, 400)).resize((300, 200))
    red_disc, ground = (90, 70), (200, 180)
    for x, y in (red_disc, ground):  # the scene's colours, roughly (identity colour matrix)
        assert np.argmax(developed.getpixel((x, y))) == np.argmax(expected.getpixel((x, y)))


def big_preview() -> Image.Image:
    return Image.fromarray(scene(1500, 1000))


def test_a_big_preview_is_used_without_exiftool_or_a_demosaic(tmp_path: Path) -> None:
    path = make_dng(tmp_path / "big.dng", 800, 600, preview=big_preview())
    raw_previews.close_exiftool()
    image, route = load_with_route(path)  # 1500 px >= 3 x 384: used as is
    assert (route, image.size) == (DecodeRoute.RAWPY_PREVIEW, (1500, 1000))
    assert raw_previews._session is None  # exiftool was never started


def test_a_small_preview_loses_to_the_larger_demosaic(tmp_path: Path) -> None:
    path = make_dng(tmp_path / "small.dng", 1600, 1200, preview=Image.fromarray(scene(300, 200)))
    image, route = load_with_route(path)
    assert (route, image.size) == (DecodeRoute.DEMOSAIC, (800, 600))


@pytest.mark.parametrize("colour", [(255, 255, 255), (0, 0, 0), (128, 100, 90)])
def test_flat_and_black_previews_are_refused(tmp_path: Path, colour: tuple[int, int, int]) -> None:
    path = make_dng(tmp_path / "flat.dng", 800, 600, preview=Image.new("RGB", (1600, 1200), colour))
    image, route = load_with_route(path)
    assert (route, image.size) == (DecodeRoute.DEMOSAIC, (400, 300))


def test_previews_are_turned_by_the_raw_orientation_and_the_demosaic_comes_upright(tmp_path: Path) -> None:
    big = make_dng(tmp_path / "turned.dng", 800, 600, preview=big_preview(), orientation=6)
    image, route = load_with_route(big)
    assert (route, image.size) == (DecodeRoute.RAWPY_PREVIEW, (1000, 1500))
    assert mean_difference(image, big_preview().transpose(Image.Transpose.ROTATE_270)) < 3
    assert decode_by(big, DecodeRoute.EXIFTOOL_PREVIEW, 1152).size == (1000, 1500)
    assert decode_by(big, DecodeRoute.DEMOSAIC, 1152).size == (300, 400)  # LibRaw turned it already
    assert (read_facts(big).width, read_facts(big).height) == (600, 800)


def test_placeholders_are_told_from_pictures() -> None:
    assert "placeholder" in (placeholder(Image.new("RGB", (8, 8), (250, 250, 250))) or "")
    assert "flat colour" in (placeholder(Image.new("RGB", (160, 120), (250, 250, 250))) or "")
    assert placeholder(Image.new("RGB", (160, 120), (3, 3, 3))) == "all black"
    assert placeholder(Image.fromarray(scene(160, 120))) is None
