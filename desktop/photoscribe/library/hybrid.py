"""Hybrid search: words (full-text search, see ``search.py``) and meaning (text vectors, see ``vectors.py``).

- Exact hits are the photos the query's words match, as in a words-only search; meaning hits are photos whose
  text vector has a cosine similarity of at least :data:`CUTOFF` to the query's vector.
- Both rankings are fused by reciprocal rank fusion (``1 / (RRF_K + rank)`` summed over the rankings a photo is
  in); every exact hit ranks before every meaning-only hit, so fusion orders the exact hits among themselves
  (a photo both words and meaning find first) and the meaning-only hits after them. A photo's meaning rank is
  the number of candidates closer to the query, so photos with the same text share it (and keep bm25's order).
- ``-exclude`` terms leave photos out of both; a query with a quoted phrase, or of only exclusions, is answered
  by words only (see ``query.Query.by_meaning``).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
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
#: The query's vector, or a function that makes it (the text model encoding the query's words): a function is
#: called on the helper thread, so that the encoding runs beside the full-text query instead of before it.
QueryVector = np.ndarray | Callable[[], np.ndarray]
#: Hits put in order first, of each kind; the rest are sorted only when a caller reads past them (a page of search
#: results never needs the order of 12,000 photos saying "sunset" or 40,000 loosely related ones).
FIRST_SORTED = 512


class Ranking:
    """Photos best first: the exact hits (score ``1 + fused``), then the meaning-only hits (``fused``). Iterating
    puts them in order and turns them into :data:`Ranked` tuples only as far as the caller reads; :meth:`ids`
    gives every id at once."""

    def __init__(
        self,
        exact: tuple[np.ndarray, np.ndarray],
        meaning_only: tuple[np.ndarray, np.ndarray],
        ahead: np.ndarray,
    ) -> None:
        self._exact_ids, self._fused = exact  # ids and fused scores, in bm25's order (which breaks ties)
        self._only_ids, self._only_cosine = meaning_only  # ids and similarities, in the index's order
        self._ahead = ahead  # every candidate's negated similarity, sorted: a hit's meaning rank is its place here

    def __iter__(self) -> Iterator[Ranked]:
        yield from _in_order(self._exact_ids, self._fused, self._fused.__getitem__, MatchKind.EXACT)
        yield from _in_order(self._only_ids, self._only_cosine, self._meaning_scores, MatchKind.MEANING)

    def ids(self) -> list[int]:
        """Every photo id, best first."""
        exact = self._exact_ids[_best(self._fused, None)]
        return exact.tolist() + self._only_ids[_best(self._only_cosine, None)].tolist()

    def _meaning_scores(self, order: np.ndarray) -> np.ndarray:
        return _rrf(np.searchsorted(self._ahead, -self._only_cosine[order], side="left"))


def _in_order(
    ids: np.ndarray, values: np.ndarray, scores: Callable[[np.ndarray], np.ndarray], match: MatchKind
) -> Iterator[Ranked]:
    """(id, score, match) by ``values``, highest first: the first :data:`FIRST_SORTED`, the rest when read."""
    early = len(values) > FIRST_SORTED
    for order in (_best(values, FIRST_SORTED), _best(values, None)[FIRST_SORTED:]) if early else (_best(values, None),):
        yield from zip(ids[order].tolist(), scores(order).tolist(), repeat(match))


def _best(values: np.ndarray, count: int | None) -> np.ndarray:
    """Positions of the ``count`` highest ``values`` (all: ``None``), highest first; equal values keep their order
    (what a stable sort gives, without sorting the rest)."""
    if count is None or count >= len(values):
        return np.argsort(-values, kind="stable")
    last = values[np.argpartition(-values, count - 1)[count - 1]]  # the count-th highest value
    higher = np.flatnonzero(values > last)  # and of those equal to it, the first ones (a stable sort's choice)
    top = np.concatenate([higher, np.flatnonzero(values == last)[: count - len(higher)]])
    return top[np.lexsort((top, -values[top]))]


def rank(session: Session, query: Query, index: VectorIndex, query_vector: QueryVector, model_ref: str) -> Ranking:
    """Photos matching ``query`` best first (see :class:`Ranking`). (A query for words only never comes here: see
    ``reading._ranked``.)"""
    # At 100,000 photos, encoding the query takes ~7 ms, the vector product ~14 and the full-text query 1-20 (bm25
    # for every match of a common word): all let go of the GIL, so the encoding and the product run on a helper
    # thread beside the full-text query.
    scored = _helper().submit(_scores, index, model_ref, query_vector)
    exact_ids = fts.matching_id_array(session, query)
    excluded = fts.matching_any(session, query.excluded)
    ids, cosine = scored.result()
    at = _positions(ids, exact_ids)  # where each exact hit sits in ``ids`` (-1: no vector yet)
    has_vector = at >= 0
    near = cosine >= CUTOFF
    # An exact hit's meaning rank: how many candidates (near photos and exact hits with a vector) are closer.
    exact_cosine = cosine[at[has_vector]]
    ahead = np.sort(np.concatenate([-cosine[near], -exact_cosine[exact_cosine < CUTOFF]]))
    fused = 1.0 + _rrf(np.arange(len(exact_ids)))
    fused[has_vector] += _rrf(_places(ahead, -exact_cosine))

    words = np.zeros(len(ids), dtype=bool)
    words[at[has_vector]] = True
    if excluded:
        left_out = _positions(ids, np.fromiter(excluded, dtype=np.int64, count=len(excluded)))
        words[left_out[left_out >= 0]] = True
    only = np.flatnonzero(near & ~words)
    # Meaning-only hits come after every exact hit, in the order of their similarity among all candidates.
    return Ranking((exact_ids, fused), (ids[only], cosine[only]), ahead)


def _scores(index: VectorIndex, model_ref: str, query_vector: QueryVector) -> tuple[np.ndarray, np.ndarray]:
    return index.scores(model_ref, query_vector() if callable(query_vector) else query_vector)


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


_pool: list[ThreadPoolExecutor] = []
_pool_lock = threading.Lock()


def _forget_pool_after_fork() -> None:
    """A forked child has none of its parent's threads: work handed to the parent's helper would wait forever."""
    global _pool_lock
    _pool.clear()
    _pool_lock = threading.Lock()


if hasattr(os, "register_at_fork"):  # POSIX
    os.register_at_fork(after_in_child=_forget_pool_after_fork)


def _helper() -> ThreadPoolExecutor:
    with _pool_lock:
        if not _pool:
            _pool.append(ThreadPoolExecutor(1, thread_name_prefix="vector-scores"))
        return _pool[0]


def _positions(ids: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """Where each of ``wanted`` sits in ``ids`` (-1: not there), through a table indexed by photo id (0.2 ms for
    12,000 ids among 100,000, a third of binary search's time), or by binary search where ids are sparse."""
    at = np.full(len(wanted), -1, dtype=np.int64)
    if not len(ids) or not len(wanted):
        return at
    top = max(int(ids.max()), int(wanted.max()))
    if top <= 4 * (len(ids) + len(wanted)):
        table = np.full(top + 1, -1, dtype=np.int64)
        table[ids] = np.arange(len(ids))
        return table[wanted]
    sorter = np.argsort(ids, kind="stable")
    slots = sorter[np.searchsorted(ids, wanted, sorter=sorter).clip(0, len(ids) - 1)]
    at[ids[slots] == wanted] = slots[ids[slots] == wanted]
    return at


def _places(ordered: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """``np.searchsorted(ordered, keys, side="left")``, the keys searched in ascending order (each search starts
    where the last ended: 0.6 ms instead of 1.1 for 12,000 keys among 40,000)."""
    order = np.argsort(keys)
    places = np.empty(len(keys), dtype=np.int64)
    places[order] = np.searchsorted(ordered, keys[order], side="left")
    return places


def _rrf(position: np.ndarray) -> np.ndarray:
    return 1.0 / (RRF_K + position.astype(np.float64) + 1.0)
