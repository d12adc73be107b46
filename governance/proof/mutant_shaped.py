"""A preserve change shaped like a mutant: a function whose candidate differs from its base
only where a mutation operator would change it (issue 49, held-out figures).

Pure: texts in, findings out. A behaviour-preserving refactor restructures code: it
extracts, inlines, renames, reorders, merges. One that changes only a comparison's operator
(`>` to `>=`), an arithmetic or boolean operator, a literal's value, a fresh `object()`
sentinel made a constant, a `not` or a unary minus, a one-argument call wrapped or
unwrapped (`abs(a)` to `a`), a builtin for another (`sorted` to `list`), a method for
another on the same object (`strip` to `rstrip`), one operand of an `and` or `or` dropped
or added (`x and y != "" and z` to `x and z`), an expression moved by one (`n` to `n - 1`:
the constant's `+ 1` done to an expression), an augmented assignment made plain (`+=` to
`=`), an exception type dropped from or added to an `except` clause, or one statement
removed from a body (its last mutant), a type dropped from or added to an `isinstance`
or `issubclass` check is, node for node, what governance.proof.mutation
makes to test the tests (or, for the move by one, the plain assignment, the handler and the
sentinel, a slip as small). The repository's tests pass on both trees, so they cannot tell
it from the base (the one mutant that turns the candidate back into the base always
survives them), and the differential check's inputs are then the only evidence. On
libraries the rules were not grown on, that evidence missed exactly such changes: a
boundary moved by one code point, a length bound made inclusive, `abs()` dropped from a
bound (docs/proof-measurements.md, held-out figures).

So a preserve candidate in which some function's every difference from its base has one of
those shapes is not proven by the absence of a difference: it waits for review, named
(governance.proof.rules), unless the differential check refuses it with a counterexample
first. A refactor that also restructures the function is judged as before; docstrings are
not code here. Two such differences change nothing and are no mutation: `int()` dropped or
added around an exact int (governance.proof.exact_ints), and an `and`/`or` operand that
another operand implies (governance.proof.implied_operands).
"""

from __future__ import annotations

import ast
import builtins
import copy
from dataclasses import dataclass

from governance.proof.ast_diff import differences, dropped_operands, functions, wrapper
from governance.proof.ast_helpers import BLOCK_FIELDS, dump, parse
from governance.proof.branches import branches_in_one_form
from governance.proof.exact_ints import ExactInts, exact_ints
from governance.proof.implied_operands import redundant_operands, test_nodes

_OPERATORS = (ast.cmpop, ast.operator, ast.boolop, ast.unaryop)
_BUILTINS = frozenset(dir(builtins))
_SIMPLE = (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Expr, ast.Delete, ast.Raise,
           ast.Return, ast.Assert, ast.Break, ast.Continue)


@dataclass(frozen=True)
class Shaped:
    """One difference of a mutant-shaped function."""

    path: str
    function: str  # qualname
    line: int  # the candidate's line
    what: str  # "`>` to `>=`", "`abs(...)` dropped", "255 to 256"

    def named(self) -> str:
        return f"{self.path}:{self.line} in {self.function} ({self.what})"


def mutant_shaped(old: str, new: str, path: str) -> list[Shaped]:
    """The differences of each function of `new` whose every difference from the same
    function of `old` is one a mutation operator makes. Unparsable text finds nothing:
    the proof's other checks refuse it."""
    try:
        module, changed = parse(old, "base"), parse(new, "candidate")
        before, after = functions(module), functions(changed)
    except ValueError:
        return []
    found: list[Shaped] = []
    for name, fn in after.items():
        base = before.get(name)
        if base is None:
            continue
        if dump(base) == dump(fn):
            continue
        ints = (exact_ints(base, module), exact_ints(fn, changed))
        found += _shaped(base, fn, path, name, ints) or _turned(base, fn, path, name, ints)
    return found


def _turned(base: ast.AST, fn: ast.AST, path: str, name: str,
            ints: tuple[ExactInts, ExactInts]) -> list[Shaped]:
    """The mutant's shapes `fn` has when both trees are written one way (_one_way), where
    that turned an ordering test of either: a rewrite it leaves alone is judged as written
    (an `x = a if c else b` folded into an `if` leaves a dead `x = None` before it a
    statement removed, and pytweening's correct refactor would wait)."""
    (old, turned_old), (new, turned_new) = _one_way(base), _one_way(fn)
    return _shaped(old, new, path, name, ints) if turned_old or turned_new else []


