"""Running a repository's tests: which tests are relevant, and a killable pytest subprocess."""

from __future__ import annotations

import asyncio
import contextlib
import os
import posixpath
import re
import signal
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

_FAILED_LINE = re.compile(r"^(FAILED|ERROR) (\S+)", re.MULTILINE)
_SUMMARY_LINE = re.compile(r"^=*\s*(.*\b(?:passed|failed|error|errors|no tests ran)\b.*?)\s*=*$",
                           re.MULTILINE)
OUTPUT_CAP = 64 * 1024


def is_test_file(rel: str) -> bool:
    name = posixpath.basename(rel)
    return name.endswith(".py") and (name.startswith("test_") or name.endswith("_test.py"))


def text_reader(root: Path) -> Callable[[str], str]:
    """A reader for scope_tests: a file's text under `root`, or '' when it is not readable."""
    def read(rel: str) -> str:
        try:
            return (root / rel).read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
    return read


def scope_tests(changed: Sequence[str], repo_files: Sequence[str],
                read_text: Callable[[str], str]) -> list[str]:
    """Test files that exercise `changed`: the changed tests themselves, tests named after a
    changed module, and tests that import it. Empty means 'no scoped tests found'."""
    tests = [f for f in repo_files if is_test_file(f)]
    scoped = {f for f in changed if is_test_file(f) and f in tests}
    for rel in changed:
        if not rel.endswith(".py") or is_test_file(rel):
            continue
        stem = posixpath.basename(rel)[:-3]
        if stem == "__init__":
            stem = posixpath.basename(posixpath.dirname(rel)) or stem
        names = {f"test_{stem}.py", f"{stem}_test.py"}
        importer = re.compile(rf"^\s*(?:from|import)\s+[\w.]*\b{re.escape(stem)}\b", re.MULTILINE)
        importer_from = re.compile(rf"^\s*from\s+[\w.]+\s+import\s+.*\b{re.escape(stem)}\b",
                                   re.MULTILINE)
        for test in tests:
            if posixpath.basename(test) in names:
                scoped.add(test)
                continue
            text = read_text(test)
            if text and (importer.search(text) or importer_from.search(text)):
                scoped.add(test)
    return sorted(scoped)


@dataclass
class TestOutcome:
    __test__ = False  # a result type, not a pytest test class

    passed: bool
    exit_code: int | None
    failed: list[str] = field(default_factory=list)
    summary: str = ""
    duration_s: float = 0.0
    output_tail: str = ""
    timed_out: bool = False
    tests: list[str] = field(default_factory=list)

    def describe(self) -> str:
        if self.timed_out:
            return f"tests timed out after {self.duration_s:.0f}s"
        if self.passed:
            return self.summary or "tests passed"
        names = ", ".join(self.failed[:10]) or f"pytest exit code {self.exit_code}"
        return f"failing: {names}" + (f" ({self.summary})" if self.summary else "")


@dataclass(frozen=True)
class Bind:
    """An extra host path made visible to a jailed test run (e.g. the oracle's report dir)."""

    source: Path  # on the host
    dest: str  # absolute path inside the jail (under /tmp, which is the jail's own tmpfs)
    writable: bool = False


class ExecResult(Protocol):
    exit_code: int | None
    output: str
    timed_out: bool
    duration_s: float


class Executor(Protocol):
    """Runs argv with `root` as the only work area (the OS sandbox seam)."""

    async def __call__(self, root: Path, argv: Sequence[str], timeout_s: float,
                       writable: bool, *, binds: Sequence[Bind] = (),
                       env: Mapping[str, str] | None = None) -> ExecResult: ...


class TestRunner:
    """Runs `command + tests` in `root`: through the sandbox executor when one is given,
    else (explicit opt-in only) as a local process group that timeouts and cancellation
    kill whole."""

    __test__ = False

    def __init__(self, command: Sequence[str], timeout_s: float,
                 executor: Executor | None = None, writable: bool = True):
        self.command = [sys.executable if c == "{python}" else c for c in command]
        self.timeout_s = timeout_s
        self.executor = executor
        self.writable = writable

    async def run(self, root: Path, tests: Sequence[str]) -> TestOutcome:
        argv = [*self.command, "-q", "-rfE", "-p", "no:cacheprovider", *tests]
        if self.executor is not None:
            result = await self.executor(root, argv, self.timeout_s, self.writable)
            if result.timed_out:
                return TestOutcome(False, None, duration_s=result.duration_s, timed_out=True,
                                   tests=list(tests))
            return _outcome(result.exit_code, result.output, result.duration_s, tests)
        env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", PYTHONUNBUFFERED="1")
        env.pop("PYTEST_ADDOPTS", None)
        start = time.monotonic()
        proc = await asyncio.create_subprocess_exec(
            *argv, cwd=root, env=env, stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
            start_new_session=True)
        try:
            async with asyncio.timeout(self.timeout_s):
                out, _ = await proc.communicate()
        except TimeoutError:
            _kill_group(proc)
            await proc.wait()
            return TestOutcome(False, None, duration_s=time.monotonic() - start,
                               timed_out=True, tests=list(tests))
        except BaseException:
            _kill_group(proc)
            with contextlib.suppress(Exception):
                await asyncio.shield(proc.wait())
            raise
        text = out[-OUTPUT_CAP:].decode("utf-8", "replace")
        return _outcome(proc.returncode, text, time.monotonic() - start, tests)


def _outcome(code: int | None, text: str, duration: float, tests: Sequence[str]) -> TestOutcome:
    failed = list(dict.fromkeys(m.group(2) for m in _FAILED_LINE.finditer(text)))
    summaries = _SUMMARY_LINE.findall(text)
    summary = summaries[-1].strip("= ") if summaries else ""
    # 5 = no tests collected: nothing contradicts the change.
    passed = code in (0, 5)
    return TestOutcome(passed, code, failed, summary, duration, text[-4000:], tests=list(tests))


def _kill_group(proc: asyncio.subprocess.Process) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
