"""The caption model of the engine's caption thread: loaded when first needed (importing PyTorch only then, so
the app's window shows without waiting for it), loaded again when the model, device or precision setting changes,
and a failure to load remembered, reported once, until the user asks to try again."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from photoscribe.engine_parts import download_progress, settle_loaded_objects
from photoscribe.errors import PhotoScribeError, one_line
from photoscribe.events import EngineError, EngineState

if TYPE_CHECKING:
    from photoscribe.captioning import Captioner
    from photoscribe.engine import Engine

log = logging.getLogger(__name__)


class ModelKeeper:
    """The :class:`Captioner` in use, keyed by the settings that choose it."""

    def __init__(self, engine: Engine, factory: Callable[[], Captioner] | None = None) -> None:
        self.engine = engine
        self._factory = factory or self._load
        self._captioner: Captioner | None = None
        self._key: tuple[str, str, str] | None = None
        self.batch_cap: int | None = None  # a smaller batch size found after running out of memory
        self.error: str | None = None  # why the model could not be loaded, until retry()

    def retry(self) -> None:
        """Try loading again at the next need (after resume or new settings)."""
        self.error = None

    def ensure(self) -> Captioner | None:
        """The captioner for the current settings, loaded if needed; None (and an error reported) if it cannot
        be loaded."""
        settings = self.engine.settings
        key = (settings.model, settings.device, settings.precision)
        if self._captioner is not None and key == self._key:
            return self._captioner
        self._captioner, self.batch_cap = None, None  # let the old model go before the new one loads
        self.engine._set_state(EngineState.LOADING_MODEL, settings.model)
        try:
            self._captioner, self._key = self._factory(), key
        except Exception as exc:
            if isinstance(exc, PhotoScribeError):
                message = str(exc)
            else:
                log.exception("loading the model %s failed", settings.model)
                message = f"the model {settings.model} could not be loaded ({one_line(exc)})"
            self.error = message
            self.engine._emit(EngineError(message, fatal=True))
            self.engine._set_state(EngineState.ERROR, message)
        return self._captioner

    def _load(self) -> Captioner:
        from photoscribe.captioning import Captioner, choose_hardware

        settings = self.engine.settings
        hardware = choose_hardware(settings.device, settings.precision)
        captioner = Captioner.load(settings.model, hardware, progress=download_progress(self.engine._emit))
        settle_loaded_objects()
        return captioner
