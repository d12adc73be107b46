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
