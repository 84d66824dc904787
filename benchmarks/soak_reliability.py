"""Soak run: several processes on one library, photos arriving in bursts, edits made meanwhile.

A ``photoscribe watch`` captions a folder receiving photos in bursts; meanwhile a second process runs
``photoscribe caption`` on the same folder again and again, and a third sets captions with ``photoscribe
set-caption``. At the end every photo must be captioned exactly once (caption revision 1) and every edit kept.

    python benchmarks/soak_reliability.py                       # 2,000 photos in bursts of 100
    python benchmarks/soak_reliability.py --photos 400 --burst 50 --json

Uses the tiny test BLIP (tests/tiny_blip.py, cached in benchmarks/.cache), so it measures the queue, the
watcher and the library under contention, not the model. Exits 1 when a photo was captioned twice, never
captioned, or an edit was lost.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "desktop")]

from photoscribe.library import Library  # noqa: E402
from tests.tiny_blip import COLOURS, build_tiny_blip, colour_image  # noqa: E402

CACHE = ROOT / "benchmarks" / ".cache" / "tiny-blip-soak"


def tiny_model() -> Path:
    if not (CACHE / "model.safetensors").exists():
        build_tiny_blip(CACHE)
    return CACHE


def photoscribe(*args: str) -> list[str]:
    return [sys.executable, "-m", "photoscribe", *args]


def write_photo(path: Path, index: int) -> None:
    """A unique small JPEG (its own pixel pattern, so no two photos share a fingerprint), written then renamed."""
    image = colour_image(list(COLOURS)[index % len(COLOURS)], size=(64, 48))
    rng = random.Random(index)
    for _ in range(12):
        image.putpixel((rng.randrange(64), rng.randrange(48)), (rng.randrange(256),) * 3)
    partial = path.with_name(path.name + ".part")
    image.save(partial, format="JPEG", quality=92)
    os.replace(partial, path)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=2000)
    parser.add_argument("--burst", type=int, default=100)
    parser.add_argument("--edits", type=int, default=40)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    model = tiny_model()
    work = Path(tempfile.mkdtemp(prefix="photoscribe-soak-"))
    folder, library_path = work / "incoming", work / "library.sqlite3"
    folder.mkdir()
    common = ["--library", str(library_path), "--model", str(model), "--precision", "fp32", "--batch-size", "8"]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT / "desktop")}

    started = time.perf_counter()
    watch = subprocess.Popen(
        photoscribe("watch", str(folder), "--settle", "0.3", *common),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    stop = threading.Event()
    caption_runs: list[int] = []
    edits: dict[str, str] = {}
    problems: list[str] = []

    def caption_again() -> None:
        while not stop.is_set():
            done = subprocess.run(photoscribe("caption", str(folder), *common), capture_output=True, text=True, env=env)
            caption_runs.append(done.returncode)
            if done.returncode != 0:
                problems.append(f"caption exited {done.returncode}: {done.stderr.strip()[-300:]}")

    def edit_captions() -> None:
        rng = random.Random(1)
        with Library(library_path) as library:
            while len(edits) < args.edits and not stop.is_set():
                known = [p.path for p in library.photos() if p.path not in edits]
                if not known:
                    stop.wait(0.2)
                    continue
                path = rng.choice(known)
                text = f"edited by hand number {len(edits)}"
                done = subprocess.run(
                    photoscribe("set-caption", path, text, "--library", str(library_path)),
                    capture_output=True,
                    text=True,
                    env=env,
                )
                if done.returncode == 0:
                    edits[path] = text
                else:
                    problems.append(f"set-caption exited {done.returncode}: {done.stderr.strip()[-300:]}")

    helpers = [threading.Thread(target=caption_again), threading.Thread(target=edit_captions)]
    # Wait until the watcher has created the library before the other processes open it.
    while not library_path.exists():
        time.sleep(0.05)
    for helper in helpers:
        helper.start()
    for first in range(0, args.photos, args.burst):
        burst = folder / f"burst_{first // args.burst:03d}"
        burst.mkdir()
        for index in range(first, min(first + args.burst, args.photos)):
            write_photo(burst / f"IMG_{index:05d}.jpg", index)
        time.sleep(0.5)  # a pause between bursts, as a card reader or a tethered camera delivers them

    with Library(library_path) as library:
        deadline = time.monotonic() + 1800
        while library.stats().captioned + library.stats().failed < args.photos and time.monotonic() < deadline:
            if watch.poll() is not None:
                problems.append(f"watch exited early with {watch.returncode}: {watch.stderr.read()[-500:]}")
                break
            time.sleep(0.5)
        stop.set()
        for helper in helpers:
            helper.join()
        seconds = time.perf_counter() - started
        watch.terminate()
        watch.wait(timeout=120)
        photos = library.photos()

    twice = [p.path for p in photos if p.revision > 1]
    never = [p.path for p in photos if p.revision == 0]
    lost_edits = [path for path, text in edits.items() if next(p for p in photos if p.path == path).caption != text]
    report = {
        "photos_written": args.photos,
        "photos_in_library": len(photos),
        "captioned_once": sum(p.revision == 1 for p in photos),
        "captioned_twice_or_more": len(twice),
        "never_captioned": len(never),
        "failed": sum(p.status == "failed" for p in photos),
        "edits_made": len(edits),
        "edits_lost": len(lost_edits),
        "caption_runs_beside_watch": len(caption_runs),
        "seconds": round(seconds, 1),
        "watch_exit_code": watch.returncode,
        "problems": problems[:10],
    }
    print(json.dumps(report, indent=2) if args.json else "\n".join(f"{k}: {v}" for k, v in report.items()))
    ok = not twice and not never and not lost_edits and len(photos) == args.photos and not problems
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
