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


KW_OLD = "KEYWORDS = {'SELECT': 'keyword'}\nLIMIT = 10\n"
KW_NEW = "KEYWORDS = {'SELECT': 'keyword', 'MATERIALIZED': 'keyword'}\nLIMIT = 20\n"
KW_TEST = '''from kw import KEYWORDS


def test_materialized():
    assert KEYWORDS.get('MATERIALIZED') == 'keyword'
'''


async def _at_import(tmp_path: Path, changed: FileText, tests: str, fail_to_pass: str):
    """The mutation check of `changed` (its candidate text committed with `tests`), the
    coverage from one jailed session, `fail_to_pass` the test that shows the change."""
    test_file = fail_to_pass.split("::")[0]
    tree = commit_files(tmp_path / "repo", {changed.path: changed.new or "", test_file: tests})
    executor = JailExecutor([Path.home(), tree, tmp_path / "state"], jail_limits(),
                            [Path(sys.prefix), Path(sys.base_prefix)])
    runner = TestRunner(["{python}", "-m", "pytest"], 60, executor)
    scratch = tmp_path / "state" / "oracle"
    ran = await runner.run(tree, [], scratch=scratch,
                           coverage=CoverageRequest(frozenset({changed.path})))
    assert ran.passed, ran.output_tail
    return await check_mutants(runner, tree, [changed], [ran.report.coverage], scratch,
                               [fail_to_pass]), tree


async def test_a_line_that_ran_only_at_import_is_judged_by_the_fail_to_pass_tests(tmp_path):
    """The table and the limit ran at import, under no test: each mutant is switched on
    before anything imports, in a session of the fail-to-pass test, which depends on the
    table's new key and not on the limit."""
    report, _ = await _at_import(tmp_path, FileText("kw.py", KW_OLD, KW_NEW), KW_TEST,
                                 "tests/test_kw.py::test_materialized")
    outcomes = {(r.line, r.outcome, r.at_import) for r in report.results}
    assert outcomes == {(1, "killed", True), (2, "survived", True)}, report.payload()
    assert [(r.file, r.line) for r in report.shown_at_import()] == [("kw.py", 1)]
    assert report.survivors() == []  # at import: evidence when killed, never a finding


RULES_OLD = "import re\n\nRULES = [(r'[a-z]+(?=\\.)', 'name')]\n\n\n" \
    "def kind(text):\n    return next((k for p, k in RULES if re.match(p, text)), 'other')\n"
RULES_NEW = RULES_OLD.replace("(?=\\.)", "(?=\\.(?!\\d))")
RULES_TEST = '''from rules import kind


def test_a_float_is_no_member_access():
    assert kind('a.3') == 'other'


def test_a_member_access():
    assert kind('a.b') == 'name'
'''


async def test_a_file_whose_change_ran_at_import_is_put_back_to_show_the_fix_needs_it(
        tmp_path):
    """A lookahead added to a pattern in a table: its mutant (the pattern never matches)
    passes the fail-to-pass test too; the file's base text put back fails it."""
    report, tree = await _at_import(
        tmp_path, FileText("rules.py", RULES_OLD, RULES_NEW), RULES_TEST,
        "tests/test_rules.py::test_a_float_is_no_member_access")
    assert {(r.line, r.what, r.outcome) for r in report.results} == {
        (3, "a string constant changed", "survived"), (0, "its change reverted", "killed")}
    assert (tree / "rules.py").read_text() != RULES_OLD  # the candidate's text is back
