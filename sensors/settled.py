"""Whether a failing test's work is settled before an op opens for it (issue 51 item 3): a
commit since the failure was seen already makes its tests pass.

The sensor stamps each test_failure envelope with the HEAD its failing run was read at
(evidence `head`). When HEAD has moved since, the envelope's tests run again (the TestFailure
sensor's jailed runner, read-only on the live tree) before the dispatcher opens an op: when
every one of them passes (skipped is no pass), the work is settled, "fixed by <commit>"
(the newest commit since the failure that changed one of its target files, else HEAD), and
no op opens (a test file whose collection failed passes when it collects now and its tests
pass). A run that
cannot decide (no jail, timed out, a test not found) settles nothing: the op opens, and the
proof judges it as ever.
"""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Awaitable, Callable, Mapping, Sequence
from pathlib import Path

from governance.oracle.testrun import TestOutcome
from governance.schemas import SignalEnvelope, Source
from sensors.router import tests_of
from sensors.run_results import TestResult, from_outcome

Rerun = Callable[[Sequence[str]], Awaitable[TestOutcome]]
GIT_TIMEOUT_S = 20.0


def _git(root: Path, *args: str) -> str | None:
    try:
        out = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True,
                             timeout=GIT_TIMEOUT_S)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def moved_since(root: Path, seen: str, files: Sequence[str]) -> str | None:
    """The commit that may have fixed what failed at `seen`: the newest commit of
    `seen..HEAD` that changed one of `files`, else HEAD; None when HEAD is still `seen`
    (or git cannot say)."""
    head = _git(root, "rev-parse", "HEAD")
    if head is None or head == seen:
        return None
    touched = _git(root, "rev-list", "-1", f"{seen}..{head}", "--", *files) if files else ""
    return touched or head


async def fixed_by(root: Path, env: SignalEnvelope, rerun: Rerun | None) -> str | None:
    """The commit that fixed `env`'s failing tests since they were seen failing, when a run
    of them now says every one passes; None otherwise (see the module docstring)."""
    seen, tests = env.evidence.get("head"), tests_of(env)
    if env.source != Source.TEST_FAILURE or not isinstance(seen, str) or not tests \
            or rerun is None:
        return None
    commit = await asyncio.to_thread(moved_since, root, seen, env.target_files)
    if commit is None:
        return None
    ran = await rerun(tests)
    results = from_outcome(ran) if ran is not None and not ran.timed_out else {}
    return commit if results and all(_passes(t, results) for t in tests) else None


def _passes(test: str, results: Mapping[str, TestResult]) -> bool:
    """Whether `test` passed; a file's id (its collection failed: an import error) passes
    when the file collects now, its tests ran and every one passed."""
    if test in results or "::" in test:
        return test in results and results[test].outcome == "passed"
    mine = [r.outcome for t, r in results.items() if t.startswith(f"{test}::")]
    return bool(mine) and all(o in ("passed", "skipped", "xfailed") for o in mine) \
        and "passed" in mine
