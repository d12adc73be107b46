"""Freed memory goes back to the system after each op.

An op's large buffers (test output, git's answers, model replies, ledger rows) are
allocated on whichever thread read them, in glibc's per-thread arenas, and freed there.
glibc returns the free top of an arena by itself, but not the free pages between live
blocks: a months-long daemon's resident size then creeps up with fragmentation, not with
what it holds. `malloc_trim(0)` after each op hands those pages back (milliseconds, once an
op). Where the C library is not glibc (musl has no malloc_trim), nothing is done.
"""

from __future__ import annotations

import ctypes
import functools
from collections.abc import Callable


@functools.cache
def _trim() -> Callable[[int], int] | None:
    """The process's own malloc_trim (its C library is linked in: no library search)."""
    try:
        return ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return None


def give_back() -> bool:
    """Return the free pages of every arena to the system; whether any were returned."""
    trim = _trim()
    return bool(trim(0)) if trim is not None else False
