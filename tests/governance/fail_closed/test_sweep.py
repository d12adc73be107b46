"""The other checks swept for the same pattern (issue 49, item 1): a skipped, xfailed,
errored or absent outcome is never a failure on the base nor a kill, an absent check is no
pass, and a plugin that leaves a mutant without a verdict has not judged it."""

from __future__ import annotations

from pathlib import Path

import pytest

from governance.oracle.mutants import MutationReport
from governance.oracle.oracle import Report
from governance.oracle.oracle_run import Sessions
from governance.oracle.testrun import CoverageRequest, TestRunner
from governance.proof.mutation_run import check_mutants
from governance.proof.rules import Claim, FileText, Intent, assess, fixed_tests
from tests.governance.fail_closed.faults import Fault, FaultyRunner, every
from tests.helpers import PYTEST, commit_files

OLD = "def top(xs):\n    return xs\n"
NEW = "def top(xs):\n    return xs[:3]\n"
FILES = [FileText("shop/top.py", OLD, NEW)]
OWN = "tests/test_top.py::test_three"


def _claim(intent: Intent, failing: str | None = None) -> Claim:
    return Claim(intent, frozenset({"shop/top.py"}), None, failing, 3, True, False)


def _report(tests: dict[str, str], errors: tuple[str, ...] = ()) -> Report:
    return Report(finished=True, exitstatus=1, tests=tests, collect_errors=errors)


@pytest.mark.parametrize(("on_base", "shown"), [
    ("failed", True), ("skipped", False), ("xfailed", False), ("error", False),
    ("deselected", False), (None, False)])
def test_a_candidate_s_own_test_shows_new_behaviour_only_by_failing_on_the_base(on_base,
                                                                                 shown):
    own = Report(finished=True, exitstatus=0, tests={OWN: "passed"},
                 coverage=None)
    base = _report({OWN: on_base} if on_base else {})
    ev = assess(_claim(Intent.NEW), FILES, Sessions(own=own, own_on_base=base,
                                                    mutation=MutationReport()), Report.empty())
    lacking = "new behaviour without a test that fails on the base and passes with the change"
    assert (lacking not in ev.reasons) is shown, ev.reasons


def test_a_test_module_the_base_could_not_import_failed_there():
    base = _report({}, errors=("tests/test_top.py",))
    assert fixed_tests({OWN: "passed"}, base) == {OWN}
    assert fixed_tests({OWN: "passed"}, _report({})) == set()  # absent: it never ran
    assert fixed_tests({OWN: "passed"}, _report({OWN: "xfailed"})) == set()


def test_a_repair_whose_mutation_check_is_absent_is_not_proven():
    ran = Report(finished=True, exitstatus=0, tests={OWN: "passed"})
    ev = assess(_claim(Intent.REPAIR, OWN), FILES, Sessions(original=ran), _report(
        {OWN: "failed"}))
    assert "changed lines not checked: the mutation check did not run" in ev.reasons


async def _mutation(tmp_path: Path, files: dict[str, str], changed: FileText,
                    f2p: tuple[str, ...] = (), wrap=lambda r: r) -> MutationReport:
    tree = commit_files(tmp_path / "repo", files)
    runner = TestRunner(PYTEST, 60)
    scratch = tmp_path / "state"
    ran = await runner.run(tree, [], scratch=scratch,
                           coverage=CoverageRequest(frozenset({changed.path})))
    assert ran.passed, ran.output_tail
    return await check_mutants(wrap(runner), tree, [changed], [ran.report.coverage], scratch,
                               f2p)


@pytest.mark.slow
async def test_a_mutation_run_that_leaves_a_mutant_without_a_verdict_judged_nothing(
        tmp_path):
    """The plugin's results name no mutant (the tree's code can write that file): before,
    each was 'untested' and the lines passed as if no test ran them."""
    test = "from shop.top import top\n\n\ndef test_three():\n    assert top([1] * 5) == [1] * 3\n"
    report = await _mutation(
        tmp_path, {"shop/__init__.py": "", "shop/top.py": NEW, "tests/test_top.py": test},
        FILES[0], wrap=lambda r: FaultyRunner(r, Fault.GARBAGE, every("run"), garbage={
            "results": {}, "canary": {"failed": []}}))
    assert report.problem is not None and "gave no verdict on 1 (shop/top.py:2)" in \
        report.problem, report.payload()


KW_OLD = "KEYWORDS = {'SELECT': 'keyword'}\n"
KW_NEW = "KEYWORDS = {'SELECT': 'keyword', 'MATERIALIZED': 'keyword'}\n"
# Skips when the table lacks the key (as the mutant at import makes it): a skip fails no
# suite, so the line is not shown to be what the test depends on.
KW_SKIPS = '''import pytest

from kw import KEYWORDS


def test_materialized():
    if KEYWORDS.get('MATERIALIZED') != 'keyword':
        pytest.skip('no such keyword')
'''


@pytest.mark.slow
async def test_an_import_time_mutant_a_test_skips_on_is_not_killed(tmp_path):
    report = await _mutation(tmp_path, {"kw.py": KW_NEW, "tests/test_kw.py": KW_SKIPS},
                             FileText("kw.py", KW_OLD, KW_NEW),
                             ("tests/test_kw.py::test_materialized",))
    # the table's mutant, and the file's change reverted (line 0): the test skips on both
    assert sorted((r.line, r.outcome) for r in report.results) == [
        (0, "survived"), (1, "survived")], report.payload()
    assert report.shown_at_import() == []
