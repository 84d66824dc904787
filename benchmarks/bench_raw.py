"""Benchmark: seconds per photo of each RAW route against LibRaw's full ``postprocess()``.

Routes (``photoscribe.raw_decode``): LibRaw's embedded preview, exiftool's embedded previews, the half-size
demosaic, and the route PhotoScribe picks by itself; the baseline is a full-size ``postprocess()`` (what a naive
tagger would do). Run on the shared RAW samples and on a 24-megapixel Bayer DNG this script writes (16-bit
uncompressed RGGB sensor data that LibRaw develops, and a full-size JPEG preview in IFD0, as DSLRs embed).

    python benchmarks/bench_raw.py                 # samples + 24 MP DNG, 3 runs each, model edge 384
    python benchmarks/bench_raw.py --runs 5 --megapixels 45
"""

from __future__ import annotations

import argparse
import io
import statistics
import struct
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "desktop")]

from photoscribe.errors import UnreadableImageError  # noqa: E402
from photoscribe.imaging import DRAFT_FACTOR, MODEL_EDGE, load_with_route  # noqa: E402
from photoscribe.raw_decode import RAW_ROUTES, decode_by  # noqa: E402

SAMPLES = ROOT.parent / "shared" / "samples" / "raw"
# TIFF field types: BYTE, ASCII, SHORT, LONG, RATIONAL, SRATIONAL
_FORMATS = {1: "B", 2: "s", 3: "H", 4: "I", 5: "II", 10: "ii"}


