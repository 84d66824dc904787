"""Mutation testing of one package with mutmut: how many deliberate small bugs the package's tests catch.

Not part of CI (it runs the package's tests once per mutant: minutes to an hour). Run it as a habit before and
after changing a package, and kill or explain the mutants that survive:

    pip install -e '.[test,mutation]'
    python benchmarks/mutation.py library        # or metadata, ingest, worker; --max-children N; --keep DIR

The working tree is never touched: the tracked files are copied to a scratch folder where ``src`` points at
``desktop`` (mutmut names modules from ``src/``), the ``[tool.mutmut]`` section of pyproject.toml is narrowed
to the package and its test folders, and mutmut runs there at the lowest CPU priority. It prints the counts
(killed, survived, no tests, timeouts, score) and writes ``survivors.txt`` (file:line, status, mutation).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
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
    if (ROOT.parent / "shared").is_dir():  # the camera samples, which tests/conftest.py looks for beside the tree
        (target / "shared").symlink_to(ROOT.parent / "shared")
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


def survivors(where: Path, env: dict[str, str]) -> list[str]:
    mutmut = [sys.executable, "-m", "mutmut"]
    listing = subprocess.run([*mutmut, "results", "--all", "true"], cwd=where, env=env, capture_output=True, text=True)
    lines = []
    for name, status in re.findall(r"(?m)^\s*(\S+): (.+)$", listing.stdout):
        if status == "killed":
            continue
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("package", choices=sorted(PACKAGES))
    parser.add_argument("--max-children", type=int, default=2)
    parser.add_argument("--keep", type=Path, help="run in this (new) folder and keep it, e.g. to rerun")
    args = parser.parse_args()
    where = args.keep or Path(tempfile.mkdtemp(prefix=f"mutation-{args.package}-")) / "tree"
    where.mkdir(parents=True, exist_ok=False)
    scratch_copy(args.package, where)
    env = {**os.environ, "PYTHONPATH": str(where / "mutants" / "src"), "QT_QPA_PLATFORM": "offscreen"}
    started = time.monotonic()
    command = ["nice", "-n", "19", sys.executable, "-m", "mutmut", "run", "--max-children", str(args.max_children)]
    subprocess.run(command, cwd=where, env=env, stdout=subprocess.DEVNULL, check=False)
    minutes = (time.monotonic() - started) / 60
    listing = subprocess.run(
        [sys.executable, "-m", "mutmut", "results", "--all", "true"], cwd=where, env=env, capture_output=True, text=True
    ).stdout
    counts: dict[str, int] = {}
    for status in re.findall(r"(?m)^\s*\S+: (.+)$", listing):
        counts[status] = counts.get(status, 0) + 1
    total = sum(counts.values())
    killed = counts.get("killed", 0)
    print(f"{args.package}: {total} mutants in {minutes:.1f} min ({total / max(minutes, 1e-9):.0f}/min): {counts}")
    print(f"score (killed / all): {killed / max(total, 1):.1%}")
    (where / "survivors.txt").write_text("\n".join(survivors(where, env)) + "\n")
    print(f"not killed, with file:line and mutation: {where / 'survivors.txt'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
