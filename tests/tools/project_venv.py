"""A project's own virtualenv, made offline for the tests: `venv --without-pip` from the
system Python, with pytest installed by copying the installed distributions' files."""

from __future__ import annotations

import importlib.metadata
import os
import shutil
import subprocess
import sys
from pathlib import Path

BASE_PYTHON = "/usr/bin/python3.11" if os.path.exists("/usr/bin/python3.11") else \
    getattr(sys, "_base_executable", sys.executable)
PYTEST_DISTS = ("pytest", "pluggy", "iniconfig", "packaging", "pygments")


def install(dist: str, site: Path) -> None:
    """Copy an installed distribution's files (an offline `pip install` of pure Python)."""
    found = importlib.metadata.distribution(dist)
    for rel in found.files or ():
        src = Path(found.locate_file(rel))
        if ".." in rel.parts or not src.is_file() or "__pycache__" in rel.parts:
            continue
        dest = site / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dest)


def make_venv(path: Path, python: str = BASE_PYTHON, *, with_pytest: bool = False) -> Path:
    """A venv at `path` made from `python`; returns its site-packages."""
    subprocess.run([python, "-m", "venv", "--without-pip", str(path)], check=True,
                   timeout=60)
    [site] = path.glob("lib/python3*/site-packages")
    for dist in PYTEST_DISTS if with_pytest else ():
        install(dist, site)
    return site
