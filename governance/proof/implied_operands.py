"""Operands of an `and` or `or` that another operand implies: dropping or adding one changes
no test's outcome (governance.proof.mutant_shaped).

Pure, over the AST. A guard that restates what the condition next to it already says is a
refactor's to drop: json-merge-patch's `if position and position == 'first':` made `if
position == 'first':` ('first' is true, so a position equal to it is true), termcolor's `if
no_color is not None and no_color:` made `if no_color:` (None is false). Their shape is a
mutant's (an operand dropped), and a mutant is what a careless guard drop looks like too,
so they waited for review (wave 26, wave 10). Here the implication is read off the two
operands, never off inputs, and only where it holds:

- The `and`/`or` is a test: an `if`, `while`, `assert` or conditional expression's test, a
  comprehension's condition, the operand of `not`, or an operand of such an `and`/`or`.
  Elsewhere the operator answers one of its operands, not a truth, and `x and x == 'a'`
  answers `''` where `x == 'a'` answers False.
- Both operands are atoms about one subject, a name (not an attribute: reading one may run
  a property's code, and the guard dropped is one read fewer):
  its truth `x`, `x is not None`, `x == c` or `c == x`, `x in (c, ...)` (a tuple or list of
  literals), or the negation of one (`not x`, `x is None`, `x != c`, `x not in (...)`).
  They read the subject and compare it with literals: nothing that raises or writes on the
  values the implication is about.
- In an `and`, what is dropped holds wherever what is kept holds: `x == 'first'` implies `x`
  ('first' is true), `x` and `x == 0` imply `x is not None`; `x in ('a', 'b')` implies `x`.
  In an `or`, what is dropped implies what is kept (`x is None` implies `not x`).
- The implying operand comes before the dropped one, or right after it with only other
  implied operands between: then no other operand is evaluated where the dropped guard
  once stopped the chain (`x is not None and x.y and x` keeps its guard: `x.y` raises on
  None).

An equality with a literal is the builtin's here: a falsy value equal to a true literal is
an object whose `__eq__` says so against its own truth, which no careless refactor is made
to show. `x is not None` is implied by the truth of `x` for every value.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from governance.proof.ast_diff import dropped_operands

_TESTS = (ast.If, ast.While, ast.IfExp, ast.Assert)
_UNKNOWN = object()  # a literal list holding something not a constant


@dataclass(frozen=True)
class _Atom:
    """One operand read as a statement about `subject`: `kind` is "truth", "not_none",
    "eq" (with `value`) or "in" (with `values`); `negated` for `not x`, `is None`, `!=`."""

    subject: str
    kind: str
    negated: bool = False
    values: tuple[object, ...] = ()


def redundant_operands(outer: ast.AST, inner: ast.AST, tests: frozenset[int]) -> bool:
    """Whether `outer` (an `and`/`or` in a test: its id in `tests`) is `inner` with operands
    that the kept ones imply: dropping them changes no truth the test reads."""
    if not isinstance(outer, ast.BoolOp) or id(outer) not in tests:
        return False
    dropped = dropped_operands(outer, inner)
    if dropped is None:
        return False
    atoms = [_atom(v) for v in outer.values]
    is_and = isinstance(outer.op, ast.And)
    return all(_implied(i, set(dropped), atoms, is_and) for i in dropped)


def test_nodes(*functions: ast.AST) -> frozenset[int]:
    """The ids of the `and`/`or` nodes of `functions` whose value is read only for its
    truth."""
    found: set[int] = set()

    def mark(node: ast.AST | None) -> None:
        while isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            node = node.operand
        if isinstance(node, ast.BoolOp):
            found.add(id(node))
            for value in node.values:
                mark(value)

    for fn in functions:
        for node in ast.walk(fn):
            if isinstance(node, _TESTS):
                mark(node.test)
            elif isinstance(node, ast.comprehension):
                for cond in node.ifs:
                    mark(cond)
            elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
                mark(node.operand)
    return frozenset(found)


def _implied(i: int, dropped: set[int], atoms: list[_Atom | None], is_and: bool) -> bool:
    """Whether the kept operand before `i`, or the first kept one after it past only
    dropped operands, implies (in an `and`; is implied by, in an `or`) operand `i`."""
    target = atoms[i]
    if target is None:
        return False
    after = next((j for j in range(i + 1, len(atoms)) if j not in dropped), None)
    between_ok = after is not None and all(atoms[k] is not None for k in range(i + 1, after))
    sources = [j for j in range(i) if j not in dropped] + ([after] if between_ok else [])
    for j in sources:
        source = atoms[j]
        if source is None or source.subject != target.subject:
            continue
        if is_and and _implies(source, target):
            return True
        if not is_and and _implies(_negate(source), _negate(target)):
            return True  # D implies K exactly when not-K implies not-D
    return False


def _implies(a: _Atom, b: _Atom) -> bool:
    """Whether `a` holding means `b` holds, for one subject (both positive, or alike)."""
    if a == b:
        return True
    if a.negated or b.negated:
        return False
    if b.kind == "truth":
        return a.kind in ("eq", "in") and all(v is not _UNKNOWN and bool(v)
                                              for v in a.values)
    if b.kind == "not_none":
        return a.kind == "truth" or (a.kind in ("eq", "in") and all(
            v is not _UNKNOWN and v is not None for v in a.values))
    return False


def _negate(atom: _Atom) -> _Atom:
    return _Atom(atom.subject, atom.kind, not atom.negated, atom.values)


def _atom(node: ast.expr) -> _Atom | None:
    """`node` as an atom about one subject, or None."""
    negated = False
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        negated, node = True, node.operand
    subject = _subject(node)
    if subject is not None:
        return _Atom(subject, "truth", negated)
    if not isinstance(node, ast.Compare) or len(node.ops) != 1:
        return None
    op, left, right = node.ops[0], node.left, node.comparators[0]
    if isinstance(op, (ast.Eq, ast.NotEq)) and _subject(left) is None:
        left, right = right, left  # `'first' == x`
    subject = _subject(left)
    if subject is None:
        return None
    flip = negated != isinstance(op, (ast.IsNot, ast.NotEq, ast.NotIn))
    if isinstance(op, (ast.Is, ast.IsNot)) and isinstance(right, ast.Constant) \
            and right.value is None:
        return _Atom(subject, "not_none", not flip)
    if isinstance(op, (ast.Eq, ast.NotEq)) and isinstance(right, ast.Constant):
        return _Atom(subject, "eq", flip, (right.value,))
    if isinstance(op, (ast.In, ast.NotIn)) and isinstance(right, (ast.Tuple, ast.List)) \
            and right.elts:
        return _Atom(subject, "in", flip, tuple(
            e.value if isinstance(e, ast.Constant) else _UNKNOWN for e in right.elts))
    return None


def _subject(node: ast.expr) -> str | None:
    """`x` as written, or None for anything else: an attribute's read may run code (a
    property answering otherwise on each read), and the guard dropped is one read fewer."""
    return node.id if isinstance(node, ast.Name) else None
