"""What the GUI thread was doing when a timer on it came late: a watchdog thread that samples every thread's stack
(``sys._current_frames``) while the GUI thread's last tick is older than a threshold. Benchmarks only.

The sampler needs the GIL to look, so a stall where C code holds the GIL shows as the stacks after it let go; the
other threads' stacks say who was running. The report counts, per stalled interval, the GUI thread's innermost
frames and every other thread's innermost frame that is not waiting.
"""

from __future__ import annotations

import gc
import sys
import threading
import time
from collections import Counter
from types import FrameType

IDLE = ("wait", "_wait_for_tstate_lock", "select", "poll", "sleep", "get", "acquire", "_work")


def _stack(frame: FrameType | None, depth: int) -> str:
    parts = []
    while frame is not None and len(parts) < depth:
        code = frame.f_code
        parts.append(f"{code.co_filename.rsplit('/', 2)[-1]}:{frame.f_lineno}:{code.co_name}")
        frame = frame.f_back
    return " < ".join(parts)


class StallSampler:
    """Samples stacks every ``every_s`` while ``last_tick()`` (a perf_counter) is older than ``threshold_s``."""

    def __init__(self, last_tick: object, threshold_s: float = 0.03, every_s: float = 0.003, depth: int = 6) -> None:
        self.last_tick = last_tick
        self.threshold_s, self.every_s, self.depth = threshold_s, every_s, depth
        self.gui_id = threading.get_ident()
        self.gui: Counter[str] = Counter()
        self.others: Counter[str] = Counter()
        self.stalls: list[tuple[float, float, list[str]]] = []  # (at, seconds, GUI stacks seen)
        self.collections: list[tuple[float, int, float, str]] = []  # (at, generation, seconds, thread) over 5 ms
        self._gc_began = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="stall-sampler", daemon=True)

    def start(self) -> None:
        self._thread.start()
        gc.callbacks.append(self._gc)

    def stop(self) -> None:
        self._stop.set()
        if self._gc in gc.callbacks:
            gc.callbacks.remove(self._gc)

    def _gc(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._gc_began = time.perf_counter()
            return
        spent = time.perf_counter() - self._gc_began
        if spent > 0.005:
            self.collections.append((time.time(), info["generation"], round(spent, 3), threading.current_thread().name))

    def _run(self) -> None:
        names = {}
        current: list[str] | None = None
        began = 0.0
        while not self._stop.wait(self.every_s):
            since = time.perf_counter() - self.last_tick()  # type: ignore[operator]
            if since < self.threshold_s:
                if current is not None:
                    self.stalls.append((time.time(), time.perf_counter() - began, current))
                    current = None
                continue
            if current is None:
                current, began = [], time.perf_counter() - since
            names = {t.ident: t.name for t in threading.enumerate()}
            for ident, frame in sys._current_frames().items():
                if ident == threading.get_ident():
                    continue
                if ident == self.gui_id:
                    stack = _stack(frame, self.depth)
                    self.gui[stack] += 1
                    if stack not in current:
                        current.append(stack)
                elif frame.f_code.co_name not in IDLE:
                    other = f"[{names.get(ident, ident)}] {_stack(frame, 4)}"
                    self.others[other] += 1
                    if other not in current:
                        current.append(other)

    def report(self, top: int = 15) -> dict[str, object]:
        worst = sorted(self.stalls, key=lambda s: -s[1])[:top]
        return {
            "gui": self.gui.most_common(top),
            "others": self.others.most_common(top),
            "worst": [(round(s, 3), round(at, 2), stacks[:12]) for at, s, stacks in worst],
            "collections": self.collections,
            "threads": {t.native_id: t.name for t in threading.enumerate()},
        }
