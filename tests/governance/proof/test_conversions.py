"""A change that removes a conversion to int (governance.proof.conversions) has its ints
varied to floats too (governance.oracle.replay_values), and only such a change: termcolor's
RGB written as an f-string no longer truncating a float channel, hijridate's `weekday`
without `int()` answering 5.0 for a float day (wave 10)."""

from __future__ import annotations

import pickle

import pytest

from governance.oracle import replay_runner as rr
from governance.proof.conversions import drops_int_conversion

BASE = '''class Date:
    def weekday(self):
        jdn = self.julian()
        return int(jdn % 7)


def paint(text, rgb):
    fmt = "[%d;%d;%dm%s"
    return fmt % (rgb[0], rgb[1], rgb[2], text)


def half(n):
    return "{:d}".format(n // 2)
'''


@pytest.mark.parametrize("old, new, qualname, drops", [
    ("return int(jdn % 7)", "return jdn % 7", "Date.weekday", True),
    ('return fmt % (rgb[0], rgb[1], rgb[2], text)',
     'return f"[{rgb[0]};{rgb[1]};{rgb[2]}m{text}"', "paint", True),
    ('return "{:d}".format(n // 2)', "return str(n // 2)", "half", True),
    ('return "{:d}".format(n // 2)', "return str(int(n / 2))", "half", True),
    ("jdn = self.julian()", "jdn = self.julian() + 0", "Date.weekday", False),
    ('return fmt % (rgb[0], rgb[1], rgb[2], text)',
     'return fmt % (*rgb[:3], text)', "paint", False),
    ('return "{:d}".format(n // 2)', 'return f"{n // 2:d}"', "half", False),
])
def test_a_conversion_to_int_removed_is_found_and_one_kept_is_not(
        old: str, new: str, qualname: str, drops: bool) -> None:
    assert drops_int_conversion(BASE, BASE.replace(old, new), qualname) is drops


def test_an_int_is_varied_to_floats_only_where_a_conversion_was_removed() -> None:
    calls = [pickle.dumps((["x", (100, 200, 150)], {}), protocol=4)]

    def floats(made: list[bytes]) -> set[float]:
        return {c for b in made for a in pickle.loads(b)[0] if isinstance(a, tuple)
                for c in a if isinstance(c, float)}
    assert {100.7, 100.5} <= floats(rr.generated(calls, [], 200, floats=True))
    assert not floats(rr.generated(calls, [], 200))
