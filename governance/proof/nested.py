"""The functions defined inside a changed function whose own code changed: each is judged
by its own calls too (governance.oracle.replay_lookup rebuilds it on each tree, with the
free variables its captured calls saw), not only through what its enclosing function
returns. voluptuous's `_compile_scalar` returns `validate_callable`, a closure; replayed
alone, `_compile_scalar` answers a function, alike by name on both trees, and a handler
widened inside the closure (a validator's TypeError swallowed into an Invalid) landed.

Pure: the two defs' trees in, qualified names out, as the compiler writes them
(`outer.<locals>.inner`, `outer.<locals>.Class.method`).
"""

from __future__ import annotations

import ast

from governance.proof.ast_helpers import FUNCS

FuncDef = ast.FunctionDef | ast.AsyncFunctionDef


def nested_defs(node: ast.AST, qualname: str) -> dict[str, FuncDef]:
    """qualname -> def of every function defined inside `node` (a def named `qualname`),
    at any depth, through nested functions and classes; lambdas are not named. Of two defs
    of one name, the last (`nested_all` has each)."""
    return {q: defs[-1] for q, defs in nested_all(node, qualname).items()}


def nested_all(node: ast.AST, qualname: str) -> dict[str, list[FuncDef]]:
    """qualname -> the defs of that name inside `node`, in the order of the source: a
    function may define one under `try` and another under `except` (spfpm's `validate`)."""
    out: dict[str, list[FuncDef]] = {}

    def walk(body: list[ast.stmt], prefix: str) -> None:
        for s in _statements(body):
            if isinstance(s, FUNCS):
                out.setdefault(prefix + s.name, []).append(s)
                walk(s.body, f"{prefix}{s.name}.<locals>.")
            elif isinstance(s, ast.ClassDef):
                walk(s.body, f"{prefix}{s.name}.")
    walk(getattr(node, "body", []), f"{qualname}.<locals>.")
    return out


def _statements(body: list[ast.stmt]) -> list[ast.stmt]:
    """The statements of a block and of the blocks inside it (an `if`'s, a `try`'s), but
    not of the defs and classes in it: a def under an `if` is in the function's scope."""
    out: list[ast.stmt] = []
    for s in body:
        out.append(s)
        if isinstance(s, (*FUNCS, ast.ClassDef)):
            continue
        for field in ("body", "orelse", "finalbody"):
            out += _statements(getattr(s, field, None) or [])
        for h in getattr(s, "handlers", None) or []:
            out += _statements(h.body)
        for case in getattr(s, "cases", None) or []:
            out += _statements(case.body)
    return out


def changed_nested(new: FuncDef, old: FuncDef, qualname: str) -> list[tuple[str, FuncDef, FuncDef]]:
    """(qualname, candidate def, base def) of the functions inside a changed function
    that both texts define and whose code differs (layout and comments aside); of defs
    sharing a name, the first pair that differs, taken in the order of the source (spfpm's
    overflow bound changed in the first of its two `validate`s was judged through
    `__init__` alone: the second, unchanged, stood for both, wave 22)."""
    news, olds = nested_all(new, qualname), nested_all(old, qualname)
    out = []
    for q in sorted(news):
        pairs = [(a, b) for a, b in zip(news[q], olds.get(q, []))  # noqa: B905 (as many)
                 if ast.dump(a) != ast.dump(b)]
        if pairs and len(news[q]) == len(olds[q]):
            out.append((q, *pairs[0]))
    return out
