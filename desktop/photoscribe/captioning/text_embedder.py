"""The text model for search by meaning: sentence-transformers' all-MiniLM-L6-v2 by default.

Its files are found like BLIP's (:mod:`photoscribe.captioning.model_files`): a local folder, the Hugging Face
cache, or a download with a progress bar. Every failure to get or load them is one :class:`TextModelUnavailable`
sentence saying what to do; search then answers by words only, never with an error.

sentence-transformers (and with it torch) is imported only when a model is loaded.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from photoscribe import DEFAULT_TEXT_MODEL
from photoscribe.captioning.building import BUILDING
from photoscribe.captioning.model_files import ModelKind, find_model
from photoscribe.errors import PhotoScribeError

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

__all__ = ["DEFAULT_TEXT_MODEL", "TextEmbedder", "TextModelUnavailable"]

log = logging.getLogger(__name__)

#: The files a sentence-transformers model needs (its ONNX and OpenVINO twins are skipped); ``*`` also matches
#: sub-folders, so ``1_Pooling/config.json`` is included.
TEXT_MODEL_FILE_PATTERNS = ["*.json", "*.txt", "*.safetensors", "*.model"]
#: Texts per model call when embedding many captions.
BATCH_SIZE = 64

HINT = (
    "Connect to the internet once so PhotoScribe can download it (about 90 MB), or point --text-model "
    "(or PHOTOSCRIBE_TEXT_MODEL) at a local folder holding a sentence-transformers model."
)


class TextModelUnavailable(PhotoScribeError):
    """The text model could not be found, downloaded or loaded: search by meaning is off, words still work."""


TEXT_MODEL = ModelKind(
    "text model", tuple(TEXT_MODEL_FILE_PATTERNS), TextModelUnavailable, HINT, "--text-model", DEFAULT_TEXT_MODEL
)


class TextEmbedder:
    """A loaded text model: turns captions and queries into L2-normalised float32 vectors."""

    def __init__(self, ref: str, model: SentenceTransformer, precision: str = "fp32") -> None:
        self.ref = ref  # as configured: stored with each vector as "the model that made it"
        self.precision = precision  # what the weights run in: "bf16" or "fp32"
        self._model = model
        named = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        dim = named()
        self.dim = int(dim) if dim else int(self.encode(["x"]).shape[1])

    @classmethod
    def load(
        cls,
        ref: str,
        *,
        allow_download: bool = True,
        progress: type | None = None,
        device: str = "cpu",
        precision: str = "auto",
    ) -> TextEmbedder:
        """Load ``ref`` (a Hub id or a folder), downloading it first when ``allow_download`` and not cached.

        ``progress`` is a tqdm-compatible class that shows the download; ``device`` is where the model runs
        (the CPU by default: a query takes milliseconds there, and the GPU stays free for captioning);
        ``precision`` is ``fp32``, ``bf16`` or ``auto`` (see :func:`text_precision`).
        """
        folder = text_model_folder(ref, allow_download=allow_download, progress=progress)
        chosen = text_precision(device, precision)
        try:
            import torch
            from sentence_transformers import SentenceTransformer
            from transformers.utils import logging as hf_logging

            shown = hf_logging.is_progress_bar_enabled()
            hf_logging.disable_progress_bar()  # hide the "Loading weights" bar; the download bar came before
            dtype = {"model_kwargs": {"dtype": torch.bfloat16}} if chosen == "bf16" else {}
            try:
                with BUILDING:  # (one model built at a time: see building.py)
                    model = SentenceTransformer(str(folder), device=device, local_files_only=True, **dtype)
            finally:
                if shown:
                    hf_logging.enable_progress_bar()
        except ImportError as exc:
            raise TextModelUnavailable(
                f"sentence-transformers is not installed ({exc}); reinstall PhotoScribe"
            ) from exc
        except Exception as exc:  # a broken or foreign folder: any library error becomes one sentence
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise TextModelUnavailable(
                f"text model {ref!r} could not be loaded from {folder} ({first}); {HINT}"
            ) from exc
        log.info("text model %s loaded on %s in %s", ref, device, chosen)
        local = Path(ref).expanduser()  # a folder is named by its absolute path (links kept: another name may be
        return cls(os.path.abspath(local) if local.is_dir() else ref, model, chosen)  # another model on purpose)

    def knows_a_word(self, text: str) -> bool:
        """True when ``text`` holds a word (three letters or more) that is a whole word of the model's vocabulary.

        A query made only of words the model has never seen ("xqzv blorf", a typo, a rare name) is split into
        word pieces whose vectors land near any short caption; such a query is answered by its words only.
        Tokenizers without a readable vocabulary know every word.
        """
        vocabulary = self._vocabulary()
        if vocabulary is None:
            return True
        words = re.findall(r"[^\W\d_]{3,}", text.casefold())
        return any(w in vocabulary or f"\u2581{w}" in vocabulary or f"\u0120{w}" in vocabulary for w in words)

    def _vocabulary(self) -> frozenset[str] | None:
        if not hasattr(self, "_words"):
            try:
                self._words: frozenset[str] | None = frozenset(self._model.tokenizer.get_vocab())
            except Exception:  # a tokenizer without a vocabulary to read
                self._words = None
        return self._words

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """``(len(texts), dim)`` float32 vectors, L2-normalised (a dot product is the cosine)."""
        if not texts:
            return np.zeros((0, getattr(self, "dim", 0)), dtype=np.float32)
        vectors: Any = self._model.encode(
            list(texts),
            batch_size=BATCH_SIZE,
            convert_to_numpy=True,
            normalize_embeddings=True,
            show_progress_bar=False,
        )
        flat = np.ascontiguousarray(vectors, dtype=np.float32)
        norms = np.linalg.norm(flat, axis=1, keepdims=True)  # again in float32: bf16's own norm is ~0.4% off
        return flat / np.where(norms > 0, norms, 1.0)

    def encode_query(self, text: str) -> np.ndarray:
        """A search query's vector (as :meth:`encode`), computed by one CPU thread: the calling thread.

        A query is short: two threads encode it in 6 ms instead of 7, but keep both cores of a small machine busy
        (the second one mostly waiting), while hybrid search runs the full-text query beside the encoding (at
        100,000 photos, search p95 38-42 ms with two threads, 35-38 with one). Only the calling thread's setting
        changes (see :func:`one_cpu_thread`): captioning and embedding keep theirs."""
        one_cpu_thread()
        return self.encode([text])[0]


_single = threading.local()


def one_cpu_thread() -> None:
    """Hold PyTorch's CPU work started from the calling thread to one thread, once per thread, leaving every other
    thread's setting alone. ``torch.set_num_threads`` cannot: it also sets the count threads start with, and
    clears oneDNN's kernel cache (see :func:`photoscribe.captioning.cpu_threads.use_cpu_threads`)."""
    if getattr(_single, "done", False):
        return
    _single.done = True
    from photoscribe.captioning.cpu_threads import use_cpu_threads

    use_cpu_threads(1)


