"""The ``search`` and ``similar`` commands, and preparing search by meaning (also after ``caption``).

``search`` loads the text model unless ``--exact`` is given (or the query asks for exact words: a quoted phrase,
only exclusions), embeds the captions whose vectors are missing or stale (a progress bar on stderr), then runs
:func:`photoscribe.meaning.search`, the app's search too. Without the text model it says so in one line on stderr
and answers by words, exit 0. A read-only library is searched with the vectors it has; photos without one are
found by words only, and a line says how many.

torch and transformers are imported only when the text model is loaded: ``search --exact`` never imports them.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING

from photoscribe import meaning
from photoscribe.cli_library import EXIT_OK, shown
from photoscribe.config import Settings
from photoscribe.library import Library, MatchKind, SearchHit
from photoscribe.library.query import meaning_text

if TYPE_CHECKING:
    from photoscribe.captioning.text_embedder import TextEmbedder

TURNED_OFF = "search by meaning is turned off (the text_model setting is empty)"


def cmd_search(args: argparse.Namespace, settings: Settings) -> int:
    """Print the photos matching the query, exact word matches first, then those matching by meaning."""
    text = " ".join(args.query)
    reason: str | None = None
    embedder = None
    with Library(settings.library) as library:
        if not args.exact and meaning_text(text) is not None and _has_text(library, settings):
            embedder, reason = load_text_model(settings)
            if embedder is not None:
                prepare_search(library, embedder)
        outcome = meaning.search(library, text, embedder=embedder, limit=args.limit, exact=args.exact)
    if reason is None and outcome.exact_only == meaning.UNKNOWN_WORDS:
        reason = outcome.exact_only
    if reason is not None:
        print(f"photoscribe: searching words only: {reason}", file=sys.stderr)
    _print_hits(outcome.hits, args.json)
    return EXIT_OK


def cmd_similar(args: argparse.Namespace, settings: Settings) -> int:
    """Print the photos that look most like PHOTO (nearest BLIP image vectors first)."""
    with Library(settings.library) as library:
        hits = meaning.similar(library, args.photo, limit=args.limit or 20)
    _print_hits(hits, args.json)
    return EXIT_OK


def _print_hits(hits: list[SearchHit], as_json: bool) -> None:
    if as_json:
        rows = [
            {
                "path": shown(h.photo.path),
                "caption": h.photo.caption,
                "keywords": list(h.photo.keywords),
                "score": round(h.score, 4),
                "match": h.match.value,
            }
            for h in hits
        ]
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for hit in hits:
        by_meaning = "  (by meaning)" if hit.match is MatchKind.MEANING else ""
        print(f"{shown(hit.photo.path)}{by_meaning}\n    {hit.photo.caption or '(not captioned yet)'}")
    meant = sum(hit.match is MatchKind.MEANING for hit in hits)
    detail = f" ({len(hits) - meant} by words, {meant} by meaning)" if meant else ""
    print(f"{len(hits)} photo{'s' if len(hits) != 1 else ''} found{detail}.", file=sys.stderr)


def _has_text(library: Library, settings: Settings) -> bool:
    """True when some photo has text to find by meaning (else loading the text model is wasted time)."""
    return not settings.text_model or library.text_vector_progress(settings.text_model)[1] > 0


def load_text_model(settings: Settings) -> tuple[TextEmbedder | None, str | None]:
    """The text model of the settings, or ``None`` and the one-line reason it is not available."""
    if not settings.text_model:
        return None, TURNED_OFF
    from photoscribe.captioning.text_embedder import TextEmbedder, TextModelUnavailable

    if sys.stderr.isatty():
        print(f"Loading text model {settings.text_model} ...", file=sys.stderr)
    try:
        return TextEmbedder.load(settings.text_model), None
    except TextModelUnavailable as exc:
        return None, str(exc)


def prepare_search(library: Library, embedder: TextEmbedder) -> int:
    """Embed the photos whose text vector is missing or stale, with a progress bar; returns how many."""
    from tqdm import tqdm

    current, total = library.text_vector_progress(embedder.ref)
    if current >= total:
        return 0
    if library.read_only:
        missing = total - current
        print(
            f"photoscribe: {missing} photo{'s are' if missing != 1 else ' is'} found by words only: the library is "
            "read-only, so their captions cannot be prepared for search by meaning",
            file=sys.stderr,
        )
        return 0
    with tqdm(
        total=total, initial=current, unit="photo", desc="Preparing search by meaning", disable=None, file=sys.stderr
    ) as bar:

        def advance(now: int, _total: int) -> None:
            bar.update(now - bar.n)

        return meaning.embed_pending(library, embedder, on_progress=advance)


def prepare_after_caption(library: Library, settings: Settings) -> None:
    """After ``caption``: embed what it captioned (and anything else not yet embedded), when a text model is at
    hand; otherwise say in one line that search will match words only. Never an error."""
    if not settings.text_model or library.read_only:
        return
    current, total = library.text_vector_progress(settings.text_model)
    if current >= total:
        return
    embedder, reason = load_text_model(settings)
    if embedder is None:
        print(f"photoscribe: search will match words only: {reason}", file=sys.stderr)
        return
    prepare_search(library, embedder)
