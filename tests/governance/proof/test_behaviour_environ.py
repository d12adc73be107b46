"""A function that reads the environment takes part of its input from there: the variables
it reads by name are varied on both trees (governance.oracle.replay_environ), so a careless
`get(name) or default` for `get(name, default)` is told by an empty value, which no test
set (confusable-homoglyphs' data directory, wave 30). In the real jail."""

from __future__ import annotations

import ast
import os
import pickle

import pytest

from governance.oracle.canon import ambient, environ_of, unwrapped
from governance.oracle.replay_environ import MAX_CALLS, VALUES, environ_inputs, environed
from governance.proof.environ import environ_names
from tests.governance.proof.judged import judged
from tools.jail import bwrap_available

PATHS = '''"""Where the data lives."""
import os

PACKAGE_DIR = os.path.dirname(__file__)


def path(name):
    data_dir = os.environ.get("LAB_DATA", PACKAGE_DIR)
    return os.path.join(data_dir, name)
'''
TESTS = '''import os

from lab import paths


def test_path():
    assert paths.path("a.json").endswith("a.json")
    assert os.path.isabs(paths.path("b.json"))
'''
FILES = {"lab/__init__.py": "", "tests/test_paths.py": TESTS}
CARELESS = PATHS.replace('os.environ.get("LAB_DATA", PACKAGE_DIR)',
                         'os.environ.get("LAB_DATA") or PACKAGE_DIR')
REFACTORED = PATHS.replace('os.environ.get("LAB_DATA", PACKAGE_DIR)',
                           'os.environ["LAB_DATA"] if "LAB_DATA" in os.environ else PACKAGE_DIR')


def test_the_variables_read_by_name_are_found_in_order():
    tree = ast.parse('def f():\n    a = os.environ.get("A", 1)\n    b = os.environ["B"]\n'
                     '    c = os.getenv("C")\n    return "D" in os.environ, environ.get(key)\n')
    assert environ_names(tree.body[0]) == ("A", "B", "C", "D")


def test_each_captured_call_is_answered_again_with_each_variable_varied():
    blob = pickle.dumps(((1,), {}), protocol=4)
    made = environ_inputs([blob, ambient(blob, ["prog", "x"]), blob], ["A", "B"])
    assert len(made) == MAX_CALLS * 2 * len(VALUES)
    assert {unwrapped(b)[0] for b in made} == {blob}
    assert {(tuple(environ_of(b).items()), unwrapped(b)[1] is not None) for b in made} == {
        ((("A", v),), argv) for v in VALUES for argv in (False, True)} | {
        ((("B", v),), argv) for v in VALUES for argv in (False, True)}
    assert environ_of(blob) is None
    forged = pickle.dumps(("ouroboros.ambient", {"argv": None, "environ": {"A=B": "x"}}, blob))
    assert environ_of(forged) is None  # a name no environment can hold is not set


def test_the_environment_is_put_back_after_each_call(monkeypatch):
    monkeypatch.setenv("OUROBOROS_T_SET", "kept")
    monkeypatch.delenv("OUROBOROS_T_UNSET", raising=False)
    with environed({"OUROBOROS_T_SET": None, "OUROBOROS_T_UNSET": ""}):
        assert "OUROBOROS_T_SET" not in os.environ and os.environ["OUROBOROS_T_UNSET"] == ""
    assert os.environ["OUROBOROS_T_SET"] == "kept" and "OUROBOROS_T_UNSET" not in os.environ


@pytest.mark.slow
@pytest.mark.skipif(bwrap_available() is not None, reason="bubblewrap missing")
async def test_a_default_made_an_or_is_told_by_an_empty_variable(tmp_path):
    done = await judged(tmp_path / "careless", "lab/paths.py", PATHS, CARELESS, FILES)
    check = done.check("path")
    assert check.counterexamples, done.report.payload()
    assert "[environ {'LAB_DATA': ''}]" in check.counterexamples[0].input

    done = await judged(tmp_path / "right", "lab/paths.py", PATHS, REFACTORED, FILES)
    assert [t.qualname for t in done.targets] == ["path"]  # judged on inputs, not by its form
    assert done.report.reasons() == [], done.report.payload()
