"""A store no read can see (governance.proof.dead_stores) gets no mutant: text2digits'
`last_glue = ""` before a loop over tokens refused when empty (wave 23), whose removal no
input could tell, kept a correct `''.join` refactor waiting. Each condition that makes it
dead is needed: without it the store is mutated like any other."""

from __future__ import annotations

import ast

import pytest

from governance.proof.dead_stores import dead_stores
from governance.proof.mutation import plan

ACTION = '''def action(tokens):
    if len(tokens) < 1:
        raise ValueError("no tokens")

    last_glue = ""
    result = ""

    for token in tokens:
        result += token.text
        last_glue = token.glue

    return result + last_glue
'''


def _dead_lines(text: str) -> list[int]:
    tree = ast.parse(text)
    dead = dead_stores(tree)
    return sorted(n.lineno for n in ast.walk(tree) if id(n) in dead)


def test_a_store_a_guarded_loop_replaces_first_is_dead_and_gets_no_mutant():
    assert _dead_lines(ACTION) == [5]  # `result = ""` is read by `result +=`: alive
    mutated = {m.line for m in plan(None, ACTION, "t2d/rules.py")}
    assert 5 not in mutated and 6 in mutated


@pytest.mark.parametrize("old, new", [
    ("    if len(tokens) < 1:\n", "    if not tokens:\n"),  # a generator is true, and empty
    ("    if len(tokens) < 1:\n", "    if len(tokens) < 2:\n"),  # not the empty test
    ('        raise ValueError("no tokens")\n', '        print("no tokens")\n'),  # no exit
    ("    for token in tokens:\n", "    for token in tokens[1:]:\n"),  # not the sized name
    ("        last_glue = token.glue\n", "        if token.glue:\n"
                                         "            last_glue = token.glue\n"),
    ("        result += token.text\n", "        if not token:\n            break\n"),
    ("        result += token.text\n", "        result += last_glue\n"),  # read first
    ("        last_glue = token.glue\n", "        last_glue = last_glue + token.glue\n"),
    ('    result = ""\n', "    result = len(tokens)\n"),  # a call between guard and loop
    ('    result = ""\n', '    result = ""\n    tokens = []\n'),  # the sized name rebound
    ("    return result + last_glue\n", "    return result + (lambda: last_glue)()\n"),
    ("def action(tokens):\n", "def action(tokens):\n    global last_glue\n"),
    ("    return result + last_glue\n", "    return locals()\n"),
    ("    return result + last_glue\n", "    yield result + last_glue\n"),
])
def test_each_condition_is_needed(old: str, new: str):
    assert old in ACTION
    text = ACTION.replace(old, new)
    assert _dead_lines(text) == [], new


def test_len_bound_in_the_module_is_not_trusted():
    assert _dead_lines("len = lambda x: 1\n\n\n" + ACTION) == []
    assert _dead_lines("from mylib import size as len\n" + ACTION) == []


STEP = '''def step(y1, y2):
    ystep = None
    down = False
    if y1 < y2:
        ystep = 1
    elif y1 == y2:
        ystep = 0
    else:
        ystep = -1
    return ystep, down
'''


def test_a_store_each_branch_of_the_next_if_replaces_first_is_dead():
    """pytweening's `ystep = None` before an if/else that sets it either way (wave 25): a
    correct conditional-expression refactor waited on its removal, which no input tells."""
    assert _dead_lines(STEP) == [2]  # `down` is read by the return: alive
    assert 2 not in {m.line for m in plan(None, STEP, "ptw/line.py")}
    assert _dead_lines("len = 1\n" + STEP) == [3]  # no `len` in this pattern


@pytest.mark.parametrize("old, new", [
    ("    else:\n        ystep = -1\n", ""),  # no else: the store may stand
    ("    elif y1 == y2:\n        ystep = 0\n", "    elif y1 == y2:\n        pass\n"),
    ("    if y1 < y2:\n", "    if ystep is None and y1 < y2:\n"),  # the test reads it
    ("        ystep = 1\n", "        ystep = (ystep or 0) + 1\n"),  # a branch reads it
    ("        ystep = -1\n", "        print(ystep)\n        ystep = -1\n"),
    ("    down = False\n", "    down = y1\n"),  # a call or read between them
    ("def step(y1, y2):\n", "def step(y1, y2):\n    global ystep\n"),
    ("    return ystep, down\n", "    return (lambda: ystep)(), down\n"),
])
def test_each_condition_of_the_branch_pattern_is_needed(old: str, new: str):
    assert old in STEP
    assert 2 not in _dead_lines(STEP.replace(old, new)), new
