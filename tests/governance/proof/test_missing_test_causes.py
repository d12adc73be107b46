"""Which reasons of an unproven change the missing-test step asks about, and in what order
(governance.proof.missing_test_rules.causes_of), from typed reports as the checks write them: a
surviving mutant, a changed line no test runs in a function the failing test enters (the
reason governance.proof.rules names "changed lines no test showing the change runs"), and a
changed function no fail-to-pass test enters. Pure: texts and reports in."""

from __future__ import annotations

from governance.oracle.mutants import MutantResult, MutationReport
from governance.oracle.oracle import Coverage, Report
from governance.oracle.oracle_run import Sessions
from governance.proof.missing_test_rules import COST_ORDER, CauseKind, causes_of, prompt
from governance.proof.mutation import plan
from governance.proof.rules import Claim, FileText, Intent, assess

OLD = ("def check(x):\n    if x > 0:\n        return True\n    return None\n\n\n"
       "def tidy(s):\n    return s\n")
# The fix: `check` says False for a negative x (a line the failing test, x = 5, never
# reaches), the limit is 10 (the failing test's own line, whose mutant survives), and
# `tidy` is "tidied" (no test enters it).
NEW = ("def check(x):\n    if x > 10:\n        return True\n    return False\n\n\n"
       "def tidy(s):\n    return s.strip()\n")
F = FileText("lib/check.py", OLD, NEW)
T = "tests/test_check.py::test_five"
# What ran: the failing-then-passing test (check(50) is True) ran lines 2 and 3 of
# `check`; the defs ran at import; nothing ran line 4 or `tidy`'s body.
RAN = Coverage(lines={F.path: {1: {None}, 2: {T}, 3: {T}, 7: {None}}})


def _sessions() -> Sessions:
    [m2] = [m for m in plan(F.old, F.new or "", F.path) if m.line == 2][:1]
    survived = MutationReport((MutantResult(F.path, 2, m2.what, "survived"),))
    return Sessions(original=Report(finished=True, tests={T: "passed"}, coverage=RAN),
                    mutation=survived)


def test_every_reason_a_test_could_decide_cheapest_first():
    causes = causes_of([F], _sessions(), [T], new_behaviour=False)
    assert [(c.kind, c.line, c.what) for c in causes] == [
        (CauseKind.SURVIVING_MUTANT, 2, causes[0].what),
        (CauseKind.UNRUN, 4, "check"),
        (CauseKind.UNENTERED, 8, "tidy"),
    ]
    assert [COST_ORDER[c.kind] for c in causes] == sorted(COST_ORDER[c.kind] for c in causes)
    # the line no test runs carries the line's first mutant: the check a test must pass
    unrun = causes[1]
    assert unrun.mutant is not None and unrun.mutant.line == 4
    assert unrun.mutant.what == "`False` to `True`"
    assert causes[2].mutant is None


def test_the_proof_names_the_same_line_as_one_no_test_runs():
    """The reason UNRUN asks about is the one the proof gives (read here from its typed
    uncovered list, not its text): line 4 ran under no test showing the change."""
    claim = Claim(Intent.REPAIR, frozenset({F.path}), None, T, 2, False, False)
    baseline = Report(finished=True, tests={T: "failed"})
    evidence = assess(claim, [F], _sessions(), baseline)
    assert not evidence.proven
    assert f"{F.path}:4" in evidence.uncovered


def test_no_unrun_reason_without_a_test_that_shows_the_change():
    """New behaviour no test asks for: its functions are asked about whole (NEW_BEHAVIOUR),
    never line by line."""
    causes = causes_of([F], Sessions(original=Report(finished=True, coverage=RAN)), [],
                       new_behaviour=True)
    assert {c.kind for c in causes} == {CauseKind.NEW_BEHAVIOUR}


def test_the_question_about_a_line_no_test_runs_shows_its_mutant():
    unrun = causes_of([F], _sessions(), [T], new_behaviour=False)[1]
    text = prompt("say False for a non-positive x", unrun, [F], {},
                  written=["tests/test_missing_1.py"])
    assert "No test runs line 4 of lib/check.py, a changed line of `check`" in text
    assert "fails with the mutant below" in text
    assert "-    return False\n+    return True" in text
    assert "tests/test_missing_1.py. Write a new module." in text
