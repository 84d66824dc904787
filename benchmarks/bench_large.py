"""Benchmark: a library of 100,000 small photos in 100 nested folders (issue 12: large libraries).

Generates N small JPEGs (160 x 120, a few kB, varied colours and shapes, EXIF DateTimeOriginal varied) in 100
folders ``photos/<year>/<year>-<month> <place>/`` (folders and files dated in the past, newer years newer), then
measures, each in its own process as a user would run it:

- ``photoscribe add DIR``: the whole process, start-up included, on an empty library (an in-process reconcile of
  the folder where the command does not exist yet: the table says which);
- the app opening on that library (``benchmarks/bench_large_app.py open``), maximised on a 1920 x 1080 screen:
  launch to the main window's first paint, to the grid's first rows, to the caption model loaded (the timer's
  lateness until then), then paging the grid from top to bottom while the queued photos are captioned: resident
  memory (RSS) after paging and its peak, and the lateness of a 10 ms GUI timer (p99, max) while it pages;
- the app adding the folder to an empty library (``bench_large_app.py scan``), as its Add folder action does: time
  until photos show in the grid, until the first caption, until all N are registered, and the 10 ms timer's
  lateness meanwhile.

    python benchmarks/bench_large.py --model DIR                   # 100,000 photos; the tiny BLIP of the tests
    python benchmarks/bench_large.py --photos 2000 --keep /tmp/bench-large --model DIR

``--model`` is any BLIP id or folder (default: the app's default model when it is in the Hugging Face cache; with
none, nothing is captioned and the first-caption figure is left out). The app runs offscreen unless
``--platform xcb`` (or another Qt platform) is given. Linux only (RSS from ``/proc``). Not a test
(``tests/benchmarks/test_bench_large.py`` runs it on 300 photos).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "desktop")]

from benchmarks.report import print_rows  # noqa: E402

FOLDERS = 100  # 10 years of 10 months
PLACES = ("Coast", "Alps", "Garden", "City", "Wedding", "Farm", "Harbour", "Forest", "Snow", "Family")
SIZE = (160, 120)
MARKER = "bench-large.json"  # beside photos/: what was generated, so --keep reuses it
DATE_TAG, EXIF_IFD = 0x9003, 0x8769  # DateTimeOriginal, in the Exif IFD


def folder_for(index: int) -> tuple[str, datetime]:
    """The relative folder of the ``index``-th of :data:`FOLDERS` folders and the date its photos start at."""
    year, month = 2015 + index // 10, 1 + index % 10
    return f"{year}/{year}-{month:02d} {PLACES[index % 10]}", datetime(year, month, 1, 8, 0, 0)


def generate(root: Path, photos: int, seed: int = 12) -> float | None:
    """Write ``photos`` JPEGs under ``root / "photos"``; returns the seconds taken, or ``None`` when ``root``
    already holds this set (its marker says so). A folder holding anything else is refused."""
    marker, tree = root / MARKER, root / "photos"
    wanted = {"photos": photos, "seed": seed, "folders": FOLDERS, "size": list(SIZE)}
    if marker.exists() and json.loads(marker.read_text()) == wanted:
        return None
    if (tree.exists() and not marker.exists()) or (root.exists() and any(root.iterdir()) and not marker.exists()):
        raise SystemExit(f"{root} holds other files: give an empty or new folder to --keep")
    start = time.perf_counter()
    marker.unlink(missing_ok=True)
    rng = random.Random(seed)
    textures = [Image.effect_noise(SIZE, 40).point(lambda v: v // 2) for _ in range(16)]
    written: set[Path] = set()
    for index in range(FOLDERS):
        first, last = index * photos // FOLDERS, (index + 1) * photos // FOLDERS
        relative, day = folder_for(index)
        folder = tree / relative
        folder.mkdir(parents=True, exist_ok=True)
        for n in range(first, last):
            taken = day.timestamp() + (n - first) * 97.0  # a shot every 97 s through the month
            path = folder / f"IMG_{n:06d}.jpg"
            path.write_bytes(_jpeg(rng, textures, datetime.fromtimestamp(taken)))
            os.utime(path, (taken, taken))
            written.add(path)
        stamp = day.timestamp() + max(0, last - first - 1) * 97.0
        os.utime(folder, (stamp, stamp))
        os.utime(folder.parent, (stamp, stamp))
    for stale in tree.rglob("*.jpg"):  # an earlier, larger set in the same folder
        if stale not in written:
            stale.unlink()
    marker.write_text(json.dumps(wanted))
    return time.perf_counter() - start


def _jpeg(rng: random.Random, textures: list[Image.Image], taken: datetime) -> bytes:
    def colour() -> tuple[int, int, int]:
        return rng.randrange(256), rng.randrange(256), rng.randrange(256)

    image = Image.new("RGB", SIZE, colour())
    image.paste(colour(), mask=rng.choice(textures))
    draw = ImageDraw.Draw(image)
    for _ in range(3):
        x, y = rng.randrange(SIZE[0]), rng.randrange(SIZE[1])
        draw.rectangle((x, y, x + rng.randrange(10, 60), y + rng.randrange(10, 50)), fill=colour())
    exif = Image.Exif()
    exif.get_ifd(EXIF_IFD)[DATE_TAG] = taken.strftime("%Y:%m:%d %H:%M:%S")
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85, exif=exif)
    return out.getvalue()


def has_add_command(env: dict[str, str]) -> bool:
    """Whether ``photoscribe add`` exists (until it does, the benchmark registers in-process and says so)."""
    command = [sys.executable, "-m", "photoscribe", "add", "--help"]
    return subprocess.run(command, env=env, capture_output=True).returncode == 0


def measure_add(tree: Path, library: Path, env: dict[str, str]) -> tuple[float, str, str]:
    """Register every photo under ``tree`` into the empty ``library``; returns seconds, how it was done and the
    command's own summary."""
    if has_add_command(env):
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "photoscribe", "--library", str(library), "add", str(tree)],
            env=env,
            capture_output=True,
            text=True,
        )
        spent = time.perf_counter() - start
        if done.returncode != 0:
            raise SystemExit(f"photoscribe add failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
        return spent, "`photoscribe add DIR` process", (done.stdout.strip().splitlines() or [""])[0]
    from photoscribe.ingest import reconcile
    from photoscribe.library import Library

    start = time.perf_counter()
    with Library(library) as lib:
        outcomes = reconcile(lib, tree, lib.add_folder(tree))
    return time.perf_counter() - start, "in-process reconcile (no `add` command yet)", str(dict(outcomes))


def _platform(platform: str, scratch: Path) -> str:
    """Qt's offscreen platform on a 1920 x 1080 screen (its own is 800 x 800: the window would not fit)."""
    if platform != "offscreen":
        return platform
    screen = {"name": "bench", "x": 0, "y": 0, "width": 1920, "height": 1080, "logicalDpiX": 96, "logicalDpiY": 96}
    config = scratch / "screen.json"
    config.write_text(json.dumps({"screens": [screen]}))
    return f"offscreen:configfile={config}"


def registered(library: Path) -> int:
    from photoscribe.library import Library

    with Library(library) as lib:
        return lib.stats().photos


def default_model() -> str | None:
    """The app's default BLIP when its files are in the Hugging Face cache (nothing is downloaded)."""
    from photoscribe import DEFAULT_MODEL

    try:
        from huggingface_hub import try_to_load_from_cache

        found = try_to_load_from_cache(DEFAULT_MODEL, "config.json")
    except Exception:  # no hub library, a damaged cache: no model
        return None
    return DEFAULT_MODEL if isinstance(found, str) else None


def run_app(mode: str, library: Path, tree: Path, photos: int, args: argparse.Namespace, env: dict[str, str]) -> dict:  # type: ignore[type-arg]
    """Run ``bench_large_app.py MODE`` in its own process; returns its figures (times from the launch)."""
    command = [sys.executable, str(ROOT / "benchmarks" / "bench_large_app.py"), mode, "--library", str(library)]
    command += ["--photos-dir", str(tree), "--expect", str(photos), "--precision", args.precision]
    command += ["--page-ms", str(args.page_ms), "--text-model", args.text_model]
    command += ["--model", args.model or ""] + (["--paused"] if args.pause_captioning else [])
    command += ["--launched", repr(time.time())]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=args.timeout)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if not lines:
        raise SystemExit(f"the app's {mode} run gave no figures ({done.returncode}): {done.stderr.strip()[-3000:]}")
    figures: dict = json.loads(lines[-1])  # type: ignore[type-arg]
    figures["exit_code"] = done.returncode
    return figures


