"""What a failing test's code reaches in the library, read by `ast` (sensors.failure_causes
names causes by it): the repository modules a test file imports, the library functions a
line or a def calls, a test's def by its node id (inherited from a class of the same file
too), and the library functions a test reaches through helpers of its own: a method of its
class's base imported from a test package (pyflakes' `self.flakes(...)`, whose harness calls
the library's `Checker`), a helper function the test file defines or imports from a test
package, followed two hops at most.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from governance.oracle.testrun import is_test_file
from governance.python_ast import parse_python
from ouroboros_pytest import harness

PARAMS = re.compile(r"\[.*\]$", re.DOTALL)  # pytest's parametrisation suffix of a node id
HOPS = 2  # helper calls followed from a test: its helper, and the helper's helper
Read = Callable[[str], str]


def module_file(dotted: str, files: set[str]) -> str | None:
    """The repository file a dotted import names (flat or src/ layout), if any."""
    base = dotted.replace(".", "/")
    for candidate in (f"{base}.py", f"{base}/__init__.py", f"src/{base}.py",
                      f"src/{base}/__init__.py"):
        if candidate in files:
            return candidate
    return None


def library(path: str, files: set[str]) -> bool:
    """A repository module that is not test code (a test package's helpers are not)."""
    return path in files and path.endswith(".py") and not is_test_file(path) \
        and not harness(path)


def spot(where: str) -> tuple[str, int]:
    path, _, line = where.rpartition(":")
    return path, int(line) if line.isascii() and line.isdigit() and int(line) > 0 else 0


@lru_cache(maxsize=64)  # a run's failures read the same few files
def parse(text: str) -> ast.Module | None:
    try:
        return parse_python(text)
    except (SyntaxError, ValueError):
        return None


def test_code(path: str, files: set[str]) -> bool:
    """A repository module of the tests: a test file, a conftest, a test package's helper."""
    return path in files and path.endswith(".py") and (is_test_file(path) or harness(path))


Keep = Callable[[str, set[str]], bool]


def imports(tree: ast.Module, files: set[str], keep: Keep = library
            ) -> tuple[dict[str, tuple[str, str]], dict[str, str]]:
    """(name -> (file, function name) for `from m import f`, alias -> file for `import m` /
    `import m as a` / `from pkg import m`), of the repository files `keep` takes (library
    modules unless told)."""
    names: dict[str, tuple[str, str]] = {}
    modules: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if (f := module_file(a.name, files)) and keep(f, files):
                    modules[a.asname or a.name] = f
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            src = module_file(node.module, files)
            for a in node.names:
                sub = module_file(f"{node.module}.{a.name}", files)
                if sub and keep(sub, files):
                    modules[a.asname or a.name] = sub
                elif src and keep(src, files):
                    names[a.asname or a.name] = (src, a.name)
    return names, modules


def calls(node: ast.AST, names: dict[str, tuple[str, str]],
           modules: dict[str, str]) -> list[tuple[str, str]]:
    """The library functions `node` calls, as (file, name), in the order they appear."""
    found = [_library_call(call, names, modules) for call in ast.walk(node)]
    return list(dict.fromkeys(f for f in found if f is not None))  # f(), mod.f(), pkg.mod.f()


def _library_call(call: ast.AST, names: dict[str, tuple[str, str]],
                  modules: dict[str, str]) -> tuple[str, str] | None:
    f = call.func if isinstance(call, ast.Call) else None
    if isinstance(f, ast.Name) and f.id in names:
        return names[f.id]
    if isinstance(f, ast.Attribute) and (owner := dotted(f.value)) in modules:
        return modules[owner], f.attr
    return None


def entry_calls(node: ast.AST, names: dict[str, tuple[str, str]],
                modules: dict[str, str]) -> list[tuple[str, str]]:
    """The library calls `node` makes that are not an argument of another library call,
    there or through a name assigned once: a helper's way into the library
    (`Checker(tree, file_tokens=make_tokens(code))`, or `t = make_tokens(code)` then
    `Checker(tree, file_tokens=t)`, enters by the Checker; make_tokens prepares its input)."""
    lib = [c for c in ast.walk(node) if _library_call(c, names, modules) is not None]
    assigned = {a.targets[0].id: id(a.value) for a in ast.walk(node)
                if isinstance(a, ast.Assign) and len(a.targets) == 1
                and isinstance(a.targets[0], ast.Name)}
    inner: set[int] = set()
    for c in lib:
        for sub in (s for arg in (*c.args, *(k.value for k in c.keywords))
                    for s in ast.walk(arg)):
            inner.add(id(sub))
            if isinstance(sub, ast.Name) and sub.id in assigned:
                inner.add(assigned[sub.id])
    found = [_library_call(c, names, modules) for c in lib if id(c) not in inner]
    return list(dict.fromkeys(f for f in found if f is not None))


def dotted(node: ast.AST) -> str:
    """`a.b.c` of a chain of attributes on a name ('' for anything else)."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    return ".".join([node.id, *reversed(parts)]) if isinstance(node, ast.Name) else ""


def body_calls(tree: ast.Module, test_id: str, func: ast.AST,
                names: dict[str, tuple[str, str]], modules: dict[str, str]
                ) -> list[tuple[str, str]]:
    """The library functions a test's body calls, and those its `self.helper()` calls call
    (the helper as the test's own class has it: a mixin's test runs each subclass's)."""
    found = calls(func, names, modules)
    cls = PARAMS.sub("", test_id).split("::")[1:-1]
    for call in ast.walk(func):
        f = call.func if isinstance(call, ast.Call) else None
        if cls and isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) \
                and f.value.id == "self":
            helper = defined(tree, f"x::{cls[-1]}::{f.attr}")
            found += calls(helper[1], names, modules) if helper else []
    return list(dict.fromkeys(found))


def innermost(tree: ast.Module, line: int, kind: type | tuple[type, ...]) -> ast.AST | None:
    best = None
    for node in ast.walk(tree):
        inside = isinstance(node, kind) and node.lineno <= line <= (node.end_lineno
                                                                     or node.lineno)
        if inside and (best is None or node.lineno >= best.lineno):
            best = node
    return best


def test_function(tree: ast.Module, test_id: str) -> ast.AST | None:
    """The def a node id names (`file::Class::test[params]`)."""
    found = defined(tree, test_id)
    return found[1] if found else None


def defined(tree: ast.Module, test_id: str) -> tuple[str, ast.AST] | None:
    """(`Class::test` where it is defined, its def) for a node id: a test a class inherits
    from another class of the same file (a mixin run once per subclass) is defined there."""
    parts = PARAMS.sub("", test_id).split("::")[1:]
    top = {n.name: n for n in tree.body
           if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)}
    if len(parts) == 1:
        return (parts[0], top[parts[0]]) if parts[0] in top else None
    if len(parts) != 2 or not isinstance(top.get(parts[0]), ast.ClassDef):
        return None
    seen: set[str] = set()
    todo = [parts[0]]
    while todo:
        name = todo.pop(0)
        cls = top.get(name)
        if name in seen or not isinstance(cls, ast.ClassDef):
            continue
        seen.add(name)
        for node in cls.body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == parts[1]:
                return f"{name}::{parts[1]}", node
        todo += [b.id for b in cls.bases if isinstance(b, ast.Name)]
    return None


