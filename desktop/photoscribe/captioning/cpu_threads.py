"""How many CPU threads PyTorch uses for the work one thread starts, and how many batches a CPU captions at once.

PyTorch splits each operation over all the cores by default; every split ends with the threads waiting for one
another. A decoder step is hundreds of small operations, so on a machine whose cores are also busy with something
else (the decode threads, another program) a thread that lost its core holds all the others at each of them:
measured on a 2-core machine with other work running, a batch of 16 captioned in 10-26 s with two threads each
operation and in 5-9 s with one. So a CPU captions :func:`cpu_streams` batches at once, each on a thread of its
own that splits its operations over its share of the cores only: nothing waits across batches.

The thread counts are per thread (OpenMP's and MKL's own per-thread settings), so other threads keep theirs.
"""

from __future__ import annotations

import ctypes
import logging
import os
import sys
from collections.abc import Callable
from functools import cache
from pathlib import Path

log = logging.getLogger(__name__)

#: Batches a CPU captions at once, at most: each holds its own activations and decoder caches (about 0.4 GB for
#: 16 photos with BLIP-base in bf16), and two already keep the cores busy without waiting for one another.
MAX_CPU_STREAMS = 2


def usable_cores() -> int:
    """Cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS and Windows
        return os.cpu_count() or 1


def cpu_streams(cores: int | None = None) -> tuple[int, int]:
    """(batches captioned at once, threads each) on a CPU with ``cores`` cores."""
    cores = cores or usable_cores()
    streams = max(1, min(cores, MAX_CPU_STREAMS))
    return streams, max(1, cores // streams)


def use_cpu_threads(count: int) -> None:
    """Have PyTorch's CPU work started from the calling thread use ``count`` threads (OpenMP's and MKL's
    per-thread settings); other threads keep theirs. Nothing changes where the runtimes are not found."""
    import torch

    torch.get_num_threads()  # PyTorch sets this thread's OpenMP count on its first use: let that happen first
    for setter in (omp_set_num_threads(), _mkl_set_num_threads_local()):
        if setter is not None:
            setter(count)


@cache
def omp_set_num_threads() -> Callable[[int], object] | None:
    """``omp_set_num_threads`` of the OpenMP runtime PyTorch ships (libgomp, libomp or libiomp5 in torch/lib)."""
    folder = _torch_lib()
    for name in ("libgomp.so.1", "libomp.dylib", "libiomp5md.dll", "libiomp5.so"):
        if (folder / name).is_file():
            try:
                return ctypes.CDLL(str(folder / name)).omp_set_num_threads  # type: ignore[no-any-return]
            except (OSError, AttributeError):
                return None
    return None


@cache
def _mkl_set_num_threads_local() -> Callable[[int], object] | None:
    """MKL's per-thread count, by value (MKL is linked into PyTorch's CPU library on x86; fp32 matrix products use
    it; the lower-case name is the Fortran entry, which takes a pointer)."""
    name = {"darwin": "libtorch_cpu.dylib", "win32": "torch_cpu.dll"}.get(sys.platform, "libtorch_cpu.so")
    try:
        return ctypes.CDLL(str(_torch_lib() / name)).MKL_Set_Num_Threads_Local  # type: ignore[no-any-return]
    except (OSError, AttributeError):
        return None


def _torch_lib() -> Path:
    import torch

    return Path(torch.__file__).parent / "lib"
