"""A function whose candidate moved a run of its statements, unchanged, into a new helper it
calls once in their place: the same code, so the same behaviour on every input (issue 49:
a correct refactor of code the rules were not grown on). "Extract function", checked the
way a refactoring tool checks its preconditions, without inputs: a helper extracted from
lines no test runs, or whose every mutant no input told apart, waited for review though
nothing it could do differs (webcolors' `_trim_components`: a mutant of `length = 8` in the
moved lines survived every input).

Pure: texts in, spans out. Shown only where all of this holds, and otherwise the
differential check judges the function as before:
- the helper is a module-level `def` the base has no name for, named once in the
  candidate (the one call), with plain parameters (no defaults, no `*`, no decorators);
- the call is the whole statement: `h(a, ...)`, `x = h(...)` or `x, y = h(...)` (the
  helper's last statement returns those names), or `return h(...)` closing the function's
  body or where the moved statements end in a `return` or `raise`; each argument is a
  local bound before it (a parameter, or a plain binding on the way to the call), passed
  to a parameter;
- the base is the candidate with the call replaced by the helper's body, its parameters and
  returned names renamed to the caller's (one for one, no name caught by another);
- the moved statements never leave early (no `return` but in the last form, no `break` or
  `continue` out of them, no `yield`, `await`, `global`, `nonlocal`, `del`, `import`,
  `match`, nested def, class or lambda, no generator but one a builtin consumes at once),
  never read a local by its text (`eval`, `locals()`, a frame, zero-argument `super`), and
  in a class, no private name (mangled in a class only);
- every local they read is an argument or assigned first thing at their top level; every
  local they assign that the function reads elsewhere (or again, in a loop) is returned to
  the same name, and each returned name is an argument or assigned at their top level;
- no `try` or `with` around the call (an exception half way would leave the caller's locals
  otherwise), and no nested scope of the function shares a name with them (a closure would
  read the caller's cell).
"""

from __future__ import annotations

import ast
import copy
from collections.abc import Iterator
from dataclasses import dataclass

from governance.proof.ast_diff import functions
from governance.proof.ast_helpers import BLOCK_FIELDS, dump, is_docstring, parse
from governance.proof.bindings import (
    LOOPS,
    READ_BY_TEXT,
    ancestors,
    bound,
    bound_before,
    by_text,
    idents,
    paths,
    span,
    table,
    walked,
)
from governance.proof.renamed import _FRAMES

_FORBIDDEN = (ast.Return, ast.Yield, ast.YieldFrom, ast.Await, ast.Global, ast.Nonlocal,
              ast.Lambda, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Delete,
              ast.Import, ast.ImportFrom, ast.Match, ast.AsyncFor, ast.AsyncWith)
