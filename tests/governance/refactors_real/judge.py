"""Judging the real-library corpus: each refactor as VALIDATE judges a preserve change, in the
real jail, and the corpus's own premise and probes.

`judge` runs what VALIDATE runs for the code side of a preserve change: the library's own
suite on the candidate's tree with coverage of the changed file, then the differential
check through its stable entry point (governance.proof.differential_check.check_behaviour),
whose DiffReport says why the change is not shown unchanged. The verdict's outcome is one of
corpus.OUTCOMES: "lands" (no reason), "counterexample" (a reason starting "behaviour
changed:"), "not shown" (only other reasons: nothing captured, nothing comparable, a change
that cannot be judged call by call).

The premise: the candidate passes the library's suite and every changed statement ran under
it (governance.proof.static.changed_statements against the run's coverage), so nothing but
the differential check can tell a careless refactor from a control. `judge` checks it on
the whole suite; `premises`, CI's cheap form, runs each candidate on the tests that entered
its function on the base. The probes: a careless refactor's public call answers its
recorded base and careless values, each tree in a subprocess of its own.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from governance.oracle.differential import DiffReport, Target
from governance.oracle.oracle import Coverage
from governance.oracle.testrun import CoverageRequest, TestOutcome, TestRunner
from governance.proof.behaviour import covering_tests, touched_functions
from governance.proof.differential_check import check_behaviour, targets_of
from governance.proof.kin import behaviour_scope
from governance.proof.same_code import same_code
from governance.proof.static import changed_statements
from governance.schemas import FileChange
from tests.governance.refactors.judge import each_in_own_dir, executor_for
from tests.governance.refactors_real.corpus import Probe, Refactor
from tests.helpers import PYTEST

TEST_TIMEOUT_S = 120.0  # per pytest session: mistune's 941 tests, traced, on busy cores
PROBE_TIMEOUT_S = 30.0
CHANGED = "behaviour changed:"


@dataclass
class Verdict:
    """What the check made of one refactor."""

    refactor: Refactor
    reasons: list[str]  # why it would not land ([]: shown unchanged, it lands)
    premise: list[str] = field(default_factory=list)  # how the corpus's claim failed
    report: DiffReport | None = None
    seconds: float = 0.0

    @property
    def outcome(self) -> str:
        """One of corpus.OUTCOMES (the module docstring)."""
        if not self.reasons:
            return "lands"
        if any(r.startswith(CHANGED) for r in self.reasons):
            return "counterexample"
        return "not shown"

    @property
    def lands(self) -> bool:
        return not self.reasons

    def describe(self) -> str:
        r = self.refactor
        got = self.outcome if self.lands else f"{self.outcome}: {'; '.join(self.reasons)[:400]}"
        extra = f" PREMISE: {'; '.join(self.premise)}" if self.premise else ""
        return f"{r.name} ({r.kind}, {r.category}; {r.function}): {got}{extra}"


def write_tree(root: Path, files: dict[str, str]) -> Path:
    """`files` (path -> text) written under `root`."""
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    return root


def premise(r: Refactor, ran: TestOutcome) -> list[str]:
    """Why the candidate is not a covered refactor the library's own suite passes."""
    if not ran.passed:
        return [f"the library's suite fails on the candidate: {ran.describe()[:300]}"]
    coverage = ran.report.coverage
    unrun = [s.line for s in changed_statements(r.base_text, r.text)
             if coverage is None or not coverage.hits(r.file, s.lines)]
    return [f"changed lines the suite never runs: {r.file}:{unrun}"] if unrun else []


def runner_for(work: Path) -> TestRunner:
    return TestRunner(PYTEST, TEST_TIMEOUT_S, executor_for(work, live=work / "live"))


async def suite_on(r: Refactor, work: Path) -> tuple[Path, Path, TestRunner, TestOutcome]:
    """The base and candidate trees under `work`, and the library's whole suite on the
    candidate with coverage of the changed file (VALIDATE's run)."""
    base = await asyncio.to_thread(write_tree, work / "base", r.library.files)
    cand = await asyncio.to_thread(write_tree, work / "cand", r.files)
    runner = runner_for(work)
    ran = await runner.run(cand, [], scratch=work / "state" / "oracle",
                           coverage=CoverageRequest(frozenset({r.file})))
    return base, cand, runner, ran


async def judge(r: Refactor, work: Path) -> Verdict:
    """The differential check on one refactor, as VALIDATE runs it (the module docstring)."""
    started = time.monotonic()
    base, cand, runner, ran = await suite_on(r, work)
    claim = premise(r, ran)
    targets, problems = targets_of(base, [FileChange(file_path=r.file, action="write",
                                                     full_content=r.text)])
    if problems:
        return Verdict(r, [f"behaviour not checked: {p}" for p in problems], claim,
                       seconds=time.monotonic() - started)
    targets, tests = behaviour_scope(targets, ran.report.coverage)
    report = await check_behaviour(runner, base, cand, targets, tests, work / "state" / "oracle")
    return Verdict(r, report.reasons(), claim, report, time.monotonic() - started)


