"""The app side of ``bench_large.py``: PhotoScribe's own start (:func:`photoscribe.gui.app.run`) in this process,
watched from the inside. Prints one JSON line of figures before closing the window and one more after.

    bench_large_app.py open --library FILE --expect N --launched EPOCH [--model M]   # open, page the grid
    bench_large_app.py scan --library FILE --photos-dir DIR --expect N --launched EPOCH   # Add folder, scan

``open``: times from the launch to the main window's first paint (any widget of it painted) and to the grid's first
rows; then pages the grid down one page every ``--page-ms`` until its last row (fetching more where the model
loads rows as the view needs them), waits ``--settle`` seconds and reads the resident memory (``/proc``).
``scan``: once the window is shown, adds ``--photos-dir`` as the Add folder action does and waits until every
photo is registered (read from a second connection every 0.5 s) and the first caption arrived (with a model).
Both measure how late a 10 ms timer fires on the GUI thread meanwhile.
"""

from __future__ import annotations

import time

STARTED = time.time()  # before the imports: they are part of the app's start

import argparse  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import threading  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "desktop")]

from PySide6.QtCore import QEvent, QModelIndex, QObject, Qt, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication, QListView, QWidget  # noqa: E402

from photoscribe import DEFAULT_MODEL  # noqa: E402
from photoscribe.config import Settings  # noqa: E402
from photoscribe.events import EngineState, PhotoCaptioned, StateChanged  # noqa: E402
from photoscribe.gui.app import run  # noqa: E402
from photoscribe.gui.main_window import MainWindow  # noqa: E402
from photoscribe.library import Library  # noqa: E402

IMPORTED = time.time()
TICK_MS = 10
STUCK_S = 60.0  # at the bottom of the grid this long without all the rows: the run ends with the problem said


def memory_mb() -> tuple[float, float]:
    """This process's resident memory now and at its peak (VmRSS, VmHWM), in MB."""
    fields = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines() if ":" in line)
    return tuple(int(fields[name].split()[0]) * 1024 / 1e6 for name in ("VmRSS", "VmHWM"))  # type: ignore[return-value]


def p99_max(lateness: list[float]) -> list[float]:
    ordered = sorted(lateness) or [0.0]
    return [round(ordered[max(0, int(len(ordered) * 0.99) - 1)], 1), round(ordered[-1], 1)]