def _shaped(base: ast.AST, fn: ast.AST, path: str, name: str,
            ints: tuple[ExactInts, ExactInts]) -> list[Shaped]:
    """The differences of `fn` from `base` where every one is a mutant's shape; []
    otherwise."""
    if _reordered(base, fn):
        return []
    pairs = differences(base, fn, getattr(fn, "lineno", 1))
    tests = test_nodes(base, fn)
    handlers = {id(h.type) for f in (base, fn) for h in ast.walk(f)
                if isinstance(h, ast.ExceptHandler) and h.type is not None}
    checked = _type_checks(base) | _type_checks(fn)
    shapes = [None if _redundant_int(a, b, ints) or redundant_operands(a, b, tests)
              or redundant_operands(b, a, tests)
              else _caught(a, b) if id(a) in handlers and id(b) in handlers
              else _caught(a, b, "matched") if id(a) in checked and id(b) in checked
              else _shape(a, b) for a, b, _ in pairs]
    if not (pairs and all(shapes) and _ordered(base) != _ordered(fn)):
        return []
    return [Shaped(path, name, line, what)
            for (_, _, line), what in zip(pairs, shapes, strict=True) if what]


class _Sorted(ast.NodeTransformer):
    def generic_visit(self, node: ast.AST) -> ast.AST:
        super().generic_visit(node)
        for field in BLOCK_FIELDS:
            body = getattr(node, field, None)
            if isinstance(body, list) and body and isinstance(body[0], ast.stmt):
                body.sort(key=ast.dump)
        return node


def _reordered(base: ast.AST, fn: ast.AST) -> bool:
    """Whether `fn` is `base` with the statements of some of its blocks in another order:
    no mutation operator reorders, and read pair by pair a reorder looked like mutants
    (smbus2's `close` with its two resets reordered waited as `._pec` to `._force_last`
    and `0` to `None`, wave 34). The inputs judge it, as any restructure. Statements only:
    two `.replace()` calls of a chain swapped are one expression, whose order may matter
    (fastjsonschema's JSON pointer unescaped `~0` before `~1`, wave 8)."""
    return ast.dump(_Sorted().visit(copy.deepcopy(base))) \
        == ast.dump(_Sorted().visit(copy.deepcopy(fn)))


# An ordering test with two branches, written the one way: `if a > b: p else: q` is
# `if a <= b: q else: p` (on a NaN the two differ, so this is no equivalence: it only lets
# a slip beside such a rewrite be seen as the operator change it is)
_ONE_WAY = {ast.Gt: ast.LtE, ast.GtE: ast.Lt}


class _OneWay(ast.NodeTransformer):
    turned = 0

    def visit_If(self, node: ast.If) -> ast.AST:
        self.generic_visit(node)
        test = node.test
        if node.orelse and isinstance(test, ast.Compare) and len(test.ops) == 1 \
                and type(test.ops[0]) in _ONE_WAY:
            test.ops = [_ONE_WAY[type(test.ops[0])]()]
            node.body, node.orelse = node.orelse, node.body
            self.turned += 1
        return node


def _one_way(fn: ast.AST) -> tuple[ast.AST, int]:
    """A copy of `fn` with its choices in one form (governance.proof.branches: a guard
    clause and the rest of its block as an `if` and its `else`) and each ordering test with
    two branches written with `<` or `<=`. bytesparse's `Memory.__str__` made a guard
    clause `if content_size > 1000: return repr(self)` where the listing was taken while
    `content_size < 1000` landed (wave 33): only a memory of exactly 1,000 bytes tells
    them, and its size is a property of its blocks no input made 1,000; so written, the
    change is `<` to `<=`. With the number of tests it turned."""
    way = _OneWay()
    return way.visit(branches_in_one_form(copy.deepcopy(fn))), way.turned


# Operators whose two operands a refactor may swap: no mutation operator swaps operands
_COMMUTATIVE = (ast.Add, ast.Mult, ast.BitAnd, ast.BitOr, ast.BitXor)


class _Ordered(ast.NodeTransformer):
    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        self.generic_visit(node)
        if isinstance(node.op, _COMMUTATIVE):
            node.left, node.right = sorted((node.left, node.right), key=ast.dump)
        return node


def _ordered(fn: ast.AST) -> str:
    """`fn` with each `+`, `*`, `&`, `|` and `^` taking its operands in one order: a
    function whose only change swaps such operands is a restructure, judged by the inputs
    as any other (a `+` of texts swapped is told by any two texts). bytesparse's power-of-
    two test written `columns & (columns - 1)` for `(columns - 1) & columns` read as `- 1`
    dropped and added, and a correct refactor waited (wave 33)."""
    return ast.dump(_Ordered().visit(copy.deepcopy(fn)))


