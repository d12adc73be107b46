"""An equivalent mutant is no evidence (governance.proof.mutant_equivalence), in the real
jail: a surviving mutant the differential check shows answering as the candidate on every
captured and generated input is equivalent, not a sign of an unchecked line; one it shows
answering otherwise names the input no test asserts; and one whose line does nothing on
any input tried stays unchecked, saying so."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from governance.oracle.differential import Counterexample
from governance.oracle.testrun import CoverageRequest, TestRunner
from governance.proof.mutant_equivalence import NOT_REACHED, _told_apart
from governance.proof.mutation_run import check_mutants
from governance.proof.rules import FileText
from tests.governance import real_history as rh
from tests.helpers import commit_files, jail_limits
from tools.jail import JailExecutor, bwrap_available

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(bwrap_available() is not None, reason="bubblewrap missing")]


async def _check(tmp_path: Path, changed: FileText, tests: str):
    tree = commit_files(tmp_path / "repo", {changed.path: changed.new or "",
                                            "tests/test_it.py": tests})
    executor = JailExecutor([Path.home(), tree, tmp_path / "state"], jail_limits(),
                            [Path(sys.prefix), Path(sys.base_prefix)])
    runner = TestRunner(["{python}", "-m", "pytest"], 60, executor)
    scratch = tmp_path / "state" / "oracle"
    ran = await runner.run(tree, [], scratch=scratch,
                           coverage=CoverageRequest(frozenset({changed.path})))
    assert ran.passed, ran.output_tail
    report = await check_mutants(runner, tree, [changed], [ran.report.coverage], scratch)
    assert report.problem is None, report.payload()
    assert (tree / changed.path).read_text() == changed.new  # the candidate's text is back
    return report


# A real maintainer's fix waited on this: the first of two equally common values and the
# first of one answer alike, so no test can kill `most_common(2)[0][0]`.
MODE_OLD = "def mode(data):\n    return sorted(data)[len(data) // 2]\n"
MODE_NEW = ("from collections import Counter\n\n\n"
            "def mode(data):\n    return Counter(data).most_common(1)[0][0]\n")
MODE_TEST = ("from stats import mode\n\n\n"
             "def test_mode():\n    assert mode([1, 2, 2, 3]) == 2\n    assert mode([7]) == 7\n")


async def test_a_mutant_that_answers_as_the_candidate_everywhere_tried_is_equivalent(
        tmp_path):
    report = await _check(tmp_path, FileText("stats.py", MODE_OLD, MODE_NEW), MODE_TEST)
    assert report.survivors() == [], report.payload()
    [eq] = report.equivalent()
    assert (eq.line, eq.what, eq.outcome) == (5, "`1` to `2`", "equivalent")
    calls = int(eq.note.split(" on ")[1].split()[0])
    assert calls > 10, eq.note  # the captured calls and inputs generated from them
    assert report.payload()["equivalent"] == [
        f"stats.py:5 (`1` to `2`): answers as the candidate on {calls} calls"]
    assert 0 < report.equivalence_seconds <= report.seconds


# A boundary no test asserts: the fee at exactly 100.
FEE_OLD = "def fee(amount):\n    if amount > 100:\n        return 5\n    return 6\n"
FEE_NEW = FEE_OLD.replace(">", ">=")
FEE_TEST = "from calc import fee\n\n\ndef test_fee():\n    assert fee(500) in (5, 6)\n"


async def test_a_mutant_the_replay_tells_apart_names_the_input_no_test_asserts(tmp_path):
    report = await _check(tmp_path, FileText("calc.py", FEE_OLD, FEE_NEW), FEE_TEST)
    [left] = report.survivors()
    assert left.named() == ("calc.py:2 (`>=` to `>`): e.g. fee(100) returns 5 here, 6 with "
                            "the mutant"), report.payload()
    assert report.equivalent() == []


# A rider whose condition no captured or generated input meets (a hash no generator
# inverts): every mutant answers alike, and so does the function without the line.
# Agreeing there says nothing. The hash is of the list's text, which every value has: a
# tuple's hash raises for an unhashable element the search draws (Decimal('sNaN')), and
# that would tell the mutant `<=` apart.
FIRST_OLD = "def first(xs):\n    return xs[1]\n"
FIRST_NEW = ("def first(xs):\n"
             "    xs = xs[1:] if len(xs) > 3 and hash(repr(xs)) == 123456789 else xs\n"
             "    return xs[0]\n")
FIRST_TEST = "from util import first\n\n\ndef test_first():\n    assert first([1, 2]) == 1\n"


async def test_a_line_no_input_tried_makes_matter_is_not_shown_equivalent(tmp_path):
    report = await _check(tmp_path, FileText("util.py", FIRST_OLD, FIRST_NEW), FIRST_TEST)
    assert [r.named() for r in report.survivors()] == [
        f"util.py:2 (`>` to `>=`): {NOT_REACHED}"], report.payload()


# Through the whole op (tests/governance/real_history.py's runner): a repair whose fix
# carries a quiet discount at 250 that no test asserts waits for review, and the reason
# names the input that shows it.
_FEES = "def fee(amount):\n    return 6\n"
_DISCOUNT = ("def fee(amount):\n    if amount >= 100:\n        bonus = {250: 1}.get(amount, 0)\n"
             "        return 5 - bonus\n    return 6\n")


async def test_a_rider_the_replay_tells_apart_waits_for_review_with_the_input(short_tmp):
    case = rh.Case(id="discount", library="synthetic", repo="-", sha="0" * 40, license="-",
                   subject="a fee of 5 from 100 up", base={
                       "pytest.ini": "[pytest]\ntestpaths = tests\n", "pkg/__init__.py": "",
                       "pkg/fees.py": _FEES, "tests/test_fees.py": (
                           "from pkg.fees import fee\n\n\n"
                           "def test_small():\n    assert fee(10) == 6\n")}, binary={},
                   tests={"tests/test_big.py": "from pkg.fees import fee\n\n\n"
                          "def test_big():\n    assert fee(1000) == 5\n"},
                   fix={"pkg/fees.py": _DISCOUNT}, rider=None)
    [fix] = await rh.run_case(case, short_tmp, rh.Shared())
    assert fix.got == rh.REVIEW, f"{fix.got}: {fix.said}"
    assert ("changed lines covered but unchecked (no test notices when they change): "
            "pkg/fees.py:3 (`250` to `251`): e.g. fee(250) returns 4 here, 5 with the mutant"
            ) in fix.reason, fix.said


def test_the_input_that_tells_a_mutant_apart_is_named_briefly():
    """A real suite's arguments are objects whose reprs run long; what the reason needs is
    the call and how the answers differ."""
    assert _told_apart(Counterexample("calc.py::fee", "100", "5", "6")) == \
        "e.g. fee(100) returns 5 here, 6 with the mutant"
    assert _told_apart(Counterexample("calc.py::fee", "-1", "raises ValueError: 'neg'",
                                      "6")) == \
        "e.g. fee(-1) raises ValueError: 'neg' here, returns 6 with the mutant"
    left = Counterexample("s.py::Splitter._reset", "Splitter(" + "x" * 300 + ")",
                          "None, arguments left one way", "None, arguments left another way")
    note = _told_apart(left)
    assert note.startswith("e.g. Splitter._reset(Splitter(xxx") and note.endswith(
        "...) leaves its arguments otherwise with the mutant") and len(note) < 200
