"""The differential check on a memoised function (mpmath's `borwein_coefficients`, in the
real jail): the mutants that tell whether the inputs looked at a changed line answer after
the unmutated runs, so a module-level cache those runs filled must not hand a mutant the
right answer without running its line."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.governance.proof.judged import judged
from tools.jail import bwrap_available

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(bwrap_available() is not None, reason="bubblewrap missing")]

MEMO = '''_cache = {}


def coeffs(n):
    if n in _cache:
        return _cache[n]
    ds = [0] * (n + 1)
    d = 1
    s = ds[0] = 1
    for i in range(1, n + 1):
        d = d * 4 * (n + i - 1) * (n - i + 1)
        d //= (2 * i) * (2 * i - 1)
        s += d
        ds[i] = s
    _cache[n] = ds
    return ds
'''
TESTS = '''from m.c import coeffs


def test_coeffs():
    assert coeffs(3)[0] == 1
    assert len(coeffs(5)) == 6
'''
REFACTOR = ("d = d * 4 * (n + i - 1) * (n - i + 1)", "d *= 4 * (n + i - 1) * (n - i + 1)")
CARELESS = ("d = d * 4 * (n + i - 1) * (n - i + 1)", "d = d * 4 * (n + i) * (n - i + 1)")


async def _check(tmp_path: Path, new: str, old: str = MEMO, tests: str = TESTS):
    done = await judged(tmp_path, "m/c.py", old, new,
                        {"m/__init__.py": "", "tests/test_c.py": tests})
    assert done.problems == []
    return done.report


async def test_a_memoised_functions_refactor_is_shown_unchanged(tmp_path):
    """`d = d * 4 * ...` made `d *= 4 * ...`: before the fix its mutants answered from the
    cache and the line was 'told by no input'."""
    report = await _check(tmp_path, MEMO.replace(*REFACTOR))
    assert report.reasons() == [], report.payload()
    assert report.payload()["unnoticed"] == []


async def test_a_careless_change_to_a_memoised_function_is_still_caught(tmp_path):
    report = await _check(tmp_path, MEMO.replace(*CARELESS))
    assert report.reasons()[0].startswith("behaviour changed: m/c.py::coeffs("), \
        report.payload()



ENCODERS = '''_encoders = {}


def encode(text, upper=False):
    key = (upper,)
    if key in _encoders:
        enc = _encoders[key]
    else:
        enc = str.upper if upper else str.lower
        _encoders[key] = enc
    return enc(text)
'''
ENCODER_TESTS = '''from m.c import encode


def test_encode():
    assert encode("Ab") == "ab"
'''
HIT = ("    if key in _encoders:\n        enc = _encoders[key]\n    else:\n",
       "    enc = _encoders.get(key)\n    if enc is None:\n")
CARELESS_HIT = ("        enc = _encoders[key]\n", "        enc = str.lower\n")


async def _encoder(tmp_path: Path, new: str):
    return await _check(tmp_path, new, ENCODERS, ENCODER_TESTS)


async def test_a_refactor_of_the_memos_hit_is_shown_unchanged(tmp_path):
    """The line that reads the memo back runs only on an input's second call: its mutants
    answered once, from the tables as they were, and the correct `dict.get` refactor
    waited on 'no input tried tells a change' (pylatexenc's encoder cache, wave 25)."""
    report = await _encoder(tmp_path, ENCODERS.replace(*HIT))
    assert report.reasons() == [], report.payload()
    assert report.payload()["unnoticed"] == []


async def test_a_careless_change_to_the_memos_hit_is_caught(tmp_path):
    """Only a second call with the same options reads the memo back: the wrong encoder
    shows there, as an answer that moves."""
    report = await _encoder(tmp_path, ENCODERS.replace(*CARELESS_HIT))
    assert report.reasons() and not report.reasons()[0].startswith(
        "behaviour not shown unchanged"), report.payload()
