"""The edges of a change: the comparisons of a function's base code that the candidate
rewrote, each as its two sides' text, for the differential
check's search to steer toward (governance.oracle.replay_edges measures, on the base, how
far each call passes from them).

A refactor that moves a bound (`code_point <= block.end` becoming `<`) differs only where
the two sides are equal. The static boundaries (governance.proof.boundaries) find that place
where a side is a constant; where both sides are values the code computes (a table's entry
found by bisection, a length, an attribute), only a run can say how near a call came, so
the search is given the distance as its `target()` and climbs toward the edge.

A side is kept only where it can be read again without running the tree's code: names,
attributes, items, constants, arithmetic, and len(), ord() and abs() (replay_edges reads
them the same careful way: anything else is not read).

Pure: trees in, text out.
"""

from __future__ import annotations

import ast
from itertools import pairwise

from governance.proof.nested import FuncDef

MAX_EDGES = 8  # per function: a change rewriting more comparisons is steered by its first
_ORDERS = (ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.Eq, ast.NotEq)
_READ = (ast.Name, ast.Attribute, ast.Subscript, ast.Constant, ast.BinOp, ast.UnaryOp,
         ast.Slice, ast.Load, ast.Add, ast.Sub, ast.Mult, ast.FloorDiv, ast.Mod, ast.USub,
         ast.UAdd)
_CALLS = frozenset({"len", "ord", "abs"})

Edge = tuple[str, str]  # (one side, the other)


def edges(new: FuncDef, old: FuncDef) -> tuple[Edge, ...]:
    """The base's comparisons the candidate does not have as they were, side by side."""
    kept = {ast.dump(c) for c in _compares(new)}
    out: list[Edge] = []
    for compare in _compares(old):
        if ast.dump(compare) in kept:
            continue
        sides = [compare.left, *compare.comparators]
        for op, (left, right) in zip(compare.ops, pairwise(sides), strict=True):
            if isinstance(op, _ORDERS) and _readable(left) and _readable(right) \
                    and not (isinstance(left, ast.Constant) and isinstance(right, ast.Constant)):
                out.append((ast.unparse(left), ast.unparse(right)))
    return tuple(dict.fromkeys(out))[:MAX_EDGES]


def _compares(node: ast.AST) -> list[ast.Compare]:
    return [n for n in ast.walk(node) if isinstance(n, ast.Compare)]


def _readable(side: ast.expr) -> bool:
    """Whether a side can be read without running the tree's code."""
    for n in ast.walk(side):
        if isinstance(n, ast.Call):
            if not (isinstance(n.func, ast.Name) and n.func.id in _CALLS
                    and len(n.args) == 1 and not n.keywords):
                return False
        elif not isinstance(n, _READ):
            return False
    return True