def _shape(a: ast.AST, b: ast.AST) -> str | None:
    """What mutation turns `a` into `b`, or None when none does."""
    if isinstance(a, _OPERATORS) and isinstance(b, _OPERATORS):
        return f"`{_op(a)}` to `{_op(b)}`"
    if isinstance(a, ast.Constant) and isinstance(b, ast.Constant):
        return f"{_short(a)} to {_short(b)}"
    if (_fresh(a) and isinstance(b, ast.Constant)) or (_fresh(b) and isinstance(a, ast.Constant)):
        return f"`{ast.unparse(a)}` to `{ast.unparse(b)}`"  # a sentinel made a value
    if isinstance(a, ast.Name) and isinstance(b, ast.Name) \
            and {a.id, b.id} <= _BUILTINS and type(a.ctx) is type(b.ctx):
        return f"`{a.id}` to `{b.id}`"
    if isinstance(a, ast.Attribute) and isinstance(b, ast.Attribute) \
            and dump(a.value) == dump(b.value) and a.attr != b.attr:
        return f"`.{a.attr}` to `.{b.attr}`"
    for outer, inner, verb in ((a, b, "dropped"), (b, a, "added")):
        around = wrapper(outer, inner) or _operand(outer, inner) or _by_one(outer, inner)
        if around:
            return f"`{around}` {verb}"
    return _augmented(a, b) or _removed(a, b)


def _fresh(node: ast.AST) -> bool:
    """`object()`: a sentinel no caller can pass. Made a constant (`None`), a value callers
    do pass reads as the missing one: pure-eval's `getattr(builtins, node.id, object()) is
    value` with `None` landed (wave 31), and a name no builtin holds, valued None, was
    never an input."""
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
        and node.func.id == "object" and not node.args and not node.keywords


def _type_checks(fn: ast.AST) -> set[int]:
    """ids of the types an `isinstance` or `issubclass` call of `fn` checks against (its
    second argument): a type dropped from one, or added, is the handler's mutation done to
    a test. gast's `_write_constant` narrowed `isinstance(value, (float, complex))` to
    `float` landed (wave 34): a complex infinity is written `infj` now, and no input was a
    complex number."""
    return {id(call.args[1]) for call in ast.walk(fn)
            if isinstance(call, ast.Call) and isinstance(call.func, ast.Name)
            and call.func.id in ("isinstance", "issubclass") and len(call.args) == 2}


def _caught(a: ast.AST, b: ast.AST, verb: str = "caught") -> str | None:
    """`ValueError` no longer caught (or caught too) when `a` and `b` are one except
    clause's types and `b` names those of `a` but some (or more): the mutation of a handler,
    which changes what the function answers wherever the body raises one of them.
    otpauth's `verify` narrowed to `except TypeError` landed (wave 30): a code that `int()`
    refuses with a ValueError (a complex number) raised where it answered False, and no
    input was one. A builtin exception dropped or added beside a builtin base of it that
    stays caught changes nothing (`UnicodeDecodeError` beside `ValueError`): no shape."""
    old, new = _types(a), _types(b)
    gone, added = [t for t in old if t not in new], [t for t in new if t not in old]
    if not old or not new or (gone and added) or not (gone or added):
        return _shape(a, b)
    moved, kept = (gone, new) if gone else (added, old)
    if all(_subclass(t, kept) for t in moved):
        return None
    return f"`{', '.join(moved)}` {'no longer ' if gone else ''}{verb}{'' if gone else ' too'}"


def _types(node: ast.AST) -> list[str]:
    """An except clause's types as written ([] for anything but names and attributes)."""
    items = node.elts if isinstance(node, ast.Tuple) else [node]
    if not all(isinstance(i, (ast.Name, ast.Attribute)) for i in items):
        return []
    return [ast.unparse(i) for i in items]


def _subclass(name: str, kept: list[str]) -> bool:
    """Whether builtin type `name` (an exception, `bool`) is a subclass of a builtin one in
    `kept`."""
    kind = getattr(builtins, name, None)
    return isinstance(kind, type) and any(
        isinstance(k, type) and issubclass(kind, k)
        for k in (getattr(builtins, n, None) for n in kept))


def _augmented(a: ast.AST, b: ast.AST) -> str | None:
    """`+=` to `=` when one is the other's augmented assignment made plain (or back), the
    same target and value: an accumulation made an overwrite. cnlunar's legal holidays
    `temp = ...` for `temp += ...` landed (wave 27): no input fell on a day that is a
    holiday by both calendars, where `temp` was not yet empty."""
    for aug, plain, text in ((a, b, "to `=`"), (b, a, "from `=`")):
        if isinstance(aug, ast.AugAssign) and isinstance(plain, ast.Assign) \
                and len(plain.targets) == 1 and dump(plain.targets[0]) == dump(aug.target) \
                and dump(plain.value) == dump(aug.value):
            return f"`{_op(aug.op)}=` {text}"
    return None


