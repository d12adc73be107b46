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
    at any depth, through nested functions and classes; lambdas are not named."""
    out: dict[str, FuncDef] = {}

    def walk(body: list[ast.stmt], prefix: str) -> None:
        for s in _statements(body):
            if isinstance(s, FUNCS):
                out[prefix + s.name] = s
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
    that both texts define and whose code differs (layout and comments aside)."""
    news, olds = nested_defs(new, qualname), nested_defs(old, qualname)
    return [(q, news[q], olds[q]) for q in sorted(news)
            if q in olds and ast.dump(news[q]) != ast.dump(olds[q])]
