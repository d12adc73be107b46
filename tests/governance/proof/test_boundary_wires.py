"""A moved boundary is shown reached or not (governance.proof.boundary_wires): a tripwire at
each comparison a preserve change made strict or non-strict raises where its two sides are
equal, and a change shaped like a mutant whose every moved boundary an input reached (both
trees answering it alike) no longer waits for review on that shape. In the real jail: a
boundary the inputs reach lands, one they never reach still waits, and a careless one is
refused with a counterexample."""

from __future__ import annotations

import ast
import builtins
from pathlib import Path

import pytest

from governance.oracle.replay_mutants import BOUNDARY as RUNNER_BOUNDARY
from governance.oracle.replay_mutants import WIRES, boundary, judge
from governance.proof.boundary_wires import BOUNDARY, FIRST_ID, WHAT, planned, waiting
from governance.proof.mutant_shaped import mutant_shaped
from governance.proof.mutation import SWITCH
from governance.proof.noticed import sides, told_apart, unnoticed
from tests.governance.proof.judged import judged
from tools.jail import bwrap_available

FILE = "lab/sums.py"
# `add` adds a positive count: at a count of 0 the branch adds nothing to an int, so `>`
# and `>=` agree there (a correct change); `limit` refuses a
# value at the limit, which `<=` no longer does (a careless one); in `above` the two sides
# are never equal (odd and even), so no input can reach its boundary.
PAD = '''def add(total, count):
    total, count = int(total), int(count)
    if count > 0:
        total += count
    return total


def limit(n, most):
    if n < most:
        return n
    raise ValueError(n)


def above(n):
    n = int(n)
    m = n * 2 + 1
    if m > 2 * n:
        return m
    return 0
'''
WIDENED = PAD.replace("if count > 0:", "if count >= 0:")
CARELESS = PAD.replace("if n < most:", "if n <= most:")
UNREACHED = PAD.replace("if m > 2 * n:", "if m >= 2 * n:")
TESTS = '''from lab.sums import above, add, limit


def test_above():
    assert above(3) == 7


def test_add():
    assert add(3, 2) == 5


def test_limit():
    assert limit(3, 5) == 3
'''


def _run(text: str, switch: int, call: str) -> object:
    """`call` on `text` with the switch at `switch`, the runner's tripwire installed as the
    replay runner installs it."""
    space: dict = {}
    exec(compile(text, FILE, "exec"), space)
    setattr(builtins, SWITCH, switch)
    setattr(builtins, BOUNDARY, boundary)
    try:
        return eval(call, space)
    except (ArithmeticError, ValueError) as exc:
        return str(exc)
    finally:
        delattr(builtins, SWITCH)
        delattr(builtins, BOUNDARY)


def test_a_strictness_change_gets_a_tripwire_that_raises_only_at_its_boundary() -> None:
    shaped = mutant_shaped(PAD, WIDENED, FILE)
    [wire] = planned(shaped, {FILE: WIDENED})
    assert (wire.line, wire.shape.what) == (3, "`>` to `>=`")
    _, cand = sides([(FILE, PAD, WIDENED)], [wire])
    assert cand.ids[0] == wire.id and cand.mutants[0].what == WHAT
    text = cand.sources[FILE]
    ast.parse(text)
    assert _run(text, wire.id, "add(3, 0)") == "boundary reached"
    assert _run(text, wire.id, "add(3, 2)") == 5 == _run(text, 0, "add(3, 2)")
    # a tripwire is no mutant of its line: its kill notices nothing, its survival hides
    # nothing
    assert unnoticed(cand, {wire.id}) == unnoticed(cand, set())
    assert told_apart(cand, {wire.id}) == []


DEEP = '''def walk(node, depth=0):
    if depth >= 3:
        raise ValueError("too deep")
    for item in node:
        walk(item, depth + 1)
'''


