"""L2's tables and pure decisions: the state table's checks, the kill conditions, the
failure classes, merging and the patch-size count."""

from __future__ import annotations

import pytest

from governance.fs.protected import PathEscape
from governance.oracle.oracle import FailureKind, Report, Verdict
from governance.oracle.oracle_run import Checked, Validation
from governance.oracle.testrun import TestOutcome
from governance.phases import l2
from governance.phases.l2 import Failure, FailureClass, L2State, Progress, StopReason, decide
from governance.phases.l2_repair import changed_lines, classify, merge
from governance.schemas import Candidate, FileChange

S = L2State
T = FailureClass.TEST


def test_the_l2_table_is_valid_and_every_walk_ends():
    l2.validate_table(l2.L2_TRANSITIONS)
    l2.check(S.L2_INIT, S.GENERATE_PATCH)
    l2.check(S.CLASSIFY_FAILURE, S.RUN_VALIDATION)  # the flaky re-run
    with pytest.raises(l2.IllegalL2Transition):
        l2.check(S.GENERATE_PATCH, S.CONVERGED)  # only a validated patch converges
    with pytest.raises(l2.IllegalL2Transition):
        l2.check(S.STOPPED, S.GENERATE_PATCH)


@pytest.mark.parametrize(("table", "phrase"), [
    ({**l2.L2_TRANSITIONS, S.CONVERGED: frozenset({S.L2_INIT})}, "terminal"),
    ({**l2.L2_TRANSITIONS, S.DECIDE_RETRY: frozenset()}, "terminal"),
    ({k: v for k, v in l2.L2_TRANSITIONS.items() if k is not S.BUILD_REPAIR_PROMPT},
     "missing"),
    ({**l2.L2_TRANSITIONS, S.DECIDE_RETRY: frozenset({S.STOPPED})}, "unreachable"),
    ({**l2.L2_TRANSITIONS, S.RUN_VALIDATION: frozenset({S.CONVERGED, S.CLASSIFY_FAILURE})},
     "cannot stop"),
])
def test_a_broken_l2_table_is_refused_at_import(table, phrase):
    with pytest.raises(ValueError, match=phrase):
        l2.validate_table(table)


def _f(*failing: str, cls: FailureClass = T, problems: tuple[str, ...] = ()) -> Failure:
    return Failure(cls, frozenset(failing), problems)


def _walk(entry: Failure, *failures: Failure, max_iters: int = 5) -> list[l2.Decision]:
    p = Progress()
    p.start(entry)
    return [decide(p, f, n, max_iters, 60.0) for n, f in enumerate(failures, 1)]


# (name, entry, iterations' failures, decisions: retry or the stop reason)
KILLS = [
    ("progress every time", _f("a", "b", "c"), [_f("a", "b"), _f("a")], [True, True]),
    ("oscillation A-B-A", _f("a"), [_f("b"), _f("a")], [True, StopReason.OSCILLATION]),
    ("same failure thrice: no progress", _f("a"), [_f("a"), _f("a")],
     [True, StopReason.NO_PROGRESS]),
    ("different but not fewer: no progress", _f("a"), [_f("b"), _f("c")],
     [True, StopReason.NO_PROGRESS]),
    ("a syntax slip then progress", _f("a", "b"), [_f(cls=FailureClass.SYNTAX,
                                                     problems=("SyntaxError line 3",)),
                                                  _f("a")], [True, True]),
    ("environment stops at once", _f("a"), [_f(cls=FailureClass.ENVIRONMENT)],
     [StopReason.CLASS]),
    ("collapse stops at once", _f("a"), [_f(cls=FailureClass.COLLAPSE)], [StopReason.CLASS]),
    ("a second flaky result stops", _f("a", "b"), [_f("a", cls=FailureClass.FLAKY),
                                                   _f(cls=FailureClass.FLAKY)],
     [True, StopReason.FLAKY]),
    ("the iteration cap", _f("a", "b", "c", "d"), [_f("a", "b", "c"), _f("a", "b"), _f("a")],
     [True, True, StopReason.MAX_ITERS]),
]


@pytest.mark.parametrize(("name", "entry", "failures", "expected"), KILLS,
                         ids=[k[0] for k in KILLS])
