"""The desktop app (PySide6 only).

PySide6 6.12's wheels (stable ABI, built for Python 3.12's immortal objects) hand ``None``, ``True`` and ``False``
back from Qt calls without taking a reference to them. On Python 3.11 every ``void`` Qt call made from Python
(``setText``, ``QTimer.start``, ``processEvents``…) drops one reference to ``None`` and every signal ``emit`` one
to ``True``, until CPython frees the singleton and aborts ("Fatal Python error: none_dealloc") — after some tens of
thousands of calls, minutes into scrolling a big library. So, before Python 3.12, these singletons get the
reference count they cannot run out of that Python 3.12 gives them.
"""

from __future__ import annotations

import ctypes
import sys

IMMORTAL_REFS = 1 << 40


def _make_singletons_immortal() -> None:
    for singleton in (None, True, False):
        before = sys.getrefcount(singleton)
        count = ctypes.c_ssize_t.from_address(id(singleton))  # ob_refcnt: the first field of every object
        if abs(count.value - before) > 64:  # not the object layout expected (a debug build?): leave it alone
            continue
        count.value += IMMORTAL_REFS


if sys.version_info < (3, 12):
    _make_singletons_immortal()
