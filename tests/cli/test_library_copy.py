"""``photoscribe library copy SOURCE TARGET``: a desktop library into a studio's PostgreSQL database and back, in
a real process that imports no torch; a target holding anything is refused in one line and left as it was."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from photoscribe.cli import main
from photoscribe.cli_library import ProgressLine
from photoscribe.library import CaptionResult, Library, PhotoStatus
from tests.library.common import facts

#: Runs ``photoscribe ARGS`` as ``python -m photoscribe`` does, then says which heavy modules it imported.
DRIVER = """
import json, sys
from photoscribe.cli import main
code = main(sys.argv[1:])
print(json.dumps({"code": code, "heavy": sorted(m for m in ("torch", "transformers") if m in sys.modules)}))
"""


def desktop_library(path: Path) -> Path:
    """Three photos: one captioned and edited by hand, one failed, one waiting."""
    photos = path.parent / "photos"
    photos.mkdir(parents=True)
    with Library(path) as library:
        folder = library.add_folder(photos)
        library.register([facts(str(photos / name)) for name in ("dog.jpg", "broken.jpg", "later.jpg")], folder)
        claimed = {c.path.name: c.id for c in library.claim_batch(2)}
        library.save_results(
            [CaptionResult(claimed["dog.jpg"], "a dog on a beach", ["dog", "beach"], "tiny-blip")],
            failures=[(claimed["broken.jpg"], "truncated file")],
        )
        library.set_user_keywords(photos / "dog.jpg", ["Rex"])
    return path


def listing(location: str | Path) -> list[tuple[str, str, str | None, tuple[str, ...], str | None]]:
    with Library(location) as library:
        return [(Path(p.path).name, p.status, p.caption, p.keywords, p.error) for p in library.photos()]


def test_a_desktop_library_goes_to_a_studio_and_back_in_a_process_without_torch(
    tmp_path: Path, postgres_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    source = desktop_library(tmp_path / "desktop" / "library.sqlite3")
    command = [sys.executable, "-c", DRIVER, "library", "copy", str(source), postgres_url]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, env={**os.environ})

    summary, _, report = done.stdout.rstrip("\n").rpartition("\n")
    assert json.loads(report) == {"code": 0, "heavy": []}, done.stderr
    assert summary == (
        "Copied 3 photos (1 folder), 1 caption (1 photo with your edits), 3 keywords and 0 vectors "
        f"from {source} to {postgres_url}."
    )
    expected = [
        ("dog.jpg", PhotoStatus.DONE, "a dog on a beach", ("Rex",), None),
        ("broken.jpg", PhotoStatus.FAILED, None, (), "truncated file"),
        ("later.jpg", PhotoStatus.PENDING, None, (), None),
    ]
    assert listing(postgres_url) == expected

    back = tmp_path / "laptop" / "library.sqlite3"
    assert main(["library", "copy", postgres_url, str(back)]) == 0
    assert capsys.readouterr().out.startswith("Copied 3 photos (1 folder)")
    assert listing(back) == expected
    assert main(["search", "--exact", "rex", "--library", str(back), "--json"]) == 0
    assert [Path(hit["path"]).name for hit in json.loads(capsys.readouterr().out)] == ["dog.jpg"]


def test_a_target_holding_a_library_is_refused_in_one_line_and_left_as_it_was(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = desktop_library(tmp_path / "a" / "library.sqlite3")
    target = desktop_library(tmp_path / "b" / "library.sqlite3")
    with Library(target) as library:
        library.set_user_keywords(tmp_path / "b" / "photos" / "dog.jpg", ["Fido"])
    before = listing(target)

    assert main(["library", "copy", str(source), str(target)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err == (
        f"photoscribe: error: the library {target} is not empty (it has folders, photos, captions, keywords); "
        "a library is copied only into a new file or an empty database, never merged into another\n"
    )
    assert listing(target) == before


def test_progress_goes_to_stderr_and_the_summary_to_stdout(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ProgressLine, "LOG_SECONDS", 0.0)  # a line for every chunk, as a big library gets
    source = desktop_library(tmp_path / "library.sqlite3")
    assert main(["library", "copy", str(source), str(tmp_path / "copy.sqlite3")]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("Copied 3 photos") and out.count("\n") == 1
    assert "copying photos: 3 of 3\n" in err and "copying left out files: 0 of 0\n" in err
    assert err.endswith("building the search index: 3 of 3\n")
