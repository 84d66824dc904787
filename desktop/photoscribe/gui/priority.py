"""The GUI thread first: every other thread of the app runs at a lower CPU priority.

On a machine with two cores the app has half a dozen busy threads (captioning and its PyTorch workers, the folder
scan, thumbnail decoders, record and search readers). Measured at 100,000 photos, the GUI thread spent a third of
its time runnable but waiting for a core, and a page of the grid came 150-600 ms late. With the other threads at a
higher nice value the scheduler runs the GUI thread first whenever it has work; when it has none (most of the
time) the background threads get every core as before.

Threads inherit their creator's priority, so threads started by background threads (PyTorch's, for one) are lower
from birth; :class:`BackgroundPriority` looks again every second for threads started by the GUI thread. Linux only
(threads are tasks there, each with its own nice value); elsewhere it does nothing. A thread's priority is only
ever lowered (an unprivileged process cannot raise it back).
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from PySide6.QtCore import QObject, QTimer

#: The nice value of every thread but the GUI thread (0 is the default; 19 the lowest priority).
BACKGROUND_NICE = 10
LOOK_MS = 1000
TASKS = Path("/proc/self/task")


def lower_other_threads(keep: int, nice: int = BACKGROUND_NICE) -> list[int]:
    """Give every thread of this process but ``keep`` (a native thread id) a nice value of at least ``nice``;
    returns the ids of the threads lowered now."""
    if not hasattr(os, "setpriority") or not TASKS.is_dir():
        return []
    lowered = []
    for entry in TASKS.iterdir():
        tid = int(entry.name)
        if tid == keep:
            continue
        try:
            if os.getpriority(os.PRIO_PROCESS, tid) < nice:
                os.setpriority(os.PRIO_PROCESS, tid, nice)
                lowered.append(tid)
        except OSError:  # the thread ended meanwhile, or the system refuses
            continue
    return lowered


class BackgroundPriority(QObject):
    """Keeps every thread but the one that made it (the GUI thread) at :data:`BACKGROUND_NICE`."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.gui_thread = threading.get_native_id()
        self._timer = QTimer(self)
        self._timer.setInterval(LOOK_MS)
        self._timer.timeout.connect(self.look)
        self._timer.start()
        self.look()

    def look(self) -> list[int]:
        """Lower the threads started since the last look; returns their ids."""
        return lower_other_threads(self.gui_thread)
