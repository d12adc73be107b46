"""The differential check fails closed (issue 49, item 1, path 2): a difference the tests'
own calls show is confirmed by a second run on the base; when that run fails or times out,
the difference is kept (marked unconfirmed), never dropped, and the function is not then
shown unchanged through a caller. And each of the check's runs made to time out, crash,
leave no report or answer garbage leaves the change unproven, the reason named. Real
pytest runs (outside the jail: the faults, not the jail, are what these test)."""

from __future__ import annotations

from pathlib import Path

import pytest

from governance.oracle.oracle_run import Sessions
from governance.oracle.testrun import CoverageRequest, TestRunner
from governance.proof.behaviour import covering_tests, touched_functions
from governance.proof.differential_check import check_behaviour
from governance.proof.rules import Claim, FileText, Intent, assess
from tests.governance.fail_closed.faults import Fault, FaultyRunner, every, nth
from tests.governance.proof.test_behaviour_unpicklable import CLOCK, MINUTES, TESTS
from tests.helpers import PYTEST, commit_files

pytestmark = pytest.mark.slow
FILE = "clock/times.py"


async def _check(tmp_path: Path, new: str, faulty) -> tuple:
    files = {"clock/__init__.py": "", "tests/test_times.py": TESTS}
    base = commit_files(tmp_path / "base", {**files, FILE: CLOCK})
    cand = commit_files(tmp_path / "cand", {**files, FILE: new})
    runner = TestRunner(PYTEST, 60)
    scratch = tmp_path / "state"
    ran = await runner.run(cand, [], scratch=scratch, coverage=CoverageRequest(
        frozenset({FILE})))
    assert ran.passed, ran.describe()  # the premise: the suite cannot see the change
    targets, _ = touched_functions(CLOCK, new, FILE)
    runner = faulty(runner, base)
    report = await check_behaviour(runner, base, cand, targets,
                                   covering_tests(targets, ran.report.coverage), scratch)
    evidence = assess(Claim(Intent.PRESERVE, frozenset({FILE}), None, None, 3, False, False),
                      [FileText(FILE, CLOCK, new)],
                      Sessions(original=ran.report, differential=report), ran.report)
    return report, evidence, runner


@pytest.mark.parametrize("fault", [Fault.TIMEOUT])
async def test_a_failed_confirmation_keeps_the_difference(tmp_path, fault):
    """The base's second traced run (its second run on the base) fails: the difference the
    tests' own calls showed stays, unconfirmed, at the function itself (before: dropped,
    and the function judged at its caller)."""
    report, evidence, runner = await _check(
        tmp_path, CLOCK.replace(*MINUTES),
        lambda r, base: FaultyRunner(r, fault, nth("run", 2, base)))
    assert runner.broke, "the premise: the confirmation run was broken"
    [check] = [c for c in report.checks if c.function == f"{FILE}::to_minutes"]
    assert check.via is None and check.counterexamples, report.payload()
    line = check.counterexamples[0].line()
    assert "base returns 1290, candidate returns 1291" in line, line
    assert "unconfirmed: the second run on the base failed" in line, line
    assert not evidence.proven and evidence.reasons[0].startswith("behaviour changed: "), \
        evidence.reasons


@pytest.mark.parametrize("fault", [Fault.NO_REPORT])
async def test_every_run_of_the_check_broken_leaves_it_unproven(tmp_path, fault):
    """The capture run on the base broken (or, garbage, answering junk): no evidence, the
    change waits with the reason named; the preserving change was proven with none."""
    _, evidence, runner = await _check(
        tmp_path, CLOCK.replace("hour * 60 + minute", "minute + 60 * hour"),
        lambda r, _base: FaultyRunner(r, fault, every("run")))
    assert runner.broke
    assert not evidence.proven, evidence
    assert any(r.startswith("behaviour not checked: calls not captured") for r in
               evidence.reasons), evidence.reasons


@pytest.mark.parametrize("fault", [Fault.GARBAGE])
async def test_the_replay_broken_leaves_it_unproven(tmp_path, fault):
    _, evidence, runner = await _check(
        tmp_path, CLOCK.replace("hour * 60 + minute", "minute + 60 * hour"),
        lambda r, _base: FaultyRunner(r, fault, every("script")))
    assert runner.broke
    assert not evidence.proven, evidence
    assert any("replay failed" in r or "not shown unchanged" in r
               for r in evidence.reasons), evidence.reasons
