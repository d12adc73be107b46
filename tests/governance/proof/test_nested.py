"""Which functions defined inside a changed function are judged on their own
(governance.proof.nested): named as the compiler names them, and only those whose code
changed."""

from __future__ import annotations

import ast
import types

from governance.proof.nested import changed_nested, nested_defs

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
