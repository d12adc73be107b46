"""A function that reads the clock or the operating system's random bytes, and rebinds a
name of its module, is judged all the same. uuid6's uuid6 (held out in wave 9) reads
`time.time_ns()`, draws `secrets.randbits` and keeps the timestamp it issued last in a
module global: every answer moved between two runs, none was evidence, a correct inlining
of its fields waited for review and a dropped 14-bit mask went untold. The replay runner
now answers each call on a fixed clock that moves a microsecond a reading, random bytes
from a seeded generator, and its module's names as before its first call
(governance.oracle.replay_clock). In the real jail."""

from __future__ import annotations

import os
import random
import secrets
import time

import pytest

from governance.oracle import replay_clock
from tests.governance.proof.judged import judged
from tools.jail import bwrap_available

CODE = '''"""Time-ordered ids: 64 bits of nanoseconds, 14 of sequence, 16 random."""
import secrets
import time

_last = None


def make(seq=None):
    global _last
    ns = time.time_ns()
    if _last is not None and ns <= _last:
        ns = _last + 1
    _last = ns
    if seq is None:
        seq = secrets.randbits(14)
    high = ns & 0xFFFFFFFFFFFFFFFF
    value = high << 30
    value |= (seq & 0x3FFF) << 16
    value |= secrets.randbits(16)
    return value
'''
TESTS = '''from ids.ids import make


def test_ordered():
    assert make(1) < make(2) < make()


def test_sequence():
    assert (make(5) >> 16) & 0x3FFF == 5
'''
FILES = {"ids/__init__.py": "", "tests/test_ids.py": TESTS}
UNMASKED = CODE.replace("(seq & 0x3FFF) << 16", "seq << 16")
INLINED = CODE.replace('''    high = ns & 0xFFFFFFFFFFFFFFFF
    value = high << 30
    value |= (seq & 0x3FFF) << 16
    value |= secrets.randbits(16)
''', '''    value = (ns & 0xFFFFFFFFFFFFFFFF) << 30 | (seq & 0x3FFF) << 16
    value |= secrets.randbits(16)
''')

_last = None


def _stamp():
    global _last
    _last = (time.time_ns(), secrets.randbits(20), os.urandom(3))
    return _last


def _drawn():
    random.seed()  # the system's randomness, read in C: numericalunits' units at import
    return random.random(), random.Random().random()


def test_each_call_reads_the_same_clock_bytes_and_bindings():
    saved = (time.time, time.time_ns, os.urandom, random.Random.seed, random.seed)
    try:
        replay_clock.fix()
        replay_clock.reset(_stamp)  # the first call: its module's names as they are
        first, drawn = _stamp(), _drawn()
        replay_clock.reset(_stamp)
        assert _last is None  # bound again as before the first call
        assert _stamp() == first
        assert time.time_ns() - first[0] == replay_clock.TICK_NS  # time passes
        replay_clock.reset(_stamp)
        assert (_stamp(), _drawn()) == (first, drawn)
        random.seed(7)  # a seed given is the seed
        assert random.random() == random.Random(7).random()
    finally:
        time.time, time.time_ns, os.urandom, random.Random.seed, random.seed = saved
        replay_clock.random._urandom = os.urandom
    assert _drawn() != _drawn()  # the real ones again


@pytest.mark.slow
@pytest.mark.skipif(bwrap_available() is not None, reason="bubblewrap missing")
async def test_a_mask_dropped_from_a_clocked_id_is_a_counterexample(tmp_path):
    done = await judged(tmp_path, "ids/ids.py", CODE, UNMASKED, FILES)
    assert done.check("make").counterexamples, done.report.payload()


@pytest.mark.slow
@pytest.mark.skipif(bwrap_available() is not None, reason="bubblewrap missing")
async def test_a_clocked_ids_fields_inlined_are_shown_unchanged(tmp_path):
    done = await judged(tmp_path, "ids/ids.py", CODE, INLINED, FILES)
    assert done.report.reasons() == [], done.report.payload()


UNITS = """import random

random.seed()  # the system's randomness: another scale in every process
SCALE = 10 ** random.uniform(-2, 2)


def scaled(x):
    return x * SCALE
"""
UNITS_FILES = {"units/__init__.py": "", "tests/test_units.py": (
    "from units.units import scaled\n\n\ndef test_scaled():\n"
    "    assert scaled(4) == 4 * scaled(1)\n")}


@pytest.mark.slow
@pytest.mark.skipif(bwrap_available() is not None, reason="bubblewrap missing")
async def test_units_drawn_at_import_are_alike_on_both_trees(tmp_path):
    """numericalunits (wave 35) draws its units at import from `random.seed()`: its
    `nu_eval('kg')` answered another number in each process, and a correct refactor was
    refused on it."""
    done = await judged(tmp_path, "units/units.py", UNITS,
                        UNITS.replace("return x * SCALE", "return SCALE * x"), UNITS_FILES)
    assert not done.check("scaled").counterexamples, done.report.payload()


TICKER = '''from time import time


class Ticker:
    def __init__(self):
        self.last = int(time() * 1000)

    def tick(self):
        now = int(time() * 1000)
        if now < self.last:
            return None  # the clock went back
        self.last = now
        return now
'''
TICKER_FILES = {"tick/__init__.py": "", "tests/test_tick.py": (
    "from tick.tick import Ticker\n\n\ndef test_tick():\n    ticker = Ticker()\n"
    "    assert ticker.tick() >= ticker.last - 1\n")}


def test_a_call_is_answered_late_in_the_millisecond_it_was_captured_in():
    at = 1_795_982_327_715_123_456
    [late] = replay_clock.captured_edges(at)
    assert late // 10**6 == at // 10**6 and int(late / 1e6) != round(late / 1e6)
    assert replay_clock.captured_edges(None) == replay_clock.captured_edges(True) == ()


@pytest.mark.slow
@pytest.mark.skipif(bwrap_available() is not None, reason="bubblewrap missing")
async def test_a_clock_rounded_for_truncated_is_told_at_the_tests_own_time(tmp_path):
    """snowflake-id's generator (wave 35) holds the test's time as its last timestamp:
    at the fixed clock, years before, and at every edge but the far ones, it answers
    None on both trees; late in the millisecond the test called it in, the rounded clock
    is a millisecond ahead."""
    done = await judged(tmp_path, "tick/tick.py", TICKER,
                        TICKER.replace("now = int(time() * 1000)", "now = round(time() * 1000)"),
                        TICKER_FILES)
    assert done.check("Ticker.tick").counterexamples, done.report.payload()


MOCKED_FILES = {"tick/__init__.py": "", "tests/test_tick.py": (
    "from unittest import mock\n\nfrom tick.tick import Ticker\n\n\n"
    "def test_tick_with_the_clock_mocked():\n"
    "    with mock.patch('time.time_ns'):  # a MagicMock where the capture read the time\n"
    "        ticker = Ticker()\n        assert ticker.tick() >= ticker.last - 1\n")}


@pytest.mark.slow
@pytest.mark.skipif(bwrap_available() is not None, reason="bubblewrap missing")
async def test_a_test_that_mocks_the_clock_leaves_the_capture_whole(tmp_path):
    """The capture records each call's wall clock; a test that patches `time.time_ns`
    (a MagicMock, which no JSON report holds) must not cost it its calls."""
    done = await judged(tmp_path, "tick/tick.py", TICKER,
                        TICKER.replace("now = int(time() * 1000)", "now = round(time() * 1000)"),
                        MOCKED_FILES)
    assert done.check("Ticker.tick").captured > 0, done.report.payload()
    assert done.check("Ticker.tick").counterexamples, done.report.payload()
