"""Loading the caption model on a thread of its own, so that the caller scans and decodes photos meanwhile.

Importing PyTorch and transformers and loading BLIP-base take seconds of one core; scanning a folder and decoding
the first batches need the others. :class:`BackgroundLoad` starts the load on a thread and hands back a future;
:func:`early_plan` reads how the model's processor makes its input from the model's files alone (no PyTorch), so
decode threads can make the model's input before the model is there. Nothing here imports PyTorch itself.
"""

from __future__ import annotations

import gc
import logging
import sys
import threading
from concurrent.futures import Future
from typing import TYPE_CHECKING

from photoscribe.captioning.allocator import keep_freed_memory
from photoscribe.captioning.collector import collector_paused
from photoscribe.captioning.model_input import InputPlan

if TYPE_CHECKING:
    from photoscribe.captioning.captioner import Captioner

log = logging.getLogger(__name__)


class BackgroundLoad:
    """One model load on a thread: :meth:`start` begins it (once), :attr:`future` gives the captioner or raises
    the load's error. Leaving the ``with`` block waits for a load still running (it cannot be stopped halfway)."""

    def __init__(self, model: str, device: str, precision: str, announce: bool = True) -> None:
        self.model, self.device, self.precision, self.announce = model, device, precision, announce
        self.future: Future[Captioner] = Future()
        self._thread: threading.Thread | None = None

    def start(self) -> Future[Captioner]:
        if self._thread is None:
            keep_freed_memory()  # before the decode and caption threads make their allocator arenas
            self._thread = threading.Thread(target=self._run, name="model-load", daemon=True)
            self._thread.start()
        return self.future

    @property
    def started(self) -> bool:
        return self._thread is not None

    def _run(self) -> None:
        if not self.future.set_running_or_notify_cancel():
            return
        try:
            with collector_paused():  # (importing PyTorch makes no garbage worth a pass: see collector.py)
                from photoscribe.captioning.captioner import Captioner
                from photoscribe.captioning.hardware import choose_hardware

                gc.freeze()  # PyTorch's modules live as long as the process: later passes leave them out
            hardware = choose_hardware(self.device, self.precision)
            if self.announce:
                print(f"Loading {self.model} on {hardware.describe()} ...", file=sys.stderr, flush=True)
            self.future.set_result(Captioner.load(self.model, hardware))  # (pauses the collector while building)
        except BaseException as exc:  # handed to whoever waits for the model
            self.future.set_exception(exc)

    def __enter__(self) -> BackgroundLoad:
        return self

    def __exit__(self, *_: object) -> None:
        if self._thread is not None:
            self._thread.join()


def early_plan(model: str) -> InputPlan | None:
    """How ``model``'s processor makes its input, read from its files when they are on this computer already
    (a folder, or the Hugging Face cache); ``None`` otherwise (it may still have to be downloaded)."""
    from photoscribe.captioning.model_files import local_model_folder

    folder = local_model_folder(model)
    return InputPlan.from_folder(folder) if folder is not None else None