def _redundant_int(a: ast.AST, b: ast.AST, ints: tuple[ExactInts, ExactInts]) -> bool:
    """Whether `b` is `a` with `int(...)` dropped or added around what is an exact int in
    both trees' function (governance.proof.exact_ints): `int(x)` of one is `x` itself,
    so no mutation."""
    for outer, inner in ((a, b), (b, a)):
        if wrapper(outer, inner) == "int(...)" and all(i.holds(inner) for i in ints) \
                and all("int" in i.calls for i in ints):
            return True
    return False


def _by_one(outer: ast.AST, inner: ast.AST) -> str | None:
    """`- 1` when `outer` is `inner` moved by one (`n - 1` for `n`): an off-by-one, what the
    mutation check's `+ 1` does to a literal done to an expression. mnemonic's checksum
    loop made `range(checksumLengthBits - 1)` landed (wave 13): only a word list whose last
    checksum bit alone is wrong tells it, and no input was one."""
    if isinstance(outer, ast.BinOp) and isinstance(outer.op, (ast.Add, ast.Sub)) \
            and isinstance(outer.right, ast.Constant) and outer.right.value == 1 \
            and type(outer.right.value) is int and dump(outer.left) == dump(inner):
        return f"{_op(outer.op)} 1"
    return None


def _removed(a: ast.AST, b: ast.AST) -> str | None:
    """`int &= mask` removed when `b` is `a` with one simple statement of one of its bodies
    taken out (or made `pass`), all else alike: the mutation check's last mutant of a
    statement. uuid6's `int &= ~(0xF000 << 64)` dropped before the version is or-ed in
    (wave 9) was judged by the line's other mutants, a constant moved, which an input told
    apart, so the line counted as noticed although no input had those four bits set. A
    compound statement taken out (an `if` and its body) is left to the other checks: a
    branch folded into what follows it is a refactor's shape too (bitmath's `if ndigits
    is None:` branch, round() taking None as its default)."""
    if isinstance(a, _SIMPLE) and isinstance(b, ast.Pass) and not isinstance(a, ast.Pass):
        return f"`{_first_line(a)}` removed"
    if type(a) is not type(b):
        return None
    found = None
    for field in a._fields:
        x, y = getattr(a, field, None), getattr(b, field, None)
        if dump(x) == dump(y):
            continue
        if found is not None or not (isinstance(x, list) and isinstance(y, list)) \
                or len(x) != len(y) + 1 or not all(isinstance(s, ast.stmt) for s in x):
            return None
        kept = [dump(s) for s in y]
        found = next((x[i] for i in range(len(x))
                      if [dump(s) for s in x[:i] + x[i + 1:]] == kept), None)
        if not isinstance(found, _SIMPLE):
            return None
    return f"`{_first_line(found)}` removed" if found is not None else None


def _first_line(stmt: ast.stmt) -> str:
    text = ast.unparse(stmt).split("\n", 1)[0]
    return text if len(text) <= 40 else text[:37] + "..."


def _operand(outer: ast.AST, inner: ast.AST) -> str | None:
    """`and value != ""` when `outer` is `inner` with more operands of the same `and` or
    `or`, the others in their order (`x and y` when `inner` is `x` alone): conditions
    dropped or added, as uritemplate's `not value and value != "" and name in
    self.defaults` made `not value and name in self.defaults` (an empty value given with a
    default now expands to the default), or jsonpath-ng's sort comparison with both of its
    `or len(l_datum) > 1 or len(r_datum) > 1` dropped as redundant (wave 26: a sort key
    matching several values, which no input had, is compared now)."""
    dropped = dropped_operands(outer, inner)
    if dropped is None or not isinstance(outer, ast.BoolOp):
        return None
    return " ".join(f"{_op(outer.op)} {ast.unparse(outer.values[i])}" for i in dropped)


def _op(node: ast.AST) -> str:
    """The operator as written: `>=`, `and`, `not`."""
    holder: ast.expr
    if isinstance(node, ast.cmpop):
        holder = ast.Compare(ast.Name("a"), [node], [ast.Name("b")])
        return ast.unparse(holder).split(" ", 1)[1].rsplit(" ", 1)[0]
    if isinstance(node, ast.operator):
        return ast.unparse(ast.BinOp(ast.Name("a"), node, ast.Name("b")))[2:-2]
    if isinstance(node, ast.boolop):
        return ast.unparse(ast.BoolOp(node, [ast.Name("a"), ast.Name("b")]))[2:-2]
    return ast.unparse(ast.UnaryOp(node, ast.Name("a")))[:-1].strip()


def _short(node: ast.Constant) -> str:
    text = repr(node.value)
    return text if len(text) <= 30 else text[:27] + "..."
