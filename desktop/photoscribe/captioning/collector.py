"""Python's cyclic garbage collector held off while a model is imported and built.

Importing PyTorch and transformers and building a model make a few hundred thousand objects that live as long as
the process. The collector starts a pass every 700 new objects, and every so often a pass over all of them; none
of these passes finds anything to free. Importing what ``Captioner.load`` needs took 4.0-4.1 s of CPU with the
collector on and 3.4-3.7 s with it off, and a whole ``photoscribe caption`` of 48 photos (2 cores) had its model
ready 0.8 s sooner.

While any load runs (:func:`collector_paused`, nestable, from any thread) the collector is off; when the last one
ends it runs again as it did before. Nothing is frozen here: callers freeze what they know lives as long as the
process (imported modules), never a model, whose layers hold reference cycles and which the app drops when the
model or precision changes (frozen, it would never be freed). Nothing here imports PyTorch.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_loads = 0
_was_enabled = False


@contextmanager
def collector_paused() -> Iterator[None]:
    """Keep the cyclic collector off while the ``with`` block runs (and while any other such block runs)."""
    global _loads, _was_enabled
    with _lock:
        if _loads == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _loads += 1
    try:
        yield
    finally:
        with _lock:
            _loads -= 1
            if _loads == 0 and _was_enabled:
                gc.enable()