def main(argv: list[str] | None = None) -> dict[str, object]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--photos", type=int, default=100_000)
    parser.add_argument("--keep", metavar="DIR", help="folder to generate the photos in once and reuse")
    parser.add_argument("--model", help="BLIP id or folder (default: the app's model when cached)")
    parser.add_argument("--precision", default="auto", help="the model's precision (fp32 for the tiny BLIP)")
    parser.add_argument("--text-model", default="", help="search by meaning's model ('' : off, the default)")
    parser.add_argument("--page-ms", type=int, default=16, help="one page down of the grid every MS (default 16)")
    parser.add_argument(
        "--pause-captioning", action="store_true", help="pause captioning while the grid pages (default: it runs)"
    )
    parser.add_argument("--platform", default="offscreen", help="Qt platform of the app (default offscreen)")
    parser.add_argument("--json", metavar="FILE", help="also write every figure (the apps' own too) to FILE")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds each app process may take")
    args = parser.parse_args(argv)
    args.model = args.model or default_model()

    with tempfile.TemporaryDirectory(prefix="bench-large-") as scratch:
        root = Path(args.keep) if args.keep else Path(scratch, "photos-set")
        root.mkdir(parents=True, exist_ok=True)
        tree = root / "photos"
        figures: dict[str, object] = {"photos": args.photos, "model": args.model, "paused": args.pause_captioning}
        figures["generate_s"] = generate(root, args.photos)
        figures["photos_mb"] = sum(p.stat().st_size for p in tree.rglob("*.jpg")) / 1e6
        env = {
            **os.environ,
            "PHOTOSCRIBE_CONFIG": str(Path(scratch, "config", "settings.toml")),
            "PHOTOSCRIBE_DATA_DIR": str(Path(scratch, "data")),  # a cold thumbnail cache
            "QT_QPA_PLATFORM": _platform(args.platform, Path(scratch)),
            "HF_HUB_OFFLINE": "1",
            "PYTHONPATH": os.pathsep.join([str(ROOT / "desktop"), str(ROOT), os.environ.get("PYTHONPATH", "")]),
        }
        for name in ("PHOTOSCRIBE_LIBRARY", "PHOTOSCRIBE_MODEL", "PHOTOSCRIBE_TEXT_MODEL"):
            env.pop(name, None)
        added = Path(scratch, "added.sqlite3")
        figures["add_s"], figures["add_how"], figures["add_said"] = measure_add(tree, added, env)
        figures["registered"] = registered(added)
        figures["open"] = run_app("open", added, tree, args.photos, args, env)
        figures["scan"] = run_app("scan", Path(scratch, "scanned.sqlite3"), tree, args.photos, args, env)
    print_table(figures)
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2))
    return figures


