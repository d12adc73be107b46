"""glibc's arenas limited before threads start: counted by glibc itself (malloc_info)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]

# Eight threads alive at once, each allocating blocks malloc serves (over pymalloc's 512 B,
# under the mmap threshold); then glibc's own report of its heaps, one per arena.
SCRIPT = """
import ctypes, sys, threading
from daemon.host.malloc import compact_malloc
if sys.argv[1] == "limited":
    assert compact_malloc()
gate, held = threading.Barrier(8), []
def work():
    gate.wait()
    held.append([bytearray(8192) for _ in range(64)])
    gate.wait()
threads = [threading.Thread(target=work) for _ in range(8)]
for t in threads: t.start()
for t in threads: t.join()
libc = ctypes.CDLL(None)
libc.fdopen.restype = ctypes.c_void_p
out = libc.fdopen(1, b"w")
libc.malloc_info(0, ctypes.c_void_p(out))
libc.fflush(ctypes.c_void_p(out))
"""


def _heaps(mode: str) -> int:
    done = subprocess.run([sys.executable, "-c", SCRIPT, mode], cwd=ROOT, check=True,
                          capture_output=True, text=True)
    return done.stdout.count("<heap nr=")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc")
def test_the_daemon_keeps_to_two_arenas_however_many_threads_allocate():
    assert _heaps("default") > 2  # what the fifth soak's daemon had: one a thread
    assert _heaps("limited") <= 2
