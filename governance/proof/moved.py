"""Code a change moves out of a file (issue 49, item 4): a maintainer's fix that moves a
function into a new module changes the file it left, though the op was asked about
another. That file belongs to the change when all the change does there is take out
definitions the change defines anew in a file that already belongs to it (a new module, a
target, a file the failing test reaches), and import names: the code left, and went
somewhere the proof judges. Anything else changed there (a body edited, a statement added)
is a change to a file the op was not asked to touch, as before.

Pure: texts in, paths out. Whether a removed public name is still importable from the file
it left is another rule's (governance.proof.static's breaking changes).
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Sequence
from typing import Protocol

from governance.proof.names import symbol_changes
from governance.python_ast import parse_python


class Text(Protocol):
    """One changed file's texts (governance.proof.rules.FileText): at the base (None: new)
    and in the candidate (None: deleted)."""

    @property
    def path(self) -> str: ...
    @property
    def old(self) -> str | None: ...
    @property
    def new(self) -> str | None: ...


def moved_out(files: Sequence[Text], belongs: Iterable[str]) -> frozenset[str]:
    """The changed files outside `belongs` whose change only moves code into a file of
    `belongs` (and imports names): they belong to the change too."""
    home = set(belongs)
    added: set[str] = set()  # names a file of the change defines and did not before
    for f in files:
        if f.path in home and f.new is not None and f.path.endswith(".py"):
            added |= _defined(f.new) - _defined(f.old)
    out = set()
    for f in files:
        if f.path in home or f.old is None or f.new is None or not f.path.endswith(".py"):
            continue
        changes = symbol_changes(f.old, f.new)
        removed = {c.name for c in changes if c.kind == "removed"}
        rest = [c for c in changes if c.kind != "removed" and c.name != "<imports>"]
        # a method is `Class.name`: the class's own change is another kind (kept out)
        if removed and not rest and all(name in added for name in removed):
            out.add(f.path)
    return frozenset(out)


def _defined(text: str | None) -> set[str]:
    """The functions and classes a module defines at its top level."""
    try:
        tree = parse_python(text or "")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return set()
    return {s.name for s in tree.body
            if isinstance(s, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)}


def import_lines(text: str | None) -> frozenset[int]:
    """The lines of a module's top-level imports: in a file code was moved out of, the
    names imported back (for its callers) need no test to run them; the code they name is
    judged where it went."""
    try:
        tree = parse_python(text or "")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return frozenset()
    return frozenset(n for s in tree.body if isinstance(s, ast.Import | ast.ImportFrom)
                     for n in range(s.lineno, (s.end_lineno or s.lineno) + 1))
