"""Which import-time assignments of a candidate bind something its base did not (issue 42,
item 6): a class attribute (`mode = _StatsProperty('mode', _calc_mode)`) or a table entry
(`HANDLERS['mode'] = _calc_mode`) the change adds.

Such a line runs when its module is imported, under no test, so whether a fail-to-pass test
reaches it is shown by a mutant switched on before the import
(governance.proof.mutation_run). Its first mutant (a string changed, a number + 1) says
whether a test checks the value; removing the binding says whether a test reaches the name
at all, which is what "the test enters it" means for a line no call runs: the base had no
such binding, so the candidate without it is the base, there.

Pure: texts in, statement ids out.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from governance.proof.ast_helpers import FUNCS, blocks, dump
from governance.python_ast import parse_python


def added_bindings(old: str | None, tree: ast.Module) -> set[int]:
    """The ids of `tree`'s import-time assignments (at module level or in a class body,
    outside any function) none of whose targets its scope bound in `old`."""
    try:
        before = {key for stmt, scope in _import_time(parse_python(old or ""))
                  for key in _bound(stmt, scope)}
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return set()
    out = set()
    for stmt, scope in _import_time(tree):
        if isinstance(stmt, (ast.Assign, ast.AnnAssign)) and stmt.value is not None:
            keys = list(_bound(stmt, scope))
            if keys and not any(k in before for k in keys):
                out.add(id(stmt))
    return out


def _import_time(tree: ast.Module) -> Iterator[tuple[ast.stmt, str]]:
    """Each statement that runs at import, with its scope ('' or 'Outer.Inner.')."""
    todo: list[tuple[list[ast.stmt], str]] = [(tree.body, "")]
    while todo:
        body, scope = todo.pop()
        for stmt in body:
            yield stmt, scope
            if isinstance(stmt, ast.ClassDef):
                todo.append((stmt.body, f"{scope}{stmt.name}."))
            elif not isinstance(stmt, FUNCS):
                todo += [(block, scope) for block in blocks(stmt)]


def _bound(stmt: ast.stmt, scope: str) -> Iterator[tuple[str, str]]:
    """(scope, what) for each thing `stmt` binds: a name, or an attribute or item target
    as written (`T['k']`)."""
    if isinstance(stmt, (*FUNCS, ast.ClassDef)):
        yield scope, stmt.name
    elif isinstance(stmt, (ast.Import, ast.ImportFrom)):
        yield from ((scope, a.asname or a.name.split(".")[0]) for a in stmt.names)
    targets = getattr(stmt, "targets", None) or [getattr(stmt, "target", None)]
    for t in targets:
        for leaf in _leaves(t):
            yield scope, leaf.id if isinstance(leaf, ast.Name) else dump(leaf)


def _leaves(target: ast.AST | None) -> Iterator[ast.AST]:
    if isinstance(target, (ast.Tuple, ast.List)):
        for elt in target.elts:
            yield from _leaves(elt)
    elif isinstance(target, ast.Starred):
        yield from _leaves(target.value)
    elif target is not None:
        yield target
