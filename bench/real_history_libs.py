"""The libraries the real-history cases come from, and how the miner runs their suites.

Each library says which of its paths are code and which are tests (the case's tree holds
only those, plus a `pytest.ini` of its own: the upstream configs ask for plugins this
venv does not have, such as coverage), and which test files need packages we do not
install (dropped: the suite runs without them).

Tried and left out: toolz and jmespath (no commit since their suites run on Python 3.11
passes the filter: older parents need nose, or fail on 3.11), marshmallow (its tests import
simplejson), Python-Markdown (its unittest suite turns pytest's collection warnings into
errors), funcy (its tests need `whatever`).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

_TEST_NAME = re.compile(r"(^|/)(tests?|testing)/|(^|/)test_[^/]*$|_test\.py$|(^|/)conftest\.py$")
_CONFIG = ("setup.py", "setup.cfg", "pyproject.toml", "tox.ini", "pytest.ini", ".pytest.ini")


@dataclass(frozen=True)
class Library:
    name: str
    repo: str  # owner/name on GitHub
    license: str  # SPDX id, as the licence file says
    license_file: str
    code: tuple[str, ...]  # path prefixes of the library's code
    tests: tuple[str, ...]  # path prefixes of its tests, test helpers and test data
    ini: str  # the case's pytest.ini
    since: str  # the oldest commit date looked at (older ones predate Python 3.11)
    drop: tuple[str, ...] = ()  # test files left out (they import what we do not install)

    @property
    def mirror(self) -> str:
        return self.repo.replace("/", "+")

    def kind(self, path: str) -> str:
        """'code', 'test', 'config' (packaging and test configuration) or 'other'."""
        if path in _CONFIG:
            return "config"
        if path.startswith(self.tests) or (path.startswith(self.code)
                                           and _TEST_NAME.search(path)):
            return "test"
        if path.startswith(self.code):
            return "code"
        return "other"

    def dropped(self, path: str) -> bool:
        return path in self.drop


LIBRARIES = (
    Library("semver", "python-semver/python-semver", "BSD-3-Clause", "LICENSE.txt",
            ("src/semver/", "semver.py"), ("tests/", "test_semver.py", "conftest.py"),
            "[pytest]\npythonpath = src tests\ntestpaths = tests\n", "2019-01-01"),
    Library("cachetools", "tkem/cachetools", "MIT", "LICENSE",
            ("src/cachetools/", "cachetools/"), ("tests/",),
            "[pytest]\npythonpath = src\ntestpaths = tests\n", "2018-01-01"),
    Library("sqlparse", "andialbrecht/sqlparse", "BSD-3-Clause", "LICENSE", ("sqlparse/",),
            ("tests/",), "[pytest]\ntestpaths = tests\n", "2019-01-01"),
    Library("pyflakes", "PyCQA/pyflakes", "MIT", "LICENSE", ("pyflakes/",), ("bin/",),
            "[pytest]\ntestpaths = pyflakes\n", "2020-01-01"),
)


@dataclass
class SuiteRun:
    passed: bool
    failing: set[str]  # node ids that failed or errored
    seconds: float
    tail: str


SUITE_TIMEOUT_S = 120.0
_SUMMARY = re.compile(r"^(?:FAILED|ERROR) (\S+)", re.MULTILINE)


def write_tree(files: dict[str, str | bytes], where: Path) -> Path:
    for rel, content in files.items():
        path = where / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
    return where


def run_suite(files: dict[str, str | bytes], where: Path, *args: str,
              env: dict[str, str] | None = None) -> SuiteRun:
    """The whole suite of `files` (or the tests `args` name), written at `where`, with this
    interpreter's pytest and no plugin but pytest's own (and `-p` ones in `args`)."""
    write_tree(files, where)
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
           **(env or {})}
    argv = [sys.executable, "-m", "pytest", "-q", "--tb=no", "-rfE", "-p", "no:cacheprovider",
            *args]
    started = time.monotonic()
    try:
        done = subprocess.run(argv, cwd=where, env=env, capture_output=True, text=True,
                              timeout=SUITE_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return SuiteRun(False, set(), SUITE_TIMEOUT_S, "timed out")
    tail = (done.stdout + done.stderr)[-4000:]
    return SuiteRun(done.returncode == 0, set(_SUMMARY.findall(done.stdout)),
                    time.monotonic() - started, tail)
