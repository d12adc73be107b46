"""The conditions a comparison is reached under, for governance.proof.boundaries: a
comparison inside an `if`'s body is reached only where the `if`'s test holds, and one
operand of an `and` only where the operands before and beside it hold. A boundary value
tried on a captured call that fails the guard never reaches the comparison: utm's
Svalbard zones compare the longitude only for a latitude from 72 to 84, the captured call
nearest longitude 9 lay at latitude 60, and a correct rewrite of the zones as a table
waited with its bound's mutant untold (wave 11). So each value of a guarded comparison is
also tried with each other parameter at a value its guard holds for: the constant of a
bound that takes it (`72 <= latitude`: 72), the constant an equality names, the first
member an `in` names.

Pure: trees in, values out.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping

from governance.proof.value_flow import Flow, Source, constant

_TAKING = (ast.LtE, ast.GtE, ast.Eq)  # a bound its own constant satisfies


def guards(node: ast.AST) -> dict[int, list[ast.Compare]]:
    """id(n) -> the comparisons that must hold for n to be reached, for each node n of
    `node` (a def): the tests of the ifs whose body holds it, and the other operands of
    each `and` it is an operand of (flattened)."""
    out: dict[int, list[ast.Compare]] = {}
    todo: list[tuple[ast.AST, list[ast.Compare]]] = [(node, [])]
    while todo:
        n, above = todo.pop()
        out[id(n)] = above
        if isinstance(n, ast.If):
            todo += [(n.test, above), *((c, above + _conjuncts(n.test)) for c in n.body),
                     *((c, above) for c in n.orelse)]
        elif isinstance(n, ast.BoolOp) and isinstance(n.op, ast.And):
            todo += [(v, above + [c for w in n.values if w is not v for c in _conjuncts(w)])
                     for v in n.values]
        else:
            todo += [(c, above) for c in ast.iter_child_nodes(n)]
    return out


def _conjuncts(test: ast.AST) -> list[ast.Compare]:
    """The comparisons a test is the conjunction of (`a and (b and c)`: each)."""
    if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And):
        return [c for v in test.values for c in _conjuncts(v)]
    return [test] if isinstance(test, ast.Compare) else []


def held(guard: ast.Compare, flow: Flow, tables: Mapping[str, object]
         ) -> list[tuple[Source, object]]:
    """(where a parameter's value is compared, a value the guard holds for) for each
    parameter `guard` compares with a constant by a bound that takes it, an equality or
    `in`; in the guard's order."""
    out = []
    operands = [guard.left, *guard.comparators]
    for op, a, b in zip(guard.ops, operands, operands[1:], strict=False):
        if isinstance(op, ast.In):
            members = constant(b, tables)
            if isinstance(members, tuple | list) and members:
                out.append((flow.source(a), members[0]))
            continue
        if not isinstance(op, _TAKING):
            continue
        for subject, other in ((a, b), (b, a)):
            value = constant(other, tables)
            if value is not None:
                out.append((flow.source(subject), value))
                break
    return [(source, value) for source, value in out if source]
