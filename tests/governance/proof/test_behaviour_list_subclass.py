"""A list's subclass with attributes of its own is varied through them too, not only
through its items (governance.oracle.replay_values.near): unidiff's `Hunk` (a list of lines
with its header's counts as attributes) with `is_valid` by `>=` instead of `==` waited for
review (wave 18), no input moving a count. Refused now with a counterexample in the real
jail. Its class cannot be built from a list of items (its constructor reads a header's
count), so only its attributes vary it."""

from __future__ import annotations

from pathlib import Path

import pytest

from governance.oracle.replay_values import Context, near
from tests.governance.proof.judged import judged
from tools.jail import bwrap_available

HUNK = '''"""A hunk of a diff: its lines, and the count its header gives."""


class Hunk(list):
    def __init__(self, length="0"):
        super().__init__()
        self.length = int(length)  # a header's text: a list of lines is no count

    def is_valid(self):
        """Whether the hunk holds exactly the lines its header counts."""
        return len(self) == self.length
'''
TESTS = '''from hunks.hunks import Hunk


def test_is_valid():
    h = Hunk(1)
    assert not h.is_valid()
    h.append("x")
    assert h.is_valid()
'''


class _Counted(list):
    def __init__(self, length: int) -> None:
        super().__init__()
        self.length = length


def test_its_attributes_are_varied_beside_its_items() -> None:
    counted = _Counted(3)
    counted.append("x")
    made = near(counted, Context([]))
    moved = [m.length for m in made if type(m) is _Counted and list(m) == ["x"]]
    assert {2, 4} <= set(moved), made
    assert any(type(m) is _Counted and list(m) != ["x"] for m in made)  # and its items


@pytest.mark.slow
@pytest.mark.skipif(bwrap_available() is not None, reason="bubblewrap missing")
async def test_a_widened_count_check_is_refused_with_a_counterexample(tmp_path: Path):
    done = await judged(tmp_path, "hunks/hunks.py", HUNK,
                        HUNK.replace("len(self) == self.length", "len(self) >= self.length"),
                        {"hunks/__init__.py": "", "tests/test_hunks.py": TESTS})
    assert done.problems == []
    (check,) = done.report.checks
    assert check.counterexamples, done.report.payload()
