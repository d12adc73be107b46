"""Calls that only log, warn or print: the mutation check gives them no mutant (Google's
review-time mutants skip them too), since their words are for a human and no test reads
them (governance.proof.mutation).

Pure: a call's function expression and the module's imports in, a yes or no out. A `warn`
or `info` called by name counts when every binding of that name in the module is its
import from `warnings` or `logging`.
"""

from __future__ import annotations

import ast
import builtins

from governance.proof.ast_helpers import DEFS, qual

_LOGGERS = {"log", "logger", "logging", "LOG", "LOGGER", "warnings", "structlog"}
# The functions of these modules that only warn or log, resolved through the module's imports.
_QUIET = {"warnings": frozenset({"warn", "warn_explicit"}),
          "logging": frozenset({"debug", "info", "warning", "warn", "error", "exception",
                                "critical", "log"})}
_BUILTINS = frozenset(dir(builtins))


def logs(func: ast.expr, quiet: dict[str, str]) -> bool:
    """print(...), x.print_help(...), log.info(...), logging.warning(...), warnings.warn(...),
    and through the module's imports (`quiet`: quiet_names) warn(...), w.warn(...),
    info(...)."""
    module, _, name = (qual(func, quiet) or "").rpartition(".")
    if name in _QUIET.get(module, ()):
        return True
    if isinstance(func, ast.Name):
        return func.id == "print"
    if isinstance(func, ast.Attribute) and func.attr.startswith("print_"):
        return True  # parser.print_help(), traceback.print_exc(): output for a human
    while isinstance(func, ast.Attribute):
        func = func.value
    return isinstance(func, ast.Name) and func.id in _LOGGERS


def quiet_names(tree: ast.Module) -> dict[str, str]:
    """Name -> what it stands for (`warnings`, `warnings.warn`), for each name the module
    binds only by importing it from `warnings` or `logging` (at module level or in any
    function), the same thing everywhere, and that is no builtin: whichever scope a call
    through it is in, it warns or logs. Any other binding of the name (a parameter, an
    assignment, a def, another import) leaves it out; a star import, every name."""
    bound: dict[str, set[str | None]] = {}
    for node in ast.walk(tree):
        for name, what in _bindings(node):
            if name == "*":
                return {}
            bound.setdefault(name, set()).add(what)
    out = {}
    for name, whats in bound.items():
        what = next(iter(whats))
        if len(whats) == 1 and what is not None and name not in _BUILTINS:
            out[name] = what
    return out


def _bindings(node: ast.AST) -> list[tuple[str, str | None]]:
    """The names `node` binds, each with the module path an import from a _QUIET module
    gives it (None: any other binding)."""
    if isinstance(node, ast.Import):
        found = [(a.asname or a.name.split(".")[0], a.name if a.asname else
                  a.name.split(".")[0]) for a in node.names]
        return [(n, what if what in _QUIET else None) for n, what in found]
    if isinstance(node, ast.ImportFrom):
        module = node.module if not node.level else None
        return [(a.asname or a.name, f"{module}.{a.name}" if module in _QUIET else None)
                for a in node.names]
    if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
        return [(node.id, None)]
    names = [getattr(node, f, None) for f in ("arg", "name", "rest")
             if isinstance(node, (ast.arg, *DEFS, ast.ExceptHandler, ast.MatchAs,
                                  ast.MatchStar, ast.MatchMapping))]
    return [(n, None) for n in names if isinstance(n, str)]
