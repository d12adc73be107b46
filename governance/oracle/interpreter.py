"""Which interpreter runs a repository's tests, and which host directories it needs to see.

The jail shows only the system directories, the daemon's interpreter and the tree under
test; a project's own environment (its venv, and the Python that venv was made from) must
be named to be seen. This module decides which, from file metadata only: nothing of the
repository is ever executed on the host to find out (its `bin/python` may be a script).

Where the interpreter comes from, first match wins:
1. `test_command[0]` when it is a path (the human named one; `{python}` elsewhere in the
   command is then that interpreter too);
2. `governance.test_python` when it is a path (absolute, or relative to the repository);
3. with `test_python = "auto"`: `<repo>/.venv`, then `<repo>/venv` (a real directory holding
   `pyvenv.cfg`; a directory without one is not an environment and is passed over);
4. the daemon's own interpreter.

What is bound, read-only at its own path: the venv directory and the prefix of the Python
it was made from (found through `bin/python`'s resolved target and `pyvenv.cfg`'s `home`),
unless a system directory already shows it. A prefix must look like a Python installation
(`lib/pythonX.Y/os.py`). Refused, with the reason (the test run then fails with it, and the
ledger shows it): an auto-detected venv that is a symlink, any path that is `/`, a
top-level directory, under /etc, /proc, /sys, /dev, /run or /boot, inside the state dir, or
that contains the repository, the state dir or the home directory; a prefix inside the
repository; a Python older than 3.11 (the oracle needs `-P`).
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

PYTHON = "{python}"
AUTO = "auto"
VENV_NAMES = (".venv", "venv")
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
NEVER_UNDER = ("/etc", "/proc", "/sys", "/dev", "/run", "/boot")
CFG_CAP = 64 << 10
MIN_VERSION = (3, 11)  # `python -P` (the tree off sys.path while pytest loads)
_VERSION = re.compile(r"^\s*(?:version|version_info)\s*=\s*(\d+)\.(\d+)", re.MULTILINE)
_HOME = re.compile(r"^\s*home\s*=\s*(.+?)\s*$", re.MULTILINE)


@dataclass(frozen=True)
class TestEnv:
    """The interpreter a test run execs, the host dirs it needs (read-only, same path), and
    `problem`: why the repository's environment was refused (then nothing runs)."""

    __test__ = False

    python: str
    ro_paths: tuple[Path, ...] = ()
    source: str = "daemon"  # daemon | .venv | venv | governance.test_python | test_command
    problem: str | None = None

    def describe(self) -> str:
        return self.problem or f"{self.python} (from {self.source})"


class Refused(ValueError):
    """A path of the repository's environment that must not be bound into the jail."""


@dataclass(frozen=True)
class _Limits:
    """What no bind may reveal (be or contain) and what none may lie inside."""

    reveal: tuple[Path, ...]  # the repository, the state dir, the home directory
    inside: tuple[Path, ...]  # the state dir


def detect(repo: Path, setting: str = AUTO, command: Sequence[str] = (PYTHON,), *,
           state_dir: Path | None = None, home: Path | None = None) -> TestEnv:
    """The test environment for `repo`. Never raises for a refused path: see `problem`."""
    try:
        return _detect(repo, setting, command, state_dir, home)
    except (ValueError, OSError, RuntimeError) as exc:  # e.g. an unreadable .venv
        return _refused(setting, str(exc))


def _detect(repo: Path, setting: str, command: Sequence[str], state_dir: Path | None,
            home: Path | None) -> TestEnv:
    repo = repo.resolve()
    hidden = tuple(p.resolve() for p in (state_dir,) if p is not None)
    private = _Limits((repo, *hidden, *(p.resolve() for p in (home,) if p is not None)),
                      hidden)
    first = command[0] if command else PYTHON
    if first != PYTHON and "/" in first:  # a bare name is looked up on the jail's PATH
        return _guarded(repo, first, "test_command", private)
    if setting != AUTO:
        return _guarded(repo, setting, "governance.test_python", private)
    for name in VENV_NAMES:
        path = repo / name
        if path.is_symlink():
            return _refused(f"{name}", f"{path} is a symlink (to {os.readlink(path)!r}): an "
                            "auto-detected venv must be a real directory in the repository; "
                            "set governance.test_python to its interpreter to use it")
        if (path / "pyvenv.cfg").is_file():
            return _guarded(repo, str(path / "bin" / "python"), name, private)
    return TestEnv(sys.executable)


