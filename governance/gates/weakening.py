"""Test weakening: what a candidate's edit of an existing test file takes away (GATE's AST check).

Pure functions over source texts. The rule is append-only: a change to an existing test
file is autonomous only when every top-level statement of the old file is still there,
unchanged and in order, and what was added is new tests or new helpers that cannot change
how the old tests behave. Concretely a change weakens when it
- removes or renames a test, helper, fixture, import or any other old statement;
- alters an existing test other than by appending statements to its body (new assertions
  at the end are fine; a changed assertion, decorator, signature or earlier statement is not);
- adds skip / xfail markers or pytest.skip / xfail / importorskip / exit calls anywhere;
- adds module-level code other than new functions, classes, imports and assignments to
  new names (an added call or attribute assignment at import time can patch the code under
  test), a `pytestmark`, an autouse fixture, a fixture named like one an old test requests,
  or setup/teardown hooks;
- adds assertions that cannot fail (`assert True`, `assert 1`, `assert x or True`);
- inserts new definitions before existing ones (only imports may go anywhere), or newly
  imports a module the same change writes (its import-time code would run beside the old
  tests).
What this cannot see: code in an added test body runs at test time and can change shared
state for tests that run after it. The op itself is judged without it (the ORIGINAL session
in governance.oracle.oracle_run runs the old test files in their base form); what lands is then
the human's concern only where this module flags it.
Deleting a test file, or changing or deleting a non-Python file in a test directory (expected
outputs), weakens as well. Each finding is one short line for the approval request.
"""

from __future__ import annotations

import ast
import posixpath
from dataclasses import dataclass, replace

from governance.python_ast import parse_python

TEST_DIR_NAMES = frozenset({"test", "tests", "testing"})
SKIP_NAMES = frozenset({"skip", "skipif", "xfail", "importorskip", "exit", "skipTest",
                        "SkipTest", "expectedFailure", "skipIf", "skipUnless"})
SETUP_NAMES = frozenset({"setup_method", "teardown_method", "setup_class", "teardown_class",
                         "setup", "teardown", "setUp", "tearDown", "setUpClass",
                         "tearDownClass", "setup_module", "teardown_module",
                         "setup_function", "teardown_function", "setUpModule",
                         "tearDownModule"})
_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def in_test_dir(rel: str) -> bool:
    """A path inside a test directory (tests/, test/, testing/, test_x/, x_tests/)."""
    parts = rel.split("/")[:-1]
    return any(p in TEST_DIR_NAMES or p.startswith("test_") or p.endswith(("_test", "_tests"))
               for p in parts)


def is_test_path(rel: str) -> bool:
    """A test module anywhere, or any file inside a test directory."""
    name = posixpath.basename(rel)
    test_module = name.endswith(".py") and (name.startswith("test_") or name.endswith("_test.py"))
    return test_module or in_test_dir(rel)


def _dump(node: ast.AST) -> str:
    return ast.dump(node, include_attributes=False)


def _name(node: ast.stmt) -> str | None:
    return node.name if isinstance(node, _DEFS) else None


def _bound(node: ast.stmt) -> set[str]:
    """Top-level names a statement binds (targets, imports, defs)."""
    if isinstance(node, _DEFS):
        return {node.name}
    if isinstance(node, ast.Import | ast.ImportFrom):
        return {(a.asname or a.name).split(".")[0] for a in node.names}
    targets = []
    if isinstance(node, ast.Assign):
        targets = node.targets
    elif isinstance(node, ast.AnnAssign | ast.AugAssign):
        targets = [node.target]
    return {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}


def _skips(node: ast.AST) -> int:
    """Skip/xfail/exit markers and calls anywhere under `node`."""
    names = (s.attr if isinstance(s, ast.Attribute) else getattr(s, "id", None)
             for s in ast.walk(node))
    return sum(1 for n in names if n in SKIP_NAMES)


