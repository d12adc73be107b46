"""symbol_changes and breaking_changes: which names a candidate changed, and which public
ones it broke (removed, renamed, or re-signatured so that existing calls fail).

Pure: source texts in (None for a file that is new or deleted), data out.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from governance.proof.ast_helpers import (
    BLOCK_FIELDS,
    DEFS,
    FUNCS,
    all_names,
    blocks,
    dump,
    guarded,
    is_docstring,
    parse,
    public_name,
)


@dataclass(frozen=True)
class SymbolChange:
    """A module-level def or class, a method (`Class.method`), or a pseudo-symbol:
    `<module>` (module-level statements outside defs), `<imports>`, `<unanalysable>`."""

    name: str
    kind: Literal["added", "removed", "changed"]
    public: bool


@dataclass
class _Symbols:
    """One text's symbols: name -> dumps of its definitions in source order (overloads and
    conditional defs share a name), the module's other statements, its imports."""

    defs: dict[str, list[str]]
    module: list[str]
    imports: list[str]
    exported: set[str]


def _collect(body: list[ast.stmt], prefix: str, syms: _Symbols, module: bool) -> None:
    """Module level (through if/try/with/...) and class bodies, into `syms`."""
    for s in body:
        if isinstance(s, DEFS):
            node = s
            if isinstance(s, ast.ClassDef):  # its methods and inner classes count apart
                node = ast.ClassDef(**{**dict(ast.iter_fields(s)), "body": [
                    b for b in s.body if not isinstance(b, DEFS)]})
                _collect(s.body, f"{prefix}{s.name}.", syms, False)
            syms.defs.setdefault(prefix + s.name, []).append(ast.dump(node))
        elif module and isinstance(s, (ast.Import, ast.ImportFrom)):
            syms.imports.append(ast.dump(s))
        elif module and blocks(s):
            head = {k: v for k, v in ast.iter_fields(s) if k not in (*BLOCK_FIELDS, "handlers",
                                                                      "cases")}
            syms.module.append(f"{type(s).__name__}({dump(list(head.values()))})")
            for clause in [*getattr(s, "handlers", ()), *getattr(s, "cases", ())]:
                syms.module.append(dump([v for k, v in ast.iter_fields(clause) if k != "body"]))
            for block in blocks(s):  # markers keep the nesting: a dedent is a change
                syms.module.append("<block>")
                _collect(block, prefix, syms, True)
                syms.module.append("</block>")
        elif module:
            syms.module.append(ast.dump(s))


def _symbols(text: str | None, what: str) -> _Symbols:
    syms = _Symbols({}, [], [], set())
    if text is not None:
        tree = parse(text, what)
        _collect(tree.body, "", syms, True)
        syms.exported = all_names(tree)
    return syms


def symbol_changes(old: str | None, new: str | None) -> list[SymbolChange]:
    """Which defs, classes and methods were added, removed or changed (any difference in
    the AST of the whole def, decorators and docstring included; a class's own dump leaves
    its methods out, they count apart), plus `<module>` and `<imports>`. A text that cannot
    be parsed gives one public `<unanalysable>` change."""
    return guarded(lambda: _symbol_changes(old, new),
                    lambda _why: [SymbolChange("<unanalysable>", "changed", True)])


def _symbol_changes(old: str | None, new: str | None) -> list[SymbolChange]:
    before, after = _symbols(old, "base text"), _symbols(new, "candidate")
    exported = before.exported | after.exported
    pairs = {name: (before.defs.get(name), after.defs.get(name))
             for name in {*before.defs, *after.defs}}
    pairs["<module>"] = (before.module or None, after.module or None)
    pairs["<imports>"] = (before.imports or None, after.imports or None)
    out = []
    for name in sorted(pairs):
        was, now = pairs[name]
        if was == now:
            continue
        kind = "added" if was is None else "removed" if now is None else "changed"
        out.append(SymbolChange(name, kind, name.startswith("<") or public_name(name, exported)))
    return out


# -- 5. breaking changes to public names ---------------------------------------------------


