"""The C allocator's settings for a process that captions on the CPU (glibc, Linux): keep freed memory for reuse.

Captioning a batch makes and drops tensors of megabytes to tens of megabytes by the hundred (each layer's
activations, the image's keys and values for every decoder layer). glibc gives such blocks back to the system when
they are freed and takes fresh pages for the next, and every fresh page is a page fault: a whole ``photoscribe
caption`` of 48 photos took 1.2-1.6 million faults and 2.5-7.6 s of system time on this 2-core machine. Kept by
the allocator instead (blocks up to 32 MB from the heap, the heap not trimmed below 1 GB, one arena for all
threads), the same run took 0.5-0.6 million faults and 1.4-2.0 s of system time, and 12.3-12.6 s instead of
13.2-14.1 s (3 runs each, alternated); peak RSS 2.1-2.3 GB -> 2.2-2.4 GB. Elsewhere (macOS, Windows, musl) nothing
changes. Nothing here imports PyTorch.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import sys

log = logging.getLogger(__name__)

# mallopt(3) parameters
M_TRIM_THRESHOLD = -1
M_TOP_PAD = -2
M_MMAP_THRESHOLD = -3
M_ARENA_MAX = -8

#: What :func:`keep_freed_memory` sets: blocks up to 32 MB (glibc's largest threshold) come from the heap; freed
#: memory goes back to the system only above 1 GB at the heap's top; the heap grows 256 MB at a time; one arena.
SETTINGS = {
    M_MMAP_THRESHOLD: 32 * 1024 * 1024,
    M_TRIM_THRESHOLD: 1024 * 1024 * 1024,
    M_TOP_PAD: 256 * 1024 * 1024,
    M_ARENA_MAX: 1,
}

_done = False


def keep_freed_memory() -> bool:
    """Set :data:`SETTINGS` once for this process; True when glibc took them (False elsewhere, or if refused)."""
    global _done
    if _done:
        return True
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc (musl has no mallopt)
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    _done = all(mallopt(parameter, value) == 1 for parameter, value in SETTINGS.items())
    log.debug("allocator keeps freed memory: %s", _done)
    return _done
