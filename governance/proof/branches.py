"""One form for a choice between two branches (governance.proof.normal_form): a conditional
expression that is a statement's whole value, a negated test with both branches, and a
guard clause with the rest of its block after it, each written as the `if` statement it
is. `x = a if c else b` runs `c`, then `a` or `b`, then binds `x`, exactly as `if c: x = a`
`else: x = b` does; `if not c: p` `else: q` is `if c: q` `else: p` (`not` asks the same
truth); and `if c: return a` followed by the rest of its block is `if c: return a` `else:`
the rest, wherever every branch of the `if` returns or raises (none falls through).

Pure: a copy of a function's tree in, the same tree rewritten.
"""

from __future__ import annotations

import ast

from governance.proof.ast_helpers import BLOCK_FIELDS

MAX_PASSES = 64  # rewrites of one function (each pass walks it once)


def branches_in_one_form(fn: ast.AST) -> ast.AST:
    """`fn` (rewritten in place) with its choices in one form."""
    for _ in range(MAX_PASSES):
        if not _rewrite_one(fn):
            break
    return fn


def _rewrite_one(fn: ast.AST) -> bool:
    for body in _lists(fn):
        for i, s in enumerate(body):
            new = _as_if(s) or _unnegated(s)
            if new is not None:
                body[i] = new
                return True
            if _guard(s) and i + 1 < len(body):
                _last_orelse(s).extend(body[i + 1:])
                del body[i + 1:]
                return True
    return False


def _lists(node: ast.AST) -> list[list[ast.stmt]]:
    """Every statement list of `node`'s own code (not of a def or class nested in it)."""
    found = [node.body]
    todo = list(node.body)
    while todo:
        s = todo.pop()
        if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        blocks = [getattr(s, f) for f in BLOCK_FIELDS if getattr(s, f, None)]
        blocks += [h.body for h in getattr(s, "handlers", ())]
        blocks += [c.body for c in getattr(s, "cases", ())]
        found += blocks
        todo += [t for b in blocks for t in b]
    return found


def _as_if(s: ast.stmt) -> ast.If | None:
    """`x = a if c else b`, `return a if c else b` or `a if c else b` as the `if` it is."""
    if not isinstance(s, (ast.Assign, ast.Return, ast.Expr)) \
            or not isinstance(s.value, ast.IfExp):
        return None
    choice = s.value

    def branch(value: ast.expr) -> list[ast.stmt]:
        if isinstance(s, ast.Assign):
            return [ast.Assign(targets=s.targets, value=value)]
        return [type(s)(value=value)]
    return ast.If(test=choice.test, body=branch(choice.body), orelse=branch(choice.orelse))


def _unnegated(s: ast.stmt) -> ast.If | None:
    """`if not c: p` `else: q` as `if c: q` `else: p`."""
    if isinstance(s, ast.If) and s.orelse and isinstance(s.test, ast.UnaryOp) \
            and isinstance(s.test.op, ast.Not):
        return ast.If(test=s.test.operand, body=s.orelse, orelse=s.body)
    return None


def _guard(s: ast.stmt) -> bool:
    """An `if` chain whose every branch returns or raises, with no final `else`."""
    while isinstance(s, ast.If):
        if not _exits(s.body):
            return False
        if not s.orelse:
            return True
        if len(s.orelse) != 1 or not isinstance(s.orelse[0], ast.If):
            return False
        s = s.orelse[0]
    return False


def _exits(body: list[ast.stmt]) -> bool:
    """Whether `body` never falls through: it ends in a `return` or `raise`, or in an `if`
    each of whose two branches does."""
    last = body[-1] if body else None
    if isinstance(last, (ast.Return, ast.Raise)):
        return True
    return isinstance(last, ast.If) and bool(last.orelse) and _exits(last.body) \
        and _exits(last.orelse)


def _last_orelse(s: ast.If) -> list[ast.stmt]:
    while s.orelse:
        s = s.orelse[0]
    return s.orelse