@dataclass(frozen=True)
class _Def:
    """A helper's def, where it lives: its file's tree, and its class (for `self.x()`)."""

    file: str
    tree: ast.Module
    owner: str | None
    node: ast.AST


def helper_calls(tree: ast.Module, test_file: str, test_id: str, node: ast.AST,
                 files: set[str], read: Read) -> list[tuple[str, str]]:
    """The library functions `node` (a test's failing line, else its def) reaches through
    the test's helpers, HOPS deep: `self.m()` as the test's class has it (its bases of the
    same file, or imported from test code), a function the test's file defines or imports
    from test code (`helper()`, `helpers.check()`)."""
    cls = PARAMS.sub("", test_id).split("::")[1:-1]
    todo = [(_Def(test_file, tree, cls[-1] if cls else None, node), 0)]
    seen: set[int] = {id(node)}
    found: list[tuple[str, str]] = []
    while todo:
        where, depth = todo.pop(0)
        names, modules = imports(where.tree, files)
        found += entry_calls(where.node, names, modules) if depth else []
        if depth >= HOPS:
            continue
        for helper in _helpers(where, files, read):
            if id(helper.node) not in seen:
                seen.add(id(helper.node))
                todo.append((helper, depth + 1))
    return list(dict.fromkeys(found))


def _helpers(where: _Def, files: set[str], read: Read) -> list[_Def]:
    """The helpers of test code that `where.node` calls, resolved to their defs."""
    names, modules = imports(where.tree, files, test_code)
    out: list[_Def | None] = []
    for call in ast.walk(where.node):
        f = call.func if isinstance(call, ast.Call) else None
        if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) \
                and f.value.id == "self" and where.owner:
            out.append(_method(where.file, where.tree, where.owner, f.attr, files, read))
        elif isinstance(f, ast.Name) and f.id in names:
            out.append(_function(*names[f.id], files, read))
        elif isinstance(f, ast.Name):
            out.append(_function(where.file, f.id, files, read, where.tree))
        elif isinstance(f, ast.Attribute) and (alias := dotted(f.value)) in modules:
            out.append(_function(modules[alias], f.attr, files, read))
    return [d for d in out if d is not None]


