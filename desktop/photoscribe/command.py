"""The ``photoscribe`` program's entry point (the installed command, ``python -m photoscribe``, the packaged app).

The command line's modules (SQLAlchemy, the library, the settings) are imported with Python's cyclic garbage
collector paused (see :mod:`photoscribe.captioning.collector`): 130 passes, none of which found anything to free,
took a good part of ``photoscribe status``'s time (0.45-0.56 s here before, 0.32-0.35 s after, with the numpy it
no longer imports).

After a headless command that loaded PyTorch (``caption``, ``watch``, a search by meaning) the process ends at once
(:func:`leave_at_once`) instead of tearing the interpreter down: freeing PyTorch's and transformers' objects one by
one took 0.25-0.65 s after ``photoscribe caption`` had closed its library and printed its summary.
"""

from __future__ import annotations

import gc
import logging
import os
import sys
import threading
from collections.abc import Callable, Sequence

from photoscribe.captioning.collector import collector_paused

log = logging.getLogger(__name__)


def import_command_line() -> Callable[[Sequence[str] | None], int]:
    """``photoscribe.cli.main``, imported with the collector paused."""
    with collector_paused():
        from photoscribe.cli import main as run_command_line

        gc.freeze()  # modules live as long as the process: later passes leave them out
    return run_command_line


def main(argv: Sequence[str] | None = None) -> int:
    """Import the command line and run it; returns the exit code (or ends the process with it)."""
    code = import_command_line()(argv)
    leave_at_once(code)
    return code


def leave_at_once(code: int) -> None:
    """End the process now with ``code`` when PyTorch is loaded, the app's window never was (Qt saves settings
    as it is torn down), and no thread is left that a normal exit would wait for; otherwise return."""
    if "torch" not in sys.modules or "PySide6.QtWidgets" in sys.modules:
        return
    main_thread = threading.main_thread()
    if any(t.is_alive() and not t.daemon and t is not main_thread for t in threading.enumerate()):
        return
    log.info("ending the process without tearing down the interpreter")
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe or stream: nothing more can be shown there anyway
            pass
    os._exit(code)
