"""Benchmark: the model card's captioning loop against PhotoScribe's engine, on the same photos.

The model card's way, which any user could write: open each photo at full size, ``processor(image)``,
``model.generate``, one photo at a time, fp32 on the CPU (fp16 on CUDA). PhotoScribe's way, end to end: register
the files in a library, decode with JPEG draft in threads running ahead of the model, caption in batches, store
in SQLite. Each side runs in its own process so that its peak memory is its own.

    python benchmarks/bench_caption.py                      # full-size BLIP-base, random weights, 24 MP JPEGs
    python benchmarks/bench_caption.py --weights trained    # caption agreement of a confident, trained decoder
    python benchmarks/bench_caption.py --precision fp32     # captions must be identical to the card's
    python benchmarks/bench_caption.py --model Salesforce/blip-image-captioning-base --images 64 --json
    python benchmarks/bench_caption.py --device cuda --images 1000 --skip-card   # a GPU: photos/s, utilisation

Prints photos/s for both, the ratio, peak RSS (and peak GPU memory on CUDA), RSS growth while captioning, and
how many captions agree. ``--weights trained`` uses a full-size BLIP-base whose decoder was trained here to
describe generated shape photos (``benchmarks/trained_blip.py``): random weights are near ties at every word, so
they show how fast, and the trained one shows how often reduced precision changes a caption.

It also says where the thread running the model spent its time (waiting for the model to load, for the decode
threads, captioning, storing) and, on CUDA, the GPU's utilisation while captioning (``pynvml`` or ``nvidia-smi``):
a GPU waiting for decoding shows as time "waiting for decoding" and utilisation well under 100%. More than 48
generated photos are byte copies of 48 with a few bytes added after the picture (``fullsize_blip.many_photos``).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "desktop")]

from benchmarks.fullsize_blip import build_fullsize_blip, many_photos  # noqa: E402
from benchmarks.trained_blip import build_trained_blip, make_shape_photos  # noqa: E402
from photoscribe.config import DEVICES, PRECISIONS  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", help="model id or folder with real weights (default: full-size random BLIP-base)")
    parser.add_argument(
        "--weights",
        choices=("random", "trained"),
        default="random",
        help="without --model: random weights (default) or a decoder trained here on shape photos",
    )
    parser.add_argument("--images", type=int, default=24, help="number of photos (default 24)")
    parser.add_argument("--size", choices=("24mp", "12mp"), default="24mp", help="photo size (default 24mp)")
    parser.add_argument("--photos", type=Path, help="a folder of your own JPEGs instead of generated ones")
    parser.add_argument("--batch-size", type=int, help="photos per model call (default: PhotoScribe's automatic one)")
    parser.add_argument("--precision", default="auto", choices=PRECISIONS)
    parser.add_argument("--device", default="auto", choices=DEVICES)
    parser.add_argument("--skip-card", action="store_true", help="measure only PhotoScribe")
    parser.add_argument(
        "--rounded-words", action="store_true", help="let bf16/fp16 pick words without the fp32 check (to compare)"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--phase", choices=("card", "engine"), help=argparse.SUPPRESS)
    parser.add_argument("--paths-file", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        paths = [Path(p) for p in args.paths_file.read_text().splitlines()]
        result = run_card(args, paths) if args.phase == "card" else run_engine(args, paths)
        print(json.dumps(result))
        return
    report = compare(args)
    print(json.dumps(report, indent=2) if args.json else format_report(report))


# -- the two sides, each in its own process --------------------------------------------------------------------


def run_card(args: argparse.Namespace, paths: list[Path]) -> dict[str, object]:
    """The model card's loop: full decode, processor, generate, decode; one photo at a time."""
    import torch
    from PIL import Image
    from transformers import BlipForConditionalGeneration, BlipProcessor

    device = pick_device(args.device)
    dtype = torch.float16 if device == "cuda" else torch.float32
    started = time.perf_counter()
    processor = BlipProcessor.from_pretrained(args.model)
    model = BlipForConditionalGeneration.from_pretrained(args.model, dtype=dtype).to(device)
    load_seconds = time.perf_counter() - started

    def caption(path: Path) -> str:
        raw_image = Image.open(path).convert("RGB")
        inputs = processor(raw_image, return_tensors="pt").to(device, dtype)
        out = model.generate(**inputs)
        return processor.decode(out[0], skip_special_tokens=True)

    caption(paths[0])  # warm-up, not counted
    started = time.perf_counter()
    captions = [caption(p) for p in paths]
    return finish(started, load_seconds, captions, device)