def _top(tree: ast.Module) -> dict[str, ast.AST]:
    return {n.name: n for n in tree.body
            if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)}


def _function(file: str, name: str, files: set[str], read: Read,
              tree: ast.Module | None = None) -> _Def | None:
    """A top-level function of test code (a test itself is none: it is no helper)."""
    tree = tree or (parse(read(file)) if test_code(file, files) else None)
    node = _top(tree).get(name) if tree is not None else None
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) \
            and not name.startswith("test"):
        return _Def(file, tree, None, node)
    return None


def _method(file: str, tree: ast.Module, cls: str, name: str, files: set[str],
            read: Read, depth: int = 0) -> _Def | None:
    """Method `name` as class `cls` of `file` has it: its own, or a base's, the base in
    the same file or imported from test code (pyflakes' `harness.TestCase`)."""
    node = _top(tree).get(cls)
    if not isinstance(node, ast.ClassDef) or depth > 4:
        return None
    for item in node.body:
        if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef) and item.name == name:
            return _Def(file, tree, cls, item)
    names, _ = imports(tree, files, test_code)
    for base in node.bases:
        base_name = base.id if isinstance(base, ast.Name) else ""
        there = (file, tree) if base_name in _top(tree) else None
        if base_name in names and (other := parse(read(names[base_name][0]))) is not None:
            there, base_name = (names[base_name][0], other), names[base_name][1]
        if there is not None and (found := _method(*there, base_name, name, files, read,
                                                   depth + 1)) is not None:
            return found
    return None


def home(file: str, name: str, files: set[str], read: Read, depth: int = 0
         ) -> tuple[str, str]:
    """(module, name) where `name`, as `file` exports it, is defined: `file` itself when it
    defines it, else the module its `from .m import name` (or `from .m import *`, or
    `from .m import real as name`) takes it from, followed a few re-exports deep (a
    package's `__init__.py` re-exporting its `_impl.py`: the cause is where the function
    lives)."""
    tree = parse(read(file)) if file in files and depth <= 4 else None
    if tree is None or _defines(tree, name):
        return file, name
    for node in tree.body:
        if not isinstance(node, ast.ImportFrom):
            continue
        source = _import_source(file, node, files)
        for alias in node.names if source is not None else ():
            if alias.name == "*" or (alias.asname or alias.name) == name:
                real = name if alias.name == "*" else alias.name
                there, real = home(source, real, files, read, depth + 1)
                if (found := parse(read(there))) is not None and _defines(found, real):
                    return there, real
    return file, name


def _defines(tree: ast.Module, name: str) -> bool:
    if name in _top(tree):
        return True
    return any(isinstance(n, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name
                                                 for t in n.targets) for n in tree.body)


def _import_source(file: str, node: ast.ImportFrom, files: set[str]) -> str | None:
    """The repository file a `from X import ...` of `file` reads (relative or absolute)."""
    if not node.level:
        return module_file(node.module, files) if node.module else None
    parts = file.split("/")[:-1]
    parts = parts[:len(parts) - (node.level - 1)] if node.level > 1 else parts
    base = "/".join([*parts, *(node.module.split(".") if node.module else [])])
    return next((c for c in (f"{base}.py", f"{base}/__init__.py") if c in files), None)


