"""Decoding for the model: orientation, colour modes, speed shortcuts and hostile files."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageChops, ImageStat

from benchmarks.bench_raw import tiff_ifd
from photoscribe.errors import UnreadableImageError
from photoscribe.formats import PHOTO_EXTENSIONS
from photoscribe.imaging import (
    IMAGE_EXTENSIONS,
    MAX_PIXELS,
    MODEL_EDGE,
    is_image_name,
    load_for_model,
    load_with_route,
    read_facts,
    to_rgb,
)
from photoscribe.raw_decode import DecodeRoute


def difference(a: Image.Image, b: Image.Image) -> float:
    """Mean absolute grey-level difference of two images scaled to the same small size."""
    size = (64, 48) if a.width >= a.height else (48, 64)
    grey = [img.convert("L").resize(size, Image.Resampling.BILINEAR) for img in (a, b)]
    return sum(ImageStat.Stat(ImageChops.difference(*grey)).mean)


@pytest.mark.parametrize("shape", ["landscape", "portrait"])
def test_every_exif_orientation_is_decoded_upright(samples: Path, shape: str) -> None:
    """Each file, decoded, looks like orientation 1, and clearly more so than any other flip or turn of it."""
    reference = load_for_model(samples / "orientation" / f"{shape}_1.jpg")
    for n in range(2, 9):
        path = samples / "orientation" / f"{shape}_{n}.jpg"
        upright = load_for_model(path)
        assert upright.size == reference.size, path.name
        distance = difference(upright, reference)
        assert distance < 20, path.name
        for turn in Image.Transpose:
            turned = upright.transpose(turn)
            if turned.size == reference.size:
                assert difference(turned, reference) > 2 * distance, f"{path.name} {turn.name}"


def test_facts_report_upright_dimensions(samples: Path) -> None:
    facts = read_facts(samples / "orientation" / "portrait_6.jpg")
    assert (facts.width, facts.height) == (450, 600)


def test_facts_read_the_capture_time_and_camera_from_exif(samples: Path) -> None:
    facts = read_facts(samples / "camera" / "Canon_40D.jpg")
    assert facts.taken_at is not None and facts.taken_at.year == 2008
    assert facts.camera == "Canon EOS 40D"
    assert read_facts(samples / "camera" / "Nikon_D70.jpg").camera == "NIKON D70"  # the make is in the model


def test_big_jpegs_are_dct_scaled_unless_full_size_is_asked_for(tmp_path: Path, samples: Path) -> None:
    """The scaled decode is cheaper (fewer pixels) and gives the model practically the pixels of a full decode:
    the oracle is a full decode through Pillow alone, resized to the model's input the same way. (How far to scale
    is a tuning of speed against caption agreement, measured by benchmarks/bench_caption.py, not pinned here.)"""
    path = tmp_path / "big.jpg"
    with Image.open(samples / "camera" / "Canon_40D.jpg") as real:  # real detail, blown up to 24 MP
        real.convert("RGB").resize((6000, 4000), Image.Resampling.BICUBIC).save(path, quality=90)
    decoded = load_for_model(path)
    assert decoded.width * decoded.height < 6000 * 4000 // 2  # libjpeg's DCT scaling did the work
    assert min(decoded.size) >= MODEL_EDGE  # never below the model's input: it is never upsampled
    with Image.open(path) as full:
        oracle = full.convert("RGB").resize((MODEL_EDGE, MODEL_EDGE), Image.Resampling.BICUBIC)
    model_input = decoded.resize((MODEL_EDGE, MODEL_EDGE), Image.Resampling.BICUBIC)
    pixels = np.asarray(model_input, dtype=np.int16) - np.asarray(oracle, dtype=np.int16)
    assert np.abs(pixels).mean() < 1.0  # grey levels out of 255: the same picture for the model
    assert load_for_model(path, full_size=True).size == (6000, 4000)


@pytest.mark.parametrize(
    ("mode", "colour"),
    [
        ("CMYK", (0, 255, 255, 0)),
        ("L", 128),
        ("LA", (128, 255)),
        ("RGBA", (255, 0, 0, 255)),
        ("1", 1),
        ("I;16", 40000),
        ("I", 70000),
        ("F", 0.5),
        ("P", 3),
    ],
)
def test_every_mode_becomes_8bit_rgb(mode: str, colour: object) -> None:
    img = Image.new(mode, (8, 8), colour)  # type: ignore[arg-type]
    assert to_rgb(img).mode == "RGB"


def test_transparent_pixels_become_white() -> None:
    img = Image.new("RGBA", (4, 4), (255, 0, 0, 0))
    assert to_rgb(img).getpixel((0, 0)) == (255, 255, 255)


def test_sixteen_bit_images_are_scaled_not_clipped() -> None:
    img = Image.new("I;16", (2, 1))
    img.putpixel((0, 0), 1000)
    img.putpixel((1, 0), 60000)
    rgb = to_rgb(img)
    assert rgb.getpixel((0, 0)) == (4, 4, 4)  # 1000 / 65535 of full white, not black
    assert rgb.getpixel((1, 0)) == (233, 233, 233)  # 60000 / 65535, not stretched to white


def grey(value: float) -> tuple[int, int, int]:
    v = int(value + 0.5)
    return (v, v, v)


@pytest.mark.parametrize(
    ("mode", "value", "expected"),
    [
        ("L", 128, grey(128)),
        ("LA", (128, 255), grey(128)),
        ("LA", (0, 0), grey(255)),  # fully transparent: the white a viewer shows
        ("LA", (0, 128), grey(255 * (1 - 128 / 255))),  # half transparent black over white
        ("1", 1, grey(255)),
        ("1", 0, grey(0)),
        ("I", 200, grey(200)),
        ("I", 40000, grey(40000 * 255 / 65535)),
        ("I;16", 40000, grey(40000 * 255 / 65535)),
        ("F", 0.5, grey(0.5 * 255)),
    ],
)
def test_every_grey_mode_keeps_its_brightness(mode: str, value: object, expected: tuple[int, int, int]) -> None:
    # the oracle is each mode's definition (value over the mode's full scale), not Pillow's conversion
    got = to_rgb(Image.new(mode, (4, 4), value)).getpixel((1, 1))  # type: ignore[arg-type]
    assert all(abs(a - b) <= 1 for a, b in zip(got, expected)), (got, expected)


def scan16() -> np.ndarray:
    """A dark 16-bit grey scan: a 12-bit ramp (0..4095), as a film scanner writes into a 16-bit file."""
    return (np.arange(64 * 48).reshape(48, 64) * 4095 // (64 * 48 - 1)).astype(np.uint16)


@pytest.mark.parametrize("suffix", [".png", ".tif"])
def test_a_dark_16_bit_scan_file_is_not_brightened(tmp_path: Path, suffix: str) -> None:
    data = scan16()
    path = tmp_path / f"scan{suffix}"
    Image.fromarray(data).save(path)
    with Image.open(path) as raw:
        assert raw.mode.startswith("I;16")  # really a 16-bit file
    got = np.asarray(load_for_model(path))
    expected = np.round(data.astype(np.float64) * 255 / 65535)
    assert got.shape == (48, 64, 3)
    assert np.abs(got[..., 0] - expected).max() <= 1 and (got[..., 0] == got[..., 2]).all()
    assert got.max() <= 16  # 4095 / 65535 of white: still dark


def photo_array() -> np.ndarray:
    rng = np.random.default_rng(4)
    return rng.integers(0, 256, size=(40, 56, 3), dtype=np.uint8)


@pytest.mark.parametrize(
    ("suffix", "options"),
    [(".tif", {}), (".tif", {"compression": "tiff_lzw"}), (".webp", {"lossless": True}), (".png", {})],
)
def test_lossless_files_decode_to_exactly_their_pixels(tmp_path: Path, suffix: str, options: dict) -> None:
    data = photo_array()
    path = tmp_path / f"photo{suffix}"
    Image.fromarray(data).save(path, **options)
    assert np.array_equal(np.asarray(load_for_model(path)), data)


def test_a_heic_decodes_to_its_colours(tmp_path: Path) -> None:
    pillow_heif = pytest.importorskip("pillow_heif")
    pillow_heif.register_heif_opener()
    blocks = np.zeros((64, 64, 3), dtype=np.uint8)
    blocks[:32, :32] = (200, 30, 30)
    blocks[:32, 32:] = (30, 200, 30)
    blocks[32:, :32] = (30, 30, 200)
    blocks[32:, 32:] = (240, 240, 240)
    path = tmp_path / "photo.heic"
    Image.fromarray(blocks).save(path, quality=95)
    got = np.asarray(load_for_model(path)).astype(int)
    assert got.shape == (64, 64, 3)
    for y, x in [(8, 8), (8, 56), (56, 8), (56, 56)]:  # block centres, away from lossy edges
        assert np.abs(got[y, x] - blocks[y, x]).max() <= 12, (y, x, got[y, x])


def test_palette_png_with_transparency_decodes(tmp_path: Path) -> None:
    path = tmp_path / "logo.png"
    img = Image.new("P", (20, 20), 0)
    img.putpalette([255, 0, 0, 0, 255, 0] + [0] * 762)
    img.save(path, transparency=0)
    decoded = load_for_model(path)
    assert decoded.mode == "RGB" and decoded.getpixel((0, 0)) == (255, 255, 255)


def test_cmyk_jpeg_decodes_to_rgb(tmp_path: Path) -> None:
    path = tmp_path / "print.jpg"
    Image.new("CMYK", (30, 30), (0, 255, 255, 0)).save(path)
    decoded = load_for_model(path)
    r, g, b = decoded.getpixel((15, 15))
    assert decoded.mode == "RGB" and r > 200 and g < 60 and b < 60


def test_a_unicode_path_decodes(tmp_path: Path) -> None:
    path = tmp_path / "Urlaub 日本 été" / "фото ü.jpg"
    path.parent.mkdir()
    Image.new("RGB", (40, 30), (10, 200, 10)).save(path)
    assert load_for_model(path).size == (40, 30)


def test_an_empty_file_is_unreadable_with_a_reason(tmp_path: Path) -> None:
    path = tmp_path / "empty.jpg"
    path.write_bytes(b"")
    with pytest.raises(UnreadableImageError, match="empty"):
        load_for_model(path)


def test_a_non_image_is_unreadable_with_a_reason(tmp_path: Path) -> None:
    path = tmp_path / "notes.jpg"
    path.write_text("shopping list: film, batteries")
    with pytest.raises(UnreadableImageError, match="not an image"):
        load_for_model(path)


def test_a_truncated_jpeg_is_unreadable_with_a_reason(tmp_path: Path) -> None:
    whole = tmp_path / "whole.jpg"
    Image.effect_noise((300, 200), 60).convert("RGB").save(whole, quality=90)
    cut = tmp_path / "cut.jpg"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    with pytest.raises(UnreadableImageError, match="truncated"):
        load_for_model(cut)


def test_a_missing_file_is_unreadable_with_a_reason(tmp_path: Path) -> None:
    with pytest.raises(UnreadableImageError, match="no longer exists"):
        load_for_model(tmp_path / "gone.jpg")


def png_claiming_size(path: Path, width: int, height: int) -> None:
    """Write a tiny PNG whose header claims ``width`` x ``height`` pixels (a decompression bomb's trick)."""
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    chunk = lambda kind, data: struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))  # noqa: E731
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")
    )