# around the call: an exception half way leaves the caller's locals otherwise; a def or
# class: another scope
_AROUND = (ast.Try, getattr(ast, "TryStar", ast.Try), ast.With, ast.AsyncWith,
           ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
_SCOPES = (ast.Lambda, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.GeneratorExp)
# builtins that consume a generator before they return: one passed to them runs in place
_CONSUMERS = frozenset({"all", "any", "sum", "min", "max", "sorted", "list", "tuple", "set",
                        "frozenset", "dict"})
_ANNOTATION = (ast.Name, ast.Attribute, ast.Subscript, ast.Constant, ast.Tuple, ast.BinOp,
               ast.BitOr, ast.Load)


@dataclass(frozen=True)
class Extracted:
    """A function shown to be its base with statements moved into `helper`, and where each
    lies: the function's lines in the base; its lines and the helper's in the candidate."""

    function: str  # qualname
    helper: str
    base_lines: range
    candidate_lines: tuple[range, range]


@dataclass(frozen=True)
class _Call:
    """The call statement and what it binds: its path in the function (statement lists and
    indexes), the helper, the arguments by parameter, and the names it assigns."""

    path: tuple  # index, then (field, handler), index, ... (`_paths`)
    helper: ast.FunctionDef
    args: dict[str, str]  # parameter -> the caller's local
    targets: tuple[str, ...]
    returns: tuple[str, ...]  # the helper's returned names
    tail: bool  # `return h(...)`: the function's body closes there (`_returns_there`)


def extracted(old: str, new: str) -> list[Extracted]:
    """The functions of `new` that are their base in `old` with a run of statements moved
    into a new helper. Unparsable text shows nothing."""
    try:
        before, after = parse(old, "base"), parse(new, "candidate")
        helpers = _new_helpers(before, after)
        if not helpers:
            return []
        shadowed = frozenset(n for s in (*before.body, *after.body) for n in bound(s))
        olds, news = functions(before), functions(after)
        found = []
        for name, fn in news.items():
            if name in olds and name not in helpers and dump(olds[name]) != dump(fn):
                helper = _shown(olds[name], fn, helpers, _Where("." in name, shadowed))
                if helper is not None:
                    found.append(Extracted(name, helper.name, span(olds[name]),
                                           (span(fn), span(helper))))
        return found
    except Exception:  # a rule that cannot decide shows nothing (fail closed)
        return []


def _new_helpers(before: ast.Module, after: ast.Module) -> dict[str, ast.FunctionDef]:
    """name -> def: the candidate's module-level plain functions with no decorator or
    default, no name of the base's, bound once and named once more (their call)."""
    known = {n for node in ast.walk(before) for n in idents(node)}
    loads: dict[str, int] = {}
    binds: dict[str, int] = {}
    for node in ast.walk(after):
        for n in idents(node):
            table = loads if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) \
                else binds
            table[n] = table.get(n, 0) + 1
    out = {}
    for s in after.body:
        if isinstance(s, ast.FunctionDef) and s.name not in known and _plain(s) \
                and binds.get(s.name) == 1 and loads.get(s.name) == 1:
            out[s.name] = s
    return out


def _plain(fn: ast.FunctionDef) -> bool:
    a = fn.args
    notes = [fn.returns, *(p.annotation for p in a.args)]
    return not (fn.decorator_list or a.posonlyargs or a.vararg or a.kwonlyargs or a.kwarg
                or a.defaults or getattr(fn, "type_params", None)) \
        and all(isinstance(n, _ANNOTATION) for note in notes if note is not None
                for n in ast.walk(note))


@dataclass(frozen=True)
class _Where:
    """Where the function lies: in a class (private names are mangled there), in a module
    that binds these names at its top (a builtin of that name is not the builtin)."""

    private: bool
    shadowed: frozenset[str]


def _shown(base: ast.AST, cand: ast.AST, helpers: dict[str, ast.FunctionDef],
           where: _Where) -> ast.FunctionDef | None:
    """The helper `cand` moved statements of `base` into, where the module docstring's
    conditions hold."""
    call = _call(cand, helpers)
    if call is None:
        return None
    body = [s for s in call.helper.body if not is_docstring(s)]
    moved = body if call.tail or not call.returns else body[:-1]
    mapping = _mapping(call, moved)
    if mapping is None or not moved:
        return None
    block = [_renamed(copy.deepcopy(s), mapping) for s in moved]
    expected = copy.deepcopy(cand)
    parent, index = walked(expected, call.path)
    parent[index:index + 1] = block
    if dump(expected) != dump(base):
        return None
    return call.helper if _sound(expected, block, call, where) else None


def _call(fn: ast.AST, helpers: dict[str, ast.FunctionDef]) -> _Call | None:
    """The one statement of `fn` that calls a new helper, as a whole statement."""
    found = [(path, s) for path, s in paths(fn.body, ()) if _called(s, helpers)]
    if len(found) != 1:
        return None
    path, s = found[0]
    value = s.value
    helper = helpers[value.func.id]
    args = _arguments(value, helper)
    tail = isinstance(s, ast.Return)
    if args is None or (tail and not _returns_there(fn, path, helper)):
        return None
    targets: tuple[str, ...] = ()
    returns: tuple[str, ...] = ()
    if isinstance(s, ast.Assign):
        last = helper.body[-1]
        targets, returns = _names(s.targets[0]), _names(getattr(last, "value", None))
        if not isinstance(last, ast.Return) or not targets or len(targets) != len(returns) \
                or type(s.targets[0]) is not type(last.value) or len(s.targets) != 1:
            return None
    return _Call(path, helper, args, targets, returns, tail)


