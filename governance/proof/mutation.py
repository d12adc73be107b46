"""Changed lines checked, not just run (issue 30, item 2): one mutant per changed statement,
all of a module's mutants compiled into one text behind a switch.

Pure: texts in, texts out. `plan` picks, for each executable statement a candidate adds or
changes (governance.proof.static.changed_statements), one mutation, in the order a
reviewer's eye would: a comparison's operator (`>=` to `>`, `==` to `!=`), a boolean
operator (`and` to `or`), a `not` dropped, an arithmetic operator (`+` to `-`, `*` to `/`),
a constant (a number + 1, a bool flipped, a string changed), the returned value (None), and
last the statement removed. Statements that only log, warn or print are skipped, as
Google's review-time mutants skip them (a `warn` or `info` imported by name counts when the
module binds that name only by importing it from `warnings` or `logging`); so are
docstrings, `pass`, imports, `global`, definitions' headers, and a store no read can see
(governance.proof.dead_stores: every mutant of it is equivalent). A boundary shift (`<` to
`<=`) can be an equivalent mutant (`lo if x < lo else x` returns the same at x == lo
either way), so such a line gets a second, the comparison negated; the line counts as
unchecked only when both survive. So does floor division made true division (`n // 2` and
`n / 2` agree wherever the quotient is only compared with whole numbers: Bresenham's
error term in pytweening's getLine, wave 25), its second the operator made `*`. An
assignment that runs at import and binds what the base did not (a class attribute, a
table entry: governance.proof.added_bindings) gets a second too, the binding removed: a
test that reaches the name at all notices that.

`switched` rewrites the candidate's text so every mutant sits behind a switch read at run
time: an expression E becomes `(E' if <switch> == K else E)` and a removed statement S
becomes `if <switch> != K: S` (mutmut 3's trampolines, without its imports). The switch is
an attribute of the `builtins` module that the mutation plugin sets in each forked child
(governance.oracle.mutation_plugin); absent, every expression is the candidate's own.
`mutated` writes one mutant as plain code instead, for the equivalence check
(governance.proof.mutant_equivalence).
"""

from __future__ import annotations

import ast
import copy
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from governance.proof.added_bindings import added_bindings
from governance.proof.ast_helpers import own_nodes, parse, statements
from governance.proof.boundary_wires import Wire, located, wire
from governance.proof.dead_stores import dead_stores
from governance.proof.quiet_calls import logs, quiet_names
from governance.proof.static import changed_statements
from governance.python_ast import parse_python

SWITCH = "_ouroboros_mutant"  # the builtins attribute each forked child sets
# Per file: a larger change has its first statements checked, and the rest named as
# judged by nothing (`unplanned`): the op waits for review with them, never proven.
MAX_MUTANTS = 100
BINDING_REMOVED = "binding removed"  # the second mutant of an added import-time binding
STATEMENT_REMOVED = "statement removed"
_FLIP_CMP = {ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt,
             ast.Eq: ast.NotEq, ast.NotEq: ast.Eq, ast.Is: ast.IsNot, ast.IsNot: ast.Is,
             ast.In: ast.NotIn, ast.NotIn: ast.In}
_NEGATE = {ast.Lt: ast.GtE, ast.LtE: ast.Gt, ast.Gt: ast.LtE, ast.GtE: ast.Lt}
_FLIP_BIN = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult,
             ast.FloorDiv: ast.Div, ast.Mod: ast.FloorDiv, ast.Pow: ast.Mult}
