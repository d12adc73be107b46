"""The literals of the functions a changed function calls in another module of the
repository: its inputs are generated near them too.

A value that decides a call's outcome often lives in the callee's signature, not in the
changed code: bracex's command line dropped `limit=0` from `bracex.iexpand(expr, limit=0)`,
and `iexpand` stops at its default of 1,000 expansions. Within a module the check already
takes the literals of the functions a target calls by name (governance.proof.behaviour's
scope); this follows the target's imports one module further: `import pkg` then
`pkg.f(...)`, or `from pkg.mod import f` then `f(...)`, relative imports included, and a
method's `self.m(...)` where its class's base is imported from another module of the
repository (`class CNH(DocumentBase)`: the base's `m` is read there). Both
trees share these constants (they come from the base's modules and the candidate's import
lines, read from the base copy), so both runners make the same inputs.

Pure but for `read`, which gives a repository file's text or None (the base copy, through
no link).
"""

from __future__ import annotations

import ast
import contextlib
import dataclasses
from collections.abc import Callable, Sequence

from governance.oracle.differential import MAX_CONSTANTS, Target
from governance.proof.behaviour import Scope, literals
from governance.python_ast import parse_python

FUNCS = (ast.FunctionDef, ast.AsyncFunctionDef)
Read = Callable[[str], "str | None"]


def with_callees(targets: Sequence[Target], text: str, rel: str, read: Read) -> list[Target]:
    """`targets` (of the file `rel`, whose candidate text is `text`) with the literals of
    the functions they call in other modules of the repository after their own."""
    try:
        tree = parse_python(text)
    except (SyntaxError, ValueError, RecursionError):
        return list(targets)
    imported = _imports(tree, rel)
    inherited = _inherited(tree, imported)
    modules: dict[str, tuple[dict[str, ast.AST], Scope | None]] = {}
    out = []
    for t in targets:
        found = []
        owner = t.qualname.rpartition(".")[0]
        for module, name in [*_called(imported, t.names),
                             *_base_methods(inherited.get(owner, ()), t.names)]:
            if module not in modules:
                modules[module] = _module_defs(read, module)
            defs, scope = modules[module]
            node = defs.get(name)
            if node is not None and scope is not None:  # its literals, then its tables'
                found += literals(node) + scope.around(node)
        merged = tuple(dict.fromkeys([*t.constants, *found]))[:MAX_CONSTANTS]
        out.append(dataclasses.replace(t, constants=merged) if found else t)
    return out


def _imports(tree: ast.Module, rel: str) -> dict[str, list[tuple[str, str | None]]]:
    """Local name -> the (dotted module, the function's name in it, or None for the module
    itself) it may stand for, for the module-level imports of the file `rel`: `import a.b`
    binds `a`, through which `a.b.f` is reached."""
    package = rel[:-3].replace("/", ".").split(".")[:-1]
    out: dict[str, list[tuple[str, str | None]]] = {}
    for s in tree.body:
        if isinstance(s, ast.Import):
            for a in s.names:
                parts = a.name.split(".")
                if a.asname:
                    out.setdefault(a.asname, []).append((a.name, None))
                else:
                    out.setdefault(parts[0], []).extend(
                        (".".join(parts[:i]), None) for i in range(1, len(parts) + 1))
        elif isinstance(s, ast.ImportFrom):
            base = package[:len(package) - s.level + 1] if s.level else []
            module = ".".join([*base, *(s.module.split(".") if s.module else [])])
            for a in s.names:  # a function, or a module of the package (`from . import m`)
                out.setdefault(a.asname or a.name, []).extend(
                    [(module, a.name), (f"{module}.{a.name}".strip("."), None)])
    return out


def _called(imported: dict[str, list[tuple[str, str | None]]], names: frozenset[str]
            ) -> list[tuple[str, str]]:
    """(module, function) pairs a target may call: an imported function it names, or a
    name it reads as an attribute of a module it names."""
    out = []
    for local, meant in sorted(imported.items()):
        if local not in names:
            continue
        for module, name in meant:
            out += [(module, name)] if name is not None else [
                (module, attr) for attr in sorted(names) if attr != local]
    return out


def _inherited(tree: ast.Module, imported: dict[str, list[tuple[str, str | None]]]
               ) -> dict[str, list[tuple[str, str]]]:
    """A module-level class's name -> the (module, class) pairs its imported bases may be:
    `class CNH(DocumentBase)` after `from pkg.DocumentBase import DocumentBase`."""
    out: dict[str, list[tuple[str, str]]] = {}
    for s in tree.body:
        if isinstance(s, ast.ClassDef):
            out[s.name] = [(module, name) for b in s.bases if isinstance(b, ast.Name)
                           for module, name in imported.get(b.id, []) if name is not None]
    return out


def _base_methods(bases: Sequence[tuple[str, str]], names: frozenset[str]
                  ) -> list[tuple[str, str]]:
    """(module, "Class.method") pairs a method may call on `self` that its class inherits
    from a base in another module: validate-docbr's `CNH.validate` dropped `[' ']` from
    `self._validate_input(doc, [' '])`, whose default separators ('.', '-', '/', ' ')
    live in `DocumentBase`'s module, and no input wrote a dot (wave 28)."""
    return [(module, f"{cls}.{attr}") for module, cls in bases for attr in sorted(names)]


def _module_defs(read: Read, module: str) -> tuple[dict[str, ast.AST], Scope | None]:
    """The module-level functions of a repository module, by name, and its classes'
    methods as `Class.method`, and its scope (the constants a def reads:
    `limit=DEFAULT_LIMIT`); none where it is not the repository's, or does not parse."""
    path = module.replace(".", "/")
    for rel in (f"{path}.py", f"{path}/__init__.py", f"src/{path}.py",
                f"src/{path}/__init__.py"):
        text = read(rel)
        if text is None:
            continue
        with contextlib.suppress(SyntaxError, ValueError, RecursionError):
            body = parse_python(text).body
            defs = {s.name: s for s in body if isinstance(s, FUNCS)}
            defs.update({f"{c.name}.{m.name}": m for c in body if isinstance(c, ast.ClassDef)
                         for m in c.body if isinstance(m, FUNCS)})
            return defs, Scope(text)
        return {}, None
    return {}, None
