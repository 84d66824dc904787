"""Fixtures of the GUI tests: real windows (offscreen) on a real engine and library with the tiny BLIP."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

pytest.importorskip("pytestqt")

from photoscribe.config import Settings  # noqa: E402
from photoscribe.engine import Engine  # noqa: E402
from photoscribe.gui.main_window import MainWindow  # noqa: E402
from photoscribe.library import Library  # noqa: E402
from tests.gui.common import WAIT_MS, close_window, fill_library  # noqa: E402
from tests.helpers import save_colour  # noqa: E402
from tests.tiny_blip import COLOURS  # noqa: E402


@pytest.fixture
def open_window(qtbot, tmp_path: Path, tiny_model_dir: Path) -> Iterator[Callable[..., MainWindow]]:  # type: ignore[no-untyped-def]
    """Opens a started window on the test's library; keyword arguments override :class:`Settings` fields
    (``text_loader``: the engine's text-model loader; ``library_class``: a Library subclass that injects a fault)."""
    windows: list[MainWindow] = []

    def open_(
        text_loader: Callable[..., object] | None = None, library_class: type[Library] = Library, **overrides: object
    ) -> MainWindow:
        options: dict[str, object] = dict(
            library=str(tmp_path / "library.sqlite3"), model=str(tiny_model_dir), precision="fp32", settle_seconds=0.3
        )
        settings = Settings(**{**options, **overrides})  # type: ignore[arg-type]
        library = library_class(settings.library)
        engine = Engine(settings, library=library, poll_seconds=0.2, text_loader=text_loader)  # type: ignore[arg-type]
        window = MainWindow(engine)
        # (not qtbot.addWidget: qtbot would delete the window while it is still closing; closed below instead)
        window.show()
        window.engine.start()
        windows.append(window)
        qtbot.waitUntil(lambda: window.refresher.results_shown > 0, timeout=WAIT_MS)  # the library's photos are shown
        return window

    yield open_
    for window in windows:
        close_window(qtbot, window)
        window.engine.library.close()


@pytest.fixture
def colour_photos(tmp_path: Path) -> dict[str, list[Path]]:
    folder = tmp_path / "shoot"
    photos: dict[str, list[Path]] = {}
    for i in range(8):
        colour = list(COLOURS)[i % 4]
        photos.setdefault(colour, []).append(save_colour(folder / f"DSC_{i:03d}.jpg", colour))
    return photos


@pytest.fixture
def door_model_dir(tiny_model_dir: Path, tmp_path: Path) -> Path:
    """A second real model folder: the tiny BLIP whose word "wall" reads "door" (captions "a photo of a red
    door"), so a test can tell which model made a caption."""
    folder = tmp_path / "door-model"
    shutil.copytree(tiny_model_dir, folder)
    tokenizer = folder / "tokenizer.json"
    text = tokenizer.read_text()
    assert text.count('"wall":') == 1
    tokenizer.write_text(text.replace('"wall":', '"door":'))
    return folder


BIG = 20_000


@pytest.fixture(scope="session")
def big_library_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A library file of :data:`BIG` registered photos, built once per session (copy it before changing it)."""
    path = tmp_path_factory.mktemp("big") / "big.sqlite3"
    library = Library(path)
    fill_library(library, BIG)
    library.close()
    return path


@pytest.fixture
def big_library(big_library_file: Path, tmp_path: Path) -> Path:
    """This test's own copy of the :data:`BIG`-photo library file."""
    copy = tmp_path / "library.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        if Path(f"{big_library_file}{suffix}").exists():
            shutil.copyfile(f"{big_library_file}{suffix}", f"{copy}{suffix}")
    return copy
