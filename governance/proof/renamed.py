"""A function whose candidate differs from its base only by its local names, renamed one for
one: the same code, so the same behaviour on every input (issue 49: a correct refactor of
code the rules were not grown on).

Pure: texts in, spans out. The differential check needs inputs that go where a change acts
(governance.proof.noticed); a renamed local acts nowhere, and on the first held-out wave a
renamed local waited for review because no input told its line's mutant apart. Renaming is
shown here without inputs: both functions walk in step (governance.proof.ast_diff) and
differ only in `Name` nodes, one for one, and scope by scope (the symbol tables of both,
walked in step) each name resolves as its image does, a renamed one always to a local of a
function scope (assigned there, or a comprehension's variable). So a parameter keeps its
name (of the function, a nested def or a lambda: a call by keyword would change), a global
or builtin is the same name on both sides, and a name bound in one scope and read as a
global in another is not renamed. A function that could read a local by its text (`eval`,
`locals()`, `vars()`, a frame's `f_locals`) or that holds a class body (its names are
attributes) shows nothing, nor one whose decorators, defaults or annotations (read in the
module's scope, which the tables of the function do not cover) changed. Anything else (an
`except ... as` name, a nested def's name) is left to the differential check. Not compared:
the text of an UnboundLocalError, which names the local.
"""

from __future__ import annotations

import ast
import symtable
from dataclasses import dataclass

from governance.proof.ast_diff import differences, functions
from governance.proof.ast_helpers import FUNCS, dump, parse


@dataclass(frozen=True)
class Renamed:
    """A function shown to be its base with locals renamed, and where it lies in each."""

    function: str  # qualname
    base_lines: range
    candidate_lines: range


def renamed(old: str, new: str) -> list[Renamed]:
    """The functions of `new` that are their base in `old` with locals renamed (and not
    identical). Unparsable text shows nothing."""
    try:
        before, after = functions(parse(old, "base")), functions(parse(new, "candidate"))
    except ValueError:
        return []
    return [Renamed(name, _span(before[name]), _span(fn)) for name, fn in after.items()
            if name in before and renamed_only(before[name], fn)]


def renamed_only(base: ast.AST, cand: ast.AST) -> bool:
    """Whether `cand` is `base` with names it binds itself renamed one for one, each name
    resolving in every scope as its image does (symtable) and none of the renamed ones a
    global, a parameter or a name something could read by its text."""
    pairs = differences(base, cand, 0)
    if not pairs or any(not isinstance(a, ast.Name) or not isinstance(b, ast.Name)
                        for a, b, _ in pairs):
        return False  # a parameter (of it, a nested def or a lambda) keeps its name
    if _reads_by_text(base) or _reads_by_text(cand) or _outside(base) != _outside(cand):
        return False
    mapping = _mapping(base, cand)
    if mapping is None:
        return False
    try:
        before, after = _table(base), _table(cand)
    except (SyntaxError, ValueError, IndexError):
        return False
    return _resolved_alike(before, after, mapping)


def _mapping(base: ast.AST, cand: ast.AST) -> dict[str, str] | None:
    """base name -> candidate name over every Name of both (walked in step), or None when
    it is not one for one."""
    forward: dict[str, str] = {}
    backward: dict[str, str] = {}
    for a, b in zip(ast.walk(base), ast.walk(cand), strict=True):
        if not (isinstance(a, ast.Name) and isinstance(b, ast.Name)):
            continue
        if forward.setdefault(a.id, b.id) != b.id or backward.setdefault(b.id, a.id) != a.id:
            return None
    return forward


def _resolved_alike(before: symtable.SymbolTable, after: symtable.SymbolTable,
                    mapping: dict[str, str]) -> bool:
    """Scope by scope (both tables' trees walked in step), each base name resolves as its
    image does, and a renamed one is a local of a function scope (or free to one)."""
    if before.get_type() != after.get_type() or before.get_name() != after.get_name():
        return False
    for name in before.get_identifiers():
        image = mapping.get(name, name)
        try:
            mine, theirs = before.lookup(name), after.lookup(image)
        except KeyError:
            return False
        if _how(mine) != _how(theirs):
            return False
        if image != name and (mine.is_global() or mine.is_parameter()
                              or before.get_type() != "function"):
            return False
    kids, others = before.get_children(), after.get_children()
    return len(kids) == len(others) and all(
        _resolved_alike(a, b, mapping) for a, b in zip(kids, others, strict=True))


def _how(sym: symtable.Symbol) -> tuple[bool, ...]:
    return (sym.is_global(), sym.is_declared_global(), sym.is_local(), sym.is_free(),
            sym.is_nonlocal(), sym.is_parameter(), sym.is_assigned(), sym.is_imported())


def _table(fn: ast.AST) -> symtable.SymbolTable:
    """The symbol table of `fn` alone: a module-level function or a method resolves its
    names as it does here (a class body's names are not visible inside its methods)."""
    module = ast.Module(body=[fn], type_ignores=[])
    (table,) = symtable.symtable(ast.unparse(module), "<renamed>", "exec").get_children()
    return table


def _outside(fn: ast.AST) -> list[str]:
    """What the enclosing scope evaluates for `fn` (its decorators, defaults, annotations):
    the symbol tables walked below never see those names, so they must not change."""
    if not isinstance(fn, FUNCS):
        return []
    a = fn.args
    parts = [*fn.decorator_list, *a.defaults, *a.kw_defaults, fn.returns,
             *(p.annotation for p in (*a.posonlyargs, *a.args, *a.kwonlyargs, a.vararg,
                                       a.kwarg) if p is not None)]
    return [dump(x) for x in parts]


def _reads_by_text(fn: ast.AST) -> bool:
    """Whether `fn` could read a local by its name's text (eval, locals(), a frame) or binds
    names in a class body (attributes): a rename would change what it reads."""
    for node in ast.walk(fn):
        if isinstance(node, ast.ClassDef):
            return True
        if isinstance(node, ast.Name) and node.id in _BY_TEXT:
            return True
        if isinstance(node, ast.Attribute) and node.attr in _FRAMES:
            return True
    return False


_BY_TEXT = frozenset({"eval", "exec", "compile", "locals", "vars", "dir", "globals"})
_FRAMES = frozenset({"f_locals", "_getframe", "currentframe", "stack", "getouterframes",
                     "co_varnames", "__code__"})


def _span(fn: ast.AST) -> range:
    return range(fn.lineno, (getattr(fn, "end_lineno", None) or fn.lineno) + 1)
