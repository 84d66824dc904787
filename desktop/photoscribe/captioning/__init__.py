"""BLIP captioning: choosing device and precision, loading the model, captioning batches, deriving keywords."""

from photoscribe.captioning.captioner import Captioner, CaptionSettings
from photoscribe.captioning.hardware import Hardware, choose_hardware
from photoscribe.captioning.keywords import keywords_from_caption

__all__ = ["Captioner", "CaptionSettings", "Hardware", "choose_hardware", "keywords_from_caption"]