def test_a_decompression_bomb_is_refused_before_decoding(tmp_path: Path) -> None:
    path = tmp_path / "bomb.png"
    png_claiming_size(path, 40_000, 40_000)
    assert 40_000 * 40_000 > MAX_PIXELS
    with pytest.raises(UnreadableImageError, match="decompression bomb"):
        load_for_model(path)
    with pytest.raises(UnreadableImageError, match="decompression bomb"):
        read_facts(path)


def test_a_large_but_honest_image_size_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "pano.png"
    png_claiming_size(path, 12_000, 9_000)  # 108 MP, above Pillow's default warning limit
    assert read_facts(path).width == 12_000


@pytest.mark.timeout(60)
def test_files_with_broken_exif_still_decode(samples: Path) -> None:
    for path in sorted((samples / "invalid").glob("*.jpg")):
        image = load_for_model(path)
        assert image.mode == "RGB" and min(image.size) > 0, path.name
        read_facts(path)  # must not raise


def colour_blocks() -> np.ndarray:
    """Four flat colour blocks (red, green, blue, light grey), 64x64: each format must keep every block's colour."""
    blocks = np.zeros((64, 64, 3), dtype=np.uint8)
    blocks[:32, :32] = (200, 30, 30)
    blocks[:32, 32:] = (30, 200, 30)
    blocks[32:, :32] = (30, 30, 200)
    blocks[32:, 32:] = (240, 240, 240)
    return blocks


