"""A racing adversary for TOCTOU tests: swap a directory and a symlink atomically.

`Swapper` runs a thread that exchanges two names with renameat2(RENAME_EXCHANGE) (atomic,
so at every instant one name is the real directory and the other the symlink) or, where the
syscall is missing, with a pair of os.rename calls. It stands in for a jailed process that
races a host-side tool.
"""

from __future__ import annotations

import ctypes
import os
import threading
from pathlib import Path

_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _libc_renameat2():
    try:
        fn = ctypes.CDLL(None, use_errno=True).renameat2
    except AttributeError:
        return None
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    return fn


_renameat2 = _libc_renameat2()


def exchange(a: Path, b: Path) -> None:
    """Atomically swap names `a` and `b` (renameat2 RENAME_EXCHANGE), else two renames."""
    if _renameat2 is not None:
        rc = _renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
        if rc == 0:
            return
    tmp = a.with_name(a.name + ".swap")
    os.rename(a, tmp)
    os.rename(b, a)
    os.rename(tmp, b)


class Swapper:
    """Context manager: swap `a` and `b` in a loop on a thread until exit."""

    def __init__(self, a: Path, b: Path):
        self.a, self.b = a, b
        self.swaps = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                exchange(self.a, self.b)
                self.swaps += 1
            except OSError:
                pass

    def __enter__(self) -> Swapper:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
