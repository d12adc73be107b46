"""The machine a bench ran on, in one line: what every bench prints above its numbers."""

from __future__ import annotations

import os
import platform
from pathlib import Path


def machine() -> str:
    """The CPU's name and widest vector ISA, as /proc/cpuinfo says (numbers need both)."""
    try:
        info = Path("/proc/cpuinfo").read_text()
    except OSError:
        return platform.machine()
    name = next((line.split(":", 1)[1].strip() for line in info.splitlines()
                 if line.startswith("model name")), platform.machine())
    isa = "AVX-512" if " avx512f" in info else "AVX2" if " avx2" in info else "no AVX2"
    return f"{name} ({isa}, {os.cpu_count()} cores)"
