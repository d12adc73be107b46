"""Rows a repair removes from a table: a key of a module-level dict display the base binds
that no dict display of the candidate's file holds. Each is behaviour removed, which every
test passing on the candidate shows no test notices; a repair makes its failing test pass
by adding or changing what the test needs, so such a removal waits for review.

Qwen2.5-Coder-1.5B's first sqlparse fix to land (stop 74, `Recognize MATERIALIZED as a
keyword`) rewrote the `'MATCH': tokens.Keyword,` row as the missing `'MATERIALIZED'` one
instead of adding it: the failing test passed, every other test passed, the changed row's
mutants were killed, and `MATCH` was no longer a keyword. A table's module-level statement
runs at import, where a surviving mutant is never a finding (governance.oracle.mutants), and
the removed key is in no candidate statement for a mutant to change.

A row is hidden, too, where the candidate writes its key a second time in the same table:
the later row's value is the one the dict holds. Begun with an AFTER block of `MATCH`'s row
(governance.edit_blocks), one of four samples added `'MATCH': tokens.Keyword.DDL,` after
it (stop 75); a linter names such a key only where the repository configures one.

Pure: texts in, reasons out. A key moved to another module-level table of the file is not
removed; one moved into a function's dict, or a table rebound to a call, is.
"""

from __future__ import annotations

import ast
from collections import Counter

from governance.python_ast import parse_python

MAX_NAMED = 3


def removed_rows(path: str, old: str | None, new: str | None) -> list[str]:
    """`path:line key (TABLE)` for each row the candidate's file no longer holds, then each
    it hides under a second row of the same key."""
    if old is None or new is None or not path.endswith(".py"):
        return []
    try:
        before, after = parse_python(old), parse_python(new)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []  # an unparsable side is refused by the gates before this
    # kept: a key of a module-level table of the candidate's (a dict built inside a
    # function, or the table rebound to a `dict(...)` call, keeps no row)
    kept = {_key(k) for table in _tables(after).values() for k in table.keys}
    removed = [f"{path}:{k.lineno} {ast.unparse(k)} ({name})"
               for name, table in _tables(before).items()
               for k in table.keys if _key(k) is not None and _key(k) not in kept]
    return removed + _hidden(path, _tables(before), _tables(after))


def _hidden(path: str, before: dict[str, ast.Dict], after: dict[str, ast.Dict]) -> list[str]:
    """`path:line key (TABLE, written twice)` for each key a candidate's table writes more
    often than the base's same table did: its first row's value is no longer the dict's."""
    out: list[str] = []
    for name, table in after.items():
        was = Counter(_key(k) for k in before[name].keys) if name in before else Counter()
        now = Counter(_key(k) for k in table.keys)
        out += [f"{path}:{k.lineno} {ast.unparse(k)} ({name}, written twice)"
                for k in table.keys if _key(k) is not None and now[_key(k)] > 1
                and now[_key(k)] > was[_key(k)] and k is _first(table, _key(k))]
    return out


def _first(table: ast.Dict, key: object) -> ast.expr | None:
    return next((k for k in table.keys if _key(k) == key), None)


def _tables(tree: ast.Module) -> dict[str, ast.Dict]:
    """The module-level names bound to a dict display, by name."""
    out: dict[str, ast.Dict] = {}
    for stmt in tree.body:
        target = stmt.targets[0] if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 \
            else stmt.target if isinstance(stmt, ast.AnnAssign) else None
        if isinstance(target, ast.Name) and isinstance(stmt.value, ast.Dict):
            out[target.id] = stmt.value
    return out


def _key(node: ast.expr | None) -> object:
    """A constant key's value (None for `**spread` and computed keys)."""
    return node.value if isinstance(node, ast.Constant) else None


def reason(rows: list[str]) -> str:
    """The review's sentence for the removed rows."""
    more = len(rows) - MAX_NAMED
    return ("removes or hides rows of a table, which no test notices (a repair adds or "
            f"changes what its failing test needs): {', '.join(rows[:MAX_NAMED])}"
            + (f" and {more} more" if more > 0 else ""))
