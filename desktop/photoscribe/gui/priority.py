"""The GUI thread first: every other thread of the app runs at a lower CPU priority.

On a machine with two cores the app has half a dozen busy threads (captioning and its PyTorch workers, the folder
scan, thumbnail decoders, record and search readers). Measured at 100,000 photos, the GUI thread spent a third of
its time runnable but waiting for a core, and a page of the grid came 150-600 ms late. With the other threads at a
higher nice value the scheduler runs the GUI thread first whenever it has work; when it has none (most of the
time) the background threads get every core as before.

The interpreter lock is the other queue the GUI thread waits in: each Qt call lets it go, and taking it back from a
busy thread waited up to the switch interval (5 ms by default) each time, dozens of times a page. The app asks
threads to hand it over after :data:`SWITCH_S` instead (worst scroll delay 348 -> 168 ms in one run each).

Threads inherit their creator's priority, so threads started by background threads (PyTorch's, for one) are lower
from birth; :class:`BackgroundPriority` looks again every second for threads started by the GUI thread. Linux only
(threads are tasks there, each with its own nice value); elsewhere it does nothing. A thread's priority is only
ever lowered (an unprivileged process cannot raise it back).
"""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

from PySide6.QtCore import QObject, QTimer

#: The nice value of every thread but the GUI thread (0 is the default; 19 the lowest priority).
BACKGROUND_NICE = 10
LOOK_MS = 1000
#: How long a thread may hold the interpreter lock while another waits for it (Python's default: 5 ms).
SWITCH_S = 0.001
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
    """Keeps every thread but the one that made it (the GUI thread) at :data:`BACKGROUND_NICE`, and the
    interpreter's switch interval at :data:`SWITCH_S`."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.gui_thread = threading.get_native_id()
        self._switch = sys.getswitchinterval()
        sys.setswitchinterval(SWITCH_S)
        self._timer = QTimer(self)
        self._timer.setInterval(LOOK_MS)
        self._timer.timeout.connect(self.look)
        self._timer.start()
        self.look()

    def restore(self) -> None:
        """The interpreter's switch interval as it was (thread priorities stay lowered)."""
        sys.setswitchinterval(self._switch)

    def look(self) -> list[int]:
        """Lower the threads started since the last look; returns their ids."""
        return lower_other_threads(self.gui_thread)
