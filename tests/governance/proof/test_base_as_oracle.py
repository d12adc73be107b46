"""For a preserve refactor the base is the oracle (issue 49 item 3), in the real jail: a
changed line no test runs is shown preserved when replayed inputs reach it, each of its
mutants answers otherwise than the base on one of them and the candidate answers as the
base on all of them. A correct helper extraction over lines the suite skips lands; a
careless one over the same lines is refused with a counterexample."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import pytest

from daemon.config.settings import Settings
from governance.oracle.differential import DiffReport
from governance.oracle.oracle_run import Sessions
from governance.oracle.testrun import CoverageRequest, TestRunner
from governance.proof.behaviour import covering_tests, touched_functions
from governance.proof.differential_check import check_behaviour
from governance.proof.rules import Claim, Evidence, FileText, Intent, assess
from tests.helpers import commit_files, jail_limits
from tools.jail import JailExecutor, bwrap_available

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(bwrap_available() is not None, reason="bubblewrap missing")]

FILE = "lab/temps.py"
TEMPS = '''"""A reading shown in its unit."""


def describe(reading, unit="C"):
    """A reading in Celsius, shown in `unit` (C or F)."""
    if unit == "C":
        return f"{reading:.1f} C"
    if unit == "F":
        shown = reading * 9 / 5 + 32
        return f"{shown:.1f} F"
    raise ValueError(unit)
'''
# Only Celsius is ever asked for: the Fahrenheit lines run under no test.
TESTS = '''from lab.temps import describe


def test_celsius():
    assert describe(21.5) == "21.5 C"
    assert describe(-3.25, "C").endswith("C")
'''
# The helper computes the same text another way: no move of the same statements, so
# inputs must show it (a move of them unchanged is the same code: governance.proof.extracted).
EXTRACTED = TEMPS.replace('''        shown = reading * 9 / 5 + 32
        return f"{shown:.1f} F"''', '''        return _fahrenheit(reading)''') + '''

def _fahrenheit(reading):
    return f"{reading * 9 / 5 + 32:.1f} F"
'''
CARELESS = EXTRACTED.replace("{reading * 9 / 5 + 32:.1f}", "{(reading + 32) * 9 / 5:.1f}")
MOVED = TEMPS.replace('''        shown = reading * 9 / 5 + 32
        return f"{shown:.1f} F"''', '''        return _fahrenheit(reading)''') + '''

def _fahrenheit(reading):
    shown = reading * 9 / 5 + 32
    return f"{shown:.1f} F"
'''
CARELESS_MOVE = MOVED.replace("    shown = reading * 9 / 5 + 32",
                              "    shown = reading * 9 // 5 + 32")


async def _judged(tmp_path: Path, new: str, judged: tuple[str, ...] = ("describe",)):
    files = {"lab/__init__.py": "", "tests/test_temps.py": TESTS}
    base = commit_files(tmp_path / "base", {**files, FILE: TEMPS})
    cand = commit_files(tmp_path / "cand", {**files, FILE: new})
    executor = JailExecutor([Path.home(), base, cand, tmp_path / "state"], jail_limits(),
                            [Path(sys.prefix), Path(sys.base_prefix)])
    runner = TestRunner(["{python}", "-m", "pytest"], 60, executor)
    scratch = tmp_path / "state" / "oracle"
    watch = CoverageRequest(frozenset({FILE}))
    before = await runner.run(base, [], scratch=scratch)
    ran = await runner.run(cand, [], scratch=scratch, coverage=watch)
    targets, problems = touched_functions(TEMPS, new, FILE)
    assert problems == [] and tuple(t.qualname for t in targets) == judged
    diff = await check_behaviour(runner, base, cand, targets,
                                 covering_tests(targets, ran.report.coverage), scratch)
    p = Settings().proof
    claim = Claim(Intent.PRESERVE, frozenset({FILE}), None, None, p.max_new_files,
                  p.autocommit_new_behaviour, preserve_on_coverage=False)

    def judge(found: DiffReport) -> Evidence:  # GATE's rules on these runs' reports
        return assess(claim, [FileText(FILE, TEMPS, new)],
                      Sessions(original=ran.report, differential=found), before.report)
    return judge(diff), diff, judge


async def test_a_helper_extracted_over_untested_lines_lands_and_a_careless_one_is_refused(
        tmp_path):
    evidence, diff, judge = await _judged(tmp_path / "right", EXTRACTED)
    # The extracted lines ran under no test; the replayed inputs reached them (unit "F")
    # and told every one of their mutants apart.
    assert evidence.proven, (evidence.reasons, diff.payload())
    assert {f"{FILE}:9", f"{FILE}:14"} <= set(diff.preserved)
    assert evidence.uncovered == ()
    # Without the base as the oracle, the lines no test runs keep it for review.
    before = judge(dataclasses.replace(diff, preserved=()))
    assert before.reasons[0].startswith("changed lines no test showing the change runs: "
                                        f"{FILE}:9"), before.reasons

    evidence, diff, _ = await _judged(tmp_path / "careless", CARELESS)
    assert not evidence.proven
    [changed] = [r for r in evidence.reasons if r.startswith("behaviour changed: ")]
    assert changed.startswith(f"behaviour changed: {FILE}::describe(") and "'F'" in changed
    assert f"{FILE}:14" in evidence.uncovered  # no test ran it: the base decided


async def test_statements_moved_unchanged_over_untested_lines_land_as_the_same_code(tmp_path):
    """A move of the same statements into a new helper answers as the base on every input
    (governance.proof.extracted): no input need reach the lines no test runs. The same move
    with its arithmetic changed is no move: its inputs decide, and refuse it."""
    evidence, diff, _ = await _judged(tmp_path / "moved", MOVED, judged=())
    assert evidence.proven, (evidence.reasons, diff.payload())
    assert evidence.uncovered == () and diff.preserved == ()

    evidence, diff, _ = await _judged(tmp_path / "careless", CARELESS_MOVE)
    assert not evidence.proven
    [changed] = [r for r in evidence.reasons if r.startswith("behaviour changed: ")]
    assert changed.startswith(f"behaviour changed: {FILE}::describe(") and "'F'" in changed
