"""Settings: TOML file, environment overrides, validation."""

from __future__ import annotations

from pathlib import Path

import pytest

from photoscribe.config import Settings, config_path, default_library_path, load_settings, save_settings
from photoscribe.errors import ConfigError


def test_defaults_use_the_base_blip_model_and_the_data_folder(tmp_path: Path) -> None:
    settings = load_settings()
    assert settings.model == "Salesforce/blip-image-captioning-base"
    assert (settings.device, settings.precision, settings.batch_size) == ("auto", "auto", None)
    assert settings.library == str(default_library_path())
    assert default_library_path() == tmp_path / "data" / "library.sqlite3"


def test_saved_settings_load_back_including_unicode(tmp_path: Path) -> None:
    settings = Settings(model='/models/blip "large" ü', batch_size=16, prompt="a photography of", num_beams=3)
    path = save_settings(settings)
    assert path == config_path()
    assert load_settings() == settings


def test_environment_overrides_the_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    save_settings(Settings(model="from-file", library="file.sqlite3"))
    monkeypatch.setenv("PHOTOSCRIBE_MODEL", "/from/env")
    monkeypatch.setenv("PHOTOSCRIBE_LIBRARY", str(tmp_path / "env.sqlite3"))
    settings = load_settings()
    assert (settings.model, settings.library) == ("/from/env", str(tmp_path / "env.sqlite3"))


def test_updated_ignores_none_and_validates() -> None:
    settings = Settings().updated(batch_size=4, device=None)
    assert (settings.batch_size, settings.device) == (4, "auto")
    with pytest.raises(ConfigError, match="batch size"):
        Settings().updated(batch_size=0)
    with pytest.raises(ConfigError, match="precision"):
        Settings().updated(precision="int4")


def test_a_broken_settings_file_is_a_clear_error() -> None:
    config_path().parent.mkdir(parents=True)
    config_path().write_text("batch_size = [oops", encoding="utf-8")
    with pytest.raises(ConfigError, match="cannot read settings file"):
        load_settings()


def test_unknown_keys_are_ignored_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    config_path().parent.mkdir(parents=True)
    config_path().write_text('batch_size = 2\ncolour_scheme = "dark"\n', encoding="utf-8")
    assert load_settings().batch_size == 2
    assert "colour_scheme" in caplog.text


def test_the_text_model_comes_from_the_file_then_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_settings().text_model == "sentence-transformers/all-MiniLM-L6-v2"
    save_settings(Settings(text_model="/models/minilm"))
    assert load_settings().text_model == "/models/minilm"
    monkeypatch.setenv("PHOTOSCRIBE_TEXT_MODEL", "/from/env")
    assert load_settings().text_model == "/from/env"
    assert Settings().updated(text_model="").text_model == ""  # turns search by meaning off
