"""Stores no read can see: `last = ""` before a loop that assigns `last` first thing in each
iteration, over a sequence the function refused when empty just above (text2digits'
`ConcatenationRule.action`, wave 23). Every mutant of such a store answers as the code does
on every input, so no test and no input could notice one, and its surviving says nothing
about the tests or the inputs: the mutation check and the differential check's mutants skip
it, as they skip a docstring (governance.proof.mutation). A correct refactor that dropped
the store waited for review on "no input tried tells a change" there.

Pure and conservative: a store is dead only where all of this holds, in a plain function's
own body (not a generator or coroutine; nothing in it names `locals`, `vars`, `eval` or
`exec`; the name neither global, nonlocal nor read by a nested scope):
- a guard `if len(X) < 1:` (or `== 0`, `<= 0`, `not len(X)`) whose block ends in `raise`
  or `return`, with `len` bound nowhere in the module (a truth test is not taken: an
  exhausted generator is true);
- after it, only stores of constants to plain names, the dead one among them, none to X;
- then `for ... in X:` with no `else`, whose body stores the name, from an expression that
  does not read it, before anything that reads it, breaks or continues.
A loop that runs at least once then replaces the stored value before any read can see it.

And `ystep = None` before `if y1 < y2: ystep = 1 else: ystep = -1` (pytweening's `getLine`,
wave 25): a constant store followed, past only constant stores to other names, by an `if`
whose test does not read the name and each of whose branches (an `elif` chain ending in an
`else`) stores it first, as a loop's body must above.
"""

from __future__ import annotations

import ast

_EXITS = (ast.Raise, ast.Return)
_SEEING = frozenset({"locals", "vars", "eval", "exec"})


def dead_stores(tree: ast.Module) -> set[int]:
    """The `id()`s of the statements of `tree` that store a value no read can see."""
    trusted = not _binds(tree, "len")  # the guard's `len` is the builtin
    dead: set[int] = set()
    for func in ast.walk(tree):
        if isinstance(func, ast.FunctionDef) and _plain(func):
            dead |= (_in_body(func) if trusted else set()) | _before_branches(func)
    return dead


def _in_body(func: ast.FunctionDef) -> set[int]:
    body, dead = func.body, set()
    for g, guard in enumerate(body):
        sized = _refused_when_empty(guard)
        if sized is None:
            continue
        j = g + 1
        while j < len(body) and _constant_store(body[j]) not in (None, sized):
            j += 1
        loop = body[j] if j < len(body) else None
        if not _loop_over(loop, sized):
            continue
        for store in body[g + 1:j]:
            name = _constant_store(store)
            if name and _assigned_first(loop, name) and not _seen_elsewhere(func, name):
                dead.add(id(store))
    return dead


def _before_branches(func: ast.FunctionDef) -> set[int]:
    """The constant stores that an if/else, each branch storing the name first, follows."""
    body, dead = func.body, set()
    for i, stmt in enumerate(body):
        name = _constant_store(stmt)
        j = i + 1
        while name and j < len(body) and _constant_store(body[j]) not in (None, name):
            j += 1
        nxt = body[j] if name and j < len(body) else None
        if isinstance(nxt, ast.If) and _each_branch_stores(nxt, name) \
                and not _seen_elsewhere(func, name):
            dead.add(id(stmt))
    return dead


def _each_branch_stores(stmt: ast.If, name: str) -> bool:
    if _mentions(stmt.test, name) or not stmt.orelse or not _stores_first(stmt.body, name):
        return False
    if len(stmt.orelse) == 1 and isinstance(stmt.orelse[0], ast.If):  # an elif
        return _each_branch_stores(stmt.orelse[0], name)
    return _stores_first(stmt.orelse, name)


def _plain(func: ast.FunctionDef) -> bool:
    """No yield, no await, nothing that reads the frame's names by their text."""
    for node in ast.walk(func):
        if isinstance(node, (ast.Yield, ast.YieldFrom, ast.Await)):
            return False
        if isinstance(node, ast.Name) and node.id in _SEEING:
            return False
    return True


def _refused_when_empty(stmt: ast.stmt) -> str | None:
    """X of `if len(X) < 1: ... raise`; None for any other statement."""
    if not isinstance(stmt, ast.If) or stmt.orelse or not isinstance(stmt.body[-1], _EXITS):
        return None
    test = stmt.test
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        return _len_of(test.operand)
    if isinstance(test, ast.Compare) and len(test.ops) == 1 \
            and isinstance(test.comparators[0], ast.Constant):
        op, bound = test.ops[0], test.comparators[0].value
        if (isinstance(op, ast.Lt) and bound == 1) or (
                isinstance(op, (ast.Eq, ast.LtE)) and bound == 0):
            return _len_of(test.left)
    return None


def _len_of(node: ast.expr) -> str | None:
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
            and node.func.id == "len" and len(node.args) == 1 and not node.keywords \
            and isinstance(node.args[0], ast.Name):
        return node.args[0].id
    return None


def _constant_store(stmt: ast.stmt) -> str | None:
    """The name a `name = <constant>` statement stores (an empty display counts)."""
    if not isinstance(stmt, ast.Assign) or len(stmt.targets) != 1 \
            or not isinstance(stmt.targets[0], ast.Name):
        return None
    value = stmt.value
    constant = isinstance(value, ast.Constant) or (
        isinstance(value, (ast.List, ast.Tuple)) and not value.elts) or (
        isinstance(value, ast.Dict) and not value.keys)
    return stmt.targets[0].id if constant else None


def _loop_over(loop: ast.stmt | None, sized: str) -> bool:
    return isinstance(loop, ast.For) and not loop.orelse \
        and isinstance(loop.iter, ast.Name) and loop.iter.id == sized


def _assigned_first(loop: ast.For, name: str) -> bool:
    """Whether the loop's body stores `name` before it reads it, breaks or continues."""
    return not _mentions(loop.target, name) and _stores_first(loop.body, name)


def _stores_first(body: list[ast.stmt], name: str) -> bool:
    """Whether `body` stores `name` before it reads it, breaks or continues."""
    for stmt in body:
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 \
                and isinstance(stmt.targets[0], ast.Name) and stmt.targets[0].id == name:
            return not _mentions(stmt.value, name)
        if _mentions(stmt, name) or any(isinstance(n, (ast.Break, ast.Continue))
                                        for n in ast.walk(stmt)):
            return False
    return False


def _seen_elsewhere(func: ast.FunctionDef, name: str) -> bool:
    """Whether `name` is global or nonlocal, or a nested scope of `func` names it."""
    for node in ast.walk(func):
        if isinstance(node, (ast.Global, ast.Nonlocal)) and name in node.names:
            return True
        if node is not func and isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef,
                                                  ast.Lambda, ast.ClassDef, ast.ListComp,
                                                  ast.SetComp, ast.DictComp,
                                                  ast.GeneratorExp)) \
                and _mentions(node, name):
            return True
    return False


def _mentions(node: ast.AST, name: str) -> bool:
    return any(isinstance(n, ast.Name) and n.id == name for n in ast.walk(node))


def _binds(tree: ast.Module, name: str) -> bool:
    """Whether `tree` binds `name` anywhere (a store, a def, an import, a parameter)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id == name and not isinstance(node.ctx, ast.Load):
            return True
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) \
                and node.name == name:
            return True
        if isinstance(node, ast.alias) and (node.asname or node.name) == name:
            return True
        if isinstance(node, ast.arg) and node.arg == name:
            return True
    return False