def _trivial_asserts(node: ast.AST) -> int:
    def always_true(test: ast.expr) -> bool:
        if isinstance(test, ast.Constant):
            return bool(test.value)
        if isinstance(test, ast.Tuple | ast.List | ast.Set | ast.Dict):
            return bool(getattr(test, "elts", None) or getattr(test, "keys", None))
        if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.Or):
            return any(always_true(v) for v in test.values)
        return False

    return sum(1 for s in ast.walk(node) if isinstance(s, ast.Assert) and always_true(s.test))


def _autouse(node: ast.stmt) -> bool:
    return isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and any(
        isinstance(k, ast.keyword) and k.arg == "autouse"
        for d in node.decorator_list for k in ast.walk(d))


def _params(node: ast.stmt) -> set[str]:
    """Fixture names the old tests request (their parameter names)."""
    return {a.arg for s in ast.walk(node) if isinstance(s, ast.FunctionDef | ast.AsyncFunctionDef)
            for a in s.args.args + s.args.kwonlyargs}


def _function_change(old: ast.stmt, new: ast.stmt, where: str) -> list[str]:
    """An old function kept its name: only appending to the body is allowed."""
    if not isinstance(new, type(old)):
        return [f"{where} is no longer the same kind of definition"]
    assert isinstance(old, ast.FunctionDef | ast.AsyncFunctionDef)
    assert isinstance(new, ast.FunctionDef | ast.AsyncFunctionDef)
    if [_dump(d) for d in old.decorator_list] != [_dump(d) for d in new.decorator_list]:
        return [f"{where}: decorators changed"]
    if _dump(old.args) != _dump(new.args) or _dump(old.returns or ast.Pass()) != _dump(
            new.returns or ast.Pass()):
        return [f"{where}: signature changed"]
    head = new.body[: len(old.body)]
    if [_dump(s) for s in head] != [_dump(s) for s in old.body]:
        return [f"{where}: existing statements or assertions changed or removed"]
    return []


def _class_change(old: ast.ClassDef, new: ast.stmt, sc: _Scope) -> list[str]:
    if not isinstance(new, ast.ClassDef):
        return [f"{sc.where} is no longer a class"]
    if ([_dump(d) for d in old.decorator_list] != [_dump(d) for d in new.decorator_list]
            or [_dump(b) for b in old.bases] != [_dump(b) for b in new.bases]
            or [_dump(k) for k in old.keywords] != [_dump(k) for k in new.keywords]):
        return [f"{sc.where}: decorators or bases changed"]
    return _body_change(old.body, new.body, sc)


def _chain_root(node: ast.expr) -> str | None:
    while isinstance(node, ast.Attribute):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


# Decorators and calls at import may come only from these (marks, fixtures, params, mock
# patchers that act on the decorated test alone).
TRUSTED_ROOTS = frozenset({"pytest", "mock", "unittest"})


def _inert(node: ast.AST | None) -> bool:
    """An expression evaluated at import that cannot run arbitrary code: no calls except
    through TRUSTED_ROOTS (pytest.mark..., pytest.param, mock.patch), no walrus, no await."""
    if node is None:
        return True
    for sub in ast.walk(node):
        if isinstance(sub, ast.NamedExpr | ast.Await | ast.Yield | ast.YieldFrom | ast.Lambda):
            return False
        if isinstance(sub, ast.Call) and _chain_root(sub.func) not in TRUSTED_ROOTS:
            return False
    return True


def _decorator_ok(node: ast.expr) -> bool:
    """A decorator is itself called at import: it must come from TRUSTED_ROOTS."""
    target = node.func if isinstance(node, ast.Call) else node
    return _chain_root(target) in TRUSTED_ROOTS and _inert(node)


def _import_targets(node: ast.Import | ast.ImportFrom, package: str) -> set[str]:
    if isinstance(node, ast.Import):
        return {a.name for a in node.names}
    base = node.module or ""
    if node.level:
        parts = package.split(".") if package else []
        parts = parts[: len(parts) - (node.level - 1)] if node.level > 1 else parts
        base = ".".join([*parts, *([base] if base else [])])
    return {base, *(f"{base}.{a.name}" if base else a.name for a in node.names)}


