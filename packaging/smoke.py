"""Smoke test of a PhotoScribe program: the PyInstaller bundle (see build.py) or the installed command.

    python packaging/smoke.py --model MODEL_DIR -- dist/PhotoScribe/photoscribe
    python packaging/smoke.py --model MODEL_DIR -- python -m photoscribe

With a local caption model (the tests' tiny BLIP, or a downloaded BLIP folder), in a scratch folder, with its own
settings file, data folder and libraries (nothing of the user's is read or written), it checks that the program:
1. answers ``--version``;
2. captions a folder headless (``caption``), then ``status --json`` counts every photo captioned and ``search
   --exact`` finds a photo by a word of its caption;
3. starts the desktop app offscreen on a library whose folder was added with ``add``, captions the folder's photos
   and exits 0 by itself once the engine is idle (the hidden ``--quit-when-idle`` option);
and that the photos are byte-identical afterwards. Exit status 0 when every check holds, 1 with the failed check
on stderr otherwise. Needs Pillow in the Python that runs this script (to make the photos).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

COLOURS = {"red": (200, 30, 30), "green": (30, 160, 40), "blue": (30, 60, 200)}
STEP_TIMEOUT = 600  # seconds: a bundle's first start unpacks nothing but imports PyTorch and Qt (slow on 2 cores)


OLD_LIBRARY = Path(__file__).resolve().parents[1] / "tests" / "data" / "library-v4.sqlite3"


class SmokeFailed(Exception):
    """A check of the smoke test did not hold."""


def make_photos(folder: Path) -> dict[str, Path]:
    from PIL import Image

    folder.mkdir(parents=True)
    photos = {}
    for name, rgb in COLOURS.items():
        photos[name] = folder / f"{name} wall.jpg"
        Image.new("RGB", (64, 48), rgb).save(photos[name], format="JPEG", quality=92)
    return photos


def digest(paths: list[Path]) -> dict[Path, str]:
    return {path: hashlib.sha256(path.read_bytes()).hexdigest() for path in paths}


class Program:
    """The program under test, run in a scratch environment."""

    def __init__(self, command: list[str], model: Path, scratch: Path) -> None:
        self.command, self.model = command, model
        self.env = dict(os.environ)
        self.env.update(
            PHOTOSCRIBE_CONFIG=str(scratch / "settings.toml"),
            PHOTOSCRIBE_DATA_DIR=str(scratch / "data"),
            HF_HUB_OFFLINE="1",
            QT_QPA_PLATFORM="offscreen",
        )
        for name in ("PHOTOSCRIBE_LIBRARY", "PHOTOSCRIBE_MODEL", "PHOTOSCRIBE_TEXT_MODEL"):
            self.env.pop(name, None)

    def run(self, *args: str, library: Path | None = None) -> str:
        options = [] if library is None else ["--library", str(library), "--model", str(self.model), "--text-model", ""]
        argv = [*self.command, *args, *options]
        try:
            done = subprocess.run(argv, env=self.env, capture_output=True, text=True, timeout=STEP_TIMEOUT)
        except subprocess.TimeoutExpired as exc:
            raise SmokeFailed(f"{' '.join(argv)} did not end in {STEP_TIMEOUT} s") from exc
        if done.returncode != 0:
            raise SmokeFailed(f"{' '.join(argv)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}")
        return done.stdout

    def captioned(self, library: Path) -> int:
        return int(json.loads(self.run("status", "--json", library=library))["captioned"])


def smoke(command: list[str], model: Path, scratch: Path, say=print) -> None:  # type: ignore[no-untyped-def]
    """Run every check; raises :class:`SmokeFailed` at the first that does not hold."""
    program = Program(command, model, scratch)
    version = program.run("--version").strip()
    if not version.startswith("photoscribe "):
        raise SmokeFailed(f"--version printed {version!r}")
    say(f"version: {version}")

    headless = make_photos(scratch / "headless")
    before = digest(list(headless.values()))
    library = scratch / "headless.sqlite3"
    program.run("caption", str(scratch / "headless"), "--precision", "fp32", library=library)
    if (count := program.captioned(library)) != len(headless):
        raise SmokeFailed(f"caption: {count} of {len(headless)} photos captioned")
    found = json.loads(program.run("search", "red", "--exact", "--json", library=library))
    paths = [hit["path"] for hit in found]
    if paths[:1] != [str(headless["red"])]:
        raise SmokeFailed(f"search red found {paths}, not {headless['red']} first")
    say(f"caption: {count} photos captioned, search found {Path(paths[0]).name}")

    app_photos = make_photos(scratch / "app")
    before |= digest(list(app_photos.values()))
    library = scratch / "app.sqlite3"
    program.run("add", str(scratch / "app"), library=library)
    program.run("--precision", "fp32", "--quit-when-idle", library=library)
    if (count := program.captioned(library)) != len(app_photos):
        raise SmokeFailed(f"the app: {count} of {len(app_photos)} photos captioned")
    say(f"the app (offscreen): {count} photos captioned, exited 0")

    old = scratch / "old.sqlite3"  # made by PhotoScribe at schema 4: opening it runs Alembic's migrations
    shutil.copy(OLD_LIBRARY, old)
    photos = int(json.loads(program.run("status", "--json", library=old))["photos"])
    if photos != 6:
        raise SmokeFailed(f"an old library: status counted {photos} photos, not 6, after its migration")
    say("an old library migrated (Alembic)")

    if digest(list(before)) != before:
        raise SmokeFailed("a photo changed")
    say("photos unchanged")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, required=True, help="a local caption model folder")
    parser.add_argument("command", nargs="+", help="the program to test, e.g. dist/PhotoScribe/photoscribe")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="photoscribe-smoke-") as scratch:
        try:
            smoke(args.command, args.model.resolve(), Path(scratch))
        except SmokeFailed as exc:
            print(f"smoke test failed: {exc}", file=sys.stderr)
            return 1
    print("smoke test passed")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
