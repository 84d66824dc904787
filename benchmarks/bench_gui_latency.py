"""Benchmark: how late a 10 ms GUI timer fires while PhotoScribe captions a folder (is the window ever frozen?).

Opens the real main window (offscreen), adds a folder of camera-sized JPEGs and measures, for every tick of a
10 ms QTimer on the GUI thread, how much later than 10 ms it fired, until every photo is captioned. By default
it uses the full-size BLIP-base with random weights from ``fullsize_blip.py`` (real model work, no download).

    QT_QPA_PLATFORM=offscreen python benchmarks/bench_gui_latency.py [--images 24] [--model ID_OR_DIR] [--json]

Aim: 99th percentile under 50 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "desktop")]
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from benchmarks.fullsize_blip import build_fullsize_blip, make_photos  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", type=int, default=24)
    parser.add_argument("--model", help="model id or folder (default: full-size random BLIP-base)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    report = measure(args.model or str(build_fullsize_blip()), make_photos(args.images))
    print(json.dumps(report, indent=2) if args.json else "\n".join(f"{k}: {v}" for k, v in report.items()))


def measure(model: str, photos: list[Path]) -> dict[str, object]:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from photoscribe.config import Settings
    from photoscribe.engine import Engine
    from photoscribe.gui.main_window import MainWindow

    app = QApplication.instance() or QApplication([])
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["PHOTOSCRIBE_DATA_DIR"] = tmp
        folder = Path(tmp, "photos")
        folder.mkdir()
        for photo in photos:
            shutil.copy2(photo, folder / photo.name)
        engine = Engine(Settings(library=str(Path(tmp, "library.sqlite3")), model=model, settle_seconds=0.5))
        window = MainWindow(engine)
        window.show()
        engine.start()
        lateness: list[float] = []
        last = [time.perf_counter()]

        def tick() -> None:
            now = time.perf_counter()
            lateness.append(max(0.0, (now - last[0]) - 0.010) * 1000)
            last[0] = now
            if engine.library.stats().captioned == len(photos):
                app.quit()

        timer = QTimer()
        timer.setInterval(10)
        timer.timeout.connect(tick)
        started = time.perf_counter()
        window.add_folder(str(folder))
        timer.start()
        app.exec()
        seconds = time.perf_counter() - started
        window.close()
        engine.library.close()
    lateness.sort()
    return {
        "photos": len(photos),
        "seconds": round(seconds, 1),
        "timer_ticks": len(lateness),
        "lateness_p50_ms": round(statistics.median(lateness), 1),
        "lateness_p99_ms": round(lateness[int(len(lateness) * 0.99) - 1], 1),
        "lateness_max_ms": round(lateness[-1], 1),
    }


if __name__ == "__main__":
    main()
