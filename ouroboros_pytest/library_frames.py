"""Where a failure went through the repository's library code: the one definition of test
code (`harness`) and of the library frame of a traceback, for both plugins that record
failures.

The developer-run results plugin (ouroboros_pytest) imports it as a module of its package;
the daemon's jailed oracle plugin (governance/oracle/oracle_plugin.py) loads the same file,
copied into its private plugin directory as `_ouroboros_frames`
(governance.oracle.run_dir.HELPERS). So it imports only the standard library, and reading a
frame never raises: what cannot be read (a code object's name with a NUL byte, a line
number that is not one) is left out, and the failure keeps its outcome either way.

Both locations are rootdir-relative `path:line` (a file outside the rootdir keeps its
absolute path in `where`; `library_where` is always inside it). pytest's report keeps only
the innermost frame (`where`); the library frame is the innermost one in a repository file
that is not test code nor inside a hidden, virtualenv or vendored directory, so a failure
raised in `json` or a dependency from a library function still names that function.
"""

from __future__ import annotations

import os
from pathlib import Path

TEST_DIRS = frozenset({"test", "tests", "testing"})
VENDORED = frozenset({"site-packages", "dist-packages", "node_modules"})
WHERE_CAP = 1000  # characters of a location; a longer one is left out
# The attribute a test report carries its library frame in: the results plugin's stamp sets
# it where the test ran (an xdist worker included), and xdist sends a report's attributes
# to the controller with it (pytest's report serialisation keeps `report.__dict__`).
REPORT_ATTR = "ouroboros_library_where"


def harness(rel: str) -> bool:
    """Test code, not library code: a test file (`test_*.py`, `*_test.py`), a conftest, or
    a module of a test package (its helpers: pyflakes' `test/harness.py`)."""
    parts = rel.split("/")
    name = parts[-1]
    return (name.startswith("test_") or name.endswith("_test.py") or name == "conftest.py"
            or any(p in TEST_DIRS for p in parts[:-1]))


def library_file(rel: str) -> bool:
    """A repository file of the library: Python, not test code, not in a hidden directory
    (`.venv`) or a vendored tree."""
    parts = rel.split("/")
    return rel.endswith(".py") and not harness(rel) and not any(
        p.startswith(".") or p in VENDORED for p in parts[:-1])


def _relative(filename: object, root: str, cache: dict[object, str | None]) -> str | None:
    """A code object's file as a root-relative path of library code, else None (cached)."""
    if filename in cache:
        return cache[filename]
    rel = None
    try:
        if isinstance(filename, str) and os.path.isabs(filename):
            path = os.path.realpath(filename)
            if path.startswith(root + os.sep):
                rel = Path(os.path.relpath(path, root)).as_posix()
                rel = rel if library_file(rel) else None
    except (ValueError, OSError):  # a NUL byte, a name the OS refuses: left out
        rel = None
    cache[filename] = rel
    return rel


def library_frame(tb: object, rootdir: str | Path) -> str | None:
    """`path:line` of the innermost frame of the traceback `tb` in the repository's library
    code, or None. Walks the frames without reading any source (a traceback of a thousand
    recursive calls costs a thousand lookups of a cached name)."""
    root = os.path.realpath(rootdir)
    cache: dict[object, str | None] = {}
    found = None
    while tb is not None:
        try:
            line = tb.tb_lineno
            rel = _relative(tb.tb_frame.f_code.co_filename, root, cache)
            tb = tb.tb_next
        except AttributeError:  # not a traceback after all
            return found
        if rel is not None and isinstance(line, int) and line > 0:
            found = f"{rel}:{line}"
    return found if found is None or len(found) <= WHERE_CAP else None


def crash_location(longrepr: object, rootdir: str | Path) -> str | None:
    """`path:line` of pytest's crash location (its report's `reprcrash`: the innermost
    frame), rootdir-relative when inside it; None when the report has none."""
    crash = getattr(longrepr, "reprcrash", None)
    if crash is None:
        return None
    path, line = str(crash.path), crash.lineno
    if not isinstance(line, int):
        return None
    root = str(rootdir)
    if path.startswith(root + os.sep):
        path = Path(os.path.relpath(path, root)).as_posix()
    where = f"{path}:{line}"
    return where if len(where) <= WHERE_CAP else None
