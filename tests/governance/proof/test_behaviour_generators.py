"""The differential check on a generator function the tests call directly (netaddr's
iter_iprange): its call event fires at every resume, so the capture skipped generators and a
careless change to one waited for review with "no call of it was captured". The capture
takes a generator's arguments at its first resume, when its locals are still the arguments
as passed, and the replay runner reads what it yields. In the real jail, with real pytest."""

from __future__ import annotations

from pathlib import Path

import pytest

from governance.oracle.differential import DiffReport
from tests.governance.proof.judged import judged
from tools.jail import bwrap_available

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(bwrap_available() is not None, reason="bubblewrap missing")]

RANGES = '''"""Ranges of numbers."""


def iter_range(start, end, step=1):
    """Every step-th number from start to end, both included."""
    start, end = int(start), int(end)
    step = int(step)
    if step == 0:
        raise ValueError("step cannot be zero")
    value = start
    while value <= end:
        yield value
        value += step
'''
TESTS = '''from nums.ranges import iter_range


def test_iter_range():
    assert list(iter_range(1, 5)) == [1, 2, 3, 4, 5]
    assert list(iter_range("1", "9", 4)) == [1, 5, 9]
    assert list(iter_range(3, 2)) == []
'''
UNCOERCED = RANGES.replace("    step = int(step)\n", "")  # '2' as a step: a TypeError
GUARDED = RANGES.replace('''    value = start
    while value <= end:''', '''    if start > end:  # a guard clause: the loop would not run
        return
    value = start
    while value <= end:''')


async def _judged(tmp_path: Path, candidate: str) -> DiffReport:
    done = await judged(tmp_path, "nums/ranges.py", RANGES, candidate,
                        {"nums/__init__.py": "", "tests/test_ranges.py": TESTS})
    assert done.ran.passed, done.ran.describe()
    assert done.problems == [] and [t.qualname for t in done.targets] == ["iter_range"]
    return done.report


async def test_a_removed_coercion_in_a_generator_is_refused_with_a_counterexample(tmp_path):
    report = await _judged(tmp_path, UNCOERCED)
    (check,) = report.checks
    assert check.captured >= 3, report.payload()
    assert check.counterexamples, report.payload()
    found = check.counterexamples[0]
    assert "iter_range" in found.function
    assert "generator yielding [" in found.base + found.candidate  # what it yields
    assert "<generator object" not in found.base + found.candidate  # not its address


async def test_yield_from_range_is_told_apart_on_a_negative_step(tmp_path):
    """range(start, end + 1, step) for the loop: alike on every step the tests pass, not on
    a negative one (the loop counts down for ever, range yields nothing)."""
    report = await _judged(tmp_path, RANGES.replace('''    value = start
    while value <= end:
        yield value
        value += step
''', "    yield from range(start, end + 1, step)\n"))
    (check,) = report.checks
    assert any(c.input.endswith("-1") or ", -" in c.input for c in check.counterexamples), \
        report.payload()


async def test_a_correct_refactor_of_a_generator_is_shown_unchanged(tmp_path):
    report = await _judged(tmp_path, GUARDED)
    (check,) = report.checks
    assert check.captured >= 3 and check.compared > check.captured, report.payload()
    assert not check.counterexamples, report.payload()
