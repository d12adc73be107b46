"""Where names are bound in a function, and where its statements lie: the walks the
same-code rules share (governance.proof.extracted, governance.proof.temporaries).

Pure: trees in, names and positions out. A statement's path is its index in the function's
body, then a (field, handler) step and an index for each block it is nested in (`paths`).
"""

from __future__ import annotations

import ast
import symtable
from collections.abc import Iterator

from governance.proof.ast_helpers import BLOCK_FIELDS
from governance.proof.renamed import _BY_TEXT, _FRAMES

LOOPS = (ast.For, ast.AsyncFor, ast.While)
# names that read a function's locals by their text, or its class cell
READ_BY_TEXT = _BY_TEXT | {"super", "__class__"}


def idents(node: ast.AST) -> Iterator[str]:
    """Every name a node writes: a Name, an attribute, a def, a class, an import, an
    argument, a keyword, a `global` or `nonlocal` declaration, a pattern's capture."""
    for field in ("id", "attr", "arg", "asname"):
        value = getattr(node, field, None)
        if isinstance(value, str):
            yield value
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.alias)):
        yield node.name
    if isinstance(node, (ast.ExceptHandler, ast.MatchAs, ast.MatchStar)) and node.name:
        yield node.name
    if isinstance(node, (ast.Global, ast.Nonlocal)):
        yield from node.names
    if isinstance(node, ast.MatchMapping) and node.rest:
        yield node.rest


def scope_names(node: ast.AST) -> Iterator[str]:
    """The names a node reads or binds in its scope: `idents` but an attribute's or a
    keyword argument's name, which are no variable."""
    if isinstance(node, ast.Attribute):
        return
    if not isinstance(node, ast.keyword):
        yield from idents(node)


def paths(body: list[ast.stmt], path: tuple) -> Iterator[tuple[tuple, ast.stmt]]:
    """Each statement under `body` with its path: (field, handler, index) steps down."""
    for i, s in enumerate(body):
        here = (*path, i)
        yield here, s
        for field in BLOCK_FIELDS:
            yield from paths(getattr(s, field, None) or [], (*here, (field, None)))
        for h, handler in enumerate(getattr(s, "handlers", ())):
            yield from paths(handler.body, (*here, ("handlers", h)))


def walked(fn: ast.AST, path: tuple) -> tuple[list[ast.stmt], int]:
    """The statement list and index `path` names (`_paths`), in `fn` or a copy of it."""
    body, index = fn.body, path[0]
    for (field, handler), i in zip(path[1::2], path[2::2], strict=True):
        owner = body[index]
        body = getattr(owner, field) if handler is None else owner.handlers[handler].body
        index = i
    return body, index


def ancestors(fn: ast.AST, path: tuple) -> list[ast.stmt]:
    """The statements around the one `path` names, outermost first."""
    found = []
    for cut in range(1, len(path), 2):
        body, index = walked(fn, path[:cut])
        found.append(body[index])
    return found


def bound(s: ast.stmt) -> set[str]:
    """The names a plain statement binds whenever it runs to its end."""
    if isinstance(s, ast.Assign):
        return set().union(*(stored(t) for t in s.targets))
    if isinstance(s, (ast.AnnAssign, ast.AugAssign)) and s.value is not None:
        return stored(s.target)
    if isinstance(s, (ast.Import, ast.ImportFrom)):
        return {a.asname or a.name.split(".")[0] for a in s.names}
    if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {s.name}
    return set()


def stored(target: ast.AST) -> set[str]:
    if isinstance(target, ast.Name):
        return {target.id}
    if isinstance(target, (ast.Tuple, ast.List)):
        return set().union(*(stored(e) for e in target.elts))
    if isinstance(target, ast.Starred):
        return stored(target.value)
    return set()


def bound_before(fn: ast.AST, path: tuple) -> set[str]:
    """The names surely bound where `path` is: the parameters, what the plain statements
    before it on its way bind, and the target of a `for` it is in."""
    a = fn.args
    found = {p.arg for p in (*a.posonlyargs, *a.args, *a.kwonlyargs, a.vararg, a.kwarg) if p}
    for cut in range(1, len(path) + 1, 2):
        body, index = walked(fn, path[:cut])
        for s in body[:index]:
            found |= bound(s)
        if cut < len(path) and path[cut][0] == "body" and isinstance(body[index], LOOPS[:2]):
            found |= stored(body[index].target)
    return found


def by_text(fn: ast.AST) -> bool:
    """Whether the function could read its locals by their text (it would see the moved
    statements' locals in the base only)."""
    return any((isinstance(n, ast.Name) and n.id in READ_BY_TEXT)
               or (isinstance(n, ast.Attribute) and n.attr in _FRAMES) for n in ast.walk(fn))


def table(fn: ast.AST) -> symtable.SymbolTable:
    """The symbol table of `fn` alone (a method resolves its names as a function does)."""
    module = ast.Module(body=[fn], type_ignores=[])
    (table,) = symtable.symtable(ast.unparse(module), "<extracted>", "exec").get_children()
    return table


def span(fn: ast.AST) -> range:
    return range(fn.lineno, (getattr(fn, "end_lineno", None) or fn.lineno) + 1)