def _refused(source: str, why: str) -> TestEnv:
    return TestEnv("", source=source, problem=f"the repository's test environment is "
                   f"refused ({source}): {why}")


def _guarded(repo: Path, python: str, source: str, private: _Limits) -> TestEnv:
    try:
        return _interpreter(repo, python, source, private)
    except (ValueError, OSError, RuntimeError) as exc:  # Refused, a NUL, a symlink loop
        return _refused(source, str(exc))


def _interpreter(repo: Path, python: str, source: str, private: _Limits) -> TestEnv:
    """The binds an interpreter path needs: its venv (when it is one) and its prefix."""
    given = Path(python) if python.startswith("/") else repo / python
    if not os.path.lexists(given):
        raise Refused(f"{given} does not exist")
    venv = given.parent.parent
    cfg = venv / "pyvenv.cfg"
    binds: list[Path] = []
    homes: list[Path] = []
    if cfg.is_symlink():
        raise Refused(f"{cfg} is a symlink")
    if cfg.is_file():
        venv = venv.resolve()
        _check_bindable(venv, private)
        binds.append(venv)
        with cfg.open("rb") as handle:  # a hostile one may be huge: its head is enough
            text = handle.read(CFG_CAP).decode("utf-8", "replace")
        if match := _VERSION.search(text):
            _check_version([(int(match.group(1)), int(match.group(2)))], cfg)
        if match := _HOME.search(text):
            if not match.group(1).startswith("/"):
                raise Refused(f"{cfg}: home = {match.group(1)!r} is not an absolute path")
            homes.append(Path(match.group(1)).resolve().parent)
        python = str(venv / given.parent.name / given.name)
    real = given.resolve()
    if real.parent.name == "bin":
        homes.append(real.parent.parent)
    elif not binds:
        raise Refused(f"{given} resolves to {real}, which is not in a bin/ directory")
    for prefix in dict.fromkeys(homes):
        if not _system(prefix) and not any(prefix == b or b in prefix.parents for b in binds):
            binds.append(_checked_prefix(prefix, repo, private))
    return TestEnv(python, tuple(binds), source)


def _check_version(versions: Sequence[tuple[int, int]], where: Path) -> None:
    """Refuse a Python older than MIN_VERSION (when every version found is older)."""
    if versions and all(v < MIN_VERSION for v in versions):
        major, minor = versions[0]
        raise Refused(f"{where} is Python {major}.{minor}; the test oracle needs "
                      f"{MIN_VERSION[0]}.{MIN_VERSION[1]}+ (python -P)")


def _checked_prefix(prefix: Path, repo: Path, private: _Limits) -> Path:
    if prefix == repo or repo in prefix.parents:
        raise Refused(f"the interpreter's prefix {prefix} lies inside the repository")
    _check_bindable(prefix, private)
    stdlibs = [lib.name for lib in (prefix / "lib").glob("python3.*") if (lib / "os.py").is_file()]
    if not stdlibs:
        raise Refused(f"{prefix} is not a Python installation (no lib/python3.*/os.py)")
    _check_version([(3, int(n[8:])) for n in stdlibs if n[8:].isdigit()], prefix)
    return prefix


def _system(path: Path) -> bool:
    return any(path == Path(d) or Path(d) in path.parents for d in SYSTEM_DIRS)


def _check_bindable(path: Path, private: _Limits) -> None:
    """Raise Refused unless `path` (resolved) may be shown read-only in a jail."""
    if not path.is_absolute() or path != path.resolve():
        raise Refused(f"{path} is not an absolute resolved path")
    if len(path.parts) < 3:
        raise Refused(f"{path} is the root or a top-level directory")
    if any(path == Path(d) or Path(d) in path.parents for d in NEVER_UNDER):
        raise Refused(f"{path} lies in a system directory that is never bound")
    if not path.is_dir():
        raise Refused(f"{path} is not a directory")
    for other in private.reveal:
        if path == other or path in other.parents:
            raise Refused(f"{path} would reveal {other}")
    for other in private.inside:
        if other in path.parents:
            raise Refused(f"{path} lies inside {other}, which the jail hides")
