"""A nested function that never leaves the function it is defined in is judged at it: its
generated and searched inputs are no caller's (governance.proof.confined; parso's
`get_leaf_for_position.<locals>.binary_search(-1, 0)` refused a correct `//`, wave 28)."""

from __future__ import annotations

import ast

import pytest

from governance.oracle.differential import Target, compare
from governance.proof.behaviour import touched_functions
from governance.proof.confined import confined

LEAF = '''\
def leaf_for(children, position):
    def binary_search(lower, upper):
        if lower == upper:
            return children[lower]
        index = int((lower + upper) / 2)
        if position <= children[index]:
            return binary_search(lower, index)
        return binary_search(index + 1, upper)
    if not children or position > children[-1]:
        raise ValueError(position)
    return binary_search(0, len(children) - 1)
'''


def _outer(text: str) -> ast.AST:
    return ast.parse(text).body[0]


@pytest.mark.parametrize(("text", "inner", "held"), [
    (LEAF, "binary_search", True),  # called by name only, itself included
    (LEAF.replace("    return binary_search(0, len(children) - 1)",
                  "    return binary_search"), "binary_search", False),  # returned
    (LEAF.replace("binary_search(0, len(children) - 1)",
                  "sorted([0], key=binary_search)"), "binary_search", False),  # passed
    (LEAF.replace("    def binary_search", "    @cache\n    def binary_search"),
     "binary_search", False),  # decorated: the decorator holds it
    (LEAF.replace("    if not children", "    table = {'f': binary_search}\n    if not "
                  "children"), "binary_search", False),  # stored
    (LEAF.replace("    if not children", "    print(locals())\n    if not children"),
     "binary_search", False),  # locals() hands every local out
    (LEAF.replace("    if not children", "    nonlocal_ = 1\n    if not children"),
     "binary_search", True),
    (LEAF.replace("binary_search(0, len(children) - 1)",
                  "(lambda: binary_search(0, len(children) - 1))"), "binary_search",
     False),  # called from a lambda that is handed out: tinydb's fragment, wave 28
    (LEAF.replace("binary_search(0, len(children) - 1)",
                  "[binary_search(0, len(children) - 1) for _ in (0,)][0]"),
     "binary_search", True),  # a list comprehension runs where it stands
    (LEAF.replace("binary_search(0, len(children) - 1)",
                  "next(binary_search(0, len(children) - 1) for _ in (0,))"),
     "binary_search", False),  # a generator expression may run later
    (LEAF, "missing", False),
    ("def f():\n    if x:\n        def g():\n            pass\n    return g()\n", "g",
     False),  # not directly in the body
])
def test_a_nested_function_is_confined_only_while_only_called_by_name(text, inner, held):
    assert confined(_outer(text), inner) is held


def test_a_changed_nested_function_is_a_confined_target_in_both_trees():
    new = LEAF.replace("int((lower + upper) / 2)", "(lower + upper) // 2")
    targets, problems = touched_functions(LEAF, new, "leaf.py")
    assert problems == []
    by_name = {t.qualname: t for t in targets}
    assert by_name["leaf_for.<locals>.binary_search"].confined
    assert not by_name["leaf_for"].confined
    # returned from it in the candidate: its inputs are any caller's, as before
    escaped = new.replace("    return binary_search(0, len(children) - 1)",
                          "    return binary_search")
    targets, _ = touched_functions(LEAF, escaped, "leaf.py")
    assert not {t.qualname: t for t in targets}["leaf_for.<locals>.binary_search"].confined


def _row(key: str, answer: str, kind: str = "return") -> dict:
    return {"key": key, "input": "-1, 0", "answer": answer, "shown": answer, "kind": kind,
            "deterministic": True, "again": kind, "seconds": 0.001}


@pytest.mark.parametrize(("key", "counted"), [("g1", False), ("s1", False), ("t1", True)])
def test_a_confined_functions_difference_counts_only_on_the_tests_own_calls(key, counted):
    """A generated or searched input of it waits for its enclosing function's replay (not
    shown unchanged, lifted: no pass either); a call the tests made of it is a caller's."""
    t = Target("leaf.py", "leaf_for.<locals>.binary_search", frozenset({5}), (),
               confined=True)
    base = {"results": [_row(key, "a", "raise")]}
    cand = {"results": [_row(key, "b")]}
    check = compare(t, 0, base, cand)
    assert bool(check.counterexamples) is counted
    assert check.unlifted is not counted and not check.shown_unchanged
    public = Target("leaf.py", "leaf_for.<locals>.binary_search", frozenset({5}), ())
    assert compare(public, 0, base, cand).counterexamples  # not confined: it counts
