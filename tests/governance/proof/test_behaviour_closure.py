"""The differential check on a change inside a function defined in another (voluptuous's
`_compile_scalar` returns `validate_callable`, a closure over the validator it calls), in
the real jail: replayed alone, the enclosing function answers a function, alike by name on
both trees; the closure is judged on its own calls, rebuilt on each tree with the free
variables those calls saw (governance.oracle.replay_lookup)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.governance.proof.judged import judged
from tools.jail import bwrap_available

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(bwrap_available() is not None, reason="bubblewrap missing")]

BUILDER = '''class Invalid(Exception):
    pass


def compiled(check, where):
    prefix = "at " + where

    def validate(data):
        try:
            return check(data)
        except ValueError:
            raise Invalid(prefix)
    return validate
'''
TESTS = '''import pytest

from v.build import Invalid, compiled


def as_int(value):
    return int(value)


def test_an_int():
    assert compiled(as_int, "x")("3") == 3


def test_not_an_int():
    with pytest.raises(Invalid):
        compiled(as_int, "x")("three")


def test_upper():
    assert compiled(str.upper, "y")("a") == "A"
'''
WIDENED = ("        except ValueError:\n", "        except (ValueError, TypeError):\n")
GUARDED = ('''        try:
            return check(data)
        except ValueError:
            raise Invalid(prefix)
''', '''        try:
            value = check(data)
        except ValueError as exc:
            raise Invalid(prefix) from exc
        return value
''')
FILES = {"v/__init__.py": "", "tests/test_build.py": TESTS}


async def test_a_handler_widened_inside_a_closure_is_refused_with_its_input(tmp_path: Path):
    """`as_int(None)` raised TypeError through the closure; with TypeError trapped it is an
    Invalid. Before nested functions were targets, the check compared what `compiled`
    returns (a function named `compiled.<locals>.validate` on both trees) and it landed."""
    done = await judged(tmp_path, "v/build.py", BUILDER, BUILDER.replace(*WIDENED), FILES)
    assert [t.qualname for t in done.targets] == ["compiled", "compiled.<locals>.validate"]
    check = done.check("compiled.<locals>.validate")
    assert check.captured >= 2 and check.problem is None, check
    assert check.counterexamples, done.report.payload()
    assert any("None" in c.input and "TypeError" in c.base and "Invalid" in c.candidate
               for c in check.counterexamples), check.counterexamples


ABOVE = '''

class Above:
    def __init__(self, low):
        self.low = low

    def __call__(self, value):
        if value < self.low:
            raise ValueError(value)
        return value


def test_many_bounds():
    for low in range(150):
        assert compiled(Above(low), "z")(low + 1) == low + 1
'''
MANY = TESTS.replace("\n\ndef as_int", ABOVE + "\n\ndef as_int")  # run first


@pytest.mark.full  # a bigger run of the first test: 150 closures before the telling one
async def test_the_capture_spreads_over_kinds_of_closure(tmp_path: Path):
    """A hundred and fifty closures over `Above` are made first: the capture keeps a few
    calls of each kind of closure (its free variables' types), not the first hundred, so
    `as_int`'s are captured and its TypeError still tells the trees apart."""
    files = {**FILES, "tests/test_build.py": MANY}
    done = await judged(tmp_path, "v/build.py", BUILDER, BUILDER.replace(*WIDENED), files)
    check = done.check("compiled.<locals>.validate")
    assert check.captured < 20, check  # a few per kind, not the first hundred
    assert any("TypeError" in c.base for c in check.counterexamples), check


@pytest.mark.full  # the control; make test holds one through test_..._cannot_travel_...
async def test_a_closures_refactor_is_shown_unchanged(tmp_path: Path):
    """The same closure rewritten without a change of behaviour: each tree's rebuilt
    closure answers every input alike."""
    done = await judged(tmp_path, "v/build.py", BUILDER, BUILDER.replace(*GUARDED), FILES)
    check = done.check("compiled.<locals>.validate")
    assert check.compared > check.captured and check.problem is None, check
    assert done.report.reasons() == [], done.report.payload()


RENDER = '''import re


def render(template, values):
    def repl(match):
        return str(values[match.group(1)])
    return re.sub(r"[{](\\w+)[}]", repl, template)
'''
RENDER_TESTS = '''from r.render import render


def test_render():
    assert render("a {x} b {y}", {"x": 1, "y": "two"}) == "a 1 b two"
'''


async def test_a_closure_whose_calls_cannot_travel_is_judged_through_its_caller(tmp_path):
    """isodate's `_strfduration.<locals>.repl` is called by re.sub with a re.Match, which
    does not pickle: no call of it is replayed, and it is judged at the caller on its
    stacks (`render`), as a function reached by name is; it was 'not callable here' for
    want of a closure, and two correct refactors of it waited."""
    done = await judged(tmp_path, "r/render.py", RENDER, RENDER.replace(  # not the same code
        "        return str(values[match.group(1)])\n",  # (a temporary taken out would be)
        "        key = match.group(1)\n        return f\"{values[key]}\"\n"),
                        {"r/__init__.py": "", "tests/test_render.py": RENDER_TESTS})
    check = done.check("render.<locals>.repl")
    assert done.ran.passed and check.problem is None and check.via == "r/render.py::render", check
    assert done.report.reasons() == [], done.report.payload()
