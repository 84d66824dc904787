"""GPU utilisation sampled while a benchmark runs: NVML (``pynvml``) when installed, else ``nvidia-smi``.

    with GpuMonitor() as monitor:
        ...  # the work
    monitor.report()  # {"gpu_util_mean": 87.5, "gpu_util_median": 96.0, "samples": 123, "source": "pynvml"}

Samples every 100 ms on a thread of its own (NVML) or from ``nvidia-smi -lms 100``. Utilisation is NVIDIA's: the
share of each sample period in which some kernel ran, so 100% means the GPU never waited, not that it was full.
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import threading

PERIOD_S = 0.1


class GpuMonitor:
    """Samples GPU ``index``'s utilisation between ``__enter__`` and ``__exit__``."""

    def __init__(self, index: int = 0) -> None:
        self.index = index
        self.samples: list[float] = []
        self.source = "none"
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._process: subprocess.Popen[str] | None = None

    def __enter__(self) -> GpuMonitor:
        try:
            import pynvml

            pynvml.nvmlInit()
            handle = pynvml.nvmlDeviceGetHandleByIndex(self.index)
            self.source = "pynvml"
            self._thread = threading.Thread(target=self._nvml, args=(pynvml, handle), daemon=True)
            self._thread.start()
        except Exception:  # no pynvml, or no NVML driver library
            smi = shutil.which("nvidia-smi")
            if smi is not None:
                self.source = "nvidia-smi"
                query = [smi, "-i", str(self.index), "--query-gpu=utilization.gpu", "--format=csv,noheader,nounits"]
                self._process = subprocess.Popen(
                    [*query, f"-lms={int(PERIOD_S * 1000)}"], stdout=subprocess.PIPE, text=True
                )
                self._thread = threading.Thread(target=self._smi, daemon=True)
                self._thread.start()
        return self

    def _nvml(self, pynvml: object, handle: object) -> None:
        while not self._stop.wait(PERIOD_S):
            self.samples.append(float(pynvml.nvmlDeviceGetUtilizationRates(handle).gpu))  # type: ignore[attr-defined]

    def _smi(self) -> None:
        assert self._process is not None and self._process.stdout is not None
        for line in self._process.stdout:
            if self._stop.is_set():
                break
            try:
                self.samples.append(float(line.strip()))
            except ValueError:
                continue

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        if self._process is not None:
            self._process.terminate()
            self._process.wait()
        if self._thread is not None:
            self._thread.join(timeout=2)

    def report(self) -> dict[str, object]:
        if not self.samples:
            return {"gpu_util_source": self.source, "gpu_util_samples": 0}
        return {
            "gpu_util_source": self.source,
            "gpu_util_samples": len(self.samples),
            "gpu_util_mean": round(statistics.fmean(self.samples), 1),
            "gpu_util_median": statistics.median(self.samples),
        }
