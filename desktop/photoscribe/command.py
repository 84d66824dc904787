"""The ``photoscribe`` program's entry point (the installed command, ``python -m photoscribe``, the packaged app).

The command line's modules (SQLAlchemy, the library, the settings) are imported with Python's cyclic garbage
collector paused (see :mod:`photoscribe.captioning.collector`): 130 passes, none of which found anything to free,
took a good part of ``photoscribe status``'s time (0.45-0.56 s here before, 0.32-0.35 s after, with the numpy it
no longer imports).
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Sequence

from photoscribe.captioning.collector import collector_paused


def import_command_line() -> Callable[[Sequence[str] | None], int]:
    """``photoscribe.cli.main``, imported with the collector paused."""
    with collector_paused():
        from photoscribe.cli import main as run_command_line

        gc.freeze()  # modules live as long as the process: later passes leave them out
    return run_command_line


def main(argv: Sequence[str] | None = None) -> int:
    """Import the command line and run it; returns the exit code."""
    return import_command_line()(argv)