@pytest.mark.parametrize(
    ("suffix", "mode", "options", "tolerance"),
    [
        (".heic", "RGB", {"quality": 95}, 12),
        (".avif", "RGB", {"quality": 95}, 12),
        (".webp", "RGB", {"quality": 90}, 12),
        (".gif", "P", {}, 0),
        (".tif", "RGB", {}, 0),
        (".tif", "RGB", {"compression": "tiff_lzw"}, 0),
        (".tif", "CMYK", {}, 0),
        (".png", "RGB", {}, 0),
        (".bmp", "RGB", {}, 0),
    ],
)
def test_every_format_decodes_to_its_colours(
    tmp_path: Path, suffix: str, mode: str, options: dict, tolerance: int
) -> None:
    blocks = colour_blocks()
    image = Image.fromarray(blocks)
    if mode == "CMYK":  # a print file: CMYK values whose RGB conversion is exact (no black ink, K = 0)
        cmyk = np.concatenate([255 - blocks, np.zeros((64, 64, 1), np.uint8)], axis=2)
        image = Image.fromarray(cmyk, "CMYK")
    elif mode == "P":
        image = image.quantize(4)
    path = tmp_path / f"blocks{suffix}"
    image.save(path, **options)
    with Image.open(path) as saved:
        assert saved.mode == mode
    got, route = load_with_route(path)
    assert route is DecodeRoute.PILLOW and got.size == (64, 64)
    got_pixels = np.asarray(got).astype(int)
    for y, x in [(8, 8), (8, 56), (56, 8), (56, 56)]:  # block centres, away from lossy edges
        assert np.abs(got_pixels[y, x] - blocks[y, x]).max() <= tolerance, (suffix, y, x, got_pixels[y, x])


