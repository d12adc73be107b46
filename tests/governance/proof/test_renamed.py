"""A function that is its base with locals renamed one for one is the same code
(governance.proof.renamed): which renames are shown, and which are left to the differential
check."""

from __future__ import annotations

import textwrap

import pytest

from governance.proof.behaviour import touched_functions
from governance.proof.renamed import renamed

BASE = textwrap.dedent('''\
    TOTAL = 10


    def share(parts, scale=1):
        """Each part's share of the total."""
        count = len(parts)
        out = [p * scale / TOTAL for p in parts]
        if count:
            first = out[0]
            return first, out
        return None, out
    ''')


def _with(*edits: tuple[str, str]) -> str:
    text = BASE
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new)
    return text


SHOWN = {
    "one local": (("first = out[0]\n        return first,",
                   "head = out[0]\n        return head,"),),
    "every use of a local": (("count = len(parts)", "n = len(parts)"), ("if count:", "if n:")),
    "a comprehension's variable": (("for p in parts]", "for part in parts]"),
                                   ("[p * scale", "[part * scale")),
    "two locals swapped": (("count = len(parts)", "out = len(parts)"),
                           ("out = [p", "count = [p"), ("if count:", "if out:"),
                           ("first = out[0]", "first = count[0]"),
                           ("return first, out", "return first, count"),
                           ("return None, out", "return None, count")),
    "and its docstring reworded": (("count = len(parts)", "n = len(parts)"), ("if count:", "if n:"),
                                   ("Each part's share", "The share of each part")),
}
NOT_SHOWN = {
    "a rename in one place only": (("if count:", "if n:"), ("count = len(parts)", "n = len(parts)"),
                                   ("first = out[0]", "first = out[0] if n else 0")),
    "a local renamed onto a global it then hides": (
        ("count = len(parts)", "TOTAL = len(parts)"), ("if count:", "if TOTAL:")),
    "a parameter renamed (a call by keyword changes)": (
        ("def share(parts, scale=1):", "def share(parts, factor=1):"),
        ("p * scale", "p * factor")),
    "two locals merged into one": (("first = out[0]\n        return first,",
                                    "count = out[0]\n        return count,"),),
    "a global read under another name": (("/ TOTAL", "/ TOTALS"),),
    "a local wrapped in a call": (("if count:", "if int(count):"),),
    "a local replaced by an expression": (("return first, out", "return out[0], out"),),
}


@pytest.mark.parametrize("why", sorted(SHOWN))
def test_a_consistent_rename_of_locals_is_the_same_code(why):
    new = _with(*SHOWN[why])
    (found,) = renamed(BASE, new)
    assert found.function == "share" and found.base_lines == range(4, 12)
    targets, problems = touched_functions(BASE, new, "calc.py")
    assert targets == [] and problems == []  # nothing for the differential check to compare


@pytest.mark.parametrize("why", sorted(NOT_SHOWN))
def test_anything_else_is_left_to_the_differential_check(why):
    new = _with(*NOT_SHOWN[why])
    assert renamed(BASE, new) == []
    targets, _ = touched_functions(BASE, new, "calc.py")
    assert [t.qualname for t in targets] == ["share"]


def test_an_identical_or_unparsable_text_shows_nothing():
    assert renamed(BASE, BASE) == []
    assert renamed(BASE, "def share(:\n") == []


SCOPED = {
    # the comprehension binds `p`; the function's own `p` is the global, renamed with it
    "a comprehension's variable that the function also reads as a global": (
        "P = 1\n\ndef f(parts):\n    out = [p for p in parts]\n    return out, p\n",
        "P = 1\n\ndef f(parts):\n    out = [q for q in parts]\n    return out, q\n"),
    "a nested function's local read as a global outside it": (
        "def f():\n    def g():\n        x = 1\n        return x\n    return g() + x\n",
        "def f():\n    def g():\n        y = 1\n        return y\n    return g() + y\n"),
    "a nested function's parameter (the function escapes: a call by keyword changes)": (
        "def f():\n    def g(a):\n        return a\n    return g\n",
        "def f():\n    def g(b):\n        return b\n    return g\n"),
    "a lambda's parameter": ("def f():\n    return lambda a: a\n",
                             "def f():\n    return lambda b: b\n"),
    "a local read through eval": ("def f():\n    x = 1\n    return eval('x')\n",
                                  "def f():\n    y = 1\n    return eval('x')\n"),
    "a local read through locals()": ("def f():\n    x = 1\n    return locals()\n",
                                      "def f():\n    y = 1\n    return locals()\n"),
    "a local read through its code's co_varnames": (
        "def f():\n    x = 1\n    return f.__code__.co_varnames\n",
        "def f():\n    y = 1\n    return f.__code__.co_varnames\n"),
    "a decorator read under another name (module scope)": (
        "@cache\ndef f(x):\n    return x\n", "@other\ndef f(x):\n    return x\n"),
    "a default read under another name (module scope)": (
        "def f(x=A):\n    return x\n", "def f(x=B):\n    return x\n"),
    "a decorator renamed with the local it shares a name with": (
        "@x\ndef f():\n    x = 1\n    return x\n",
        "@y\ndef f():\n    y = 1\n    return y\n"),
    "an annotation read under another name": (
        "def f(a: T) -> T:\n    return a\n", "def f(a: U) -> U:\n    return a\n"),
    "a class body's name (an attribute)": (
        "def f():\n    class A:\n        x = 1\n    return vars(A)\n",
        "def f():\n    class A:\n        y = 1\n    return vars(A)\n"),
}


@pytest.mark.parametrize("why", sorted(SCOPED))
def test_a_rename_that_changes_what_a_name_resolves_to_is_not_shown(why):
    """Each pair differs only in names, one for one, and behaves differently: the name
    resolves elsewhere (a global, a caller's keyword, a frame's dict, a class attribute)."""
    old, new = SCOPED[why]
    assert renamed(old, new) == []


def test_a_local_bound_in_a_nested_scope_and_read_there_is_shown():
    old = "def f(rows):\n    def g():\n        total = 0\n        return total\n" \
          "    return [r * 2 for r in rows], g()\n"
    new = "def f(rows):\n    def g():\n        acc = 0\n        return acc\n" \
          "    return [row * 2 for row in rows], g()\n"
    assert [r.function for r in renamed(old, new)] == ["f"]
