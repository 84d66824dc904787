"""Hybrid search: words (FTS5 and bm25, see ``search.py``) and meaning (text vectors, see ``vectors.py``).

- Exact hits are the photos the query's words match, as in a words-only search; meaning hits are photos whose
  text vector has a cosine similarity of at least :data:`CUTOFF` to the query's vector.
- Both rankings are fused by reciprocal rank fusion (``1 / (RRF_K + rank)`` summed over the rankings a photo is
  in); every exact hit ranks before every meaning-only hit, so fusion orders the exact hits among themselves
  (a photo both words and meaning find first) and the meaning-only hits after them.
- ``-exclude`` terms leave photos out of both; a query with a quoted phrase, or of only exclusions, is answered
  by words only (see ``query.Query.by_meaning``).
"""

from __future__ import annotations

from itertools import repeat

import numpy as np
from sqlalchemy.orm import Session

from photoscribe.library import search as fts
from photoscribe.library.query import Query
from photoscribe.library.records import MatchKind
from photoscribe.library.vectors import VectorIndex

#: The least cosine similarity between a query and a photo's text for a meaning hit (all-MiniLM-L6-v2,
#: normalised), calibrated on 30 BLIP-like captions and 28 queries in other words (tests/library/test_hybrid.py):
#: 91% of related pairs score above it, 4% of unrelated ones, and no nonsense query ("xqzv blorf" reaches 0.20);
#: "puppy" finds "a dog running on the beach" at 0.27, so the cut-off cannot be much higher.
CUTOFF = 0.25
#: The usual constant of reciprocal rank fusion (Cormack et al. 2009): ranks beyond the first few weigh alike.
RRF_K = 60

Ranked = tuple[int, float, MatchKind]  # (photo id, score, how it matched), best first


def rank(session: Session, query: Query, index: VectorIndex, query_vector: np.ndarray, model_ref: str) -> list[Ranked]:
    """Photos matching ``query`` best first: exact hits (score ``1 + fused``) then meaning-only hits (``fused``).
    (A query for words only never comes here: see ``reading._ranked``.)"""
    exact = fts.matching_ids(session, query)
    ids, cosine = index.scores(model_ref, query_vector)
    exact_ids = np.fromiter((photo_id for photo_id, _ in exact), dtype=np.int64, count=len(exact))
    # Where each exact hit sits in ``ids`` (-1: no vector yet), without a Python loop over 100,000 photos.
    at = _positions(ids, exact_ids)
    near = cosine >= CUTOFF
    candidates = near.copy()
    candidates[at[at >= 0]] = True
    order = np.flatnonzero(candidates)
    order = order[np.argsort(-cosine[order], kind="stable")]
    meaning_position = np.full(len(ids), -1, dtype=np.int64)
    meaning_position[order] = np.arange(len(order))

    fused = 1.0 + _rrf(np.arange(len(exact_ids)))
    has_meaning = at >= 0
    fused[has_meaning] += _rrf(meaning_position[at[has_meaning]])
    by_fusion = np.argsort(-fused, kind="stable")  # stable: equal scores keep bm25's order
    fused_exact = list(zip(exact_ids[by_fusion].tolist(), fused[by_fusion].tolist(), repeat(MatchKind.EXACT)))

    words = np.zeros(len(ids), dtype=bool)
    words[at[at >= 0]] = True
    excluded = fts.matching_any(session, query.excluded)
    if excluded:
        left_out = _positions(ids, np.fromiter(excluded, dtype=np.int64, count=len(excluded)))
        words[left_out[left_out >= 0]] = True
    only = order[near[order] & ~words[order]]
    meaning_only = zip(ids[only].tolist(), _rrf(meaning_position[only]).tolist(), repeat(MatchKind.MEANING))
    return fused_exact + list(meaning_only)


def nearest(index: VectorIndex, model_ref: str, photo_id: int) -> tuple[np.ndarray, np.ndarray]:
    """(ids, cosine similarities) of every other photo with a vector of ``model_ref``, nearest to ``photo_id``
    first; empty when ``photo_id`` has no such vector."""
    vector = index.vector(model_ref, photo_id)
    if vector is None:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
    ids, cosine = index.scores(model_ref, vector)
    cosine[ids == photo_id] = -np.inf
    order = np.argsort(-cosine, kind="stable")
    order = order[np.isfinite(cosine[order])]
    return ids[order], cosine[order]


def _positions(ids: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """Where each of ``wanted`` sits in ``ids`` (-1: not there), without a Python loop over 100,000 photos (the
    index's ids are usually in ascending order already, which spares the sort)."""
    at = np.full(len(wanted), -1, dtype=np.int64)
    if len(ids) and len(wanted):
        ascending = bool(np.all(ids[1:] > ids[:-1]))
        sorter = None if ascending else np.argsort(ids, kind="stable")
        slots = np.searchsorted(ids, wanted, sorter=sorter).clip(0, len(ids) - 1)
        at = slots if sorter is None else sorter[slots]
        at[ids[at] != wanted] = -1
    return at


def _rrf(position: np.ndarray) -> np.ndarray:
    return 1.0 / (RRF_K + position.astype(np.float64) + 1.0)
