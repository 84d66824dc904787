"""Search by meaning, one entry point for the CLI and the app: the same query gives the same photos everywhere.

:func:`search` runs the library's hybrid search (words first, then photos whose captions mean the same thing) when
a text model is at hand, else words only, and says why in :attr:`SearchOutcome.exact_only`. :func:`embed_pending`
brings the library's text vectors up to date (missing, stale or made by another model). :func:`similar` lists
photos whose BLIP image vectors are nearest to a photo's.

No torch here: the text model arrives loaded (:class:`~photoscribe.captioning.text_embedder.TextEmbedder`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from photoscribe.errors import PhotoScribeError
from photoscribe.library.query import meaning_text

if TYPE_CHECKING:
    import numpy as np

    from photoscribe.captioning.text_embedder import TextEmbedder
    from photoscribe.library import Library, SearchHit

#: Captions embedded per model call and per library write.
EMBED_BATCH = 256

ASKED_EXACT = "words only, as asked"
NO_TEXT_MODEL = "no text model is loaded"
NO_WORDS = "a quoted phrase or only exclusions ask for exact words"
UNKNOWN_WORDS = "the text model knows none of its words"


@dataclass(frozen=True)
class SearchOutcome:
    """The hits, best first, and why meaning was not used (``None`` when it was)."""

    hits: list[SearchHit]
    exact_only: str | None = None


class NotEmbedded(PhotoScribeError):
    """The photo asked about has no image vector: it has not been captioned (with vectors) yet."""


def search(
    library: Library, text: str, *, embedder: TextEmbedder | None, limit: int | None = None, exact: bool = False
) -> SearchOutcome:
    """Photos matching ``text`` (the search language of :mod:`photoscribe.library.query`), best first.

    Exact word matches come first; with ``embedder`` and not ``exact``, photos whose text means the same follow
    them (above the library's similarity cut-off; exclusions still apply, a phrase keeps only exact matches).
    """
    reason = ASKED_EXACT if exact else NO_TEXT_MODEL if embedder is None else None
    meant = meaning_text(text)
    if reason is None and meant is None:
        reason = NO_WORDS
    if reason is None and meant is not None and not _knows_a_word(embedder, meant):
        reason = UNKNOWN_WORDS
    if reason is not None or embedder is None or meant is None:
        return SearchOutcome(library.search(text, limit), reason)
    vector = partial(_encoded, embedder, meant)  # encoded by the library beside its full-text query (hybrid.rank)
    return SearchOutcome(library.search(text, limit, query_vector=vector, model_ref=embedder.ref))  # type: ignore[arg-type]


def photo_ids(library: Library, text: str, *, embedder: TextEmbedder | None, **filters: object) -> list[int]:
    """The grid's ids for ``text`` ranked as :func:`search` ranks them (``filters``: ``status``, ``folder``)."""
    meant = meaning_text(text)
    if embedder is None or meant is None or not _knows_a_word(embedder, meant):
        return library.photo_ids(text, **filters)  # type: ignore[arg-type]
    vector = partial(_encoded, embedder, meant)
    return library.photo_ids(text, query_vector=vector, model_ref=embedder.ref, **filters)  # type: ignore[arg-type]


def _encoded(embedder: TextEmbedder, text: str) -> np.ndarray:
    query = getattr(embedder, "encode_query", None)  # (a text model of another kind may only have encode)
    return query(text) if query is not None else embedder.encode([text])[0]


def _knows_a_word(embedder: object, text: str) -> bool:
    knows = getattr(embedder, "knows_a_word", None)
    return knows is None or bool(knows(text))


def embed_pending(
    library: Library,
    embedder: TextEmbedder,
    *,
    on_progress: Callable[[int, int], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    batch: int = EMBED_BATCH,
) -> int:
    """Embed every photo whose text vector is missing, stale or another model's; returns how many were embedded.

    ``on_progress(current, total)`` is called before the first batch and after each (``current`` vectors of
    ``total`` photos with text, counted once, when there is work: a count costs a scan of the library);
    ``should_stop()`` ends the loop between batches. A read-only library embeds nothing. One pass goes through
    the photos by id; a photo whose text changes meanwhile is embedded on the next pass.
    """
    if library.read_only:
        return 0
    start = total = done = after = 0
    while not (should_stop and should_stop()):
        todo = library.text_vector_todo(embedder.ref, batch, after)
        if not todo:
            break
        if on_progress is not None and after == 0:
            start, total = library.text_vector_progress(embedder.ref)
            on_progress(start, total)
        vectors = embedder.encode([text for _, text in todo])
        library.store_text_vectors(embedder.ref, [(pid, text, vec) for (pid, text), vec in zip(todo, vectors)])
        done, after = done + len(todo), todo[-1][0]
        if on_progress is not None:
            on_progress(min(start + done, total), total)
        if len(todo) < batch:
            break
    return done


def similar(library: Library, photo: Path | str | int, *, limit: int = 20) -> list[SearchHit]:
    """Photos whose image vectors are nearest to ``photo``'s (a path or a library id), nearest first.

    Raises :class:`PhotoScribeError` when the photo is not in the library, :class:`NotEmbedded` when it has no
    image vector (not captioned yet, or captioned before PhotoScribe kept image vectors).
    """
    if isinstance(photo, int):
        record = library.records([photo]).get(photo)
        name = f"photo #{photo}"
    else:
        record = library.photo(photo)
        name = str(photo)
    if record is None:
        raise PhotoScribeError(f"{name} is not in the library; caption it first (photoscribe caption PATH)")
    hits = library.similar(record.id, limit)
    if not hits and not library.has_image_vector(record.id):
        raise NotEmbedded(
            f"{record.path} has no image vector: "
            + (
                "caption it first (photoscribe caption PATH)"
                if record.status != "done"
                else "it was captioned before PhotoScribe kept them; re-caption it (the app's Re-caption button)"
            )
        )
    return hits
