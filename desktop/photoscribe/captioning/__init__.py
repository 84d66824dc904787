"""BLIP captioning: choosing device and precision, loading the model, captioning batches, deriving keywords.

The names below are imported when first used (PEP 562), so importing a torch-free module of this package
(``keywords``, ``model_input``, ``text_embedder``, ``model_files``) does not import PyTorch: ``search`` without a
text model at hand answers in a fraction of a second, and the caption command decodes photos while PyTorch loads.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from photoscribe.captioning.caption_settings import CaptionSettings
    from photoscribe.captioning.captioner import Captioner
    from photoscribe.captioning.hardware import Hardware, choose_hardware
    from photoscribe.captioning.keywords import keywords_from_caption

_HOMES = {
    "Captioner": "captioner",
    "CaptionSettings": "caption_settings",
    "Hardware": "hardware",
    "choose_hardware": "hardware",
    "keywords_from_caption": "keywords",
}

__all__ = ["Captioner", "CaptionSettings", "Hardware", "choose_hardware", "keywords_from_caption"]


def __getattr__(name: str) -> object:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value
