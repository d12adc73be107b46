"""Which functions defined inside a changed function are judged on their own
(governance.proof.nested): named as the compiler names them, and only those whose code
changed."""

from __future__ import annotations

import ast
import types

from governance.proof.nested import changed_nested, nested_all, nested_defs

TEXT = '''def outer(x):
    def a(y):
        return y + 1
    if x:
        def b():
            class C:
                def m(self):
                    return 2
            return C
    try:
        pass
    except ValueError:
        def c():
            return lambda: 3
    return a
'''


def _qualnames(code: types.CodeType) -> set[str]:
    out = set()
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            if const.co_name != "<lambda>" and not const.co_name[0].isupper():
                out.add(const.co_qualname)
            out |= _qualnames(const)
    return out


def test_nested_defs_are_named_as_the_compiler_names_them():
    node = ast.parse(TEXT).body[0]
    names = set(nested_defs(node, "outer"))
    compiled = _qualnames(compile(TEXT, "t.py", "exec").co_consts[0])
    assert names == compiled == {"outer.<locals>.a", "outer.<locals>.b",
                                 "outer.<locals>.b.<locals>.C.m", "outer.<locals>.c"}


def test_only_the_nested_functions_whose_code_changed_are_named():
    old = ast.parse(TEXT).body[0]
    new = ast.parse(TEXT.replace("y + 1", "1 + y").replace("    return a\n",
                                                             "    return a  # kept\n")).body[0]
    assert [q for q, _, _ in changed_nested(new, old, "outer")] == ["outer.<locals>.a"]
    assert changed_nested(old, old, "outer") == []


FAMILY = """def family(bits, top=None):
    try:
        thresh = 1 << (bits + top)

        def validate(value):
            if value >= thresh:
                raise OverflowError
    except TypeError:
        def validate(value):
            return None
    return validate
"""


def test_of_two_defs_of_one_name_the_first_that_changed_is_named() -> None:
    """spfpm's overflow bound changed in the first of its two `validate`s (wave 22): the
    second, unchanged, stood for both, and only the enclosing function was judged."""
    old = ast.parse(FAMILY).body[0]
    new = ast.parse(FAMILY.replace("value >= thresh", "value > thresh")).body[0]
    assert [len(v) for v in nested_all(old, "family").values()] == [2]
    assert nested_defs(old, "family")["family.<locals>.validate"] is \
        nested_all(old, "family")["family.<locals>.validate"][1]
    (name, cand, base), = changed_nested(new, old, "family")
    assert name == "family.<locals>.validate"
    assert "value > thresh" in ast.unparse(cand) and "value >= thresh" in ast.unparse(base)
    unchanged = ast.parse(FAMILY.replace("return None", "return None  # no bound")).body[0]
    assert changed_nested(unchanged, old, "family") == []
