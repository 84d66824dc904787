"""``search`` by meaning and ``similar`` end to end: the tiny BLIP captions, the real MiniLM text model embeds.

Photos get their captions from the photographer (``set-caption``), so the sentences are real ones; the first
``search`` embeds them, later edits make vectors stale and the next ``search`` embeds those again.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import CliRunner

SENTENCES = {
    "red": "a dog running on the beach",
    "green": "a cat sleeping on a sofa",
    "blue": "a bowl of fruit on a kitchen table",
    "yellow": "an old stone wall covered in ivy",
}
#: Commands that neither caption nor embed: they must not import torch, transformers or sentence-transformers.
LIGHT_COMMANDS = (
    ("--version",),
    ("--help",),
    ("status",),
    ("status", "--json"),
    ("search", "--exact", "dog"),
    ("search", '"a dog"'),  # a quoted phrase asks for exact words: no text model needed
    ("export", "--format", "json"),
    ("set-caption", "{photo}", "a dog on a beach"),
    ("library", "copy", "--help"),
)
HEAVY = ("torch", "transformers", "sentence_transformers")
PROBE = """
import json, os, sys
from photoscribe.cli import main
try:
    code = main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
with open(os.environ["PROBE_OUT"], "w") as out:
    json.dump({"code": code, "heavy": [m for m in %r if m in sys.modules], "numpy": "numpy" in sys.modules}, out)
""" % (HEAVY,)


@pytest.fixture
def described(cli: CliRunner, colour_folder: dict[str, list[Path]]) -> dict[str, Path]:
    """One photo per colour in the library, captioned with :data:`SENTENCES` (no keywords) through the library's
    own result path, as a captioning model would store them."""
    from photoscribe.ingest import register_files
    from photoscribe.library import CaptionResult, Library

    photos = {colour: paths[0] for colour, paths in colour_folder.items()}
    colour_of = {str(path): colour for colour, path in photos.items()}
    with Library(cli.library) as library:
        register_files(library, photos.values())
        claimed = library.claim_batch(10)
        results = [CaptionResult(c.id, SENTENCES[colour_of[str(c.path)]], [], "test-model") for c in claimed]
        library.save_results(results)
    return photos


def search(cli: CliRunner, text_model: Path | str, *query: str) -> tuple[list[dict[str, object]], str]:
    code, out, err = cli("search", *query, "--json", "--text-model", str(text_model))
    assert code == 0, err
    return json.loads(out), err


def test_meaning_finds_what_words_miss_and_exact_matches_come_first(
    cli: CliRunner, described: dict[str, Path], text_model_dir: Path
) -> None:
    hits, err = search(cli, text_model_dir, "puppy")
    assert "searching words only" not in err
    assert hits[0]["path"] == str(described["red"]) and hits[0]["match"] == "meaning"
    assert str(described["blue"]) not in [h["path"] for h in hits]  # below the cut-off
    hits, _ = search(cli, text_model_dir, "kitten", "on", "a", "couch")
    assert hits[0]["path"] == str(described["green"])
    hits, _ = search(cli, text_model_dir, "wall")
    assert (hits[0]["path"], hits[0]["match"]) == (str(described["yellow"]), "exact")
    assert all(h["match"] == "meaning" for h in hits[1:])
    assert search(cli, text_model_dir, "xqzv", "blorf")[0] == []


def test_exact_searches_words_only(cli: CliRunner, described: dict[str, Path], text_model_dir: Path) -> None:
    assert search(cli, text_model_dir, "puppy", "--exact")[0] == []
    hits, err = search(cli, text_model_dir, "dog", "--exact")
    assert [(h["path"], h["match"]) for h in hits] == [(str(described["red"]), "exact")]
    assert "searching words only" not in err  # asked for: nothing to explain


def test_an_edit_is_found_by_its_new_meaning(cli: CliRunner, described: dict[str, Path], text_model_dir: Path) -> None:
    assert search(cli, text_model_dir, "puppy")[0][0]["path"] == str(described["red"])
    cli("set-caption", str(described["red"]), "a sailing boat in the harbour")
    cli("set-caption", str(described["blue"]), "a puppy chewing a shoe")
    hits, _ = search(cli, text_model_dir, "ship")
    assert hits[0]["path"] == str(described["red"])
    hits, _ = search(cli, text_model_dir, "puppy")
    assert hits[0]["path"] == str(described["blue"])
    assert str(described["red"]) not in [h["path"] for h in hits]  # the old dog caption's vector is gone


def test_caption_embeds_what_it_captioned(
    cli: CliRunner, colour_folder: dict[str, list[Path]], text_model_dir: Path
) -> None:
    folder = colour_folder["red"][0].parent
    assert cli("caption", str(folder), "--text-model", str(text_model_dir))[0] == 0
    status = cli.json("status", "--text-model", str(text_model_dir))
    assert status["search_by_meaning"] == "12 of 12 photos ready"
    assert cli.json("status", "--text-model", "")["search_by_meaning"] == "off (words only)"


def test_without_the_text_model_search_answers_by_words_and_says_so_in_one_line(
    cli: CliRunner, described: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "empty-cache"))  # and HF_HUB_OFFLINE=1
    for text_model in ("sentence-transformers/all-MiniLM-L6-v2", tmp_path / "no-such-model", ""):
        hits, err = search(cli, text_model, "dog")
        assert [h["path"] for h in hits] == [str(described["red"])]
        assert "Traceback" not in err
        (line,) = [text for text in err.splitlines() if text.startswith("photoscribe:")]
        assert line.startswith("photoscribe: searching words only: ")
    assert search(cli, "sentence-transformers/all-MiniLM-L6-v2", "puppy")[0] == []
    code, _, err = cli("caption", str(described["red"].parent), "--text-model", str(tmp_path / "no-such-model"))
    assert code == 0 and "search will match words only" in err


def test_similar_lists_the_photos_that_look_alike(
    cli: CliRunner, colour_folder: dict[str, list[Path]], tmp_path: Path
) -> None:
    folder = colour_folder["red"][0].parent
    assert cli("caption", str(folder), "--text-model", "")[0] == 0
    hits = cli.json("similar", str(colour_folder["yellow"][0]))
    assert len(hits) == 11 and str(colour_folder["yellow"][0]) not in [h["path"] for h in hits]
    assert {h["path"] for h in hits[:2]} == {str(p) for p in colour_folder["yellow"][1:]}
    assert len(cli.json("similar", str(colour_folder["yellow"][0]), "--limit", "3")) == 3


def test_similar_needs_a_captioned_photo(cli: CliRunner, colour_folder: dict[str, list[Path]], tmp_path: Path) -> None:
    from photoscribe.ingest import register_files
    from photoscribe.library import Library

    with Library(cli.library) as library:
        register_files(library, [colour_folder["red"][0]])
    code, _, err = cli("similar", str(colour_folder["red"][0]))
    assert code == 2 and "caption it first" in err and len(err.splitlines()) == 1
    code, _, err = cli("similar", str(tmp_path / "elsewhere.jpg"))
    assert code == 2 and "is not in the library" in err


@pytest.mark.slow
def test_commands_that_do_not_caption_or_embed_never_import_torch(
    cli: CliRunner, described: dict[str, Path], tmp_path: Path
) -> None:
    out = tmp_path / "probe.json"
    env = {"PROBE_OUT": str(out), "PHOTOSCRIBE_LIBRARY": str(cli.library)}
    for command in LIGHT_COMMANDS:
        args = [a.format(photo=described["red"]) for a in command]
        done = subprocess.run(
            [sys.executable, "-c", PROBE, *args], env=_env(env), capture_output=True, text=True, timeout=120
        )
        probe = json.loads(out.read_text())
        assert (probe["code"], probe["heavy"]) == (0, []), (command, done.stderr)
        if command[0] == "status":  # (numpy: a tenth of the half second status may take)
            assert not probe["numpy"], command
    status = subprocess.run(
        [sys.executable, "-m", "photoscribe", "status", "--json"], env=_env(env), capture_output=True, text=True
    )
    assert json.loads(status.stdout)["device"] == "auto (decided when captioning)"


@pytest.mark.slow
def test_search_without_the_text_model_never_imports_torch(
    cli: CliRunner, described: dict[str, Path], tmp_path: Path
) -> None:
    """The text model missing (not in the cache, offline; or a folder that is gone): ``search`` answers by words
    in a fraction of a second, without importing the captioning model's PyTorch to find that out."""
    out = tmp_path / "probe.json"
    env = {"PROBE_OUT": str(out), "PHOTOSCRIBE_LIBRARY": str(cli.library), "HF_HOME": str(tmp_path / "empty-hf")}
    for text_model in ("sentence-transformers/all-MiniLM-L6-v2", str(tmp_path / "no-such-model")):
        done = subprocess.run(
            [sys.executable, "-c", PROBE, "search", "dog", "--text-model", text_model, "--json"],
            env=_env({**env, "HF_HUB_OFFLINE": "1"}),
            capture_output=True,
            text=True,
            timeout=120,
        )
        probe = json.loads(out.read_text())
        assert (probe["code"], probe["heavy"]) == (0, []), (text_model, done.stderr)
        assert "searching words only" in done.stderr
        assert [hit["path"] for hit in json.loads(done.stdout)] == [str(described["red"])]


