"""The differential check's one-sided answers (issue 49, item 1, path 5): where the base
answered a call steadily, a candidate that times out on it, or answers otherwise when asked
again, has changed behaviour: a counterexample (before: the call was skipped, and a
candidate that hangs or came to depend on time or randomness was shown unchanged). A call
the base itself did not answer steadily is still no evidence. The rules on the replay
runner's rows, then a real hang in a real replay."""

from __future__ import annotations

import inspect
import pickle
from collections import OrderedDict
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest

from governance.oracle.differential import ALL_RAISED, CALL_TIMEOUT_S, Target, compare
from governance.oracle.replay_kinds import alien, exotic, kinds
from governance.oracle.replay_standins import Recorder
from governance.oracle.testrun import CoverageRequest, TestRunner
from governance.proof import check_record
from governance.proof.behaviour import covering_tests, touched_functions
from governance.proof.differential_check import check_behaviour
from tests.governance.proof.test_differential_check import PRICE, TESTS
from tests.helpers import PYTEST, commit_files

T = Target("shop/prices.py", "price", frozenset({5}), ())


def _row(kind="return", answer="a", steady=True, again=None, seconds=0.001, shown="7"):
    return {"key": "c0", "input": "1, 2", "answer": answer, "shown": shown, "kind": kind,
            "deterministic": steady, "again": again or kind, "seconds": seconds}


def _timeout(**how):
    return _row(kind="timeout", answer="t", shown="timed out", **how)


@pytest.mark.parametrize(("base", "cand", "found"), [
    (_row(), _row(), None),  # alike
    (_row(), _row(answer="b", shown="8"), "8"),
    # the candidate hangs where the base answered at once
    (_row(), _timeout(), "times out (past 1 s; the base answered in 1.0 ms)"),
    # the candidate answers otherwise when asked again: time, randomness
    (_row(), _row(answer="b", steady=False, shown="8"), "8, and otherwise when called again"),
])
def test_a_one_sided_timeout_or_unsteady_answer_is_a_counterexample(base, cand, found):
    check = compare(T, 1, {"results": [base]}, {"results": [cand]})
    assert check.compared == 1
    if found is None:
        assert check.counterexamples == () and check.shown_unchanged
    else:
        [c] = check.counterexamples
        assert c.candidate == found and c.base == "7", c


def test_a_function_that_raised_on_every_compared_call_is_not_shown_unchanged():
    """asciitree's `get_children` given only tuples it cannot read an attribute of: both
    trees raised AttributeError on each, and its attribute hard-coded landed (stop 76)."""
    raised = dict(_row(kind="raise", shown="raises AttributeError"), key="c0")
    check = compare(T, 1, {"results": [raised]}, {"results": [dict(raised)]})
    assert check.counterexamples == () and not check.shown_unchanged
    assert check.problem == ALL_RAISED
    returned = dict(_row(), key="c1")  # one call that returned is evidence again
    check = compare(T, 2, {"results": [raised, returned]},
                    {"results": [dict(raised), dict(returned)]})
    assert check.problem is None and check.shown_unchanged
    # raised in the code's own words (a raise statement's): what it answers, compared
    # (pygtrie's `_NoChildren.pick`, which always raises KeyError, wave 27)
    own = dict(raised, shown="raises KeyError: 'a'", own=True)
    check = compare(T, 1, {"results": [own]}, {"results": [dict(own)]})
    assert check.problem is None and check.shown_unchanged
    forged = dict(raised, own="yes")  # a tree's runner writes the rows: only True counts
    assert compare(T, 1, {"results": [forged]}, {"results": [forged]}).problem == ALL_RAISED


def _parts(**digests):
    return {"value": "v", "args": "a", "printed": "p", **digests}


