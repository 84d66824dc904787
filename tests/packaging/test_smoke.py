"""packaging/smoke.py, the installer's smoke test, run on the installed program (CI runs it on the bundle too)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

# packaging/ is not a package (and the name is PyPI's `packaging`): load the script from its file
_spec = importlib.util.spec_from_file_location("smoke", Path(__file__).parents[2] / "packaging" / "smoke.py")
assert _spec is not None and _spec.loader is not None
_smoke = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_smoke)
SmokeFailed, smoke = _smoke.SmokeFailed, _smoke.smoke

pytestmark = pytest.mark.slow

PROGRAM = [sys.executable, "-m", "photoscribe"]


def test_the_installed_program_passes_the_smoke_test(tiny_model_dir: Path, tmp_path: Path) -> None:
    said: list[str] = []
    smoke(PROGRAM, tiny_model_dir, tmp_path, say=said.append)
    assert said[1:] == [
        "caption: 3 photos captioned, search found red wall.jpg",
        "the app (offscreen): 3 photos captioned, exited 0",
        "an old library migrated (Alembic)",
        "photos unchanged",
    ]


def test_a_program_that_cannot_caption_fails_it(tmp_path: Path) -> None:
    (tmp_path / "not-a-model").mkdir()
    with pytest.raises(SmokeFailed, match="caption"):
        smoke(PROGRAM, tmp_path / "not-a-model", tmp_path / "scratch", say=lambda _: None)
