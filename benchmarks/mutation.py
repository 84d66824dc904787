"""Mutation testing of one package with mutmut: how many deliberate small bugs the package's tests catch.

Not part of CI (it runs the package's tests once per mutant: minutes to an hour). Run it as a habit before and
after changing a package, and kill or explain the mutants that survive:

    pip install -e '.[test,mutation]'
    python benchmarks/mutation.py library        # or metadata, ingest, worker; --max-children N; --keep DIR
    python benchmarks/mutation.py ingest --sample 100   # a seeded random sample: an estimate in a fraction of the time
    python benchmarks/mutation.py ingest --rerun DIR    # run again what hung or was not reached in a --keep folder

The working tree is never touched: the tracked files are copied to a scratch folder where ``src`` points at
``desktop`` (mutmut names modules from ``src/``), the ``[tool.mutmut]`` section of pyproject.toml is narrowed
to the package and its test folders, and mutmut runs there at the lowest CPU priority. It prints the counts
(killed, survived, no tests, timeouts, score) and writes ``survivors.txt`` (file:line, status, mutation).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: package -> (files mutmut may mutate, the test folders that cover them)
PACKAGES = {
    "metadata": ("src/photoscribe/metadata/*", ["tests/metadata"]),
    "library": ("src/photoscribe/library/*", ["tests/library"]),
    "ingest": ("src/photoscribe/ingest/*", ["tests/ingest", "tests/engine", "tests/cli"]),
    "worker": ("src/photoscribe/worker.py", ["tests/engine", "tests/captioning/test_captioning.py"]),
}


def scratch_copy(package: str, target: Path) -> None:
    files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    for name in filter(None, files.decode().split("\0")):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    (target / "src").symlink_to("desktop")
    # The camera samples: tests/conftest.py looks for them beside the tree it runs from, and mutmut runs the tests
    # from its copy in target/mutants, so they must be at target/shared.
    shared = ROOT.parent / "shared"
    if not (shared / "samples").is_dir():
        sys.exit(f"the camera samples are missing: expected {shared / 'samples'} (the tests need them)")
    (target / "shared").symlink_to(shared.resolve())
    only, tests = PACKAGES[package]
    pyproject = (target / "pyproject.toml").read_text()
    pyproject = re.sub(r"(?m)^only_mutate = .*$", f"only_mutate = [{only!r}]".replace("'", '"'), pyproject)
    selection = ", ".join(f'"{t}"' for t in tests if (target / t).exists())
    pyproject = re.sub(
        r"(?m)^pytest_add_cli_args_test_selection = .*$",
        f"pytest_add_cli_args_test_selection = [{selection}]",
        pyproject,
    )
    (target / "pyproject.toml").write_text(pyproject)
    (target / "mutants" / "src").mkdir(parents=True)  # on sys.path before mutmut fills it


def survivors(where: Path, env: dict[str, str], only: set[str] | None = None) -> list[str]:
    """The mutants not killed (of ``only``, when given), as file:line, status, the mutation and its name."""
    mutmut = [sys.executable, "-m", "mutmut"]
    listing = subprocess.run([*mutmut, "results", "--all", "true"], cwd=where, env=env, capture_output=True, text=True)
    lines = []
    for name, status in re.findall(r"(?m)^\s*(\S+): (.+)$", listing.stdout):
        if status in ("killed", "not checked") or (only is not None and name not in only):
            continue
        status = "hung" if status == "segfault" else status  # mutmut's name for -9: a child this script reaped
        diff = subprocess.run([*mutmut, "show", name], cwd=where, env=env, capture_output=True, text=True).stdout
        old = next((d[1:].strip() for d in diff.splitlines() if d.startswith("-") and not d.startswith("---")), "")
        new = next((d[1:].strip() for d in diff.splitlines() if d.startswith("+") and not d.startswith("+++")), "")
        file = re.search(r"(?m)^--- (\S+)", diff)
        line = "?"
        if file and old:
            text = (where / file.group(1)).read_text().splitlines()
            line = next((str(i + 1) for i, s in enumerate(text) if s.strip() == old), "?")
        path = file.group(1).replace("src/", "desktop/", 1) if file else "?"
        lines.append(f"{path}:{line}\t{status}\t{old}  ==>  {new}\t[{name}]")
    return sorted(lines)


def mutant_names(where: Path) -> list[str]:
    """Every mutant mutmut generated in ``where`` (after a first ``mutmut run``), sorted."""
    names: list[str] = []
    for meta in (where / "mutants").rglob("*.meta"):
        names += list(json.loads(meta.read_text())["exit_code_by_key"])
    return sorted(names)


def reap_idle_children(stop: threading.Event, idle_seconds: float = 180.0) -> None:
    """Kill mutmut's children whose threads together were runnable (on a CPU or waiting for one) for under a
    quarter of the last ``idle_seconds``: they sleep. A child forked from a process that has run threads
    sometimes waits forever on a thread that does not exist in it (or a lock its parent held), polling now and
    then, and mutmut's CPU-time limit never fires on such a child. A child starved of CPU by other work is
    runnable all the time and is left alone. A reaped mutant is reported as ``hung`` (undetermined), not as
    killed. (Linux: reads /proc.)"""
    seen: dict[int, tuple[float, float]] = {}  # pid -> (runnable seconds, when the window started)
    while not stop.wait(10):
        for status in Path("/proc").glob("[0-9]*/cmdline"):
            try:
                if not status.read_bytes().startswith(b"mutmut: "):
                    continue
                pid = int(status.parent.name)
                state = (status.parent / "stat").read_text().rsplit(")", 1)[1].split()[0]
                runnable = (
                    sum(  # every thread's time on a CPU and waiting for one, in seconds
                        sum(int(n) for n in task.read_text().split()[:2])
                        for task in status.parent.glob("task/*/schedstat")
                    )
                    / 1e9
                )
            except (OSError, ValueError):
                continue
            now = time.monotonic()
            last = seen.get(pid)
            if last is None or state == "T":  # T: paused (SIGSTOP), e.g. during a benchmark
                seen[pid] = (runnable, now)
            elif now - last[1] >= idle_seconds:
                if runnable - last[0] < 0.25 * (now - last[1]):
                    os.kill(pid, signal.SIGKILL)
                seen[pid] = (runnable, now)


def _codes(meta: Path) -> dict[str, int | None]:
    """mutmut's exit code for each mutant of one source file (None: not run yet)."""
    codes: dict[str, int | None] = json.loads(meta.read_text())["exit_code_by_key"]
    return codes


