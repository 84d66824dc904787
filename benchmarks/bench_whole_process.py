"""Benchmark: whole processes, side by side, from start to exit, on the same photos and the same model.

Each side is one process timed from its start to its exit (imports, model load, decoding, captioning, writing),
as a user meets it:

- the model card's loop: ``BlipProcessor`` and ``BlipForConditionalGeneration`` from the model id, then for each
  photo ``Image.open(path).convert("RGB")``, ``processor(image)``, ``model.generate``, ``processor.decode``;
- the transformers pipeline, batch 8: transformers 4's ``image-to-text`` task is gone in transformers 5; its
  nearest equivalent, ``image-text-to-text``, is used with an empty prompt (BLIP then starts from its [DEC] token
  alone, as unprompted captioning does) and ``batch_size=8``, fed by a generator so it batches; at most 20 new
  tokens, as the card's ``generate`` makes (the pipeline's own default is 256, which a random decoder that never
  ends a caption would fill);
- ``photoscribe caption FOLDER`` into a new library, then ``photoscribe status`` and ``photoscribe search WORD`` on
  that library.

The model is the default model id (``Salesforce/blip-image-captioning-base``) loaded offline from a Hugging Face
cache made here that holds a full-size stand-in of BLIP-base (``benchmarks/fullsize_blip.py``: random weights, the
speed; ``--weights trained``: a decoder trained here on shape photos, ``benchmarks/trained_blip.py``, the
agreement). The photos are 24-megapixel JPEGs. The files are read once before the first run so that every side
finds them in the page cache.

    python benchmarks/bench_whole_process.py                        # random weights, 48 photos, 3 rounds
    python benchmarks/bench_whole_process.py --weights trained      # agreement with the card's captions
    python benchmarks/bench_whole_process.py --rounds 1 --sides photoscribe status search

Each round runs every side once; the ratio to the pipeline is taken within a round. Prints a table: median and
range of the seconds over the rounds, the ratio, peak RSS (the process's, or a child's if larger), and how many
captions are identical to the card's loop.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "desktop")]

from benchmarks.fullsize_blip import build_fullsize_blip, make_photos  # noqa: E402
from benchmarks.trained_blip import build_trained_blip, make_shape_photos  # noqa: E402

MODEL_ID = "Salesforce/blip-image-captioning-base"
SIDES = ("card", "pipeline", "photoscribe", "status", "search")
LABELS = {
    "card": "the model card's loop (fp32, one photo at a time)",
    "pipeline": "transformers pipeline, batch 8 (image-text-to-text)",
    "photoscribe": "`photoscribe caption`",
    "status": "`photoscribe status` on the result",
    "search": "`photoscribe search {word}` on the result",
}

CARD = """
import json, sys
from PIL import Image
from transformers import BlipForConditionalGeneration, BlipProcessor

processor = BlipProcessor.from_pretrained("{model}")
model = BlipForConditionalGeneration.from_pretrained("{model}")
captions = []
for path in sys.argv[2:]:
    raw_image = Image.open(path).convert("RGB")
    inputs = processor(raw_image, return_tensors="pt")
    out = model.generate(**inputs)
    captions.append(processor.decode(out[0], skip_special_tokens=True))
json.dump(captions, open(sys.argv[1], "w"))
"""

PIPELINE = """
import json, sys
from transformers import pipeline

