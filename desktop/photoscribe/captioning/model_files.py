"""Finding the model's files: a local folder, the Hugging Face cache, or a download with visible progress.

Failures become one :class:`ModelLoadError` sentence that says what to do, never a traceback.
"""

from __future__ import annotations

import logging
from pathlib import Path

from huggingface_hub import snapshot_download
from huggingface_hub.errors import (
    GatedRepoError,
    HFValidationError,
    LocalEntryNotFoundError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)

from photoscribe.errors import ModelLoadError

log = logging.getLogger(__name__)

#: The files a BLIP captioning checkpoint needs; other weight formats (TensorFlow, .bin twins) are skipped.
MODEL_FILE_PATTERNS = ["*.json", "*.txt", "*.safetensors", "*.model"]

OFFLINE_HINT = (
    "Connect to the internet once so PhotoScribe can download it (about 1 GB), or point --model "
    "(or PHOTOSCRIBE_MODEL) at a local folder holding a copy saved with save_pretrained."
)


def looks_like_path(model_ref: str) -> bool:
    """True when ``model_ref`` is meant as a folder rather than a Hub id like ``owner/name``."""
    return (
        model_ref.startswith(("/", ".", "~", "\\"))
        or "\\" in model_ref
        or (len(model_ref) > 1 and model_ref[1] == ":")
        or model_ref.count("/") > 1
    )


def model_folder(model_ref: str, progress: type | None = None) -> Path:
    """A local folder holding ``model_ref``'s files, downloading them first when needed.

    ``progress`` is a tqdm-compatible class that shows the download (the terminal's tqdm by default).
    """
    path = Path(model_ref).expanduser()
    if path.is_dir():
        return path
    if looks_like_path(model_ref) or path.exists():
        raise ModelLoadError(f"model folder {model_ref} does not exist or is not a folder. {OFFLINE_HINT}")
    try:
        return Path(snapshot_download(model_ref, allow_patterns=MODEL_FILE_PATTERNS, local_files_only=True))
    except (LocalEntryNotFoundError, FileNotFoundError):
        log.info("model %s is not in the local cache; downloading it", model_ref)
    except HFValidationError as exc:
        raise ModelLoadError(f"{model_ref!r} is neither a model folder nor a valid model id. {OFFLINE_HINT}") from exc
    return _download(model_ref, progress)


def _download(model_ref: str, progress: type | None) -> Path:
    try:
        folder = snapshot_download(model_ref, allow_patterns=MODEL_FILE_PATTERNS, tqdm_class=progress)
    except LocalEntryNotFoundError as exc:
        raise ModelLoadError(
            f"cannot download model {model_ref!r}: this computer is offline (or HF_HUB_OFFLINE is set) and the "
            f"model is not in the local cache. {OFFLINE_HINT}"
        ) from exc
    except (RepositoryNotFoundError, GatedRepoError, RevisionNotFoundError) as exc:
        raise ModelLoadError(
            f"model {model_ref!r} was not found on the Hugging Face Hub and is not a local folder; check the "
            "name (the default is Salesforce/blip-image-captioning-base) or point --model at a local folder."
        ) from exc
    except OSError as exc:
        raise ModelLoadError(f"cannot download model {model_ref!r}: {exc}. {OFFLINE_HINT}") from exc
    return Path(folder)