def _returns_there(fn: ast.AST, path: tuple, helper: ast.FunctionDef) -> bool:
    """Whether the caller returns wherever its moved statements end: the call closes its
    body, or they end in a `return` or `raise` of their own (none falls through, nothing
    jumps out: `_movable`), so the helper's answer is the caller's."""
    last = helper.body[-1] if helper.body else None
    return path == (len(fn.body) - 1,) or isinstance(last, (ast.Return, ast.Raise))


def _called(s: ast.stmt, helpers: dict[str, ast.FunctionDef]) -> bool:
    value = getattr(s, "value", None)
    return isinstance(s, (ast.Expr, ast.Assign, ast.Return)) and isinstance(value, ast.Call) \
        and isinstance(value.func, ast.Name) and value.func.id in helpers


def _arguments(call: ast.Call, helper: ast.FunctionDef) -> dict[str, str] | None:
    """parameter -> the caller's local passed to it: plain names, each parameter once."""
    params = [p.arg for p in helper.args.args]
    given = list(zip(params, call.args, strict=False)) \
        + [(k.arg, k.value) for k in call.keywords]
    args = {p: v.id for p, v in given if isinstance(v, ast.Name) and p is not None}
    if len(call.args) > len(params) or len(args) != len(given) \
            or sorted(args) != sorted(params) or len(set(args.values())) != len(args):
        return None
    return args


def _names(node: ast.AST | None) -> tuple[str, ...]:
    """A name, or a tuple of distinct names, as written; () for anything else."""
    items = node.elts if isinstance(node, ast.Tuple) else [node]
    names = tuple(n.id for n in items if isinstance(n, ast.Name))
    return names if len(names) == len(items) == len(set(names)) else ()


def _mapping(call: _Call, moved: list[ast.stmt]) -> dict[str, str] | None:
    """The helper's name -> the caller's (its parameters, its returned names), one for one,
    with no other name of the moved statements caught by an image."""
    mapping = dict(call.args)
    for r, t in zip(call.returns, call.targets, strict=True):
        if mapping.setdefault(r, t) != t:
            return None
    images = list(mapping.values())
    others = {n.id for s in moved for n in ast.walk(s) if isinstance(n, ast.Name)} \
        - set(mapping)
    if len(set(images)) != len(images) or others & set(images):
        return None
    return mapping


def _renamed(node: ast.AST, mapping: dict[str, str]) -> ast.AST:
    for n in ast.walk(node):
        if isinstance(n, ast.Name):
            n.id = mapping.get(n.id, n.id)
    return node


def _sound(fn: ast.AST, block: list[ast.stmt], call: _Call, where: _Where) -> bool:
    """The module docstring's conditions on the moved statements, read in the base (`fn`,
    the helper's body back in place as `block`)."""
    around = ancestors(fn, call.path)
    inside = {id(n) for s in block for n in ast.walk(s)}
    if any(isinstance(a, _AROUND) for a in around) or not _movable(block, call.tail, where) \
            or by_text(fn):
        return False
    local = {s.get_name() for s in table(fn).get_symbols() if s.is_local()}
    reads, stores, caught = _uses(block)
    args, targets = set(call.args.values()), set(call.targets)
    outside = {n.id for n in ast.walk(fn) if isinstance(n, ast.Name) and id(n) not in inside}
    later = _read_after(fn, call.path, len(block), inside)
    looped = any(isinstance(a, LOOPS) for a in around)
    deleted = {t.id for n in ast.walk(fn) if isinstance(n, ast.Delete) for t in n.targets
               if isinstance(t, ast.Name)}
    if not args <= local & bound_before(fn, call.path) - deleted:
        return False
    if any(not _assigned_first(block, n) for n in (reads & local) - args):
        return False
    kept = {n for n in stores & local if n in later or (looped and n in reads)}
    if not call.tail and not kept <= targets:
        return False
    if any(t not in args and not any(t in bound(s) for s in block) for t in targets):
        return False
    closed = {n for node in ast.walk(fn) if isinstance(node, _SCOPES) and node is not fn
              and id(node) not in inside for inner in ast.walk(node) for n in idents(inner)}
    return not (closed & (reads | stores | args | targets)) \
        and not caught & (args | targets | outside)