def _module_level(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """Statements at module level, through if/try/with/for blocks but not into defs."""
    for s in body:
        yield s
        if not isinstance(s, DEFS):
            for block in blocks(s):
                yield from _module_level(block)


def _bound_names(s: ast.AST) -> Iterator[str]:
    """The names a statement (or a class member) binds in its scope."""
    if isinstance(s, DEFS):
        yield s.name
    elif isinstance(s, (ast.Import, ast.ImportFrom)):
        yield from (a.asname or a.name.split(".")[0] for a in s.names)
    targets = [*getattr(s, "targets", ())] + [
        t for t in (getattr(s, "target", None),) if t is not None and (
            not isinstance(s, ast.AnnAssign) or s.value is not None)]
    targets += [i.optional_vars for i in getattr(s, "items", ()) if i.optional_vars]
    for t in targets:  # `a, *b = ...` binds a and b; `obj.x = ...` binds nothing here
        yield from (n.id for n in ast.walk(t) if isinstance(n, ast.Name)
                    and isinstance(n.ctx, ast.Store))


def _definitions(tree: ast.Module) -> dict[str, ast.stmt]:
    """name -> the statement that binds it last at module level."""
    return {name: s for s in _module_level(tree.body) for name in _bound_names(s)}


@dataclass(frozen=True)
class _Param:
    name: str
    kind: str  # "posonly" | "pos" | "kwonly"
    default: bool


def _params(fn: ast.AST) -> list[_Param]:
    a = fn.args
    pos = [*a.posonlyargs, *a.args]
    first_default = len(pos) - len(a.defaults)
    out = [_Param(p.arg, "posonly" if i < len(a.posonlyargs) else "pos", i >= first_default)
           for i, p in enumerate(pos)]
    return out + [_Param(p.arg, "kwonly", d is not None)
                  for p, d in zip(a.kwonlyargs, a.kw_defaults, strict=True)]


def _render(name: str, fn: ast.AST) -> str:
    """`scale(x, /, k=..., *args, flag, **kw)`: defaults shown as `=...`."""
    a, params = fn.args, _params(fn)

    def show(kind: str) -> list[str]:
        return [p.name + ("=..." if p.default else "") for p in params if p.kind == kind]

    parts = show("posonly")
    parts += ["/"] if parts else []
    parts += show("pos")
    kwonly = show("kwonly")
    parts += [f"*{a.vararg.arg}"] if a.vararg else ["*"] if kwonly else []
    parts += kwonly + ([f"**{a.kwarg.arg}"] if a.kwarg else [])
    return f"{name}({', '.join(parts)})"


def _positional_problem(old: list[_Param], new: list[_Param],
                        by_name: dict[str, _Param]) -> str | None:
    for i, p in enumerate(old):
        q = new[i] if i < len(new) else None
        if q is None or (p.kind == "pos" and q.name != p.name):
            moved = by_name.get(p.name)
            if moved is not None and moved.kind == "kwonly" and p.kind == "pos":
                return f"{p.name} became keyword-only"
            return f"{p.name} was moved" if moved and p.kind == "pos" else (
                f"{p.name} was removed or renamed")
        if p.kind == "pos" and q.kind == "posonly":
            return f"{p.name} became positional-only"
        if p.default and not q.default:
            return f"{p.name} lost its default"
    return None


def _incompatible(old_fn: ast.AST, new_fn: ast.AST) -> str | None:
    """Why calls that worked with `old_fn`'s signature may fail with `new_fn`'s, or None."""
    old, new = _params(old_fn), _params(new_fn)
    by_name = {p.name: p for p in new}
    old_pos = [p for p in old if p.kind != "kwonly"]
    new_pos = [p for p in new if p.kind != "kwonly"]
    why = _positional_problem(old_pos, new_pos, by_name)
    if why:
        return why
    known = {p.name for p in old}
    for q in new_pos[len(old_pos):]:
        if old_fn.args.vararg:
            return f"new parameter {q.name} takes what *{old_fn.args.vararg.arg} took"
        if not q.default and q.name not in known:  # a keyword-only one may turn positional
            return f"new parameter {q.name} has no default"
    for p in old:
        q = by_name.get(p.name)
        if p.kind == "kwonly" and q is None:
            return f"{p.name} was removed or renamed"
        if p.kind == "kwonly" and q.kind == "posonly":
            return f"{p.name} became positional-only"
        if p.kind == "kwonly" and p.default and not q.default:
            return f"{p.name} lost its default"
    for q in new:
        if q.kind == "kwonly" and not q.default and q.name not in known:
            return f"new parameter {q.name} has no default"
    for stars, field in (("*", "vararg"), ("**", "kwarg")):
        if getattr(old_fn.args, field) and not getattr(new_fn.args, field):
            return f"{stars}{getattr(old_fn.args, field).arg} was removed"
    return None


def _signature_changes(name: str, old: ast.AST, new: ast.AST) -> list[str]:
    """A changed signature of a function, or of the public methods of a class."""
    if isinstance(old, FUNCS) and isinstance(new, FUNCS):
        if is_stub(old):
            return []  # nothing worked through it: filling it in breaks no caller
        why = _incompatible(old, new)
        return [f"changes the signature of {_render(name, old)} -> {_render(name, new)} "
                f"({why})"] if why else []
    if not (isinstance(old, ast.ClassDef) and isinstance(new, ast.ClassDef)):
        return []
    members = {n: s for s in new.body for n in _bound_names(s)}
    methods = {s.name: s for s in old.body if isinstance(s, DEFS) and public_name(s.name, set())}
    out = []
    for n, method in methods.items():
        if n not in members:
            out.append(f"removes public name {name}.{n}")
        else:
            out += _signature_changes(f"{name}.{n}", method, members[n])
    return out


def is_stub(func: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """A body that does nothing a caller could rely on: only a docstring, `pass`, `...`,
    or `raise NotImplementedError` (with or without a message)."""
    body = [s for s in func.body if not is_docstring(s)]
    if not body:
        return True
    if len(body) != 1:
        return False
    s = body[0]
    if isinstance(s, ast.Pass):
        return True
    if isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant) \
            and s.value.value is Ellipsis:
        return True
    if isinstance(s, ast.Raise) and s.exc is not None:
        exc = s.exc.func if isinstance(s.exc, ast.Call) else s.exc
        return isinstance(exc, ast.Name) and exc.id == "NotImplementedError"
    return False


def breaking_changes(old: str | None, new: str | None) -> list[str]:
    """Public module-level names (defs, classes, assigned names, `__all__` entries) and
    public methods of public classes that `new` removes, renames or re-signatures
    incompatibly. A deleted file removes every public name; a new file breaks nothing."""
    if old is None:
        return []
    return guarded(lambda: _breaking(old, new), lambda why: [why])


def _public_api(tree: ast.Module, exported: set[str]) -> dict[str, ast.stmt]:
    """The public names a module defines itself: defs, classes and assigned names (not
    loop variables, not imports, nor a name an import also binds: `json = None` after a
    failed `import json` is a fallback, not API)."""
    found = _definitions(tree)
    imported = {n for s in _module_level(tree.body) if isinstance(s, (ast.Import, ast.ImportFrom))
                for n in _bound_names(s)}
    return {n: s for n, s in found.items() if isinstance(s, (*DEFS, ast.Assign, ast.AnnAssign))
            and n != "__all__" and n not in imported and public_name(n, exported)}


def _breaking(old: str, new: str | None) -> list[str]:
    old_tree = parse(old, "base text")
    new_defs = {} if new is None else _definitions(parse(new, "candidate"))
    exported = all_names(old_tree)
    old_defs = _public_api(old_tree, exported)
    out = []
    for name in sorted(exported | set(old_defs)):
        if name not in new_defs:
            out.append(f"removes public name {name}")
        elif name in old_defs:
            out += _signature_changes(name, old_defs[name], new_defs[name])
    return out


def private_additions_only(old: str, new: str) -> bool:
    """Whether the module-level statements `new` has and `old` has not are all assignments
    of new private names (a table or constant a refactor adds for its own use), and none
    of `old`'s is gone or changed."""
    def level(text: str) -> list[ast.stmt]:
        return [s for s in _module_level(parse(text, "text").body)
                if not isinstance(s, (*DEFS, ast.Import, ast.ImportFrom))]

    def check() -> bool:
        before, after = level(old), level(new)
        seen = [ast.dump(s) for s in before]
        left = list(seen)
        added = []
        for s in after:
            text = ast.dump(s)
            if text in left:
                left.remove(text)
            else:
                added.append(s)
        old_names = {n for s in before for n in _bound_names(s)}
        return not left and all(
            isinstance(s, (ast.Assign, ast.AnnAssign)) and (names := list(_bound_names(s)))
            and all(n.startswith("_") and n not in old_names for n in names) for s in added)
    return guarded(check, lambda _why: False)
