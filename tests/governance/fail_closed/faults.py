"""Faults injected at the runner seam (issue 49, item 1): a real TestRunner whose chosen
calls are made to time out, crash, leave no report or answer garbage, each by a real
subprocess where one can do it (a timeout of a few milliseconds, a script that exits
before writing, a command that is not pytest), never by matching a check's messages.

`FaultyRunner` is what the checks are given in place of their runner; `when(kind, root,
n)` picks the calls that break (`kind`: "run" or "script", `root`: the tree, `n`: that
kind's 1-based count so far), and `fault` says how.
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Any

from governance.oracle.testrun import TestOutcome, TestRunner

HERE = Path(__file__).parent


class Fault(StrEnum):
    TIMEOUT = "times out"  # the real process killed at its (tiny) limit
    CRASH = "crashes"  # the real process exits 3 before it writes anything
    NO_REPORT = "leaves no report"  # the real process exits 0 and writes nothing
    GARBAGE = "answers garbage"  # a result of the wrong shape


Pick = Callable[[str, Path, int], bool]
# What each fault runs in place of pytest, or of the check's own script.
_QUIET = [sys.executable, "-c", "pass"]
_CRASH = [sys.executable, "-c", "raise SystemExit(3)"]
_SCRIPTS = {Fault.CRASH: HERE / "script_crash.py", Fault.NO_REPORT: HERE / "script_silent.py",
            Fault.GARBAGE: HERE / "script_garbage.py"}
GARBAGE_EXTRA: dict[str, Any] = {"results": ["killed"], "canary": [], "functions": {"x": 1},
                                 "tools": ["ruff"]}


class FaultyRunner:
    """`runner`, except the calls `when` picks, which break as `fault` says."""

    def __init__(self, runner: TestRunner, fault: Fault, when: Pick,
                 counts: Counter[str] | None = None, garbage: dict[str, Any] | None = None):
        self.runner, self.fault, self.when = runner, fault, when
        self.garbage = GARBAGE_EXTRA if garbage is None else garbage
        self.counts: Counter[str] = counts if counts is not None else Counter()
        self.broke: list[tuple[str, Path, int]] = []  # what was broken: the premise

    def __getattr__(self, name: str) -> Any:
        return getattr(self.runner, name)

    def with_timeout(self, timeout_s: float) -> FaultyRunner:
        again = FaultyRunner(self.runner.with_timeout(timeout_s), self.fault, self.when,
                             self.counts, self.garbage)
        again.broke = self.broke
        return again

    def _picked(self, kind: str, root: Path) -> bool:
        self.counts[kind] += 1
        if self.when(kind, Path(root), self.counts[kind]):
            self.broke.append((kind, Path(root), self.counts[kind]))
            return True
        return False

    async def run(self, root: Path, tests, **how: Any) -> TestOutcome:
        if not self._picked("run", root):
            return await self.runner.run(root, tests, **how)
        if self.fault is Fault.TIMEOUT:
            return await self.runner.with_timeout(0.001).run(root, tests, **how)
        if self.fault is Fault.GARBAGE:
            ran = await self.runner.run(root, tests, **how)
            ran.extra = dict(self.garbage)
            return ran
        command = _CRASH if self.fault is Fault.CRASH else _QUIET
        broken = TestRunner(command, self.runner.timeout_s, self.runner.executor)
        return await broken.run(root, [], **how)

    async def run_script(self, root: Path, source: Path, job: dict, **how: Any) -> dict | str:
        if not self._picked("script", root):
            return await self.runner.run_script(root, source, job, **how)
        if self.fault is Fault.TIMEOUT:
            return await self.runner.with_timeout(0.001).run_script(root, source, job, **how)
        return await self.runner.run_script(root, _SCRIPTS[self.fault], job, **how)


def every(kind: str) -> Pick:
    """Every call of `kind`."""
    return lambda k, _root, _n: k == kind


def nth(kind: str, n: int, root: Path | None = None) -> Pick:
    """The `n`-th call of `kind` (on `root` alone, when given: counted there)."""
    seen: Counter[str] = Counter()

    def pick(k: str, where: Path, _n: int) -> bool:
        if k != kind or (root is not None and where != root):
            return False
        seen[k] += 1
        return seen[k] == n
    return pick
