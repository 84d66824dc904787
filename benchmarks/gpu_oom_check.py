"""A real out-of-memory on a real GPU: the worker halves its batch and captions every photo (CUDA only).

    python benchmarks/gpu_oom_check.py --photos 96 --batch 96 --memory-fraction 0.02

Caps this process's share of GPU memory (``torch.cuda.set_per_process_memory_fraction``) so a batch of full-size
BLIP-base (random weights) cannot fit, then runs the real CaptionWorker on a real library. Prints the batch sizes
the worker ended with and whether every photo was captioned exactly once. ``--model DIR`` uses another model.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "desktop")]


def main() -> int:
    import torch
    from PIL import Image

    from benchmarks.fullsize_blip import build_fullsize_blip
    from photoscribe.captioning import Captioner, choose_hardware
    from photoscribe.ingest.registration import register_files
    from photoscribe.library import Library
    from photoscribe.worker import CaptionWorker

    parser = argparse.ArgumentParser()
    parser.add_argument("--photos", type=int, default=96)
    parser.add_argument("--batch", type=int, default=96)
    parser.add_argument("--memory-fraction", type=float, default=0.02)
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--precision", default="fp16")
    parser.add_argument("--model")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="photoscribe-oom-"))
    model = Path(args.model) if args.model else build_fullsize_blip(work / "model")
    folder = work / "photos"
    folder.mkdir()
    for i in range(args.photos):
        Image.new("RGB", (800, 600), (i * 7 % 256, i * 13 % 256, i * 29 % 256)).save(folder / f"{i:04d}.jpg")
    captioner = Captioner.load(str(model), choose_hardware(args.device, args.precision))
    if args.device == "cuda":
        torch.cuda.set_per_process_memory_fraction(args.memory_fraction)
    sizes: list[int] = []
    with Library(work / "library.sqlite3") as library:
        register_files(library, sorted(folder.iterdir()))
        worker = CaptionWorker(library, captioner, batch_size=args.batch)
        real_caption = captioner.caption

        def counting(images, settings):  # type: ignore[no-untyped-def]
            sizes.append(len(images))
            return real_caption(images, settings)

        captioner.caption = counting  # type: ignore[method-assign]
        started = time.perf_counter()
        summary = worker.run()
        photos = library.photos()
    report = {
        "device": torch.cuda.get_device_name(0) if args.device == "cuda" else args.device,
        "memory_fraction": args.memory_fraction,
        "batch_asked": args.batch,
        "model_calls": sizes[:40],
        "batch_in_the_end": worker.batch_size,
        "captioned": summary.captioned,
        "failed": summary.failed[:3],
        "revision_1": sum(p.revision == 1 for p in photos),
        "seconds": round(time.perf_counter() - started, 1),
    }
    print(json.dumps(report, indent=2))
    return 0 if summary.captioned == args.photos and report["revision_1"] == args.photos else 1


if __name__ == "__main__":
    sys.exit(main())