# A flip that can be equivalent, and the coarser second mutant it gets (module docstring).
_COARSER_BIN = {ast.FloorDiv: ast.Mult}
_SKIPPED = (ast.Pass, ast.Import, ast.ImportFrom, ast.Global, ast.Nonlocal,
            ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


@dataclass(frozen=True)
class Mutant:
    id: int  # 1-based within the op: the switch's value
    file: str
    line: int
    lines: frozenset[int]  # the statement's own lines (what coverage says ran it)
    what: str  # "`>=` to `>`", "statement removed", ...


def plan(old: str | None, new: str, path: str, first_id: int = 1) -> list[Mutant]:
    """The mutants of each mutable changed statement of `new`, numbered from `first_id`:
    one, and a coarser second where the first may be equivalent (module docstring); at
    most MAX_MUTANTS (`unplanned` names the statements left without one)."""
    return _planned(old, new, path, first_id)[0]


def unplanned(old: str | None, new: str, path: str) -> list[int]:
    """The changed statements a mutant would judge that MAX_MUTANTS left without one:
    nothing checks them, so they are named as unjudged (issue 49: no silent cap)."""
    return _planned(old, new, path, 1)[1]


def _planned(old: str | None, new: str, path: str,
             first_id: int) -> tuple[list[Mutant], list[int]]:
    tree = parse(new, "candidate")
    quiet, added = _quiet(tree), added_bindings(old, tree)
    changed = {s.line: s.lines for s in changed_statements(old, new)}
    novel = _novel(old)
    out: list[Mutant] = []
    left: list[int] = []
    for stmt in statements(tree.body):
        if stmt.lineno not in changed or _skipped(stmt, quiet):
            continue
        found = _mutations(stmt, novel, id(stmt) in added)
        if found and len(out) >= MAX_MUTANTS:
            left.append(stmt.lineno)
            continue
        out += [Mutant(first_id + len(out) + i, path, stmt.lineno,
                       frozenset(changed[stmt.lineno]), what)
                for i, (_, _, what) in enumerate(found)]
    return out, left


def switched(new: str, mutants: list[Mutant], old: str | None = None,
             wires: Sequence[Wire] = ()) -> str:
    """`new` with each mutant behind the switch (the mutants must come from
    plan(old, new)), and each of `wires`' tripwires (governance.proof.boundary_wires)."""
    tree = parse(new, "candidate")
    tripped = located(tree, wires)  # before the mutants wrap the nodes
    novel = _novel(old)
    # before the guards change the tree: what plan() saw
    quiet, added = _quiet(tree), added_bindings(old, tree)
    ids: dict[int, list[int]] = {}
    for m in mutants:
        ids.setdefault(m.line, []).append(m.id)
    for stmt in list(statements(tree.body)):
        if stmt.lineno not in ids or _skipped(stmt, quiet):
            continue
        found = _mutations(stmt, novel, id(stmt) in added)
        for (node, mutated, _), k in reversed(list(zip(found, ids[stmt.lineno],
                                                       strict=False))):
            if node is stmt:
                _put(tree, stmt, _guarded(stmt, k))
            else:  # the second mutant of a node wraps the first: (M2 if .. else (M1 if ..))
                current = _current(stmt, node)
                _replace(stmt, current, _ifexp(mutated, current, k))
    wire(tree, tripped, _on)
    return ast.unparse(ast.fix_missing_locations(tree))


def mutated(new: str, mutant: Mutant, old: str | None = None) -> str:
    """`new` with `mutant` (from plan(old, new)) applied as plain code, no switch (a
    removed statement under `if False:`). What the equivalence check replays against the
    candidate (governance.proof.mutant_equivalence)."""
    tree = parse(new, "candidate")
    novel, quiet, added = _novel(old), _quiet(tree), added_bindings(old, tree)
    for stmt in statements(tree.body):
        if stmt.lineno != mutant.line or _skipped(stmt, quiet):
            continue
        for node, replacement, what in _mutations(stmt, novel, id(stmt) in added):
            if what != mutant.what:
                continue
            if node is stmt:
                _put(tree, stmt, _dropped(stmt))
            else:
                _replace(stmt, node, replacement)
            return ast.unparse(ast.fix_missing_locations(tree))
    raise ValueError(f"no mutant {mutant.what} at line {mutant.line} of the candidate")


def without(new: str, line: int) -> str:
    """`new` with the statement at `line` removed (under `if False:`): what the
    equivalence check replays to see that the line does something on its inputs."""
    tree = parse(new, "candidate")
    for stmt in statements(tree.body):
        if stmt.lineno == line:
            _put(tree, stmt, _dropped(stmt))
            return ast.unparse(ast.fix_missing_locations(tree))
    raise ValueError(f"no statement at line {line} of the candidate")


def _current(stmt: ast.stmt, node: ast.AST) -> ast.AST:
    """`node`, or the switch expression an earlier mutant of the same line put around it."""
    for candidate in own_nodes(stmt):
        if isinstance(candidate, ast.IfExp) and candidate.orelse is node:
            return _current(stmt, candidate)
    return node


@dataclass(frozen=True)
class _Quiet:
    """What no mutant is made of: the names that only log (quiet_calls), and the stores no
    read can see (dead_stores), by `id()` of the tree's statements."""

    names: dict[str, str]
    dead: frozenset[int]


def _quiet(tree: ast.Module) -> _Quiet:
    return _Quiet(quiet_names(tree), frozenset(dead_stores(tree)))


def _skipped(stmt: ast.stmt, quiet: _Quiet) -> bool:
    if isinstance(stmt, _SKIPPED) or id(stmt) in quiet.dead:
        return True
    if isinstance(stmt, ast.Expr):
        value = stmt.value
        if isinstance(value, ast.Constant):  # a docstring or a bare literal
            return True
        return isinstance(value, ast.Call) and logs(value.func, quiet.names)
    return False


def _novel(old: str | None) -> Callable[[ast.AST], bool]:
    """Whether a candidate's expression is new: none like it (same dump, locations aside)
    is in the base text. A statement that changed in one place (a key added to a long
    table, one comparison of a condition) is mutated there first, where the change is."""
    try:
        seen = {ast.dump(n) for n in ast.walk(parse_python(old))
                if isinstance(n, ast.expr)} if old else set()
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        seen = set()
    return lambda node: isinstance(node, ast.expr) and ast.dump(node) not in seen


def _mutations(stmt: ast.stmt, novel: Callable[[ast.AST], bool] = lambda _n: True,
               added: bool = False) -> list[tuple[ast.AST, ast.AST, str]]:
    """The statement's mutant, and after a boundary shift (which can be equivalent: `x < lo`
    and `x <= lo` agree when the branches agree at x == lo) the comparison negated, after
    floor division made true division the operator made `*`; after
    the first mutant of an `added` import-time binding, the binding removed."""
    first = _first_mutation(stmt, novel)
    if first is None:
        return []
    node = first[0]
    if isinstance(node, ast.Compare) and type(node.ops[0]) in _NEGATE:
        negated = copy.deepcopy(node)
        negated.ops[0] = _NEGATE[type(node.ops[0])]()
        return [first, (node, negated, f"`{_op(node.ops[0])}` to `{_op(negated.ops[0])}`")]
    if isinstance(node, ast.BinOp) and type(node.op) in _COARSER_BIN:
        coarser = copy.deepcopy(node)
        coarser.op = _COARSER_BIN[type(node.op)]()
        return [first, (node, coarser, f"`{_op(node.op)}` to `{_op(coarser.op)}`")]
    if added and node is not stmt:
        return [first, (stmt, stmt, BINDING_REMOVED)]
    return [first]


def _first_mutation(stmt: ast.stmt, novel: Callable[[ast.AST], bool]
                    ) -> tuple[ast.AST, ast.AST, str] | None:
    """(node, its mutant, what) for the first mutation in priority order (new
    expressions before the ones the base had), or None."""
    banned = _unmutable(stmt)
    nodes = [n for n in own_nodes(stmt) if id(n) not in banned]
    nodes.sort(key=lambda n: (getattr(n, "lineno", 0), getattr(n, "col_offset", 0)))
    for group in ([n for n in nodes if novel(n)], [n for n in nodes if not novel(n)]):
        for finder in (_compare, _boolop, _not, _binop, _constant):
            for node in group:
                found = finder(node)
                if found is not None:
                    return node, *found
    if isinstance(stmt, ast.Return) and stmt.value is not None \
            and not (isinstance(stmt.value, ast.Constant) and stmt.value.value is None):
        return stmt.value, ast.Constant(None), "returns None"
    if isinstance(stmt, (ast.Expr, ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Raise,
                         ast.Delete, ast.Assert)):
        return stmt, stmt, STATEMENT_REMOVED
    return None


def _unmutable(stmt: ast.stmt) -> set[int]:
    """Nodes no expression may replace: an f-string's literal parts, match patterns,
    annotations (types, not behaviour), and the message of a raised exception or an
    assert (words for a human: `'%s' % x` made `'%s' // x` raises a TypeError all the same,
    so a test of the exception's type survives it; the raise is checked by removing it)."""
    out: set[int] = set()
    message = stmt.exc if isinstance(stmt, ast.Raise) else \
        stmt.msg if isinstance(stmt, ast.Assert) else None
    if isinstance(message, ast.Call):
        out.update(id(n) for arg in [*message.args, *message.keywords]
                   for n in ast.walk(arg))
    elif message is not None and not isinstance(stmt, ast.Raise):
        out.update(id(n) for n in ast.walk(message))
    for node in [stmt, *own_nodes(stmt)]:
        if isinstance(node, ast.JoinedStr):
            out.update(id(v) for v in node.values if isinstance(v, ast.Constant))
        if isinstance(node, ast.pattern):
            out.update(id(n) for n in ast.walk(node))
        for field in ("annotation", "returns"):
            sub_tree = getattr(node, field, None)
            if isinstance(sub_tree, ast.AST):
                out.update(id(n) for n in ast.walk(sub_tree))
    return out


def _compare(node: ast.AST) -> tuple[ast.AST, str] | None:
    if not isinstance(node, ast.Compare) or type(node.ops[0]) not in _FLIP_CMP:
        return None
    mutated = copy.deepcopy(node)
    mutated.ops[0] = _FLIP_CMP[type(node.ops[0])]()
    return mutated, f"`{_op(node.ops[0])}` to `{_op(mutated.ops[0])}`"


def _boolop(node: ast.AST) -> tuple[ast.AST, str] | None:
    if not isinstance(node, ast.BoolOp):
        return None
    mutated = copy.deepcopy(node)
    mutated.op = ast.Or() if isinstance(node.op, ast.And) else ast.And()
    return mutated, "`and` to `or`" if isinstance(node.op, ast.And) else "`or` to `and`"


def _not(node: ast.AST) -> tuple[ast.AST, str] | None:
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        return copy.deepcopy(node.operand), "`not` dropped"
    return None


def _binop(node: ast.AST) -> tuple[ast.AST, str] | None:
    if not isinstance(node, ast.BinOp) or type(node.op) not in _FLIP_BIN:
        return None
    mutated = copy.deepcopy(node)
    mutated.op = _FLIP_BIN[type(node.op)]()
    return mutated, f"`{_op(node.op)}` to `{_op(mutated.op)}`"


def _constant(node: ast.AST) -> tuple[ast.AST, str] | None:
    if not isinstance(node, ast.Constant):
        return None
    v = node.value
    if isinstance(v, bool):
        return ast.Constant(not v), f"`{v}` to `{not v}`"
    if isinstance(v, (int, float)):
        return ast.Constant(v + 1), f"`{v!r}` to `{v + 1!r}`"
    if isinstance(v, str) and v:
        return ast.Constant(mutant_text(v)), "a string constant changed"
    return None


def mutant_text(value: str) -> str:
    """The text a string constant's mutant holds in its place: an input telling that
    mutant holds it (camel-converter's `lstrip("_")` made `lstrip("_X")` is told only by a
    name starting with a capital X), so the search puts it among its words."""
    return value + "X"


def _op(op: ast.AST) -> str:
    names = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==",
             ast.NotEq: "!=", ast.Is: "is", ast.IsNot: "is not", ast.In: "in",
             ast.NotIn: "not in", ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/",
             ast.FloorDiv: "//", ast.Mod: "%", ast.Pow: "**"}
    return names.get(type(op), type(op).__name__)