@pytest.mark.parametrize(("parts", "told"), [
    ({"args": "b"}, ("7, arguments left one way", "7, arguments left another way")),
    # ebcdic's getregentry() (wave 26): a CodecInfo whose stream classes its text omits
    ({"value": "w"}, ("7, a value of one state",
                      "7, a value of another state its text does not show")),
    ({"printed": "q"}, ("7, printing one text", "7, printing another")),
    (None, ("7, arguments left one way", "7, arguments left another way")),  # none named
])
def test_answers_alike_as_text_are_told_apart_by_the_part_that_differs(parts, told):
    base = dict(_row(), parts=_parts())
    cand = dict(_row(answer="b"), parts=_parts(**parts) if parts else "?")
    [c] = compare(T, 1, {"results": [base]}, {"results": [cand]}).counterexamples
    assert (c.base, c.candidate) == told


@pytest.mark.parametrize(("base", "cand"), [
    (_timeout(), _row()),  # the base hung: nothing to compare with
    (_row(steady=False), _row()),  # the base moved: time, randomness of its own
    (_row(again="timeout", steady=False), _row()),
    # the base took most of the time: the candidate's timeout may be a busy box
    (_row(seconds=0.9 * CALL_TIMEOUT_S), _timeout()),
    (_row(), _row(answer="b", steady=False, again="timeout")),  # its second call ran out
])
def test_what_the_base_did_not_answer_steadily_is_no_evidence(base, cand):
    check = compare(T, 1, {"results": [base]}, {"results": [cand]})
    assert check.compared == 0 and check.counterexamples == () and not check.shown_unchanged


def test_garbage_rows_are_no_evidence_and_no_crash():
    check = compare(T, 1, {"results": [7, {"key": "c0"}, "x"]}, {"results": {"c0": 1}})
    assert check.compared == 0 and not check.shown_unchanged


def test_a_function_none_of_whose_generated_inputs_could_run_is_not_shown_unchanged():
    """json5's encoder once had every generated input fail to load in the runner (an enum
    member changed in place): judged on its captured calls alone, a careless change landed.
    Generated inputs that all fail are a runner that could not decide, not evidence."""
    lost = [{"key": f"g{i}", "problem": "ValueError: 'a' is not a valid QuoteStyle"}
            for i in range(40)]
    check = compare(T, 1, {"results": [_row(), *lost]}, {"results": [_row(), *lost]})
    assert check.counterexamples == () and not check.shown_unchanged
    assert "none of its 40 generated inputs could be run" in check.why_not()
    assert "QuoteStyle" in check.why_not()
    some = [*lost[:39], {**_row(), "key": "g39"}]  # one ran: the rows that failed say nothing
    assert compare(T, 1, {"results": [_row(), *some]}, {"results": [_row(), *some]}) \
        .shown_unchanged
    found = compare(T, 1, {"results": [_row(), *lost]},  # a difference still refuses
                    {"results": [_row(answer="b", shown="8"), *lost]})
    assert found.counterexamples


def test_a_function_whose_budget_ran_out_before_any_generated_input_is_not_shown_unchanged():
    """A starved run (the clock's bound on the CPU budget, or captured calls that took it
    all) answers the tests' calls alone: capped, so no pass. A function that generates no
    input at all (no argument to move) is judged on its captured calls as before."""
    check = compare(T, 1, {"results": [_row()], "cut": True}, {"results": [_row()]})
    assert not check.shown_unchanged
    assert "budget was spent before any generated input ran" in check.why_not()
    assert compare(T, 1, {"results": [_row()], "cut": False},
                   {"results": [_row()]}).shown_unchanged