def run_engine(args: argparse.Namespace, paths: list[Path]) -> dict[str, object]:
    """PhotoScribe end to end: library registration, pipelined decode, batched captioning, SQLite writes."""
    from benchmarks.gpu_monitor import GpuMonitor
    from photoscribe.captioning import Captioner, CaptionSettings, choose_hardware
    from photoscribe.ingest import register_files
    from photoscribe.library import Library
    from photoscribe.worker import CaptionWorker

    started = time.perf_counter()
    hardware = choose_hardware(args.device, args.precision)
    captioner = Captioner.load(args.model, hardware, exact_word_choice=not args.rounded_words)
    load_seconds = time.perf_counter() - started
    rss: list[float] = []
    on_gpu = hardware.device.type == "cuda"
    with tempfile.TemporaryDirectory() as tmp, Library(Path(tmp) / "bench.sqlite3") as library:
        worker = CaptionWorker(library, captioner, CaptionSettings(), args.batch_size)
        warm_up = [worker.decoding(paths[0]).data] * min(worker.batch_size, len(paths))
        captioner.caption(warm_up)  # not counted: the first call pays one-off costs (kernels, caches)
        started = time.perf_counter()
        register_files(library, paths)
        with GpuMonitor(hardware.device.index or 0) if on_gpu else contextlib.nullcontext() as monitor:
            summary = worker.run(on_batch=lambda _: rss.append(current_rss_mb()))
        result = finish(started, load_seconds, [library.photo(p).caption for p in paths], hardware.device.type)
    result.update(
        precision=hardware.precision,
        reason=hardware.reason,
        batch_size=worker.batch_size,
        decode_threads=worker.decode_threads,
        word_choice="rounded" if args.rounded_words else "exact",
        rss_first_batch_mb=rss[0],
        rss_last_batch_mb=rss[-1],
        time_in={part: round(seconds, 2) for part, seconds in summary.time_in.items()},
        worker_seconds=round(summary.seconds, 2),
        **(monitor.report() if monitor is not None else {}),
    )
    return result


