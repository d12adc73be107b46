"""A nested function that never leaves the function it is defined in: only that function's
own calls reach it, so an input of it that its enclosing function never makes is no
caller's (issue 49: every local difference lifted to a caller before it counts).

parso's `get_leaf_for_position` defines `binary_search(lower, upper)` and calls it with
bounds inside the node; written `(lower + upper) // 2` for `int((lower + upper) / 2)`, the
two differ only for a negative sum, and the replay's `binary_search(-1, 0)` refused that
correct refactor (wave 28). Such a function's generated and searched inputs are judged as
a private function's inputs of a kind no caller passes (governance.oracle.differential:
a difference there waits until the enclosing function's replay shows it, and a mutant
killed there notices nothing); the tests' own calls of it count as before.

Confined, in a def's tree: defined once, directly in the enclosing function's body,
undecorated, and its name read nowhere in that function but as the callee of a call (not
returned, passed, stored or yielded) made by that function itself or by the function's
own body (not from a lambda, another def, a class or a generator expression, which may run
anywhere later: tinydb's `fragment` hands out `lambda value: test(value)`); no `nonlocal`
or `global` of it, and no `locals()`, `vars()`, `eval` or `exec` anywhere in the
enclosing function, which could hand it out.
Pure: a def's tree in, a yes or no out.
"""

from __future__ import annotations

import ast

from governance.proof.ast_helpers import FUNCS

# calls that can read a function's locals by their text
_LEAKS = frozenset({"locals", "vars", "eval", "exec"})
# what runs later than where it stands, or elsewhere: a call of the function there may come
# from anywhere (tinydb's `fragment` calls its `test` from a lambda it hands out, wave 28)
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef, ast.GeneratorExp)


def confined(outer: ast.AST, inner: str) -> bool:
    """Whether the function `inner` defined directly in the def `outer` is only ever
    called there, by name."""
    defs = [s for s in ast.walk(outer) if isinstance(s, FUNCS) and s.name == inner]
    direct = [s for s in getattr(outer, "body", []) if isinstance(s, FUNCS) and s.name == inner]
    if len(defs) != 1 or len(direct) != 1 or direct[0].decorator_list:
        return False
    called = {id(n.func) for n in ast.walk(outer) if isinstance(n, ast.Call)}
    scope = _scopes(outer)
    for node in ast.walk(outer):
        if isinstance(node, ast.Name) and node.id == inner and (
                id(node) not in called or scope[id(node)] not in (outer, direct[0])):
            return False  # handed out, or called from a lambda or def that may be
        if isinstance(node, ast.Nonlocal | ast.Global) and inner in node.names:
            return False
        if isinstance(node, ast.Name) and node.id in _LEAKS:
            return False
    return True


def _scopes(outer: ast.AST) -> dict[int, ast.AST]:
    """Each node of `outer` by id, to the innermost function, lambda, class or generator
    expression around it (`outer` itself at its own level): where a call runs. A list,
    set or dict comprehension runs where it stands, so it is no scope here."""
    found: dict[int, ast.AST] = {}

    def walk(node: ast.AST, scope: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            found[id(child)] = scope
            walk(child, child if isinstance(child, _SCOPES) else scope)
    walk(outer, outer)
    return found
