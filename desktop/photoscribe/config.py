"""User settings: a dataclass stored as TOML in the platform's config folder.

Precedence, lowest first: built-in defaults, the settings file, environment variables
(``PHOTOSCRIBE_LIBRARY``, ``PHOTOSCRIBE_MODEL``, ``PHOTOSCRIBE_TEXT_MODEL``), then whatever the caller (CLI options,
the GUI) sets.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

import platformdirs

from photoscribe import APP_NAME, DEFAULT_MODEL, DEFAULT_TEXT_MODEL
from photoscribe.errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

log = logging.getLogger(__name__)

DEVICES = ("auto", "cpu", "cuda", "mps")
PRECISIONS = ("auto", "fp32", "fp16", "bf16", "mixed")
METADATA_MODES = ("off", "sidecar", "embed")


def data_dir() -> Path:
    """Folder holding the library database and caches (``PHOTOSCRIBE_DATA_DIR`` overrides it)."""
    override = os.environ.get("PHOTOSCRIBE_DATA_DIR")
    return Path(override) if override else Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def config_path() -> Path:
    """Path of the settings file (``PHOTOSCRIBE_CONFIG`` overrides it)."""
    override = os.environ.get("PHOTOSCRIBE_CONFIG")
    if override:
        return Path(override)
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)) / "settings.toml"


def default_library_path() -> Path:
    """Where the SQLite library lives unless told otherwise."""
    return data_dir() / "library.sqlite3"


@dataclass
class Settings:
    """Everything a user can configure. ``None`` means "use the model's own default" (for the batch size: the
    one :attr:`~photoscribe.captioning.hardware.Hardware.batch_size` picks for the device and precision)."""

    library: str = field(default_factory=lambda: str(default_library_path()))
    model: str = DEFAULT_MODEL
    device: str = "auto"
    precision: str = "auto"
    batch_size: int | None = None  # photos per model call; None: chosen for the device and precision
    prompt: str = ""
    max_length: int | None = None
    num_beams: int | None = None
    settle_seconds: float = 2.0  # a new file must stay unchanged this long before it is captioned
    reconcile_minutes: float = 30.0  # watched folders are rescanned this often to catch lost events
    poll_seconds: float = 30.0  # polled folders (network shares) are looked at this often (changed directories only)
    write_metadata: str = "off"  # off | sidecar | embed: also put captions into the photos' metadata
    sidecar_naming: str = "full"  # full: IMG_1.CR2.xmp (digiKam, darktable) | stem: IMG_1.xmp (Lightroom)
    keep_mtime: bool = False  # keep a photo's modification time when writing metadata into it
    metadata_backup: bool = False  # keep a copy of each photo before writing into it
    text_model: str = DEFAULT_TEXT_MODEL  # search by meaning: a sentence-transformers id or folder; "" turns it off

    def validate(self) -> None:
        """Raise :class:`ConfigError` for a value PhotoScribe cannot use."""
        if self.device not in DEVICES:
            raise ConfigError(f"device must be one of {', '.join(DEVICES)}, not {self.device!r}")
        if self.precision not in PRECISIONS:
            raise ConfigError(f"precision must be one of {', '.join(PRECISIONS)}, not {self.precision!r}")
        if self.batch_size is not None and self.batch_size < 1:
            raise ConfigError(f"batch size must be at least 1, not {self.batch_size}")
        if self.max_length is not None and self.max_length < 1:
            raise ConfigError(f"max length must be at least 1, not {self.max_length}")
        if self.num_beams is not None and self.num_beams < 1:
            raise ConfigError(f"beams must be at least 1, not {self.num_beams}")
        if self.write_metadata not in METADATA_MODES:
            raise ConfigError(f"write_metadata must be one of {', '.join(METADATA_MODES)}, not {self.write_metadata!r}")
        if self.sidecar_naming not in ("full", "stem"):
            raise ConfigError(f"sidecar_naming must be full or stem, not {self.sidecar_naming!r}")
        if self.settle_seconds < 0 or self.reconcile_minutes <= 0:
            raise ConfigError("settle time must be 0 or more and the rescan interval more than 0")
        if self.poll_seconds <= 0:
            raise ConfigError(f"poll_seconds must be more than 0, not {self.poll_seconds}")

    def updated(self, **changes: object) -> Settings:
        """A copy with the given fields changed; ``None`` values leave a field as it is."""
        wanted = {k: v for k, v in changes.items() if v is not None}
        new = dataclasses.replace(self, **wanted)
        new.validate()
        return new


ENV_OVERRIDES = {
    "PHOTOSCRIBE_LIBRARY": "library",
    "PHOTOSCRIBE_MODEL": "model",
    "PHOTOSCRIBE_TEXT_MODEL": "text_model",
}


def load_settings(path: Path | None = None) -> Settings:
    """Settings from the file at ``path`` (default :func:`config_path`) and the environment."""
    path = path or config_path()
    values: dict[str, object] = {}
    if path.exists():
        try:
            values = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"cannot read settings file {path}: {exc}") from exc
    known = {f.name for f in dataclasses.fields(Settings)}
    for key in sorted(set(values) - known):
        log.warning("ignoring unknown setting %r in %s", key, path)
    settings = Settings(**{k: v for k, v in values.items() if k in known})
    for env, name in ENV_OVERRIDES.items():
        if os.environ.get(env):
            setattr(settings, name, os.environ[env])
    settings.validate()
    return settings


def save_settings(settings: Settings, path: Path | None = None) -> Path:
    """Write ``settings`` as TOML (``None`` values are left out) and return the file's path."""
    settings.validate()
    path = path or config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [f"{k} = {_toml_value(v)}" for k, v in dataclasses.asdict(settings).items() if v is not None]
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    tmp.replace(path)
    return path


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    return json.dumps(str(value), ensure_ascii=False)  # a JSON string is a valid TOML basic string