def finish(started: float, load_seconds: float, captions: list[str | None], device: str) -> dict[str, object]:
    seconds = time.perf_counter() - started
    result: dict[str, object] = {
        "seconds": round(seconds, 2),
        "photos_per_second": round(len(captions) / seconds, 3),
        "model_load_seconds": round(load_seconds, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "captions": captions,
    }
    if device == "cuda":
        import torch

        result["peak_gpu_mb"] = round(torch.cuda.max_memory_allocated() / 2**20, 1)
    return result


def current_rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return round(int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20, 1)


def pick_device(requested: str) -> str:
    import torch

    if requested != "auto":
        return requested
    return "cuda" if torch.cuda.is_available() else "mps" if torch.backends.mps.is_available() else "cpu"


# -- orchestration ---------------------------------------------------------------------------------------------


def compare(args: argparse.Namespace) -> dict[str, object]:
    trained = args.weights == "trained" and not args.model
    model = args.model or str(build_trained_blip() if trained else build_fullsize_blip())
    truth: list[str] = []
    if args.photos:
        paths = sorted(args.photos.glob("*.jp*g"))[: args.images]
    elif trained:
        paths, truth = map(list, zip(*make_shape_photos(args.images, args.size)))
    else:
        paths = many_photos(args.images, args.size)
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as listing:
        listing.write("\n".join(str(p) for p in paths))
    common = [
        "--model",
        model,
        *(["--batch-size", str(args.batch_size)] if args.batch_size else []),
        *(["--rounded-words"] if args.rounded_words else []),
        "--precision",
        args.precision,
        "--device",
        args.device,
        "--paths-file",
        listing.name,
    ]
    engine = run_phase("engine", common)
    report: dict[str, object] = {
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, {platform.processor() or platform.system()}",
        "model": args.model or f"BLIP-base architecture, {args.weights} weights",
        "photos": len(paths),
        "photo_size": f"{args.size} JPEG" if not args.photos else str(args.photos),
        "batch_size": engine["batch_size"],
        "photoscribe": engine,
    }
    if truth:
        engine["true_captions"] = f"{count_same(engine['captions'], truth)}/{len(truth)}"  # type: ignore[arg-type]
    if not args.skip_card:
        card = run_phase("card", common)
        same = count_same(card["captions"], engine["captions"])  # type: ignore[arg-type]
        if truth:
            card["true_captions"] = f"{count_same(card['captions'], truth)}/{len(truth)}"  # type: ignore[arg-type]
        report["model_card"] = card
        report["speedup"] = round(engine["photos_per_second"] / card["photos_per_second"], 2)  # type: ignore[operator]
        report["identical_captions"] = f"{same}/{len(paths)}"
        report["identical_share"] = round(same / len(paths), 3)
    os.unlink(listing.name)
    return report


def count_same(captions: list[str], expected: list[str]) -> int:
    """How many of ``captions`` equal ``expected``, position by position."""
    return sum(a == b for a, b in zip(captions, expected))


def run_phase(phase: str, common: list[str]) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, __file__, "--phase", phase, *common], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        sys.exit(f"the {phase} phase failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def format_report(report: dict[str, object]) -> str:
    engine = report["photoscribe"]
    lines = [
        f"machine: {report['machine']}",
        f"where the model's thread spent {engine['worker_seconds']} s: "  # type: ignore[index]
        + ", ".join(f"{part} {seconds} s" for part, seconds in engine["time_in"].items())  # type: ignore[index]
        + f" ({engine['decode_threads']} decode threads)",  # type: ignore[index]
        f"model: {report['model']}; {report['photos']} photos, {report['photo_size']}, batch {report['batch_size']}",
        f"PhotoScribe ({engine['precision']}): {engine['photos_per_second']:.3f} photos/s, peak RSS "  # type: ignore[index]
        f"{engine['peak_rss_mb']} MB (RSS {engine['rss_first_batch_mb']} MB after the first batch, "  # type: ignore[index]
        f"{engine['rss_last_batch_mb']} MB after the last)",  # type: ignore[index]
    ]
    if "model_card" in report:
        card = report["model_card"]
        lines += [
            f"model card loop: {card['photos_per_second']:.3f} photos/s, peak RSS {card['peak_rss_mb']} MB",  # type: ignore[index]
            f"speedup: {report['speedup']}x; identical captions: {report['identical_captions']}",
        ]
    for side in ("photoscribe", "model_card"):
        if "true_captions" in report.get(side, {}):  # type: ignore[operator]
            lines.append(f"{side} captions matching the photo's true caption: {report[side]['true_captions']}")  # type: ignore[index]
        if "peak_gpu_mb" in report.get(side, {}):  # type: ignore[operator]
            lines.append(f"{side} peak GPU memory: {report[side]['peak_gpu_mb']} MB")  # type: ignore[index]
    if "gpu_util_mean" in engine:  # type: ignore[operator]
        lines.append(
            f"GPU utilisation while captioning ({engine['gpu_util_source']}, {engine['gpu_util_samples']} samples): "  # type: ignore[index]
            f"mean {engine['gpu_util_mean']}%, median {engine['gpu_util_median']}%"  # type: ignore[index]
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
