"""Where two versions of a function differ, node by node (governance.proof.mutant_shaped,
governance.proof.renamed).

Pure: trees in, node pairs out. Both trees are walked in step; a pair is where the walk
cannot go on in step: other node types, other values or names, lists of other lengths, or
one node wrapped in a one-argument call or a unary operator around the other (`abs(a)`
and `a`). An `if` whose test is negated and whose branches are swapped, nothing else
changed, is no difference (`inverted`). Docstrings are dropped first: they are not code.
"""

from __future__ import annotations

import ast

from governance.proof.ast_helpers import DEFS, FUNCS, dump, is_docstring

Pair = tuple[ast.AST, ast.AST, int]  # base node, candidate node, the candidate's line


def functions(tree: ast.Module) -> dict[str, ast.AST]:
    """qualname -> def, docstrings dropped from every def and class inside."""
    out: dict[str, ast.AST] = {}

    def walk(body: list[ast.stmt], prefix: str) -> None:
        for s in body:
            if isinstance(s, FUNCS):
                out[prefix + s.name] = s  # a nested def's differences are its owner's
            elif isinstance(s, ast.ClassDef):
                walk(s.body, f"{prefix}{s.name}.")
    walk(tree.body, "")
    for fn in out.values():
        for node in ast.walk(fn):
            if isinstance(node, DEFS) and len(node.body) > 1 and is_docstring(node.body[0]):
                node.body = node.body[1:]
    return out


def differences(a: ast.AST, b: ast.AST, line: int) -> list[Pair]:
    """The outermost node pairs where `a` and `b` differ, walking both in step; a pair is
    where the walk cannot go on in step (other node types, values, names or lengths)."""
    line = getattr(b, "lineno", line)  # operators have none: their expression's
    if type(a) is not type(b) or wrapper(a, b) or wrapper(b, a):
        return [(a, b, line)]  # a call around a call is a pair too, not a walk into both
    if inverted(a, b):
        return []
    if isinstance(a, ast.Constant):
        same = type(a.value) is type(b.value) and repr(a.value) == repr(b.value)
        return [] if same else [(a, b, line)]
    out: list[Pair] = []
    for field in a._fields:
        x, y = getattr(a, field, None), getattr(b, field, None)
        if isinstance(x, list) and isinstance(y, list) and len(x) == len(y):
            for p, q in zip(x, y, strict=True):
                out += _child(a, b, p, q, line)
        else:
            out += _child(a, b, x, y, line)
    return out


# Comparisons whose results are each other's negation (a class whose `__ne__` is not its
# `__eq__`'s inverse aside); `<` and `>=` are not: on a NaN both are false.
_NEGATED = {ast.Eq: ast.NotEq, ast.NotEq: ast.Eq, ast.Is: ast.IsNot, ast.IsNot: ast.Is,
            ast.In: ast.NotIn, ast.NotIn: ast.In}


def inverted(a: ast.AST, b: ast.AST) -> bool:
    """Whether `b` is the `if` or conditional expression `a` with its test negated and its
    two branches swapped, nothing else changed: the same code (parso's `x if i == 3 else
    int(x)` written `int(x) if i != 3 else x` waited as a mutant, wave 28). A test
    negated alone is no such thing: its branches would have to swap too."""
    if not isinstance(a, (ast.IfExp, ast.If)) or type(a) is not type(b) \
            or not _negation(a.test, b.test) or not a.orelse or not b.orelse:
        return False
    return dump(a.body) == dump(b.orelse) and dump(a.orelse) == dump(b.body)


def _negation(x: ast.AST, y: ast.AST) -> bool:
    for p, q in ((x, y), (y, x)):
        if isinstance(p, ast.UnaryOp) and isinstance(p.op, ast.Not) \
                and dump(p.operand) == dump(q):
            return True
    if isinstance(x, ast.Compare) and isinstance(y, ast.Compare) \
            and len(x.ops) == len(y.ops) == 1 and _NEGATED.get(type(x.ops[0])) is type(y.ops[0]):
        return dump(x.left) == dump(y.left) and dump(x.comparators) == dump(y.comparators)
    return False


def _child(a: ast.AST, b: ast.AST, x: object, y: object, line: int) -> list[Pair]:
    if isinstance(x, ast.AST) and isinstance(y, ast.AST):
        return differences(x, y, line)
    return [] if dump(x) == dump(y) else [(a, b, line)]


def wrapper(outer: ast.AST, inner: ast.AST) -> str | None:
    """`abs(...)` or `not ...` when `outer` is `inner` wrapped in one call or unary op."""
    if isinstance(outer, ast.Call) and len(outer.args) == 1 and not outer.keywords \
            and dump(outer.args[0]) == dump(inner):
        return f"{ast.unparse(outer.func)}(...)"
    if isinstance(outer, ast.UnaryOp) and dump(outer.operand) == dump(inner):
        return ast.unparse(ast.UnaryOp(outer.op, ast.Name("...")))
    return None


def dropped_operands(outer: ast.AST, inner: ast.AST) -> list[int] | None:
    """The indices of the operands of `outer`, an `and`/`or`, that `inner` lacks, where
    `inner` is `outer` with those dropped and the others kept in their order (the same
    operator's operands, or the one kept alone); None where it is not, or none or all are
    dropped."""
    if not isinstance(outer, ast.BoolOp):
        return None
    kept = [dump(v) for v in inner.values] if isinstance(inner, ast.BoolOp) \
        and type(inner.op) is type(outer.op) else [dump(inner)]
    dropped, left = [], iter(kept)
    want = next(left, None)
    for i, operand in enumerate(outer.values):
        if want is not None and dump(operand) == want:
            want = next(left, None)
        else:
            dropped.append(i)
    if want is not None or not dropped or len(dropped) == len(outer.values):
        return None
    return dropped