async def judge_all(refactors: Sequence[Refactor], work: Path,
                    workers: int = 2) -> list[Verdict]:
    """Every refactor, `workers` at a time, each in its own directory under `work`."""
    return await each_in_own_dir(judge, refactors, work, workers)


# -- the premise alone, cheaply: each candidate runs the tests that entered its function ----


async def base_coverage(refactors: Sequence[Refactor], work: Path) -> dict[str, Coverage]:
    """Per library, its whole suite on the base with coverage of the files the refactors
    change: which tests enter each target function."""
    async def one(name: str) -> Coverage:
        mine = [r for r in refactors if r.library.name == name]
        root = await asyncio.to_thread(write_tree, work / f"base-{name}", mine[0].library.files)
        ran = await runner_for(work).run(root, [], scratch=work / "state" / name,
                                         coverage=CoverageRequest(frozenset(r.file for r in mine)))
        assert ran.passed and ran.report.coverage is not None, ran.describe()
        return ran.report.coverage

    names = sorted({r.library.name for r in refactors})
    return dict(zip(names, await asyncio.gather(*(one(n) for n in names)), strict=True))


async def premise_only(r: Refactor, work: Path, coverage: Coverage) -> list[str]:
    """The premise on the tests that entered the refactored function on the base (no other
    test can call the changed code: every caller is unchanged). Test ids a library derives
    from a set's order change between sessions (isodate's test_date): when the candidate's
    session did not run them all, it runs their files instead."""
    in_base, _ = touched_functions(r.text, r.base_text, r.file)  # the base's line numbers
    # A function shown to be its base's code is no target (governance.proof.same_code):
    # its own span's tests
    spans = [Target(r.file, s.function, frozenset(n for lines in s.base_lines for n in lines),
                    ())
             for s in same_code(r.base_text, r.text)]
    ids = covering_tests([*in_base, *spans], coverage)
    if not ids:
        return [f"no test of the library enters {r.function}"]
    cand = await asyncio.to_thread(write_tree, work / "cand", r.files)
    runner, request = runner_for(work), CoverageRequest(frozenset({r.file}))
    ran = await runner.run(cand, ids, scratch=work / "state", coverage=request)
    if len(ran.report.tests) < len(ids):
        files = sorted({i.split("::")[0] for i in ids})
        ran = await runner.run(cand, files, scratch=work / "state", coverage=request)
    return premise(r, ran)


async def premises(refactors: Sequence[Refactor], work: Path,
                   workers: int = 2) -> list[Verdict]:
    """The premise of every refactor, `workers` at a time (Verdict.premise; no check)."""
    coverage = await base_coverage(refactors, work)

    async def one(r: Refactor, where: Path) -> Verdict:
        started = time.monotonic()
        claim = await premise_only(r, where, coverage[r.library.name])
        return Verdict(r, ["premise only"], claim, seconds=time.monotonic() - started)

    return await each_in_own_dir(one, refactors, work, workers, "p")


# -- probes: a careless refactor's change, shown on a public call --------------------------

_PROBE_SCRIPT = """
import sys
sys.path.insert(0, '.')
exec(sys.argv[1])
try:
    value = eval(sys.argv[2])
except Exception as exc:
    print('raises ' + type(exc).__name__, end='')
else:
    print(repr(value), end='')
"""


def probe_answer(root: Path, probe: Probe) -> str:
    """`probe.expr`'s answer on the tree at `root`: its repr, or `raises <Type>`."""
    done = subprocess.run([sys.executable, "-P", "-c", _PROBE_SCRIPT, probe.setup, probe.expr],
                          cwd=root, capture_output=True, text=True, timeout=PROBE_TIMEOUT_S,
                          env={"PYTHONHASHSEED": "0", "PATH": "/usr/bin:/bin"})
    if done.returncode:
        return f"probe failed: {done.stderr.strip().splitlines()[-1:]}"
    return done.stdout


def probe_mismatches(r: Refactor, work: Path) -> list[str]:
    """How `r`'s probe fails to show its claim ([]: base and careless answers as recorded,
    and different)."""
    if r.probe is None:
        return [] if r.preserving else [f"{r.name}: a careless refactor without a probe"]
    base = probe_answer(write_tree(work / "base", r.library.files), r.probe)
    cand = probe_answer(write_tree(work / "cand", r.files), r.probe)
    out = []
    if r.probe.base == r.probe.careless:
        out.append(f"{r.name}: the recorded answers are the same")
    if (base, cand) != (r.probe.base, r.probe.careless):
        out.append(f"{r.name}: {r.probe.expr} answers base {base!r}, careless {cand!r}; "
                   f"recorded {r.probe.base!r}, {r.probe.careless!r}")
    return out