def _import_time_code(node: ast.stmt) -> str | None:
    """Why an added def/class/assign would run code at import, or None."""
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        defaults = [*node.args.defaults, *node.args.kw_defaults]
        ok = all(map(_decorator_ok, node.decorator_list)) and all(map(_inert, defaults))
        return None if ok else "runs code in a decorator or default"
    if isinstance(node, ast.ClassDef):
        if not (all(map(_decorator_ok, node.decorator_list)) and all(map(_inert, node.bases))):
            return "runs code in a class decorator or base"
        for stmt in node.body:
            if not isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.Pass
                              | ast.Expr | ast.Assign | ast.AnnAssign | ast.ClassDef):
                return "runs code in a class body"
            why = _import_time_code(stmt)
            if why:
                return why
        return None
    if isinstance(node, ast.Expr):
        return None if isinstance(node.value, ast.Constant) else "runs an expression"
    if isinstance(node, ast.Assign | ast.AnnAssign):
        return None if _inert(node.value) else "assigns the result of a call"
    return None


@dataclass(frozen=True)
class _Scope:
    """What additions are checked against: the old names, requested fixtures, the modules
    the candidate writes, and the test module's package (for relative imports)."""

    old_names: frozenset[str]
    requested: frozenset[str]
    old_imports: frozenset[str]
    candidate_modules: frozenset[str]
    package: str
    where: str


def _added(node: ast.stmt, sc: _Scope) -> list[str]:
    """What an added statement may not be (see the module docstring)."""
    name, where = _name(node), sc.where or "module"
    label = f"{sc.where}.{name}" if sc.where and name else (name or where)
    allowed = (*_DEFS, ast.Import, ast.ImportFrom, ast.Assign, ast.AnnAssign, ast.Expr)
    if not isinstance(node, allowed):
        return [f"{where}: adds code ({type(node).__name__}, line {node.lineno}) that runs "
                "at import"]
    found = []
    why = _import_time_code(node)
    if why:
        found.append(f"{label}: {why} at import (line {node.lineno})")
    bound = _bound(node)
    if bound & sc.old_names:
        found.append(f"{label}: rebinds existing name(s) {', '.join(sorted(bound & sc.old_names))}")
    hooks = sorted(b for b in bound if b.startswith("pytest_") or b == "pytestmark")
    if hooks:
        found.append(f"{where}: adds {', '.join(hooks)} (a mark, hook or plugin list)")
    if isinstance(node, ast.Assign) and not all(isinstance(t, ast.Name) for t in node.targets):
        found.append(f"{where}: assigns to an attribute or item at import")
    if _autouse(node):
        found.append(f"{label}: adds an autouse fixture")
    if name and name in sc.requested and not name.startswith("test"):
        found.append(f"{label}: defines a fixture an existing test requests")
    if name in SETUP_NAMES:
        found.append(f"{label}: adds a setup/teardown hook (it runs around existing tests)")
    if isinstance(node, ast.Import | ast.ImportFrom):
        fresh = _import_targets(node, sc.package) - sc.old_imports
        hit = sorted(fresh & sc.candidate_modules)
        if hit:
            found.append(f"{where}: imports {hit[0]}, which this change writes (its import-time "
                         "code would run beside the existing tests)")
    return found


