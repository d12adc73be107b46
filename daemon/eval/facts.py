"""What was true when a run started, kept on its card: the repository's tree, the machine,
the interpreter the tests ran with, and the settings that shape an op (so two cards can be
told apart honestly)."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

from daemon.config.settings import Settings


def machine(when: str = "at the start") -> str:
    """The CPU model and its widest vector ISA, the cores, Python, and the load `when`."""
    model, flags = platform.processor() or "unknown CPU", ""
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
        fields = dict(line.split(":", 1) for line in out.splitlines() if ":" in line)
        model, flags = fields.get("Model name", model).strip(), fields.get("Flags", "")
    except (OSError, subprocess.CalledProcessError):
        pass
    isa = "AVX-512" if "avx512f" in flags else "AVX2" if "avx2" in flags else "no AVX2"
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return (f"{model}, {isa}, {os.cpu_count()} cores, Python {platform.python_version()}, "
            f"load {load} {when}")


def tree(repo: Path) -> str:
    done = subprocess.run(["git", "-C", str(repo), "describe", "--always", "--dirty"],
                          capture_output=True, text=True)
    return done.stdout.strip() or "unknown"


def python(settings: Settings) -> str:
    """The interpreter the tests run with (daemon.eval.settings.for_brain names the
    repository's own; "auto" left there means none was found: the daemon's)."""
    named = settings.governance.test_python
    return f"{sys.executable} (the daemon's)" if named == "auto" else named


def facts_of(repo: Path, settings: Settings) -> dict[str, Any]:
    return {"tree": tree(repo), "machine": machine(), "python": python(settings),
            "settings": settings.work_digest(), "proof": settings.proof.model_dump(mode="json")}