def _switch() -> ast.expr:
    """getattr(__import__('builtins'), SWITCH, 0): needs no name in the module."""
    builtins = ast.Call(ast.Name("__import__", ast.Load()), [ast.Constant("builtins")], [])
    return ast.Call(ast.Name("getattr", ast.Load()),
                    [builtins, ast.Constant(SWITCH), ast.Constant(0)], [])


def _on(k: int) -> ast.expr:
    """`<switch> == k`."""
    return ast.Compare(_switch(), [ast.Eq()], [ast.Constant(k)])


def _ifexp(mutated: ast.AST, original: ast.AST, k: int) -> ast.expr:
    return ast.copy_location(ast.IfExp(_on(k), mutated, original), original)  # type: ignore


def _replace(stmt: ast.stmt, old: ast.AST, new: ast.AST) -> None:
    """Put `new` where `old` is, among `stmt`'s own nodes (never in a nested statement)."""
    for parent in [stmt, *own_nodes(stmt)]:
        for field, value in ast.iter_fields(parent):
            if value is old:
                setattr(parent, field, new)
                return
            if isinstance(value, list):
                for i, item in enumerate(value):
                    if item is old:
                        value[i] = new
                        return
    raise ValueError("the mutated node is not in its statement")


def _guarded(stmt: ast.stmt, k: int) -> ast.stmt:
    """`if <switch> != k: stmt`, at the statement's position (later walks of the tree
    order blocks by line number)."""
    return ast.copy_location(
        ast.If(ast.Compare(_switch(), [ast.NotEq()], [ast.Constant(k)]), [stmt], []), stmt)


def _dropped(stmt: ast.stmt) -> ast.stmt:
    """`if False: stmt`: removed, as behind the switch, and the names it binds still local
    to their function (a read of one raises UnboundLocalError there too)."""
    return ast.copy_location(ast.If(ast.Constant(False), [stmt], []), stmt)


def _put(tree: ast.Module, stmt: ast.stmt, new: ast.stmt) -> None:
    """Put `new` where `stmt` stands in its block."""
    for block in _blocks_of(tree):
        for i, item in enumerate(block):
            if item is stmt:
                block[i] = new
                return
    raise ValueError("the statement is in no block")


def _blocks_of(tree: ast.Module) -> list[list[ast.stmt]]:
    out = [tree.body]
    for s in statements(tree.body):
        for field in ("body", "orelse", "finalbody"):
            value = getattr(s, field, None)
            if isinstance(value, list) and value and isinstance(value[0], ast.stmt):
                out.append(value)
        out += [h.body for h in getattr(s, "handlers", ())]
        out += [c.body for c in getattr(s, "cases", ())]
    return out
