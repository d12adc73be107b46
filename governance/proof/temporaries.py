"""Temporaries inlined (governance.proof.normal_form): a value named once and read once in
the next statement, written where it is read ("inline temp" and "extract variable", the
commonest correct refactors, waited for review wherever no test ran their lines).

Pure: a copy of a function's tree in, the same tree rewritten. A temporary `t = E` (or
`t: T = E`, whose annotation a function never evaluates) is inlined only where that cannot
change what runs, when:
- `t` is named nowhere else in the function (not a parameter, not in a nested scope), and
  nothing reads locals by their text;
- its one read is in the very next statement, evaluated exactly once there (not in a loop's
  test, a branch of `and`/`or`/`if`-`else`, a comprehension past its first iterable or a
  lambda's body), in a `return`, an expression, an assignment's value, a `raise`, an `if`'s
  test, a `for`'s iterable or an `assert`'s test;
- everything that statement evaluates before it is a constant, a tuple or list of them, or
  a name: a local surely bound there, or a function, class or import the module binds
  once at its top, or a builtin (`Module` says which). So `E` runs at the same point
  relative to every effect: a call or attribute read before the read would run first in
  one and second in the other, and keeps the temporary;
- `E` binds nothing (`:=`) and neither yields nor awaits.
"""

from __future__ import annotations

import ast
import builtins
import copy
from collections.abc import Iterator

from governance.proof.bindings import bound, bound_before, by_text, paths, scope_names, walked

_NOT_IN_VALUE = (ast.NamedExpr, ast.Yield, ast.YieldFrom, ast.Await)
_PURE = (ast.Constant, ast.Name, ast.Tuple, ast.List)
_STEADY = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Import, ast.ImportFrom)
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)
MAX_INLINED = 64  # temporaries inlined in one function (each pass is linear in its size)


class Module:
    """The globals a function of this module reads that no call in it rebinds: a function,
    class or import bound at its top and nowhere else, or a builtin it never binds; none
    declared `global` by a function, and none at all where its code reaches its names by
    text (`globals()`, `vars()`, `setattr`, a `__dict__`, `sys.modules`). A plain module
    variable is state a call may change, and keeps a temporary read beside it."""

    def __init__(self, tree: ast.Module) -> None:
        declared = {n for node in ast.walk(tree) if isinstance(node, ast.Global)
                    for n in node.names}
        named = [n for s in tree.body for n in bound(s)]
        kept = {n for s in tree.body if isinstance(s, _STEADY) for n in bound(s)
                if named.count(n) == 1}
        builtin = set(dir(builtins)) - set(named)
        reached = any(_by_name(node) for node in ast.walk(tree))
        self.steady = (builtin if reached else kept | builtin) - declared


def _by_name(node: ast.AST) -> bool:
    """Code that reaches a module's names by their text."""
    return (isinstance(node, ast.Name) and node.id in ("globals", "vars", "setattr"))  \
        or (isinstance(node, ast.Attribute) and node.attr in ("__dict__", "modules"))


def inline_temporaries(fn: ast.AST, module: Module) -> ast.AST:
    """`fn` (rewritten in place) with every temporary the module docstring allows inlined."""
    if not by_text(fn):
        for _ in range(MAX_INLINED):
            if not _inline_one(fn, module):
                break
    return fn


def _inline_one(fn: ast.AST, module: Module) -> bool:
    """Inline the first temporary the module docstring allows; whether one was."""
    for path, s in paths(fn.body, ()):
        name, value = _temporary(s)
        if name is None or not _paired(fn, name):
            continue
        body, index = walked(fn, path)
        read = _read_in(body[index + 1], name, value, fn, (*path[:-1], index + 1), module)
        if read is not None:
            _replace(body[index + 1], read, value)
            del body[index]
            return True
    return False


def _paired(fn: ast.AST, name: str) -> bool:
    """Whether every use of `name` in `fn` is a temporary's binding or the one read of it
    in the statement right after: no read can see another binding (hyperframe names two
    messages `msg`, each raised in the next line)."""
    uses = [n for node in ast.walk(fn) for n in scope_names(node) if n == name]
    pairs = 0
    for path, s in paths(fn.body, ()):
        if _temporary(s)[0] != name:
            continue
        body, index = walked(fn, path)
        if index + 1 >= len(body):
            return False
        named = [n for n in ast.walk(body[index + 1]) if isinstance(n, ast.Name)
                 and n.id == name]
        if len(named) != 1 or not isinstance(named[0].ctx, ast.Load):
            return False
        pairs += 1
    return pairs > 0 and len(uses) == 2 * pairs