def _body_change(old: list[ast.stmt], new: list[ast.stmt], sc: _Scope) -> list[str]:
    """Old statements must survive in order; kept defs are compared; additions are vetted."""
    found: list[str] = []
    new_by_name = {_name(s): s for s in new if _name(s)}
    sc = replace(sc, old_names=frozenset().union(*(_bound(s) for s in old)),
                 requested=frozenset().union(*(_params(s) for s in old)),
                 old_imports=sc.old_imports | frozenset().union(*(
                     _import_targets(s, sc.package) for s in old
                     if isinstance(s, ast.Import | ast.ImportFrom))))
    kept: set[int] = set()
    cursor = 0
    for stmt in old:
        name = _name(stmt)
        if name is not None:
            label = f"{sc.where}.{name}" if sc.where else name
            if name not in new_by_name:
                found.append(f"removes or renames {label}")
                continue
            match = new_by_name[name]
            kept.add(id(match))
            if isinstance(stmt, ast.ClassDef):
                found += _class_change(stmt, match, replace(sc, where=label))
            else:
                found += _function_change(stmt, match, label)
            continue
        dump = _dump(stmt)
        hit = next((i for i in range(cursor, len(new)) if _dump(new[i]) == dump
                    or _extends_import(stmt, new[i])), None)
        if hit is None:
            found.append(f"{sc.where or 'module'}: changes or removes the statement at line "
                         f"{stmt.lineno}")
            continue
        kept.add(id(new[hit]))
        cursor = hit + 1
        extra = _bound(new[hit]) - _bound(stmt) if not isinstance(stmt, ast.ImportFrom) else {
            a.asname or a.name for a in getattr(new[hit], "names", [])
            if _dump(a) not in {_dump(b) for b in stmt.names}}
        if extra & sc.old_names:
            found.append(f"{sc.where or 'module'}: rebinds existing name(s) "
                         f"{', '.join(sorted(extra & sc.old_names))}")
    return found + _vet_additions(new, kept, sc)


def _vet_additions(new: list[ast.stmt], kept: set[int], sc: _Scope) -> list[str]:
    """Added statements: each vetted, and none but imports placed before old ones."""
    found: list[str] = []
    last = max((i for i, stmt in enumerate(new) if id(stmt) in kept), default=-1)
    for i, stmt in enumerate(new):
        if id(stmt) in kept:
            continue
        found += _added(stmt, sc)
        if i < last and not isinstance(stmt, ast.Import | ast.ImportFrom | ast.Expr):
            found.append(f"{sc.where or 'module'}: inserts {_name(stmt) or 'code'} before "
                         "existing tests (new tests go after them, so they cannot run first)")
    return found


def _extends_import(old: ast.stmt, new: ast.stmt) -> bool:
    """`from m import a` grown into `from m import a, b`: the same module, every old name."""
    if not (isinstance(old, ast.ImportFrom) and isinstance(new, ast.ImportFrom)):
        return False
    return (old.module, old.level) == (new.module, new.level) and {
        _dump(a) for a in old.names} <= {_dump(a) for a in new.names}


def module_name(rel: str) -> str:
    """The dotted module a repo path imports as ('calc/__init__.py' -> 'calc')."""
    stem = rel[:-3] if rel.endswith(".py") else rel
    parts = stem.split("/")
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def weakenings(rel: str, old: str | None, new: str | None,
               candidate_files: frozenset[str] = frozenset()) -> list[str]:
    """What a change to test file `rel` weakens ([] when it only adds); None = absent.
    `candidate_files` are all the paths the change writes (their modules may not be newly
    imported by an existing test file)."""
    if old is None:
        return []  # a new file only adds
    if new is None:
        return [f"{rel}: deletes a test file"]
    if not rel.endswith(".py"):
        return [] if old == new else [f"{rel}: changes a test data file"]
    try:  # a text that cannot be read as Python (a null byte, nesting past the recursion
        old_tree = parse_python(old)  # limit) cannot be compared: a weakening, never a crash
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return [f"{rel}: the old file does not parse, so the change cannot be compared"]
    try:
        new_tree = parse_python(new)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return [f"{rel}: the new file does not parse"]
    modules = frozenset(module_name(f) for f in candidate_files if f.endswith(".py")) - {
        module_name(rel)}
    scope = _Scope(frozenset(), frozenset(), frozenset(), modules,
                   module_name(rel).rpartition(".")[0], "")
    found = [f"{rel}: {f}" for f in _body_change(old_tree.body, new_tree.body, scope)]
    if _skips(new_tree) > _skips(old_tree):
        found.append(f"{rel}: adds skip/xfail/exit markers or calls")
    if _trivial_asserts(new_tree) > _trivial_asserts(old_tree):
        found.append(f"{rel}: adds an assertion that cannot fail")
    return found