def test_a_replay_the_clock_cut_short_is_no_evidence() -> None:
    """Starved of the CPU (a box at many times its cores' load), a runner's generated inputs
    stop on the clock before their CPU budget: fewer inputs than the budget stands for, so
    no pass (boolean.py's tokenizer widened to isspace landed so at load 14 on two cores);
    a difference found still refuses."""
    made = [dict(_row(), key="g1"), dict(_row(), key="g2")]
    starved = compare(T, 1, {"results": [_row(), *made], "starved": True},
                      {"results": [_row(), *made]})
    assert not starved.shown_unchanged and "starved of the CPU" in starved.why_not()
    assert compare(T, 1, {"results": [_row(), *made]},
                   {"results": [_row(), *made], "starved": False}).shown_unchanged
    other = [dict(_row(answer="b", shown="8"), key="g1")]
    assert compare(T, 1, {"results": [_row(), *made], "starved": True},
                   {"results": [_row(), *other]}).counterexamples


# A careless refactor that hangs where the base raised at once: no test calls it with a
# negative price, the replay's generated inputs do.
HANGS = PRICE.replace('raise ValueError("negative price")', "while unit < 0:\n            pass")


@pytest.mark.slow
async def test_a_candidate_that_hangs_where_the_base_answered_is_refused(tmp_path: Path,
                                                                         monkeypatch):
    monkeypatch.setattr(check_record, "CALL_TIMEOUT_S", 0.2)  # each hang costs 0.4 s
    files = {"shop/__init__.py": "", "tests/test_prices.py": TESTS}
    base = commit_files(tmp_path / "base", {**files, "shop/prices.py": PRICE})
    cand = commit_files(tmp_path / "cand", {**files, "shop/prices.py": HANGS})
    runner = TestRunner(PYTEST, 60)
    scratch = tmp_path / "state"
    ran = await runner.run(cand, [], scratch=scratch,
                           coverage=CoverageRequest(frozenset({"shop/prices.py"})))
    assert ran.passed, ran.describe()  # the premise: the suite cannot see it
    targets, _ = touched_functions(PRICE, HANGS, "shop/prices.py")
    report = await check_behaviour(runner, base, cand, targets,
                                   covering_tests(targets, ran.report.coverage), scratch,
                                   noticed=False)
    [check] = report.checks
    hung = [c for c in check.counterexamples if c.candidate.startswith("times out")]
    assert hung and "raises ValueError" in hung[0].base, report.payload()
    assert report.reasons()[0].startswith("behaviour changed: shop/prices.py::price(-")


DRAW = '''import random


def pick(top):
    if top < 1:
        raise ValueError("top must be positive")
    return int(random.random() * top)
'''
DRAW_TESTS = '''from shop.draw import pick


def test_pick_is_in_range():
    assert 0 <= pick(10) < 10
    assert pick(1) == 0
'''


async def _draw_check(tmp_path: Path, candidate: str):
    files = {"shop/__init__.py": "", "tests/test_draw.py": DRAW_TESTS}
    base = commit_files(tmp_path / "base", {**files, "shop/draw.py": DRAW})
    cand = commit_files(tmp_path / "cand", {**files, "shop/draw.py": candidate})
    runner = TestRunner(PYTEST, 60)
    scratch = tmp_path / "state"
    ran = await runner.run(cand, [], scratch=scratch,
                           coverage=CoverageRequest(frozenset({"shop/draw.py"})))
    assert ran.passed, ran.describe()  # the premise: the suite cannot tell them apart
    targets, _ = touched_functions(DRAW, candidate, "shop/draw.py")
    report = await check_behaviour(runner, base, cand, targets,
                                   covering_tests(targets, ran.report.coverage), scratch,
                                   noticed=False)
    [check] = report.checks
    return check


@pytest.mark.slow
async def test_a_random_function_is_judged_on_the_same_draws(tmp_path: Path):
    """Each replayed call starts from one state of `random`: the same draws multiplied the
    other way round are the base's answers (two unseeded calls of a random function agree
    by chance, and the candidate moving beside such a base was called a new dependence on
    randomness: the held-out corpus's simpleeval `random_int` control), while a candidate
    that draws otherwise is a counterexample."""
    same = await _draw_check(tmp_path / "same", DRAW.replace("random.random() * top",
                                                             "top * random.random()"))
    assert same.counterexamples == () and same.compared > 0, same
    other = await _draw_check(tmp_path / "other", DRAW.replace(
        "int(random.random() * top)", "random.randint(0, top - 1)"))
    assert other.counterexamples, other