def scene(width: int, height: int) -> np.ndarray:
    """A photo-like 8-bit RGB test scene: a sky gradient, a green ground, a red disc and a dark block."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    rgb = np.empty((height, width, 3), np.float32)
    rgb[..., 0] = 90 + 80 * y / height
    rgb[..., 1] = 140 + 60 * y / height
    rgb[..., 2] = 230 - 40 * y / height
    ground = y > height * 0.6
    rgb[ground] = (60, 150, 50)
    disc = (x - width * 0.3) ** 2 + (y - height * 0.35) ** 2 < (height * 0.15) ** 2
    rgb[disc] = (220, 40, 30)
    rgb[(x > width * 0.6) & (x < width * 0.85) & (y > height * 0.45) & (y < height * 0.8)] = (30, 30, 40)
    return rgb.astype(np.uint8)


def tiff_ifd(entries: list[tuple[int, int, object]], start: int, next_ifd: int = 0) -> bytes:
    """One little-endian TIFF IFD written at offset ``start``; values over 4 bytes follow it."""
    head = struct.pack("<H", len(entries))
    extra = b""
    extra_at = start + 2 + 12 * len(entries) + 4
    for tag, kind, values in sorted(entries, key=lambda e: e[0]):
        if kind == 2:
            data = str(values).encode() + b"\0"
            count = len(data)
        else:
            flat = list(values) if isinstance(values, (list, tuple)) else [values]
            count = len(flat) // (2 if kind in (5, 10) else 1)
            data = struct.pack("<" + _FORMATS[kind][-1] * len(flat), *flat)
        if len(data) <= 4:
            head += struct.pack("<HHI", tag, kind, count) + data.ljust(4, b"\0")
        else:
            head += struct.pack("<HHII", tag, kind, count, extra_at + len(extra))
            extra += data + (b"\0" if len(data) % 2 else b"")
    return head + struct.pack("<I", next_ifd) + extra


def make_dng(
    path: Path, width: int = 6000, height: int = 4000, preview: Image.Image | None = None, orientation: int = 1
) -> Path:
    """Write a Bayer (RGGB) DNG of the test scene that LibRaw develops, with ``preview`` (default: the scene at
    full size) as a baseline JPEG in IFD0, as cameras embed it, and EXIF ``orientation``."""
    width, height = width // 2 * 2, height // 2 * 2
    rgb = scene(width, height).astype(np.uint16)
    linear = (rgb.astype(np.float32) / 255.0) ** 2.2 * 3800 + 64  # 12-bit sensor values over a black level of 64
    mosaic = np.empty((height, width), np.uint16)
    mosaic[0::2, 0::2] = linear[0::2, 0::2, 0]
    mosaic[0::2, 1::2] = linear[0::2, 1::2, 1]
    mosaic[1::2, 0::2] = linear[1::2, 0::2, 1]
    mosaic[1::2, 1::2] = linear[1::2, 1::2, 2]
    jpeg = io.BytesIO()
    (preview or Image.fromarray(rgb.astype(np.uint8))).convert("RGB").save(jpeg, "JPEG", quality=90)
    jpeg_data, raw_data = jpeg.getvalue(), mosaic.tobytes()
    jpeg_at, raw_at = 8, 8 + len(jpeg_data) + len(jpeg_data) % 2
    ifd0_at = raw_at + len(raw_data)
    with Image.open(io.BytesIO(jpeg_data)) as shown:
        pw, ph = shown.size
    identity = [10000, 10000, 0, 10000, 0, 10000, 0, 10000, 10000, 10000, 0, 10000, 0, 10000, 0, 10000, 10000, 10000]

    def ifd0(sub_at: int) -> list[tuple[int, int, object]]:
        return [
            (254, 4, 1), (256, 4, pw), (257, 4, ph), (258, 3, [8, 8, 8]), (259, 3, 7), (262, 3, 6),
            (271, 2, "PhotoScribe"), (272, 2, "Bench DNG"), (273, 4, jpeg_at), (274, 3, orientation), (277, 3, 3),
            (278, 4, ph), (279, 4, len(jpeg_data)), (330, 4, sub_at), (50706, 1, [1, 4, 0, 0]),
            (50708, 2, "PhotoScribe Bench DNG"), (50721, 10, identity), (50728, 5, [1, 1, 1, 1, 1, 1]),
        ]  # fmt: skip

    raw_ifd = [
        (254, 4, 0), (256, 4, width), (257, 4, height), (258, 3, 16), (259, 3, 1), (262, 3, 32803),
        (273, 4, raw_at), (277, 3, 1), (278, 4, height), (279, 4, len(raw_data)), (284, 3, 1),
        (33421, 3, [2, 2]), (33422, 1, [0, 1, 1, 2]), (50714, 4, 64), (50717, 4, 3864),
    ]  # fmt: skip
    sub_at = ifd0_at + len(tiff_ifd(ifd0(0), ifd0_at))
    with open(path, "wb") as out:
        out.write(b"II*\0" + struct.pack("<I", ifd0_at) + jpeg_data + b"\0" * (len(jpeg_data) % 2) + raw_data)
        out.write(tiff_ifd(ifd0(sub_at), ifd0_at) + tiff_ifd(raw_ifd, sub_at))
    return path


def timed(run: Callable[[], object], runs: int) -> tuple[float, object]:
    """Median seconds of ``runs`` calls, and the last call's result (or the exception it raised)."""
    times, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        try:
            result = run()
        except (UnreadableImageError, Exception) as exc:  # a route that fails is a result here
            result = exc
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def describe(result: object) -> str:
    if isinstance(result, tuple):
        return f"{result[0].width}x{result[0].height} via {result[1]}"
    if isinstance(result, Image.Image):
        return f"{result.width}x{result.height}"
    if isinstance(result, np.ndarray):
        return f"{result.shape[1]}x{result.shape[0]}"
    return "fails"


def full_postprocess(path: Path) -> np.ndarray:
    import rawpy

    with rawpy.imread(str(path)) as raw:
        return raw.postprocess(use_camera_wb=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--megapixels", type=float, default=24.0)
    parser.add_argument("--edge", type=int, default=MODEL_EDGE)
    args = parser.parse_args()
    wanted = args.edge * DRAFT_FACTOR
    with tempfile.TemporaryDirectory() as scratch:
        width = int((args.megapixels * 1e6 * 1.5) ** 0.5)
        dng = make_dng(Path(scratch) / "bench.dng", width, width * 2 // 3)
        files = [p for p in sorted(SAMPLES.glob("*")) if p.suffix.lower() != ".md"] + [dng]
        print(f"{'file':<28} {'route':<18} {'s/photo':>8}  result")
        for path in files:
            name = f"{path.name[:18]} ({path.stat().st_size / 1e6:.1f} MB)"
            rows: list[tuple[str, Callable[[], object]]] = [
                *((str(route), lambda r=route: decode_by(path, r, wanted)) for route in RAW_ROUTES),
                ("photoscribe", lambda: load_with_route(path, args.edge)),
                ("full postprocess", lambda: full_postprocess(path)),
            ]
            for label, run in rows:
                seconds, result = timed(run, args.runs)
                print(f"{name:<28} {label:<18} {seconds:8.3f}  {describe(result)}")
                name = ""


if __name__ == "__main__":
    main()