STATUS = {1: "killed", 3: "killed", 0: "survived", -24: "timeout", -9: "hung", 33: "no tests", 37: "type check"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("package", choices=sorted(PACKAGES))
    parser.add_argument("--max-children", type=int, default=2)
    parser.add_argument("--keep", type=Path, help="run in this (new) folder and keep it, e.g. to rerun")
    parser.add_argument("--sample", type=int, help="run only this many mutants, drawn at random (seeded)")
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument(
        "--rerun",
        type=Path,
        help="in this kept folder, run again the sample's mutants that hung or "
        "were not checked (a run stopped early), then report on the whole sample",
    )
    args = parser.parse_args()
    if args.rerun:
        where = args.rerun
    else:
        where = args.keep or Path(tempfile.mkdtemp(prefix=f"mutation-{args.package}-")) / "tree"
        where.mkdir(parents=True, exist_ok=False)
        scratch_copy(args.package, where)
    env = {
        **os.environ,
        "PYTHONPATH": str(where / "mutants" / "src"),
        "QT_QPA_PLATFORM": "offscreen",
        "CI": "true",  # a test missing the camera samples fails instead of being skipped (and covering nothing)
        "OMP_NUM_THREADS": "1",  # torch's thread pool in a forked child is one more way to hang
        "MKL_NUM_THREADS": "1",
    }
    started = time.monotonic()
    mutmut = ["nice", "-n", "19", sys.executable, "-m", "mutmut", "run", "--max-children", str(args.max_children)]
    stop = threading.Event()
    reaper = threading.Thread(target=reap_idle_children, args=(stop,), daemon=True)
    reaper.start()
    chosen: list[str] | None = None
    run = subprocess.CompletedProcess[bytes]([], 0, b"", b"")
    if args.rerun:
        chosen = (where / "sample.txt").read_text().split()
        done = {n: c for meta in (where / "mutants").rglob("*.meta") for n, c in _codes(meta).items()}
        again = [n for n in chosen if done.get(n) in (None, -9)]
        if again:
            run = subprocess.run([*mutmut, *again], cwd=where, env=env, capture_output=True, check=False)
    elif args.sample:  # a run with a name that matches nothing generates every mutant and runs none
        subprocess.run([*mutmut, "no_such_mutant"], cwd=where, env=env, capture_output=True, check=False)
        names = mutant_names(where)
        chosen = random.Random(args.seed).sample(names, min(args.sample, len(names)))
        (where / "sample.txt").write_text("\n".join(chosen) + "\n")
        # one run for the whole sample: each run first runs the clean tests of the mutants it is given (minutes)
        run = subprocess.run([*mutmut, *chosen], cwd=where, env=env, capture_output=True, check=False)
    else:
        run = subprocess.run(mutmut, cwd=where, env=env, capture_output=True, check=False)
    if "failed to collect stats" in run.stdout.decode(errors="replace"):  # the tests fail before any mutation
        stop.set()
        print(run.stdout.decode(errors="replace")[-4000:], run.stderr.decode(errors="replace")[-2000:], sep="\n")
        print(f"{args.package}: the unmutated tests failed in {where}; no mutant was run")
        return 1
    stop.set()
    minutes = (time.monotonic() - started) / 60
    codes: dict[str, int | None] = {}
    for meta in (where / "mutants").rglob("*.meta"):
        codes.update(_codes(meta))
    names = chosen if chosen is not None else sorted(codes)
    counts: dict[str, int] = {}
    for name in names:
        code = codes.get(name)
        status = "not checked" if code is None else STATUS.get(code, f"exit {code}")
        counts[status] = counts.get(status, 0) + 1
    total, killed = len(names), counts.get("killed", 0)
    what = f"a sample of {total} of {len(codes)}" if chosen is not None else f"{total}"
    print(f"{args.package}: {what} mutants in {minutes:.1f} min: {counts}")
    decided = killed + counts.get("survived", 0) + counts.get("no tests", 0)
    print(f"score (killed / killed, survived, no tests): {killed / max(decided, 1):.1%}")
    (where / "survivors.txt").write_text("\n".join(survivors(where, env, set(names))) + "\n")
    print(f"not killed, with file:line and mutation: {where / 'survivors.txt'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