def test_a_sixteen_bit_colour_tiff_keeps_its_colours(tmp_path: Path) -> None:
    """A 16-bit RGB TIFF (scanners and raw converters write them), written by hand: Pillow cannot save one. High
    and low bytes differ, so only reading the 16-bit values right gives the colours back."""
    blocks = colour_blocks().astype(np.uint16)
    data = (blocks * 256 + (255 - blocks)).astype("<u2").tobytes()
    entries = [(256, 3, 64), (257, 3, 64), (258, 3, [16, 16, 16]), (259, 3, 1), (262, 3, 2), (273, 4, 8),
               (277, 3, 3), (278, 3, 64), (279, 4, len(data))]  # fmt: skip
    path = tmp_path / "scan48.tif"
    path.write_bytes(b"II*\0" + struct.pack("<I", 8 + len(data)) + data + tiff_ifd(entries, 8 + len(data)))
    got = np.asarray(load_for_model(path)).astype(int)
    for y, x in [(8, 8), (8, 56), (56, 8), (56, 56)]:
        assert np.abs(got[y, x] - blocks[y, x]).max() <= 1, (y, x, got[y, x])


@pytest.mark.parametrize(("name", "fmt"), [("IMG_1.NEF", "JPEG"), ("IMG_2.cr2", "PNG"), ("IMG_3.dng", "WEBP")])
def test_a_picture_named_like_a_raw_file_decodes_as_what_it_is(tmp_path: Path, name: str, fmt: str) -> None:
    path = tmp_path / name
    Image.fromarray(colour_blocks()).save(path, fmt, quality=95)
    got, route = load_with_route(path)
    assert route is DecodeRoute.PILLOW and got.size == (64, 64)
    assert read_facts(path).width == 64


def test_the_extension_lists_are_the_formats_ones() -> None:
    assert IMAGE_EXTENSIONS is PHOTO_EXTENSIONS and {".heic", ".cr3", ".avif", ".dng"} <= IMAGE_EXTENSIONS
    assert is_image_name(Path("a/IMG_1.HEIC")) and is_image_name(Path("IMG_2.nef")) and not is_image_name(Path("x.mov"))
