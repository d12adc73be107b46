"""governance.python_ast: the daemon's threads parse Python one at a time (CPython 3.11's AST
constructor keeps its recursion depth in one shared state; two threads at once raised
"SystemError: AST constructor recursion depth mismatch" on valid code in a corpus run), and
no module of the daemon calls `ast.parse` around it."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from governance import python_ast
from governance.oracle.run_dir import HELPERS

ROOT = Path(__file__).resolve().parents[2]
# Scripts and plugins run in their own processes (the jail's), stdlib only: not the daemon's
# threads, and they cannot import governance.
OWN_PROCESS = {Path(p).resolve() for p in HELPERS.values()} | {
    (ROOT / "governance" / "python_ast.py").resolve()}


def test_a_parse_holds_the_lock(monkeypatch) -> None:
    held = []
    real = ast.parse

    def parse(source, *args, **kwargs):
        held.append(python_ast._LOCK.locked())
        return real(source, *args, **kwargs)

    monkeypatch.setattr(python_ast.ast, "parse", parse)
    tree = python_ast.parse_python("x = 1\n")
    assert isinstance(tree, ast.Module) and held == [True]
    assert not python_ast._LOCK.locked()


def test_no_module_of_the_daemon_parses_around_the_lock() -> None:
    calls = re.compile(r"\bast\.parse\(")
    found = [f"{p.relative_to(ROOT)}:{n}"
             for room in ("governance", "sensors", "tools", "daemon", "kernel", "ledger")
             for p in sorted((ROOT / room).rglob("*.py")) if p.resolve() not in OWN_PROCESS
             for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
             if calls.search(line)]
    assert not found, found
