"""The allocator keeps freed memory: 200 MB of blocks freed and asked for again come back without page faults."""

from __future__ import annotations

import subprocess
import sys

import pytest

from photoscribe.captioning import allocator

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt: Linux only")

_FAULTS = """
import resource, sys
import numpy as np
if sys.argv[1] == "keep":
    from photoscribe.captioning.allocator import keep_freed_memory
    assert keep_freed_memory()
def faults_of_a_batch():
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    blocks = [np.ones(10 * 1024 * 1024 // 8) for _ in range(20)]  # a batch's activations: 200 MB alive at once
    del blocks
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
print(*[faults_of_a_batch() for _ in range(4)])
"""


def _faults(mode: str) -> list[int]:
    done = subprocess.run([sys.executable, "-c", _FAULTS, mode], capture_output=True, text=True, check=True)
    return [int(n) for n in done.stdout.split()]


def test_a_freed_block_is_reused_without_new_page_faults() -> None:
    first, *again = _faults("keep")
    assert first > 5000  # 200 MB of fresh pages: about 51,200 faults of 4 KB (fewer where pages are larger)
    assert max(again) < first // 10


def test_without_it_glibc_hands_fresh_pages_for_the_same_block() -> None:  # what the settings change
    first, *again = _faults("default")
    assert max(again) > first // 2


def test_settings_are_taken_once_and_say_so() -> None:
    assert allocator.keep_freed_memory() is True
    assert allocator.keep_freed_memory() is True