captioner = pipeline("image-text-to-text", model="{model}")
photos = ({{"images": path, "text": ""}} for path in sys.argv[2:])
outputs = captioner(photos, batch_size=8, generate_kwargs={{"max_new_tokens": 20}})
json.dump([out[0]["generated_text"].strip() for out in outputs], open(sys.argv[1], "w"))
"""


@dataclass
class Run:
    """One whole process: seconds from start to exit, peak RSS, and its captions (caption sides only)."""

    seconds: float
    peak_rss_mb: float
    captions: list[str] = field(default_factory=list)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--weights", choices=("random", "trained"), default="random")
    parser.add_argument("--images", type=int, default=48, help="number of photos (default 48)")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each side (default 3)")
    parser.add_argument("--sides", nargs="+", choices=SIDES, default=list(SIDES))
    parser.add_argument("--search", default="photo", help="the word searched for (default: photo)")
    parser.add_argument("--json", action="store_true", help="also print every run as JSON")
    args = parser.parse_args()
    if "card" not in args.sides and args.weights == "trained":
        print("(no card side: agreement is counted against the photos' true captions only)", file=sys.stderr)

    trained = args.weights == "trained"
    model = build_trained_blip() if trained else build_fullsize_blip()
    if trained:
        paths, truth = map(list, zip(*make_shape_photos(args.images)))
    else:
        paths, truth = make_photos(args.images), []
    with tempfile.TemporaryDirectory(prefix="bench-whole-") as tmp:
        env = offline_env(Path(tmp), model)
        photos = link_photos(Path(tmp) / "photos", paths)
        warm_page_cache([*paths, *model.iterdir()])
        # PhotoScribe's modules compiled as an install compiles them (transformers' came compiled from pip): with
        # PYTHONDONTWRITEBYTECODE set (some sandboxes set it) every run would compile a source tree's modules again.
        compileall.compile_dir(ROOT / "desktop" / "photoscribe", quiet=1)
        runs: dict[str, list[Run]] = {side: [] for side in args.sides}
        for round_no in range(args.rounds):
            for side in args.sides:
                run = run_side(side, Path(tmp), env, photos, args.search, round_no)
                runs[side].append(run)
                print(f"round {round_no + 1} {side}: {run.seconds:.2f} s, {run.peak_rss_mb:.0f} MB", file=sys.stderr)
    print(table(runs, truth, args))
    if args.json:
        print(json.dumps({side: [run.__dict__ for run in side_runs] for side, side_runs in runs.items()}, indent=1))


def offline_env(tmp: Path, model: Path) -> dict[str, str]:
    """An environment in which the default model id resolves, offline, to ``model`` through a Hugging Face cache."""
    home = tmp / "hf"
    repo = home / "hub" / f"models--{MODEL_ID.replace('/', '--')}"
    commit = "0" * 40
    snapshot = repo / "snapshots" / commit
    snapshot.mkdir(parents=True)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(commit)
    for file in model.iterdir():
        (snapshot / file.name).symlink_to(file)
    return {
        **os.environ,
        "HF_HOME": str(home),
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "PYTHONPATH": os.pathsep.join([str(ROOT / "desktop"), os.environ.get("PYTHONPATH", "")]),
        "PHOTOSCRIBE_CONFIG": str(tmp / "no-settings.toml"),
        "PHOTOSCRIBE_DATA_DIR": str(tmp / "data"),
    }


def link_photos(folder: Path, paths: list[Path]) -> Path:
    """A folder holding exactly ``paths`` (linked), for ``photoscribe caption FOLDER``."""
    folder.mkdir()
    for path in paths:
        (folder / path.name).symlink_to(path)
    return folder


def warm_page_cache(files: list[Path]) -> None:
    for file in files:
        with open(file, "rb") as handle:
            while handle.read(1 << 24):
                pass


def run_side(side: str, tmp: Path, env: dict[str, str], photos: Path, word: str, round_no: int) -> Run:
    paths = [str(p) for p in sorted(photos.iterdir())]
    out = tmp / f"{side}-{round_no}.json"
    library = tmp / f"library-{round_no}.sqlite3"
    python = [sys.executable]
    if side == "card":
        return timed([*python, "-c", CARD.format(model=MODEL_ID), str(out), *paths], env, out)
    if side == "pipeline":
        return timed([*python, "-c", PIPELINE.format(model=MODEL_ID), str(out), *paths], env, out)
    command = [*python, "-m", "photoscribe"]
    if side == "photoscribe":
        run = timed([*command, "caption", str(photos), "--library", str(library)], env)
        run.captions = library_captions(library, paths)
        return run
    if side == "status":
        return timed([*command, "status", "--library", str(library)], env)
    return timed([*command, "search", word, "--library", str(library)], env)


def timed(command: list[str], env: dict[str, str], out: Path | None = None) -> Run:
    """Run ``command`` to its end: wall seconds from start to exit, and peak RSS from the kernel's accounting
    (``wait4``: the larger of the process's own and that of any child it waited for)."""
    with tempfile.TemporaryFile() as stderr:
        started = time.perf_counter()
        process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=stderr)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode != 0:
            stderr.seek(0)
            sys.exit(f"{command[:4]} failed ({process.returncode}):\n{stderr.read().decode()[-3000:]}")
    captions = json.loads(out.read_text()) if out is not None else []
    return Run(round(seconds, 2), round(usage.ru_maxrss / 1024, 1), captions)


def library_captions(library: Path, paths: list[str]) -> list[str]:
    from photoscribe.library import Library

    with Library(library) as lib:
        return [(lib.photo(Path(p)).caption or "") for p in paths]


def table(runs: dict[str, list[Run]], truth: list[str], args: argparse.Namespace) -> str:
    card = runs.get("card", [])
    lines = [
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs, {_cpu_name()}; Python {platform.python_version()}",
        f"model: {MODEL_ID} offline from a Hugging Face cache holding a full-size BLIP-base stand-in "
        f"({args.weights} weights); {args.images} JPEGs of 24 MP; {args.rounds} rounds",
        "",
        "| | seconds (median, range) | vs pipeline | peak RSS | identical to the card's |"
        + (" true captions |" if truth else ""),
        "| --- | --- | --- | --- | --- |" + (" --- |" if truth else ""),
    ]
    for side, side_runs in runs.items():
        seconds = [r.seconds for r in side_runs]
        spread = f"{statistics.median(seconds):.2f} ({min(seconds):.2f}-{max(seconds):.2f})"
        ratio = ""
        if "pipeline" in runs and side in ("card", "pipeline", "photoscribe"):
            ratios = [p.seconds / r.seconds for p, r in zip(runs["pipeline"], side_runs)]
            ratio = f"{statistics.median(ratios):.2f}x" + (
                f" ({min(ratios):.2f}-{max(ratios):.2f})" if len(ratios) > 1 else ""
            )
        peak = f"{max(r.peak_rss_mb for r in side_runs) / 1024:.2f} GB"
        same = ""
        if side_runs[0].captions and card:
            counts = [sum(a == b for a, b in zip(r.captions, c.captions)) for r, c in zip(side_runs, card)]
            same = "/".join(str(n) for n in counts) + f" of {len(card[0].captions)}"
        row = f"| {LABELS[side].format(word=args.search)} | {spread} | {ratio} | {peak} | {same} |"
        if truth:
            row += f" {sum(a == b for a, b in zip(side_runs[0].captions, truth)) if side_runs[0].captions else ''} |"
        lines.append(row)
    return "\n".join(lines)


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.system()


if __name__ == "__main__":
    main()