def _refusal(kind: str, answer: str, foreign: bool) -> dict:
    return {"key": "gk", "input": "'04:18', None", "answer": answer, "shown": kind,
            "kind": kind, "deterministic": True, "again": kind, "seconds": 0.001,
            "foreign": foreign}


@pytest.mark.parametrize(("qualname", "foreign", "counted"), [
    ("_interpret", True, False),  # a private helper, a kind no caller passed: not counted
    ("_interpret", False, True),  # a kind its callers pass: a difference
    ("interpret", True, True),  # a public function's exceptions are its callers' to catch
    ("Parser.__call__", True, True)])  # a dunder is public
def test_a_private_helper_refusing_a_foreign_value_otherwise_is_no_counterexample(
        qualname: str, foreign: bool, counted: bool) -> None:
    """pytimeparse's `'mins' in d` written `d.get('mins')` raises AttributeError where
    the base raised TypeError, on a None no caller passes: both trees refuse the input."""
    t = Target("m.py", qualname, frozenset({1}), ())
    base = {"results": [_refusal("raise", "a", foreign),
                        {**_refusal("return", "same", False), "key": "gj"}]}
    cand = {"results": [_refusal("raise", "b", foreign),
                        {**_refusal("return", "same", False), "key": "gj"}]}
    check = compare(t, 0, base, cand)
    assert bool(check.counterexamples) is counted and check.compared == (2 if counted else 1)
    returned = {"results": [{**_refusal("return", "c", foreign)}]}
    assert compare(t, 0, base, returned).counterexamples  # one side returned: it counts


@pytest.mark.parametrize(("qualname", "alien", "counted"), [
    ("Validator._unquote", True, False),  # a private method, a kind no caller passes
    ("Validator._unquote", False, True),  # a kind its callers pass (or a subclass of one)
    ("Validator.check", True, True)])  # a public method's answers count on any kind
def test_a_private_helper_answering_otherwise_on_an_alien_value_is_no_counterexample(
        qualname: str, alien: bool, counted: bool) -> None:
    """configobj's `_unquote` with its conjuncts reordered returns bytes as given on the
    base and raises on the candidate: its callers pass text, never bytes (wave 14). The
    mark is read on the base's side only."""
    t = Target("m.py", qualname, frozenset({1}), ())
    base = {"results": [{**_refusal("return", "a", True), "alien": alien}]}
    cand = {"results": [{**_refusal("raise", "b", True), "alien": False}]}
    check = compare(t, 0, base, cand)
    assert bool(check.counterexamples) is counted
    # not counted is no pass: it waits, judged at its callers (xmltodict's careless
    # `ns[:1] == attr_prefix`, told only at an attr_prefix of None, had landed)
    assert not check.shown_unchanged and check.unlifted is not counted
    alike = {"results": [{**_refusal("return", "a", True), "alien": False}]}
    assert compare(t, 0, base, alike).unlifted is False


@pytest.mark.parametrize(("qualname", "exotic_", "counted"), [
    ("Math.polyval", True, False),  # a Decimal where callers pass whole numbers
    ("Math.polyval", False, True)])  # any other kind, alien or not, counts at a public one
