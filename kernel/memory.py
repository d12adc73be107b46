"""Handing freed memory back to the OS after model work.

A prefill allocates and frees hundreds of megabytes of activations, and loading a model
frees a float32 copy of every weight once it is converted. glibc keeps freed chunks in its
arenas (one per thread that allocated; the generation runs on pool threads) instead of
returning them, so a long-running daemon's RSS ratchets up to its worst prompt per arena
and never comes back. `trim()` asks glibc to return every arena's free pages
(malloc_trim(0)); it is a no-op where the C library has no such call (musl, macOS).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import os
from pathlib import Path
from typing import Any

M_ARENA_MAX = -8  # mallopt's parameter number (glibc malloc.h)
ARENAS = 2  # pool threads share arenas instead of each growing its own


@functools.cache
def _libc() -> Any | None:
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:
        return None
    return libc if hasattr(libc, "malloc_trim") and hasattr(libc, "mallopt") else None


def trim() -> bool:
    """Return free heap pages to the OS; True when glibc released something."""
    libc = _libc()
    return bool(libc.malloc_trim(0)) if libc is not None else False


def limit_arenas(arenas: int = ARENAS) -> bool:
    """Cap how many malloc arenas threads created from now on may spread over (an operator's
    MALLOC_ARENA_MAX wins). True when the cap was set."""
    libc = _libc()
    if libc is None or "MALLOC_ARENA_MAX" in os.environ:
        return False
    return bool(libc.mallopt(M_ARENA_MAX, arenas))


def rss_bytes() -> int:
    """This process's resident set size (0 where /proc is not there)."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, ValueError, IndexError):
        return 0
    return pages * os.sysconf("SC_PAGE_SIZE")