def _read_after(fn: ast.AST, path: tuple, size: int, inside: set[int]) -> set[str]:
    """The names read after the moved statements (`size` of them, where `path` is): the
    statements after them on the way out, and the whole of each loop around them."""
    read: set[str] = set()
    for cut in range(len(path), 0, -2):
        body, index = walked(fn, path[:cut])
        after = body[index + (size if cut == len(path) else 1):]
        loops = [body[index]] if cut < len(path) and isinstance(body[index], LOOPS) else []
        read |= {n for s in (*after, *loops) for n in _loaded(s) if n[1] not in inside}
    return {name for name, _ in read}


def _loaded(s: ast.AST) -> Iterator[tuple[str, int]]:
    """(name, node id) of each read: a load, an augmented assignment's target, a `del`."""
    for n in ast.walk(s):
        if isinstance(n, ast.Name) and isinstance(n.ctx, (ast.Load, ast.Del)):
            yield n.id, id(n)
        if isinstance(n, ast.AugAssign) and isinstance(n.target, ast.Name):
            yield n.target.id, id(n.target)


def _movable(block: list[ast.stmt], tail: bool, where: _Where) -> bool:
    """Whether the moved statements can run in another function: nothing that leaves them
    early, binds a name otherwise, reads a local by its text or (in a class) is mangled."""
    parents = {id(c): n for s in block for n in ast.walk(s) for c in ast.iter_child_nodes(n)}
    for s in block:
        for n in ast.walk(s):
            if isinstance(n, _FORBIDDEN) and not (tail and isinstance(n, ast.Return)):
                return False
            if isinstance(n, ast.Name) and n.id in READ_BY_TEXT:
                return False
            if isinstance(n, ast.Attribute) and n.attr in _FRAMES:
                return False
            if isinstance(n, ast.GeneratorExp) and not _consumed(n, parents.get(id(n)),
                                                                 where.shadowed):
                return False
            if where.private and any(i.startswith("__") and not i.endswith("__")
                                     for i in idents(n)):
                return False
    return not _escapes(block)


def _consumed(gen: ast.GeneratorExp, parent: ast.AST | None, shadowed: frozenset[str]) -> bool:
    """A generator passed alone to a builtin that consumes it, or to a string's join."""
    if not isinstance(parent, ast.Call) or parent.args != [gen] or parent.keywords:
        return False
    f = parent.func
    return (isinstance(f, ast.Name) and f.id in _CONSUMERS - shadowed) or (
        isinstance(f, ast.Attribute) and f.attr == "join"
        and isinstance(f.value, ast.Constant) and isinstance(f.value.value, str))


def _escapes(block: list[ast.stmt], looped: bool = False) -> bool:
    """Whether a `break` or `continue` in `block` leaves it (no loop of its own around)."""
    for s in block:
        if isinstance(s, (ast.Break, ast.Continue)) and not looped:
            return True
        inner = looped or isinstance(s, LOOPS)
        if any(_escapes(b, inner if f == "body" else looped)
               for f, b in ((f, getattr(s, f, None) or []) for f in BLOCK_FIELDS)):
            return True
        if any(_escapes(h.body, looped) for h in getattr(s, "handlers", ())):
            return True
    return False


def _uses(block: list[ast.stmt]) -> tuple[set[str], set[str], set[str]]:
    """The names the statements read, assign, and bind as an exception caught."""
    reads, stores, caught = set(), set(), set()
    for s in block:
        for n in ast.walk(s):
            if isinstance(n, ast.Name):
                (reads if isinstance(n.ctx, ast.Load) else stores).add(n.id)
            if isinstance(n, ast.AugAssign) and isinstance(n.target, ast.Name):
                reads.add(n.target.id)
            if isinstance(n, ast.ExceptHandler) and n.name:
                caught.add(n.name)
    return reads, stores | caught, caught


def _assigned_first(block: list[ast.stmt], name: str) -> bool:
    """Whether the first of the statements to name `name` is a plain assignment to it that
    reads nothing of it: a local the helper makes, not one it would read from the caller."""
    for s in block:
        named = [n for n in ast.walk(s) if isinstance(n, ast.Name) and n.id == name]
        if named:
            return isinstance(s, ast.Assign) and all(isinstance(n.ctx, ast.Store)
                                                     for n in named) and name in bound(s)
    return False