class Bench(QObject):
    """Finds the main window at its first paint, then drives it (``open`` or ``scan``)."""

    def __init__(self, args: argparse.Namespace) -> None:
        super().__init__()
        self.args = args
        self.window: MainWindow | None = None
        self.figures: dict[str, object] = {"mode": args.mode, "imported_s": IMPORTED - args.launched}
        self.lateness: list[float] = []
        self.stamps: list[float] = []  # when each tick came (epoch)
        self.last_tick = 0.0
        self.first_rows_at: float | None = None
        self.first_caption_at: float | None = None
        self.registered_at: float | None = None
        self.scan_events = 0
        self.timeline: dict[str, float] = {}  # seconds from the first paint to the first engine event of each kind
        self.pages = 0
        self.finished = False
        self.stop_polling = threading.Event()

    # -- finding the window ------------------------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if (
            self.window is None
            and event.type() == QEvent.Type.Paint
            and isinstance(watched, QWidget)
            and isinstance(watched.window(), MainWindow)
        ):
            self.window = watched.window()  # type: ignore[assignment]
            self.figures["shown_s"] = time.time() - self.args.launched
            QApplication.instance().removeEventFilter(self)  # type: ignore[union-attr]
            QTimer.singleShot(0, self.begin)
        return False

    def begin(self) -> None:
        views = [v for v in self.window.findChildren(QListView) if v.viewMode() == QListView.ViewMode.IconMode]  # type: ignore[union-attr]
        self.grid = getattr(self.window, "grid", None) or views[0]
        if self.args.maximized:
            self.window.showMaximized()  # type: ignore[union-attr]  # as photographers with 100,000 photos run it
        self.model = self.grid.model()
        self.started = time.time()
        self.ticker = QTimer(self, timerType=Qt.TimerType.PreciseTimer, interval=TICK_MS)
        self.ticker.timeout.connect(self.tick)
        self.last_tick = time.perf_counter()
        self.ticker.start()
        if self.args.stalls:
            from benchmarks.stall_sampler import StallSampler

            self.sampler = StallSampler(lambda: self.last_tick)
            self.sampler.start()
        self.window.engine.subscribe(self.on_event)  # type: ignore[union-attr]
        if self.args.mode == "scan":
            self.added_at = time.time()
            threading.Thread(target=self.poll_registered, name="bench-poll", daemon=True).start()
            self.window.add_folder(str(self.args.photos_dir))  # type: ignore[union-attr]
        else:
            if self.args.paused:
                self.window.engine.pause()  # type: ignore[union-attr]  # the batch in hand finishes, no more
            self.pager = QTimer(self, interval=self.args.page_ms)
            self.pager.timeout.connect(self.page)

    # -- measuring ---------------------------------------------------------------------------------------------

    def tick(self) -> None:
        now = time.perf_counter()
        self.lateness.append(max(0.0, (now - self.last_tick) * 1000 - TICK_MS))
        self.stamps.append(time.time())
        self.last_tick = now
        if self.first_rows_at is None and self.model.rowCount() > 0:
            self.first_rows_at = time.time()
        if self.args.mode == "open" and not hasattr(self, "paging_from") and self.first_rows_at and self.settled():
            f = self.figures
            f["ready_s"], f["rss_before_paging_mb"] = time.time() - self.args.launched, memory_mb()[0]
            f["start_lateness_ms"], f["start_worst_tick_s"] = p99_max(self.lateness), self.worst_tick(self.started)
            self.lateness.clear()  # from here on: paging
            self.stamps.clear()
            self.paging_from = time.time()
            self.pager.start()
        if time.time() - self.started > self.args.limit:
            self.finish(f"gave up after {self.args.limit:.0f} s")
        elif self.args.mode == "scan" and self.registered_at and (self.first_caption_at or not self.args.model):
            self.finish()

    def settled(self) -> bool:
        """The engine has loaded its model (or failed to, or is paused): paging measures the app as it runs."""
        busy = (EngineState.STARTING, EngineState.LOADING_MODEL)
        return self.window.engine.state not in busy or time.time() - self.started > 120  # type: ignore[union-attr]

    def on_event(self, event: object) -> None:  # engine threads
        if isinstance(event, PhotoCaptioned) and self.first_caption_at is None:
            self.first_caption_at = time.time()
        elif type(event).__name__ == "ScanProgress":
            self.scan_events += 1
            if getattr(event, "done", False):
                self.timeline["ScanProgress done"] = round(time.time() - self.started, 2)  # the last one
        name = type(event).__name__ + (f" {event.state}" if isinstance(event, StateChanged) else "")
        self.timeline.setdefault(name, round(time.time() - self.started, 2))  # the first of each kind

    def poll_registered(self) -> None:
        with Library(self.args.library) as library:
            while not self.stop_polling.wait(0.5):
                if library.stats().photos >= self.args.expect:
                    self.registered_at = time.time()
                    return

    def page(self) -> None:
        bar, root = self.grid.verticalScrollBar(), QModelIndex()
        if bar.value() < bar.maximum():
            bar.setValue(bar.value() + bar.pageStep())
            self.pages, self.moved_at = self.pages + 1, time.time()
        elif self.model.canFetchMore(root):
            self.model.fetchMore(root)
            self.moved_at = time.time()
        elif self.model.rowCount() < self.args.expect and time.time() - getattr(self, "moved_at", 0) > STUCK_S:
            self.finish(f"the grid stopped at {self.model.rowCount():,} rows")
        elif self.model.rowCount() >= self.args.expect:
            self.pager.stop()
            self.figures["paging_s"] = time.time() - self.paging_from
            self.figures["paging_lateness_ms"] = p99_max(self.lateness)
            QTimer.singleShot(int(self.args.settle * 1000), self.finish)

    def worst_tick(self, since: float) -> float | None:
        """When the tick that came latest fired, in seconds from ``since`` (it ended the longest stall)."""
        if not self.lateness:
            return None
        return round(self.stamps[self.lateness.index(max(self.lateness))] - since, 2)

    def finish(self, problem: str = "") -> None:
        if self.finished:
            return
        self.finished = True
        self.ticker.stop()
        self.stop_polling.set()
        f, launched = self.figures, self.args.launched
        f["problem"], f["events"] = problem, self.timeline
        f["paging_from_s"] = round(getattr(self, "paging_from", self.started) - self.started, 2)
        if self.args.mode == "open":
            getattr(self, "pager", None) and self.pager.stop()
            f["first_rows_s"] = (self.first_rows_at or time.time()) - launched
            f.setdefault("paging_s", time.time() - getattr(self, "paging_from", self.started))
            f.setdefault("paging_lateness_ms", p99_max(self.lateness))
            f.setdefault("worst_tick_s", self.worst_tick(getattr(self, "paging_from", self.started)))
            f["pages"], f["rows"] = self.pages, self.model.rowCount()
            view, cell = self.grid.viewport().size(), self.grid.gridSize()
            f["grid"] = [view.width(), view.height(), max(1, view.width() // max(1, cell.width()))]
            f["window"] = [self.window.width(), self.window.height()]  # type: ignore[union-attr]
            f["rss_mb"], f["peak_rss_mb"] = memory_mb()
            thumbnails = getattr(self.window, "thumbnails", None)
            f["thumbnails_mb"] = thumbnails.memory_used() / 1e6 if hasattr(thumbnails, "memory_used") else None
        else:
            f["first_rows_s"] = (self.first_rows_at or time.time()) - self.added_at
            f["first_caption_s"] = self.first_caption_at - self.added_at if self.first_caption_at else None
            f["registered_s"] = (self.registered_at or time.time()) - self.added_at
            f["registered"] = self.args.expect if self.registered_at else _count(self.args.library)
            f["scan_lateness_ms"] = p99_max(self.lateness)
            f["worst_tick_s"] = self.worst_tick(self.added_at)
            f["scan_progress_events"] = self.scan_events
            f["rss_mb"], f["peak_rss_mb"] = memory_mb()
        if getattr(self, "sampler", None) is not None:
            self.sampler.stop()
            Path(self.args.stalls).write_text(json.dumps(self.sampler.report(), indent=1))
        print(json.dumps(f), flush=True)
        self.closing_at = time.perf_counter()
        self.window.close()  # type: ignore[union-attr]


def _count(library: str) -> int:
    with Library(library) as opened:
        return opened.stats().photos


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("mode", choices=("open", "scan"))
    parser.add_argument("--library", required=True)
    parser.add_argument("--photos-dir", type=Path)
    parser.add_argument("--expect", type=int, required=True, help="photos the library holds (open) or will (scan)")
    parser.add_argument("--launched", type=float, default=STARTED, help="epoch seconds the process was launched at")
    parser.add_argument("--model", default="")
    parser.add_argument("--precision", default="auto")
    parser.add_argument("--text-model", default="")
    parser.add_argument("--page-ms", type=int, default=16)
    parser.add_argument("--paused", action="store_true", help="open: pause captioning while paging")
    parser.add_argument("--maximized", action=argparse.BooleanOptionalAction, default=True, help="maximise the window")
    parser.add_argument("--settle", type=float, default=3.0, help="seconds between the last page and reading RSS")
    parser.add_argument("--stalls", metavar="FILE", help="sample the GUI thread's stack when a tick is late")
    parser.add_argument("--limit", type=float, default=1200.0, help="seconds after the first paint to give up")
    args = parser.parse_args()
    app = QApplication.instance() or QApplication([sys.argv[0]])
    bench = Bench(args)
    app.installEventFilter(bench)
    settings = Settings(
        library=args.library, model=args.model or DEFAULT_MODEL, precision=args.precision, text_model=args.text_model
    )
    code = run(settings)
    closing = getattr(bench, "closing_at", None)
    bench.figures["close_s"] = time.perf_counter() - closing if closing else None
    bench.figures["exit"] = code
    print(json.dumps(bench.figures), flush=True)
    return 0 if bench.finished else 1


if __name__ == "__main__":
    raise SystemExit(main())
