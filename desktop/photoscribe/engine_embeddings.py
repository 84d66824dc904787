"""The engine's embedding thread: keeps every photo's text vector current with the text model in the settings.

It loads the text model (``settings.text_model``; a download on first use, like BLIP) and then, whenever it is
woken (after each caption batch, each edit made through the engine, each registration, a change of text model)
or every :data:`RECHECK_SECONDS` (edits by other processes), stores vectors for the photos whose text has none,
a stale one or one of another model, in batches of :data:`BATCH`. It runs on its own thread, never the caption
thread's or the GUI's, and tells listeners how far it is with :class:`~photoscribe.events.SearchStatus` events.

A text model that cannot be loaded (offline, not downloaded, a broken folder) is reported once as
``SearchState.EXACT_ONLY`` with the reason: search then matches words only; nothing stops. It is tried again
when the setting changes or :meth:`EmbeddingKeeper.retry` asks.

The search bar shares the loaded model (:meth:`EmbeddingKeeper.encode_query`); one lock keeps the two threads
from using its tokenizer at once, and the keeper encodes in chunks of :data:`CHUNK` so a query waits little.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from photoscribe.engine_parts import download_progress, settle_loaded_objects
from photoscribe.errors import PhotoScribeError, library_busy, one_line
from photoscribe.events import SearchState, SearchStatus
from photoscribe.retry import Backoff

if TYPE_CHECKING:
    from photoscribe.config import Settings
    from photoscribe.engine import Engine

log = logging.getLogger(__name__)
LOADING = SearchState.LOADING

BATCH = 256  # photos per library round trip
CHUNK = 64  # texts per model call (a query waits for at most one)
RECHECK_SECONDS = 60.0
QUERY_CACHE = 64

TextEmbedder = Any  # photoscribe.captioning.text_embedder.TextEmbedder: imported only on this thread (torch)
Loader = Callable[[str, type], TextEmbedder]  # (model ref, tqdm class for download progress) -> text model


def text_model_of(settings: Settings) -> str:
    """The text model the settings name ("" when search by meaning is turned off)."""
    return settings.text_model.strip()


def load_text_model(ref: str, progress: type) -> TextEmbedder:
    """Load ``ref`` with :class:`~photoscribe.captioning.text_embedder.TextEmbedder`, downloading it if needed."""
    from photoscribe.captioning.text_embedder import TextEmbedder as Loaded

    return Loaded.load(ref, allow_download=True, progress=progress)


class EmbeddingKeeper:
    """Owns the text model and the thread that keeps the library's text vectors current."""

    def __init__(self, engine: Engine, loader: Loader | None = None) -> None:
        self.engine = engine
        self._loader = loader or load_text_model
        self._embedder: TextEmbedder | None = None
        self._ref: str | None = None  # the model loaded, or the one that failed to load
        self._exact_only: str | None = "the text model is not loaded yet"
        self._wake, self._stopping = threading.Event(), threading.Event()
        self._model_lock = threading.Lock()  # one caller of the model at a time (its tokenizer is not shared-safe)
        self._queries: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()
        self._last: SearchStatus | None = None
        self._thread: threading.Thread | None = None
        self._backoff = Backoff()

    # -- what the app and the engine use ------------------------------------------------------------------------

    @property
    def embedder(self) -> TextEmbedder | None:
        """The loaded text model when it is the one the settings name, else ``None`` (search is exact)."""
        embedder = self._embedder
        return embedder if embedder is not None and self._ref == text_model_of(self.engine.settings) else None

    @property
    def exact_only(self) -> str | None:
        """Why search matches words only right now, or ``None`` when search by meaning is available."""
        return None if self.embedder is not None else self._exact_only

    def encode_query(self, text: str) -> tuple[np.ndarray, str] | None:
        """The query's vector and the model that made it, or ``None`` without a text model (any thread)."""
        embedder = self.embedder
        if embedder is None:
            return None
        key = (embedder.ref, text)
        vector = self._queries.get(key)
        if vector is None:
            vector = self._encode(embedder, [text])[0]
            self._queries[key] = vector
            while len(self._queries) > QUERY_CACHE:
                self._queries.popitem(last=False)
        return vector, embedder.ref

    def start(self) -> None:
        """Start the embedding thread."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="embeddings", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 60.0) -> None:
        """Stop after the chunk in hand and wait for the thread."""
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def wake(self) -> None:
        """Photos' text changed (captions, edits, registration) or the settings did: catch up soon."""
        self._wake.set()

    def retry(self) -> None:
        """Try again to load a text model that failed (e.g. back online)."""
        self._ref = None if self._embedder is None else self._ref
        self._wake.set()

    # -- the thread ---------------------------------------------------------------------------------------------

    def _run(self) -> None:
        while not self._stopping.is_set():
            self._wake.clear()
            try:
                self._catch_up()
            except Exception as exc:  # whatever it is, the thread carries on after a pause
                pause = self._backoff.next()
                what = "the library is busy" if library_busy(exc) else "unexpected error"
                log.error("embedding photos' text failed (%s: %s); trying again in %g s", what, one_line(exc), pause)
                self._wake.wait(pause)
                continue
            self._backoff.reset()
            self._wake.wait(RECHECK_SECONDS)

    def _catch_up(self) -> None:
        ref = text_model_of(self.engine.settings)
        library = self.engine.library
        if not ref:
            return self._say(SearchState.EXACT_ONLY, "no text model is set (the text_model setting)")
        if ref != self._ref:
            done, total = library.text_vector_progress(ref)
            if library.read_only and done == 0:  # (with vectors made earlier, search uses those)
                return self._say(SearchState.EXACT_ONLY, "the library is read-only, so its photos cannot be embedded")
            if total == 0:
                return None  # nothing to embed yet: load the model when there is
            self._load(ref)
        embedder = self.embedder
        if embedder is not None:
            self._embed_backlog(embedder)
        return None

    def _embed_backlog(self, embedder: TextEmbedder) -> None:
        """Store vectors for every photo that needs one (the rule of :func:`photoscribe.meaning.embed_pending`)."""
        from photoscribe.meaning import embed_pending

        library, ref = self.engine.library, embedder.ref
        stop = lambda: self._stopping.is_set() or text_model_of(self.engine.settings) != ref  # noqa: E731
        embed_pending(  # (it counts the photos only when some need a vector: a wake with nothing to do is cheap)
            library,
            _Shared(embedder, self._encode),
            on_progress=lambda done, total: self._emit(SearchStatus(SearchState.EMBEDDING, ref, done, total)),
            should_stop=stop,
            batch=BATCH,
        )
        if not stop():
            self._say(SearchState.READY, ref)

    def _load(self, ref: str) -> None:
        self._embedder, self._ref, self._queries = None, ref, OrderedDict()
        self._say(SearchState.LOADING, ref)
        try:
            downloading = download_progress(self._emit, lambda done, total: SearchStatus(LOADING, ref, done, total))
            embedder = self._loader(ref, downloading)
        except Exception as exc:
            if not isinstance(exc, PhotoScribeError):
                log.exception("loading the text model %s failed", ref)
            reason = str(exc) if isinstance(exc, PhotoScribeError) else f"{ref} could not be loaded ({one_line(exc)})"
            log.warning("search matches words only: %s", reason)
            self._exact_only = reason
            self._say(SearchState.EXACT_ONLY, reason)
            return
        log.info("text model %s loaded (%d dimensions)", ref, embedder.dim)
        settle_loaded_objects()
        self._embedder, self._exact_only = embedder, None

    def _encode(self, embedder: TextEmbedder, texts: Sequence[str]) -> np.ndarray:
        parts = []
        for start in range(0, len(texts), CHUNK):
            with self._model_lock:
                parts.append(np.asarray(embedder.encode(list(texts[start : start + CHUNK])), dtype=np.float32))
        return np.concatenate(parts) if parts else np.zeros((0, embedder.dim), dtype=np.float32)

    def _say(self, state: SearchState, detail: str) -> None:
        """Tell the listeners, once per change."""
        status = SearchStatus(state, detail)
        if status != self._last:
            self._emit(status)

    def _emit(self, status: SearchStatus) -> None:
        self._last = status
        self.engine._emit(status)


class _Shared:
    """The loaded text model as :func:`~photoscribe.meaning.embed_pending` sees it: encoding through the keeper's
    lock, in chunks, so a search waits for one chunk at most."""

    def __init__(self, embedder: TextEmbedder, encode: Callable[[TextEmbedder, Sequence[str]], np.ndarray]) -> None:
        self.ref, self.dim = embedder.ref, embedder.dim
        self._embedder, self._encode = embedder, encode

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(self._embedder, texts)