def test_a_public_function_answering_otherwise_on_an_exotic_number_is_no_counterexample(
        qualname: str, exotic_: bool, counted: bool) -> None:
    """geographiclib's `polyval`, its counting while loop made a `for` over `range(N)`,
    returns 0.0 at `N=Decimal('-1')` on the base and raises on the candidate (wave 15):
    a count no caller passes as a Decimal. It is read as neither a change nor a doubt."""
    t = Target("m.py", qualname, frozenset({1}), ())
    alike = {**_row(), "key": "g1"}
    base = {"results": [{**_refusal("return", "a", True), "alien": True, "exotic": exotic_},
                        alike]}
    cand = {"results": [{**_refusal("raise", "b", True), "alien": True, "exotic": False},
                        alike]}
    check = compare(t, 0, base, cand)
    assert bool(check.counterexamples) is counted
    # neither a change nor a doubt: the input it answered alike is its evidence
    assert check.shown_unchanged is not counted and not check.unlifted


def test_an_exotic_number_is_a_decimal_or_fraction_where_only_whole_numbers_were_passed():
    """Only where every captured call passed an int (or a bool) and no default holds
    another kind; a float there, a text, or a Decimal where a float was passed, is none."""
    params = {"n": (0, None, inspect.Parameter.empty), "x": (1, None, inspect.Parameter.empty),
              "width": (2, None, 0)}
    known = kinds([pickle.dumps(((3, 0.5, True), {}))], params)
    assert exotic((Decimal(-1), 0.5), {}, known, params)
    assert exotic((3, 0.5, Fraction(1, 3)), {}, known, params)  # an int default, a bool
    assert not exotic((3.0, 0.5), {}, known, params) and not exotic(("3", 0.5), {}, known,
                                                                        params)
    assert not exotic((3, Decimal("0.5")), {}, known, params)  # callers pass a float there
    defaulted = {**params, "width": (2, None, None)}  # None may be passed there too
    assert not exotic((3, 0.5, Decimal(1)), {}, kinds([pickle.dumps(((3, 0.5), {}))],
                                                       defaulted), defaulted)


def test_a_value_of_a_subclass_of_a_passed_kind_is_no_alien() -> None:
    """An OrderedDict where callers pass dicts is what a caller may pass (camel-converter's
    `isinstance` made `type(v) is dict` is refused there); bytes where they pass text, a
    Decimal where they pass ints, and a None they never pass are not; a callable where
    they pass one is none either (the runner's Recorder where webencodings passes an
    encoder's bound method told a final flush dropped, wave 15)."""
    params = {"value": (0, None, inspect.Parameter.empty),
              "flag": (1, None, False)}
    known = kinds([pickle.dumps(((({"a": 1}), True), {}))], params)
    assert not alien((OrderedDict(a=1), False), {}, known, params)
    assert not alien(({},), {"flag": True}, known, params)
    assert alien((b"x",), {}, known, params) and alien((None,), {}, known, params)
    assert alien(({}, Decimal(1)), {}, known, params)
    called = kinds([pickle.dumps(((len,), {}))], {"encode": (0, None, inspect.Parameter.empty)})
    assert not alien((Recorder(),), {}, called, {"encode": (0, None, inspect.Parameter.empty)})
    assert alien((Recorder(),), {}, known, params)  # a callable where a dict was passed
    unread = kinds([b"not a pickle"], params)  # dissect.cstruct's calls, read by pickle alone
    assert not alien((b"x",), {}, unread, params)  # unknown is not alien


def test_generated_inputs_only_one_tree_made_are_no_pass():
    """Generated rows are keyed by their input: a candidate whose signature or defaults
    changed makes other inputs, and with none in common only the captured calls would
    be compared. That is a check that could not decide, not a pass."""
    mine = [{**_row(), "key": f"g{i}"} for i in range(5)]
    other = [{**_row(), "key": f"h{i}"} for i in range(5)]
    check = compare(T, 1, {"results": [_row(), *mine]}, {"results": [_row(), *other]})
    assert not check.shown_unchanged
    assert "none of its 5 generated inputs was made and answered by both trees" \
        in check.why_not()
    shared = [*other[:4], mine[4]]  # one in common: the common one is evidence
    assert compare(T, 1, {"results": [_row(), *mine]},
                   {"results": [_row(), *shared]}).shown_unchanged
