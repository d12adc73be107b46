"""The mutation check fails closed (issue 49, item 1, path 3, and its fault injection): a
change too large for the mutant cap has the statements past it named as judged by nothing,
and waits for review with them (before: 40 mutants a file, the rest never judged and never
said); the check's session made to time out leaves the change unproven, the reason named.
Real pytest sessions (outside the jail: the faults, not the jail, are what these test)."""

from __future__ import annotations

from pathlib import Path

import pytest

from governance.oracle.oracle import Report
from governance.oracle.oracle_run import Sessions
from governance.oracle.testrun import CoverageRequest, TestRunner
from governance.proof import mutation
from governance.proof.mutation_run import check_mutants
from governance.proof.rules import Claim, Evidence, FileText, Intent, assess
from tests.governance.fail_closed.faults import Fault, FaultyRunner, every
from tests.helpers import PYTEST, commit_files

pytestmark = pytest.mark.slow

OLD = "def total(t):\n    return t\n"
CAP = 4  # the mutant cap, made small: a change past it costs a few forks, not a hundred
# 9 changed statements, one mutant each, every one of which the test notices
BIG = "def total(t):\n" + "".join(f"    t = t * 3 + {i + 1}\n" for i in range(9)) + \
    "    return t\n"
SMALL = "def total(t):\n    return t * 3 + 1\n"
SMALL_TEST = "from calc import total\n\n\ndef test_total():\n    assert total(2) == 7\n"


def _expected(text: str) -> int:
    space: dict = {}
    exec(compile(text, "calc.py", "exec"), space)
    return space["total"](0)


async def _judged(tmp_path: Path, new: str, test: str, wrap=lambda r: r) \
        -> tuple[Evidence, object]:
    """The mutation check of `new` in a real repository whose test shows the change
    (it fails on the base), and what GATE's proof makes of it."""
    tree = commit_files(tmp_path / "repo", {"calc.py": new, "tests/test_calc.py": test})
    runner = TestRunner(PYTEST, 60)
    scratch = tmp_path / "state"
    ran = await runner.run(tree, [], scratch=scratch,
                           coverage=CoverageRequest(frozenset({"calc.py"})))
    assert ran.passed, ran.output_tail
    faulty = wrap(runner)
    files = [FileText("calc.py", OLD, new)]
    report = await check_mutants(faulty, tree, files, [ran.report.coverage], scratch)
    f2p = "tests/test_calc.py::test_total"
    evidence = assess(Claim(Intent.REPAIR, frozenset({"calc.py"}), None, f2p, 3, False, False),
                      files, Sessions(original=ran.report, mutation=report),
                      Report(finished=True, exitstatus=1, tests={f2p: "failed"}))
    return evidence, faulty


async def test_statements_past_the_mutant_cap_are_named_and_the_change_waits(tmp_path,
                                                                             monkeypatch):
    monkeypatch.setattr(mutation, "MAX_MUTANTS", CAP)
    test = SMALL_TEST.replace("total(2) == 7", f"total(0) == {_expected(BIG)}")
    evidence, _ = await _judged(tmp_path, BIG, test)
    assert not evidence.proven
    [why] = [r for r in evidence.reasons if r.startswith("changed lines no mutant judged")]
    first = 2 + CAP  # line 2 is the first statement, one mutant each
    assert why.endswith(": " + ", ".join(f"calc.py:{n}" for n in range(first, 11))), why
    # every statement within the cap was judged, and killed: no other reason
    assert evidence.reasons == (why,), evidence.reasons


async def test_the_mutation_session_timed_out_leaves_the_change_unproven(tmp_path):
    """A change its test checks, as above, whose mutation session timed out: not proven,
    the reason named (a garbled answer: test_sweep.py)."""
    evidence, faulty = await _judged(tmp_path, SMALL, SMALL_TEST,
                                     lambda r: FaultyRunner(r, Fault.TIMEOUT, every("run")))
    assert faulty.broke and not evidence.proven, evidence
    assert evidence.reasons[0].startswith("changed lines not checked: "), evidence.reasons
