"""runner_sniffing: code that asks whether it runs under a test runner or a tracer.

Code that behaves differently under pytest or coverage passes its tests and fails in
production; a candidate with such a check proves nothing. Found by AST alone: a runner's
name looked up in `sys.modules`, the environment or the command line, and any use of the
trace, profile and monitoring hooks, through import aliases, `getattr(sys, "...")` and
`__import__("sys")` as far as a plain AST can follow them.
"""

from __future__ import annotations

import ast

from governance.proof.ast_helpers import (
    binding,
    const_str,
    guarded,
    own_nodes,
    parse,
    qual,
    statements,
)

RUNNER_STRINGS = frozenset({
    "pytest", "_pytest", "py.test", "unittest", "PYTEST_CURRENT_TEST", "PYTEST_VERSION",
    "PYTEST_XDIST_WORKER", "PYTEST_ADDOPTS", "_called_from_test",
    "coverage", "pytest_cov"})  # coverage: a tracer that test runs switch on
_RUNNER_PREFIXES = ("PYTEST_", "COV_CORE_")
# What a runner check looks in: the modules loaded, the environment, the command line.
_LOOKED_IN = frozenset({
    "sys.modules", "sys.argv", "sys.orig_argv", "os.environ", "os.environb", "os.getenv",
    "os.getenvb", "environ", "importlib.util.find_spec", "importlib.find_loader",
    "pkgutil.find_loader", "pkgutil.get_loader", "find_spec"})
_TRACE = frozenset({
    "sys.gettrace", "sys.getprofile", "sys.settrace", "sys.setprofile", "sys.call_tracing",
    "sys.monitoring", "threading.gettrace", "threading.getprofile", "threading.settrace",
    "threading.setprofile", "threading.settrace_all_threads",
    "threading.setprofile_all_threads", "sys._called_from_test"})
_ROOTS = frozenset({"sys", "os", "posix", "threading", "importlib", "pkgutil", "builtins"})


def _aliases(tree: ast.Module) -> dict[str, str]:
    """Local name -> module path: `import sys as s`, `from sys import gettrace as g`,
    `s = __import__("sys")`, `g = s.gettrace` (re-bindings two hops deep)."""
    out: dict[str, str] = {}
    for node in statements(tree.body):
        if isinstance(node, ast.Import):
            for a in node.names:  # `import os.path` binds os; `import os.path as p`, p
                top = a.name.split(".")[0]
                out[a.asname or top] = a.name if a.asname else top
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            out.update({a.asname or a.name: f"{node.module}.{a.name}" for a in node.names})
    binds = [n for n in statements(tree.body) if isinstance(n, ast.Assign)
             and len(n.targets) == 1 and isinstance(n.targets[0], ast.Name)]
    for _ in range(2):
        for n in binds:
            q = qual(n.value, out)
            if q and q.split(".")[0] in _ROOTS:
                out[n.targets[0].id] = q
    return out


def _is_runner(s: str | None) -> bool:
    return s is not None and (s in RUNNER_STRINGS or s.startswith(_RUNNER_PREFIXES))


def _runner_names(tree: ast.Module) -> set[str]:
    """Names bound to a runner string or to a collection holding one (`for m in (...)`)."""
    out = set()
    for n in ast.walk(tree):
        target, value = binding(n)
        if isinstance(target, ast.Name) and value is not None:
            items = value.elts if isinstance(value, (ast.Tuple, ast.List, ast.Set)) else [value]
            if any(_is_runner(const_str(e)) for e in items):
                out.add(target.id)
    return out


def runner_sniffing(new: str) -> list[str]:
    """Where `new` checks whether it runs under a test runner or a tracer: a runner's name
    looked up in sys.modules, the environment or the command line (in one statement), any
    use of the trace and profile hooks, `sys._called_from_test`. One finding per line."""
    return guarded(lambda: _sniff(parse(new, "candidate")), lambda why: [why])


def _sniff(tree: ast.Module) -> list[str]:
    aliases, names = _aliases(tree), _runner_names(tree)
    found: dict[int, str] = {}
    for stmt in statements(tree.body):
        if isinstance(stmt, ast.ImportFrom) and not stmt.level:
            for a in stmt.names:
                if _traces(f"{stmt.module}.{a.name}"):
                    found.setdefault(stmt.lineno, f"line {stmt.lineno}: imports the trace "
                                                  f"hook {stmt.module}.{a.name}")
        runner = looked = None
        for node in own_nodes(stmt):
            q = qual(node, aliases) if isinstance(node, (ast.Name, ast.Attribute, ast.Call,
                                                          ast.Subscript)) else None
            line = getattr(node, "lineno", stmt.lineno)
            if q and _traces(q):
                found.setdefault(line, f"line {line}: looks at the tracer or the test "
                                       f"runner ({q})")
            looked = looked or (q if q in _LOOKED_IN or (q or "").endswith(
                (".environ", ".find_spec")) else None)
            if isinstance(node, ast.Name) and node.id in names:
                runner = runner or node.id
            elif _is_runner(s := const_str(node)):
                runner = runner or s
        if runner and looked:
            found.setdefault(stmt.lineno, f"line {stmt.lineno}: checks for a test runner "
                                          f"({runner!r} with {looked})")
    return [found[n] for n in sorted(found)]


def _traces(q: str) -> bool:
    return q in _TRACE or q.startswith("sys.monitoring.")
