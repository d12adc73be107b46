"""The differential check's search on Hypothesis (governance.oracle.replay_search, issue 49
item 2) in the real jail: three careless refactors that neither the suite nor the captured
calls and their neighbours can tell, each refused with a counterexample the search found
(a truncation made rounding, a removed coercion, a swallowed overflow)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.governance.proof.judged import judged
from tools.jail import bwrap_available

pytest.importorskip("hypothesis")
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(bwrap_available() is not None, reason="bubblewrap missing")]

UNITS = '''"""Units of a lab's readings."""
from datetime import timedelta


def micros(text):
    """'S.ffffff' seconds as whole microseconds (a part below one is dropped)."""
    whole, _, frac = text.partition(".")
    if len(frac) > 6:
        raise ValueError("at most six decimals")
    part = int(float("0." + frac) * 1e6) if frac else 0
    return int(whole) * 1000000 + part


def celsius(fahrenheit):
    """A Fahrenheit reading, which may come as text or a Decimal, in Celsius."""
    value = float(fahrenheit)
    return round((value - 32) * 5 / 9, 2)


def span(days):
    """A span of days; OverflowError past what a timedelta holds."""
    return timedelta(days=days) * 2
'''
# Every line runs; nothing checks a six-digit fraction, a reading given as text or a Decimal,
# or a span too long for a timedelta.
TESTS = '''from lab.units import celsius, micros, span


def test_micros():
    assert micros("2.5") == 2500000
    assert micros("3") == 3000000


def test_celsius():
    assert celsius(212.0) == 100.0
    assert celsius(32.0) == 0.0


def test_span():
    assert span(1.5).days == 3
'''
CARELESS = {
    "micros": ('int(float("0." + frac) * 1e6)', 'round(float("0." + frac) * 1e6)'),
    "celsius": ("    value = float(fahrenheit)\n    return round((value - 32)",
                "    return round((fahrenheit - 32)"),
    "span": ("    return timedelta(days=days) * 2\n",
             "    try:\n        return timedelta(days=days) * 2\n"
             "    except OverflowError:\n        return None\n"),
}


async def _check(tmp_path: Path, new: str):
    done = await judged(tmp_path, "lab/units.py", UNITS, new,
                        {"lab/__init__.py": "", "tests/test_units.py": TESTS})
    assert done.problems == []
    return done.report


async def test_each_careless_class_is_refused_with_a_searched_counterexample(tmp_path):
    new = UNITS
    for old, careless in CARELESS.values():
        new = new.replace(old, careless)
    report = await _check(tmp_path, new)
    found = {c.function.split("::")[1]: c.counterexamples for c in report.checks}
    assert set(found) == set(CARELESS), report.payload()
    for name, examples in found.items():
        assert examples, (name, report.payload())
    # Shrunk to a minimal input: a six-digit fraction, a number as text, a huge span.
    assert "base raises OverflowError" in found["span"][0].line()
    assert "('" in found["celsius"][0].line() and "candidate raises TypeError" in \
        found["celsius"][0].line()
    assert report.reasons()[0].startswith("behaviour changed: lab/units.py::")