MAX_PACKAGE_FILES = 64  # library modules read for the methods a test's objects may have


def package_methods(names: dict[str, tuple[str, str]], modules: dict[str, str],
                    files: set[str], read: Read) -> dict[str, tuple[str, str]]:
    """Method name -> (file, `Class.method`) for each name exactly one class defines among
    the library modules of the packages a test imports from (a flat module: itself): what
    `v.bump_prerelease("")` calls when `v` is an object the library made."""
    homes = {home(f, n, files, read)[0] for f, n in names.values()} | set(modules.values())
    dirs = {h.rpartition("/")[0] for h in homes if "/" in h}
    mine = sorted(f for f in files if library(f, files) and (f in homes or any(
        f.startswith(d + "/") for d in dirs)))[:MAX_PACKAGE_FILES]
    found: dict[str, list[tuple[str, str]]] = {}
    for f in mine:
        tree = parse(read(f))
        for cls in (n for n in (tree.body if tree else []) if isinstance(n, ast.ClassDef)):
            for m in cls.body:
                if isinstance(m, ast.FunctionDef | ast.AsyncFunctionDef):
                    found.setdefault(m.name, []).append((f, f"{cls.name}.{m.name}"))
    return {name: where[0] for name, where in found.items() if len(where) == 1}


# What a builtin called on an object, or a comparison between two, runs of its class.
DUNDERS = {"hash": "__hash__", "str": "__str__", "repr": "__repr__", "len": "__len__",
           "bool": "__bool__", "int": "__int__", "float": "__float__", "abs": "__abs__",
           "iter": "__iter__", "format": "__format__"}
COMPARED = {ast.Eq: "__eq__", ast.NotEq: "__ne__", ast.Lt: "__lt__", ast.LtE: "__le__",
            ast.Gt: "__gt__", ast.GtE: "__ge__"}


def object_calls(node: ast.AST, func: ast.AST, methods: dict[str, tuple[str, str]]
                 ) -> list[tuple[str, str]]:
    """The library methods `node` calls on an object a call made: `parse(s).bump()`, or
    `v.bump()` where the test `func` assigned `v` a call's result (`v = parse(s)`; a literal
    such as `d = {}` is no library object, so `d.get()` is not the library's `get`); and the
    special methods a builtin or a comparison runs on such objects (`hash(v1) == hash(v2)`:
    `__hash__`; `v1 < v2`: `__lt__`)."""
    made = {t.id for a in ast.walk(func) if isinstance(a, ast.Assign)
            and isinstance(a.value, ast.Call) for t in a.targets if isinstance(t, ast.Name)}

    def library_object(value: ast.AST) -> bool:
        if isinstance(value, ast.Name):
            return value.id in made
        return isinstance(value, ast.Call) and not (isinstance(value.func, ast.Name)
                                                    and value.func.id in DUNDERS)
    out = []
    for n in ast.walk(node):
        f = n.func if isinstance(n, ast.Call) else None
        if isinstance(f, ast.Attribute) and f.attr in methods and library_object(f.value):
            out.append(methods[f.attr])
        elif isinstance(f, ast.Name) and DUNDERS.get(f.id) in methods and len(n.args) == 1 \
                and library_object(n.args[0]):
            out.append(methods[DUNDERS[f.id]])
        elif isinstance(n, ast.Compare) and len(n.ops) == 1 and COMPARED.get(
                type(n.ops[0])) in methods and all(isinstance(v, ast.Name) and v.id in made
                                                   for v in (n.left, *n.comparators)):
            out.append(methods[COMPARED[type(n.ops[0])]])
    return list(dict.fromkeys(out))


def assigned_before(stmt: ast.stmt, func: ast.AST) -> list[ast.AST]:
    """The values the test `func` assigns, before `stmt`, to the names `stmt` reads: where
    an assert's operands came from (`dev = v.replace(...)`, then `assert str(dev) == ...`)."""
    reads = {n.id for n in ast.walk(stmt) if isinstance(n, ast.Name)
             and isinstance(n.ctx, ast.Load)}
    return [a.value for a in ast.walk(func) if isinstance(a, ast.Assign)
            and a.lineno < stmt.lineno
            and any(isinstance(t, ast.Name) and t.id in reads for t in a.targets)]