def text_precision(device: str, requested: str = "auto") -> str:
    """What the text model's weights run in: ``auto`` is bf16 on a CPU that computes bf16 natively (AMX or
    AVX512-BF16: a query encodes in about 6 ms instead of 10, 100,000 captions twice as fast, and every vector
    stays within a cosine of 0.9999 of fp32's, see tests/captioning/test_text_embedder.py), fp32 elsewhere."""
    if requested in ("fp32", "bf16"):
        return requested
    if requested != "auto":
        raise TextModelUnavailable(f"unknown text model precision {requested!r}; use auto, fp32 or bf16")
    from photoscribe.captioning.hardware import cpu_has_native_bf16

    return "bf16" if device == "cpu" and cpu_has_native_bf16() else "fp32"


def text_model_folder(ref: str, *, allow_download: bool = True, progress: type | None = None) -> Path:
    """A local folder holding ``ref``'s files: the folder itself, the Hugging Face cache, or a download."""
    path = Path(ref).expanduser()
    if path.is_dir() and not (path / "modules.json").is_file() and not (path / "config.json").is_file():
        raise TextModelUnavailable(f"folder {ref} does not hold a sentence-transformers text model. {HINT}")
    return find_model(ref, TEXT_MODEL, allow_download=allow_download, progress=progress)
