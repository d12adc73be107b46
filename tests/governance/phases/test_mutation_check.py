"""The mutation check (governance.phases.mutation_check, governance.proof.mutation) in the
real jail: a changed line a test checks kills its mutant; a line that only ran survives."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from governance.oracle.testrun import CoverageRequest, TestRunner
from governance.phases.mutation_check import check_mutants
from governance.proof.rules import FileText
from tests.helpers import commit_files, jail_limits
from tools.jail import JailExecutor, bwrap_available

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(bwrap_available() is not None, reason="bubblewrap missing")]

OLD = '''def mode(xs):
    return max(xs)
'''
NEW = '''def mode(xs):
    if not xs:
        return None
    counts = {}
    for x in xs:
        counts[x] = counts.get(x, 0) + 1
    best = max(counts.values())
    return min(x for x, n in counts.items() if n == best)
'''
CHECKED = '''from stats import mode


def test_mode():
    assert mode([1, 2, 2, 3]) == 2
    assert mode([3, 1, 1, 3]) == 1
    assert mode([]) is None
'''
LOOSE = '''from stats import mode


def test_mode_runs():
    assert mode([1, 2, 2, 3]) is not None
    mode([])
'''


async def _mutants(tmp_path: Path, tests: str):
    tree = commit_files(tmp_path / "repo", {"stats.py": NEW, "tests/test_stats.py": tests})
    executor = JailExecutor([Path.home(), tree, tmp_path / "state"], jail_limits(),
                            [Path(sys.prefix), Path(sys.base_prefix)])
    runner = TestRunner(["{python}", "-m", "pytest"], 60, executor)
    scratch = tmp_path / "state" / "oracle"
    ran = await runner.run(tree, [], scratch=scratch,
                           coverage=CoverageRequest(frozenset({"stats.py"})))
    assert ran.passed, ran.output_tail
    return await check_mutants(runner, tree, [FileText("stats.py", OLD, NEW)],
                               [ran.report.coverage], scratch)


async def test_lines_a_test_checks_kill_their_mutants(tmp_path):
    report = await _mutants(tmp_path, CHECKED)
    assert report.problem is None and len(report.results) >= 5, report.payload()
    assert report.survivors() == [], report.payload()


async def test_lines_that_only_ran_are_covered_but_unchecked(tmp_path):
    report = await _mutants(tmp_path, LOOSE)
    survived = {r.line for r in report.survivors()}
    # counting down instead of up, and the tie-break: nothing checks either
    assert survived == {6, 8}, report.payload()