def _seconds(value: float | None, otherwise: str) -> str:
    return f"{value:.1f} s" if value is not None else otherwise


def _mb(value: float | None) -> str:
    return f"{value:.0f} MB" if value is not None else "not known"


def print_table(f: dict) -> None:  # type: ignore[type-arg]
    o, s = f["open"], f["scan"]

    def ms(pair: list[float], worst_at: float | None) -> str:
        return "{:.0f} / {:.0f} ms".format(*pair) + (f" (worst at {worst_at:.1f} s)" if worst_at is not None else "")

    rss = (o["rss_before_paging_mb"], o["rss_mb"], o["peak_rss_mb"])
    paused = " (captioning paused)" if f.get("paused") else " (captioning on)"
    events = ", ".join(f"{name} {at:.1f}" for name, at in sorted(s["events"].items(), key=lambda e: e[1]))

    caption = _seconds(s.get("first_caption_s"), "none (no model: --model)")
    rows = [
        ("photos (folders)", f"{f['photos']:,} ({FOLDERS}), {f['photos_mb']:.0f} MB"),
        ("generate the photos", f"{f['generate_s']:.1f} s" if f["generate_s"] is not None else "reused"),
        (f"register them: {f['add_how']}", f"{f['add_s']:.1f} s ({f['registered'] / f['add_s']:,.0f}/s)"),
        ("photos registered (the library's count)", f"{f['registered']:,}"),
        ("  what `add` said", f["add_said"]),
        ("app launch to window shown (first paint)", f"{o['shown_s']:.2f} s"),
        ("  of which interpreter + imports", f"{o['imported_s']:.2f} s"),
        ("app launch to first rows in the grid", f"{o['first_rows_s']:.2f} s"),
        ("app launch to the model loaded (paging starts)", f"{o['ready_s']:.1f} s"),
        ("10 ms timer lateness until then, p99 / max", ms(o["start_lateness_ms"], o["start_worst_tick_s"])),
        ("page the grid top to bottom: pages, time", f"{o['pages']:,}, {o['paging_s']:.1f} s"),
        ("rows in the grid at the bottom", f"{o['rows']:,}"),
        ("RSS before paging, after (peak)", "{:.0f}, {:.0f} ({:.0f}) MB".format(*rss)),
        ("  of which thumbnails in memory", _mb(o.get("thumbnails_mb"))),
        (f"10 ms timer lateness while paging{paused}, p99 / max", ms(o["paging_lateness_ms"], o["worst_tick_s"])),
        ("app Add folder: first rows in the grid", f"{s['first_rows_s']:.1f} s"),
        ("app Add folder: first caption", caption),
        ("app Add folder: every photo registered", f"{s['registered_s']:.1f} s ({s['registered']:,})"),
        ("10 ms timer lateness while scanning, p99 / max", ms(s["scan_lateness_ms"], s["worst_tick_s"])),
        ("  the scan's events (s from Add folder)", events),
        ("app close (engine stop) after the scan", _seconds(s.get("close_s"), "did not close")),
    ]
    problems = "; ".join(filter(None, (o.get("problem"), s.get("problem"))))
    rows += [("problems", problems)] if problems else []
    print_rows(rows)


if __name__ == "__main__":
    main()
