"""Long ingest loops give way to the user: every :data:`EVERY` files they call :func:`pause`, which waits on what
the running app installed (the desktop app: until its photo grid has stopped scrolling) and returns at once when
nothing is installed (the command line, tests).

Walking 100,000 files is seconds of Python (paths made, hashed, compared, stat results read), and Python runs one
thread at a time: a scan beside the GUI thread takes turns with it, and every such thread makes a page of the grid
take longer to paint. The scan reaches the engine's events (where the app holds it) only every few hundred
milliseconds; here it gives way within a few milliseconds of the grid starting to scroll.

What is installed belongs to the process that installed it: a process forked from it (a reader process of
``photoscribe add``) never waits on its parent's copy.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")

#: Files between two pauses (a few milliseconds of work).
EVERY = 200

_waits: list[tuple[int, Callable[[], None]]] = []  # (the installing process's id, what to wait on)


def install(wait: Callable[[], None]) -> Callable[[], None]:
    """Make :func:`pause` call ``wait()`` (in this process) until the returned function is called."""
    entry = (os.getpid(), wait)
    _waits.append(entry)
    return lambda: entry in _waits and _waits.remove(entry)  # type: ignore[func-returns-value]


def pause() -> None:
    """Wait for whatever this process installed (nothing installed: return at once)."""
    if not _waits:
        return
    pid = os.getpid()
    for owner, wait in tuple(_waits):
        if owner == pid:
            wait()


def paced(items: Iterable[T], every: int = EVERY) -> Iterator[T]:
    """``items`` one by one, with a :func:`pause` before the first and then every ``every`` of them."""
    for n, item in enumerate(items):
        if n % every == 0:
            pause()
        yield item