def test_offline_a_text_model_absent_from_the_cache_is_told_without_the_download_code(
    cli: CliRunner, described: dict[str, Path], tmp_path: Path
) -> None:
    """huggingface_hub's download code takes a third of a second to import; offline, the cache's folders alone
    say the model is not there."""
    code = (
        "import sys; from photoscribe.cli import main; code = main(sys.argv[1:]); "
        "print(code, 'huggingface_hub.hf_api' in sys.modules, 'huggingface_hub._snapshot_download' in sys.modules)"
    )
    args = ["search", "dog", "--text-model", "sentence-transformers/all-MiniLM-L6-v2", "--library", str(cli.library)]
    env = _env({"HF_HOME": str(tmp_path / "empty-hf"), "HF_HUB_OFFLINE": "1"})
    done = subprocess.run([sys.executable, "-c", code, *args], env=env, capture_output=True, text=True, timeout=120)
    assert done.stdout.splitlines()[-1] == "0 False False", done.stderr
    assert "this computer is offline (or HF_HUB_OFFLINE is set)" in done.stderr


def _env(extra: dict[str, str]) -> dict[str, str]:
    import os

    return {**os.environ, **extra}


@pytest.mark.parametrize("nonsense", ["xqzv blorf", "asdfgh", "qwerty uiop"])
def test_a_query_of_words_the_model_never_saw_finds_nothing(
    cli: CliRunner, described: dict[str, Path], text_model_dir: Path, nonsense: str
) -> None:
    """ "xqzv blorf" is 0.30 from "a photo of a blue wall" (word pieces land near any short caption), above the
    cut-off: a query with no word the text model knows is answered by its words only, and says so."""
    cli("set-caption", str(described["blue"]), "a photo of a blue wall")
    assert search(cli, text_model_dir, "blue")[0] != []  # embedded, and found by its words
    code, out, err = cli("search", nonsense, "--json", "--text-model", str(text_model_dir))
    assert code == 0 and json.loads(out) == []
    assert "words only" in err and "knows none of its words" in err
    assert [h["match"] for h in search(cli, text_model_dir, "puppy")[0]] == ["meaning"]  # a known word still means
