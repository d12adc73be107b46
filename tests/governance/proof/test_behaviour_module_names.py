"""The module names a call binds anew (`global`) are part of its answer. numericalunits
(held out in wave 35) sets every unit as a module global from functions that answer None:
a mutant of those lines answered alike on every input, so its correct refactors waited for
review, and a careless one (a constant changed) was told by no input. In the real jail."""

from __future__ import annotations

import pickle

import pytest

from governance.oracle import replay_answer
from tests.governance.proof.judged import judged
from tools.jail import bwrap_available

UNITS = '''"""Units as module globals."""
m = kg = 1.0
newton = 1.0


def reset(seed=None):
    global m, kg
    if seed == "SI":
        m = 1.0
        kg = 1.0
    else:
        m = 2.5
        kg = 0.5
    derive()


def derive():
    global newton
    newton = kg * m
'''
FILES = {"units/__init__.py": "", "tests/test_units.py": (
    "from units import units\n\n\ndef test_reset():\n    units.reset('SI')\n"
    "    assert units.newton > 0\n    units.reset()\n    assert units.newton > 0\n")}
CHAINED = UNITS.replace("        m = 1.0\n        kg = 1.0\n", "        m = kg = 1.0\n")
CHANGED = UNITS.replace("    newton = kg * m\n", "    newton = kg * m * 1.0000001\n")


_state = {"n": 0}


def _bump():
    global _state
    _state = {"n": _state["n"] + 1}


def test_a_names_bound_anew_are_in_the_answer():
    first, _ = replay_answer.answered(_bump, pickle.dumps(([], {})), 5.0)
    assert first["module"] == replay_answer.canon([["_state", {"n": 1}]])
    plain, _ = replay_answer.answered(len, pickle.dumps(([[1]], {})), 5.0)
    assert "module" not in plain  # a call that binds nothing answers as before


@pytest.mark.slow
@pytest.mark.skipif(bwrap_available() is not None, reason="bubblewrap missing")
async def test_units_set_by_one_chained_assignment_are_shown_unchanged(tmp_path):
    done = await judged(tmp_path, "units/units.py", UNITS, CHAINED, FILES)
    assert done.report.reasons() == [], done.report.payload()


@pytest.mark.slow
@pytest.mark.skipif(bwrap_available() is not None, reason="bubblewrap missing")
async def test_a_derived_unit_changed_is_a_counterexample(tmp_path):
    done = await judged(tmp_path, "units/units.py", UNITS, CHANGED, FILES)
    assert done.check("derive").counterexamples, done.report.payload()