def _temporary(s: ast.stmt) -> tuple[str | None, ast.expr | None]:
    """(name, value) of `t = E` or `t: T = E`, E binding nothing and never suspending."""
    if isinstance(s, ast.Assign) and len(s.targets) == 1:
        target, value = s.targets[0], s.value
    elif isinstance(s, ast.AnnAssign) and s.simple and s.value is not None:
        target, value = s.target, s.value
    else:
        return None, None
    if not isinstance(target, ast.Name) or any(isinstance(n, _NOT_IN_VALUE)
                                               for n in ast.walk(value)):
        return None, None
    return target.id, value


def _read_in(s: ast.stmt, name: str, value: ast.expr, fn: ast.AST, path: tuple,
             module: Module) -> ast.Name | None:
    """The read of `name` in `s`, where everything `s` evaluates before it is pure and it
    is evaluated exactly once; None otherwise. A constant's read may be anywhere in `s`
    but a nested def, class or lambda: a constant has no effect to keep in its place."""
    if _constant(value):
        return next((n for n in _outside_scopes(s) if isinstance(n, ast.Name)
                     and n.id == name), None)
    local = bound_before(fn, path)
    for node, once in _statement(s):
        if isinstance(node, ast.Name) and node.id == name:
            return node if once and isinstance(node.ctx, ast.Load) else None
        if not isinstance(node, _PURE) or (
                isinstance(node, ast.Name) and not (node.id in local
                                                    or node.id in module.steady)):
            return None
    return None


def _constant(value: ast.expr) -> bool:
    """A constant, a negated number or a tuple of them: evaluating it does nothing."""
    if isinstance(value, ast.Tuple):
        return all(_constant(e) for e in value.elts)
    if isinstance(value, ast.UnaryOp) and isinstance(value.op, ast.USub):
        return isinstance(value.operand, ast.Constant)
    return isinstance(value, ast.Constant)


def _outside_scopes(node: ast.AST) -> Iterator[ast.AST]:
    yield node
    for child in ast.iter_child_nodes(node):
        if not isinstance(child, _SCOPES):
            yield from _outside_scopes(child)


def _statement(s: ast.stmt) -> Iterator[tuple[ast.AST, bool]]:
    """What `s` evaluates of its own, in order, each with whether it runs exactly once
    (a block's statements are not its own)."""
    if isinstance(s, (ast.Return, ast.Expr)) and s.value is not None:
        yield from _events(s.value, True)
    elif isinstance(s, (ast.Assign, ast.AnnAssign)) and s.value is not None:
        yield from _events(s.value, True)
        for target in getattr(s, "targets", [getattr(s, "target", None)]):
            if not isinstance(target, ast.Name):
                yield target, True  # an item or attribute set: an effect of its own
    elif isinstance(s, ast.Raise) and s.exc is not None:
        yield from _events(s.exc, True)
        if s.cause is not None:
            yield from _events(s.cause, True)
    elif isinstance(s, (ast.If, ast.Assert)):
        yield from _events(s.test, True)
    elif isinstance(s, ast.For):
        yield from _events(s.iter, True)


def _events(node: ast.AST, once: bool) -> Iterator[tuple[ast.AST, bool]]:
    """The nodes `node` evaluates, in the order Python evaluates them, each after its
    operands, with whether it runs exactly once."""
    if isinstance(node, ast.BoolOp):
        parts = [(node.values[0], once), *((v, False) for v in node.values[1:])]
    elif isinstance(node, ast.Compare):
        parts = [(node.left, once), (node.comparators[0], once),
                 *((c, False) for c in node.comparators[1:])]
    elif isinstance(node, ast.IfExp):
        parts = [(node.test, once), (node.body, False), (node.orelse, False)]
    elif isinstance(node, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
        yield from _events(node.generators[0].iter, once)
        yield node, False  # the rest runs in its own scope, any number of times
        return
    elif isinstance(node, _SCOPES):
        yield node, False
        return
    else:
        parts = [(c.value if isinstance(c, ast.keyword) else c, once)
                 for c in ast.iter_child_nodes(node) if isinstance(c, (ast.expr, ast.keyword))]
    for part, runs in parts:
        yield from _events(part, runs)
    yield node, once


def _replace(s: ast.stmt, read: ast.Name, value: ast.expr) -> None:
    for node in ast.walk(s):
        for field, old in ast.iter_fields(node):
            if old is read:
                setattr(node, field, copy.deepcopy(value))
                return
            at = next((i for i, item in enumerate(old) if item is read), None) \
                if isinstance(old, list) else None
            if at is not None:
                old[at] = copy.deepcopy(value)
                return
