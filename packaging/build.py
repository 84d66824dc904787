"""Build the PyInstaller one-folder app (dist/PhotoScribe/) and smoke-test it.

    .venv/bin/pip install pyinstaller
    .venv/bin/python packaging/build.py                      # build, then smoke-test with the tests' tiny model
    .venv/bin/python packaging/build.py --model DIR          # smoke-test with another local model
    .venv/bin/python packaging/build.py --no-smoke           # build only

The bundle holds whichever PyTorch the environment has (CPU-only or CUDA), Qt and transformers, not the caption
model (downloaded on first use). The smoke test (smoke.py) runs the built program in a scratch folder: --version, a
headless caption and search, and the desktop app offscreen captioning an added folder and exiting by itself. Without
--model it trains the tests' tiny captioner first (tests/tiny_blip.py, a few seconds), so this needs a
clone of the repository, not just the package.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "packaging" / "photoscribe.spec"


def build(dist: Path, work: Path) -> Path:
    """Run PyInstaller on the spec, from scratch (its cache once kept a changed module's old code); returns the
    built program."""
    subprocess.run(
        [sys.executable, "-m", "PyInstaller", "--noconfirm", "--clean", "--log-level", "WARN", "--distpath", str(dist),
         "--workpath", str(work), str(SPEC)],
        check=True,
    )  # fmt: skip
    program = dist / "PhotoScribe" / ("photoscribe.exe" if sys.platform == "win32" else "photoscribe")
    if not program.exists():
        raise SystemExit(f"PyInstaller ended without {program}")
    return program


def tiny_model(folder: Path) -> Path:
    sys.path.insert(0, str(ROOT))
    from tests.tiny_blip import build_tiny_blip

    return build_tiny_blip(folder / "tiny-blip")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dist", type=Path, default=ROOT / "dist", help="where the app goes (default dist/)")
    parser.add_argument("--work", type=Path, default=ROOT / "build", help="PyInstaller's work folder (default build/)")
    parser.add_argument("--model", type=Path, help="local caption model for the smoke test (default: the tiny one)")
    parser.add_argument("--no-smoke", action="store_true", help="build only")
    args = parser.parse_args(argv)
    started = time.monotonic()
    program = build(args.dist.resolve(), args.work.resolve())
    size = sum(f.stat().st_size for f in program.parent.rglob("*") if f.is_file())
    print(f"built {program} ({size / 2**20:,.0f} MB) in {time.monotonic() - started:.0f} s", flush=True)
    if args.no_smoke:
        return 0
    sys.path.insert(0, str(ROOT / "packaging"))
    from smoke import main as smoke

    with tempfile.TemporaryDirectory(prefix="photoscribe-build-") as scratch:
        model = args.model or tiny_model(Path(scratch))
        return smoke(["--model", str(model), str(program)])


if __name__ == "__main__":
    raise SystemExit(main())
