"""daemon.heap: the free pages between live blocks go back to the system (glibc's
malloc_trim), which glibc's own free() leaves resident; measured on this process."""

from __future__ import annotations

import threading

import pytest

from daemon import heap

pytestmark = pytest.mark.skipif(heap._trim() is None, reason="no malloc_trim (not glibc)")


def _rss_kb() -> int:
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))


def test_fragmented_free_memory_is_given_back():
    kept: list[bytes] = []

    def an_op() -> None:  # buffers read on a worker thread, one in ten still referenced
        blobs = [bytes(64 << 10) for _ in range(600)]  # below glibc's mmap threshold
        kept.extend(blobs[::10])

    for _ in range(2):
        worker = threading.Thread(target=an_op)
        worker.start()
        worker.join()
    before = _rss_kb()
    assert heap.give_back()
    freed = before - _rss_kb()
    assert freed > 10_000, f"{freed} kB given back"  # ~70 MB freed, ~7 MB kept
    assert len(kept) == 120
