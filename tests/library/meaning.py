"""Helpers of the search-by-meaning tests: a library of captioned rows embedded with the real MiniLM."""

from __future__ import annotations

from typing import Any

import numpy as np

from photoscribe.library import CaptionResult, Library
from photoscribe.library.query import meaning_text
from tests.library.common import facts

MODEL = "all-MiniLM-L6-v2"


def encode(minilm: Any, texts: list[str]) -> np.ndarray:
    return minilm.encode(texts, normalize_embeddings=True, convert_to_numpy=True)


def add_captioned(library: Library, captions: list[str], image_vectors: list[np.ndarray] | None = None) -> list[int]:
    """Register one row per caption (no files needed) and store the captions as a worker would; returns ids."""
    start = len(library.photos()) + len(library.photos("missing"))
    library.register([facts(f"/photos/{start + i:04d}.jpg") for i in range(len(captions))])
    claimed = sorted(library.claim_batch(len(captions)), key=lambda c: c.id)
    results = [
        CaptionResult(c.id, text, [], "blip", image_vector=None if image_vectors is None else image_vectors[i])
        for i, (c, text) in enumerate(zip(claimed, captions, strict=True))
    ]
    library.save_results(results)
    return [c.id for c in claimed]


def embed_all(library: Library, minilm: Any, model_ref: str = MODEL) -> int:
    """Embed every photo whose vector is missing or stale, as the engine does; returns how many."""
    done = 0
    while todo := library.text_vector_todo(model_ref, 64):
        vectors = encode(minilm, [text for _, text in todo])
        library.store_text_vectors(model_ref, [(pid, text, v) for (pid, text), v in zip(todo, vectors, strict=True)])
        done += len(todo)
    return done


def hybrid(library: Library, minilm: Any, text: str, model_ref: str = MODEL, **options: Any) -> list[Any]:
    """Hybrid search as ``meaning.search`` runs it: the query's meaning text encoded by the model."""
    meant = meaning_text(text)
    vector = encode(minilm, [meant])[0] if meant else None
    return library.search(text, query_vector=vector, model_ref=model_ref, **options)