def test_a_boundary_met_only_in_a_nested_call_of_the_function_is_not_reached() -> None:
    """fastjsonschema's `walk` widened to `depth > 500` met depth 500 in the 500th recursion
    of a 1,200-level schema, which both trees refuse alike one level apart (wave 11): only
    the outermost call's comparison counts."""
    assert BOUNDARY == RUNNER_BOUNDARY and FIRST_ID == WIRES
    new = DEEP.replace("depth >= 3", "depth > 3")
    [wire] = planned(mutant_shaped(DEEP, new, FILE), {FILE: new})
    text = sides([(FILE, DEEP, new)], [wire])[1].sources[FILE]
    assert _run(text, wire.id, "walk([[[[[[]]]]]])") == "too deep"  # met at depth 3, nested
    assert _run(text, wire.id, "walk([], 3)") == "boundary reached"


def test_a_tripwire_is_set_off_only_where_it_raised_not_where_an_answer_differed() -> None:
    """An answer that differs with the switch on for another reason (a table the call
    wrote into, answered again) kills a mutant, never a tripwire."""
    fired = {"on": False}

    def answer(blob: str) -> str:
        if blob == "boundary":
            fired["on"] = True
            return str(_run(sides([(FILE, PAD, WIDENED)], planned(
                mutant_shaped(PAD, WIDENED, FILE), {FILE: WIDENED}))[1].sources[FILE],
                FIRST_ID, "add(3, 0)"))
        return "other"  # differs from every digest below

    killed: dict = {}
    judge(answer, [("g1", "x", "digest")], [FIRST_ID, 1], killed, lambda: False)
    assert killed == {1: "g1"}  # the mutant by its answer, the tripwire not at all
    judge(answer, [("g2", "boundary", "digest")], [FIRST_ID], killed, lambda: False)
    assert fired["on"] and killed == {1: "g1", FIRST_ID: "g2"}


class _EqualToAll:
    """Equal to anything, ordered against nothing (the replay's AnyEqual is alike)."""

    def __eq__(self, other: object) -> bool:
        return True

    def __hash__(self) -> int:
        return 0

    def __gt__(self, other: object) -> bool:
        return False

    __ge__ = __lt__ = __le__ = __gt__


def test_a_value_equal_to_anything_sets_off_no_tripwire() -> None:
    """Only where `>` and `>=` answer otherwise is the boundary reached: an object equal to
    everything that orders against nothing is no evidence."""
    def depth(d: object) -> bool:
        return boundary(d, 3, ">=")

    assert depth(_EqualToAll()) is False and depth(4) is True
    try:
        depth(3)
    except ArithmeticError:
        pass
    else:
        raise AssertionError("the boundary itself set off nothing")


def test_only_a_single_comparison_moved_by_strictness_is_wired() -> None:
    assert planned(mutant_shaped(PAD, PAD.replace("count > 0", "count < 0"), FILE),
                   {FILE: PAD}) == []  # `>` to `<` moves no boundary by one
    chained = PAD.replace("if count > 0:", "if total < count > 0:")
    assert planned(mutant_shaped(chained, chained.replace("count > 0", "count >= 0"),
                                 FILE), {FILE: chained}) == []


def test_a_shape_waits_unless_every_boundary_it_moved_was_reached() -> None:
    both = WIDENED.replace("if n < most:", "if n <= most:")
    shaped = mutant_shaped(PAD, both, FILE)
    wires = planned(shaped, {FILE: both})
    assert len(wires) == 2
    assert waiting(shaped, wires, {wires[0].id, wires[1].id}) == []
    left = waiting(shaped, wires, {wires[0].id})
    assert [s.function for s in left] == ["limit"]
    other = mutant_shaped(PAD, WIDENED.replace("total += count", "total -= count"), FILE)
    assert waiting(other, planned(other, {FILE: WIDENED}), {200_001}) == other


@pytest.mark.slow
@pytest.mark.skipif(bwrap_available() is not None, reason="bubblewrap missing")
@pytest.mark.parametrize(("new", "outcome"), [
    (WIDENED, "lands"), (UNREACHED, "waits"), (CARELESS, "refused")])
async def test_in_the_jail(tmp_path: Path, new: str, outcome: str) -> None:
    report = (await judged(tmp_path, FILE, PAD, new,
                           {"lab/__init__.py": "", "tests/test_sums.py": TESTS})).report
    found = [c for f in report.checks for c in f.counterexamples]
    if outcome == "refused":
        assert found, report.reasons()
        return
    assert not found, found
    assert bool(report.shaped) == (outcome == "waits"), report.reasons()
