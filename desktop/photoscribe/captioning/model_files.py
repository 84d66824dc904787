"""Finding the model's files: a local folder, the Hugging Face cache, or a download with visible progress.

Failures become one :class:`ModelLoadError` sentence that says what to do, never a traceback.

huggingface_hub's download code (a third of a second to import) is imported only when the files are looked up in
its cache or downloaded: offline, a model absent from the cache is told from the cache's folders alone, so that
``search`` without its text model answers by words at once.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path

from photoscribe import DEFAULT_MODEL
from photoscribe.errors import ModelLoadError, PhotoScribeError
from photoscribe.model_refs import OFFLINE_HINT, looks_like_path

log = logging.getLogger(__name__)

#: The files a BLIP captioning checkpoint needs; other weight formats (TensorFlow, .bin twins) are skipped.
MODEL_FILE_PATTERNS = ["*.json", "*.txt", "*.safetensors", "*.model"]


@dataclass(frozen=True)
class ModelKind:
    """What is being found: how to name it to the user, which files to fetch, what to raise and advise."""

    noun: str  # "model", "text model"
    patterns: tuple[str, ...]
    error: type[PhotoScribeError]
    hint: str
    option: str  # the command-line option that names it
    default: str


BLIP = ModelKind(
    "model",
    tuple(MODEL_FILE_PATTERNS),
    ModelLoadError,
    OFFLINE_HINT,
    "--model",
    DEFAULT_MODEL,
)


def model_folder(model_ref: str, progress: type | None = None) -> Path:
    """A local folder holding BLIP ``model_ref``'s files, downloading them first when needed.

    ``progress`` is a tqdm-compatible class that shows the download (the terminal's tqdm by default).
    """
    return find_model(model_ref, BLIP, progress=progress)


#: A Hub model id: ``name`` or ``owner/name`` (letters, digits, ``-``, ``_``, ``.``).
MODEL_ID = re.compile(r"[\w.-]+(/[\w.-]+)?")


def local_model_folder(model_ref: str) -> Path | None:
    """``model_ref``'s folder when its files are on this computer already (a folder, or the Hugging Face cache);
    ``None`` when it would have to be downloaded or cannot be found. Never downloads, never raises."""
    path = Path(model_ref).expanduser()
    if path.is_dir():
        return path
    if looks_like_path(model_ref) or _absent_offline(model_ref):
        return None
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import HFValidationError, LocalEntryNotFoundError

    try:
        return Path(snapshot_download(model_ref, allow_patterns=MODEL_FILE_PATTERNS, local_files_only=True))
    except (LocalEntryNotFoundError, HFValidationError, OSError, ValueError):
        return None


def _absent_offline(ref: str) -> bool:
    """True when downloads are off (``HF_HUB_OFFLINE``) and the Hugging Face cache holds no copy of model id
    ``ref``: then it cannot be had, and huggingface_hub's download code need not be imported to learn that."""
    from huggingface_hub import constants

    if not constants.HF_HUB_OFFLINE or not MODEL_ID.fullmatch(ref):
        return False
    return not (Path(constants.HF_HUB_CACHE) / f"models--{ref.replace('/', '--')}" / "snapshots").is_dir()


def find_model(ref: str, kind: ModelKind, *, allow_download: bool = True, progress: type | None = None) -> Path:
    """A local folder holding ``ref``'s files: the folder itself, the Hugging Face cache, or a download (unless
    ``allow_download`` is false). Every failure is one ``kind.error`` sentence that says what to do."""
    path = Path(ref).expanduser()
    if path.is_dir():
        return path
    if looks_like_path(ref) or path.exists():
        raise kind.error(f"{kind.noun} folder {ref} does not exist or is not a folder. {kind.hint}")
    if _absent_offline(ref):
        raise _not_cached(ref, kind, allow_download)
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import (
        GatedRepoError,
        HFValidationError,
        LocalEntryNotFoundError,
        RepositoryNotFoundError,
        RevisionNotFoundError,
    )

    try:
        return Path(snapshot_download(ref, allow_patterns=list(kind.patterns), local_files_only=True))
    except (LocalEntryNotFoundError, FileNotFoundError):
        if not allow_download:
            raise _not_cached(ref, kind, allow_download) from None
        log.info("%s %s is not in the local cache; downloading it", kind.noun, ref)
    except HFValidationError as exc:
        raise kind.error(f"{ref!r} is neither a {kind.noun} folder nor a valid model id. {kind.hint}") from exc
    try:
        return Path(snapshot_download(ref, allow_patterns=list(kind.patterns), tqdm_class=progress))
    except LocalEntryNotFoundError as exc:
        raise _not_cached(ref, kind, allow_download) from exc
    except (RepositoryNotFoundError, GatedRepoError, RevisionNotFoundError) as exc:
        raise kind.error(
            f"{kind.noun} {ref!r} was not found on the Hugging Face Hub and is not a local folder; check the "
            f"name (the default is {kind.default}) or point {kind.option} at a local folder."
        ) from exc
    except OSError as exc:
        raise kind.error(f"cannot download {kind.noun} {ref!r}: {exc}. {kind.hint}") from exc


def _not_cached(ref: str, kind: ModelKind, allow_download: bool) -> PhotoScribeError:
    """The error for model id ``ref`` absent from the cache: not downloaded yet, or (downloads allowed) offline."""
    if not allow_download:
        return kind.error(f"{kind.noun} {ref!r} has not been downloaded yet. {kind.hint}")
    return kind.error(
        f"cannot download {kind.noun} {ref!r}: this computer is offline (or HF_HUB_OFFLINE is set) and the "
        f"{kind.noun} is not in the local cache. {kind.hint}"
    )