def test_kill_conditions(name, entry, failures, expected):
    got = [d.retry if d.retry else d.stop for d in _walk(entry, *failures, max_iters=3)]
    assert got == expected


def test_the_timebox_stops_a_run_that_would_go_on():
    p = Progress()
    p.start(_f("a", "b"))
    d = decide(p, _f("a"), 1, 5, 0.0)
    assert not d.retry and d.stop is StopReason.TIMEBOX


def test_a_signature_ignores_numbers_but_not_what_failed():
    one = _f(cls=FailureClass.SYNTAX, problems=("SyntaxError in a.py line 3: invalid",))
    two = _f(cls=FailureClass.SYNTAX, problems=("SyntaxError in a.py line 9: invalid",))
    assert one.signature == two.signature
    assert _f("t.py::a").signature != _f("t.py::b").signature
    assert _f("t.py::a").signature != _f("t.py::a", cls=FailureClass.FLAKY).signature


def _checked(verdict: Verdict, tail: str = "", timed_out: bool = False) -> Checked:
    return Checked(verdict, (TestOutcome(False, 1, output_tail=tail, timed_out=timed_out),))


CAND = Candidate(file_path="calc/m.py", full_content="import json\n")


@pytest.mark.parametrize(("v", "cls"), [
    (Validation(False, "x", {}, problems=["SyntaxError in a.py line 1: bad"]),
     FailureClass.SYNTAX),
    (Validation(False, "x", {}, problems=["a.py is protected (credentials)"]),
     FailureClass.REFUSED),
    (Validation(False, "x", {}, checked=_checked(Verdict(False, "regressions: ...",
                                                         failing=("t.py::a",))),
                baseline=Report(finished=True, exitstatus=0)), FailureClass.TEST),
    (Validation(False, "x", {}, checked=_checked(Verdict(False, "no test report was written",
                                                         kind=FailureKind.NO_REPORT)),
                baseline=Report()), FailureClass.ENVIRONMENT),
    (Validation(False, "x", {}, checked=_checked(Verdict(False, "pytest ended with exit status 3",
                                                         kind=FailureKind.PYTEST_ABORTED))),
     FailureClass.ENVIRONMENT),
    # The message is for humans: a reason that only reads like a missing report is a test failure.
    (Validation(False, "x", {}, checked=_checked(Verdict(False, "t.py: no test report was written"))
                ), FailureClass.TEST),
    (Validation(False, "x", {}, checked=_checked(Verdict(False, "p")),
                baseline=Report(problem="no test report was written")),
     FailureClass.ENVIRONMENT),
    (Validation(False, "x", {}, checked=_checked(
        Verdict(False, "collection errors in t.py"),
        "E   ModuleNotFoundError: No module named 'numpy'")), FailureClass.ENVIRONMENT),
    (Validation(False, "x", {}, checked=_checked(
        Verdict(False, "collection errors in t.py"),
        "E   ModuleNotFoundError: No module named 'json'")), FailureClass.TEST),
    (Validation(False, "x", {}, checked=_checked(
        Verdict(False, "the test session did not finish"), timed_out=True)), FailureClass.TEST),
], ids=["syntax", "refused", "test", "no-report", "pytest-aborted", "reads-like-no-report",
        "baseline-unusable", "missing-module",
        "module-the-candidate-imports", "timeout"])
def test_failure_classes(v, cls):
    assert classify(v, CAND).cls is cls


def test_merge_lays_the_patch_over_the_candidate_by_canonical_path():
    current = Candidate(files=[FileChange(file_path="a.py", full_content="1\n"),
                               FileChange(file_path="b.py", full_content="2\n")])
    patch = Candidate(file_path="./a.py", full_content="3\n")
    merged = {c.file_path: c.full_content for c in merge(current, patch, False).changes()}
    assert merged == {"a.py": "3\n", "b.py": "2\n"}
    with pytest.raises(PathEscape):
        merge(current, Candidate(file_path="../x.py", full_content=""), False)


def test_changed_lines_counts_added_and_removed_lines():
    assert changed_lines("a\nb\nc\n", "a\nB\nc\nd\n") == 3
    assert changed_lines("", "x\n" * 10) == 10
    assert changed_lines("same\n", "same\n") == 0
