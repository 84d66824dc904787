"""PhotoScribe: a desktop photo-library auto-tagger built on BLIP."""

__version__ = "0.1.0"

APP_NAME = "PhotoScribe"
DEFAULT_MODEL = "Salesforce/blip-image-captioning-base"
DEFAULT_TEXT_MODEL = "sentence-transformers/all-MiniLM-L6-v2"  # search by meaning
