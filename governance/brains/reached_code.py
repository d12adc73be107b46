"""The library code a failure reached, as the file has it now, for a repair's prompt.

A small model asked to fix a failure edits by exact search/replace, and what it cannot see
it invents: Qwen2.5-Coder-1.5B, shown a 740-line module cut to its first 162 lines, wrote
edits for a method that does not exist (`compare_with_subclass`) and searched for lines of
the failing test (issue 50's semver run: 8 of 9 edits matched nothing). So the prompt shows
the functions the signal names (`fn:<file>::<Class.method>` causes, sensors.failure_causes)
verbatim and unnumbered, right under "Where the failure reached the library": a search text
copied from them matches the file. Pure: texts in, text out; a file that does not parse, or
a symbol it does not define, shows nothing.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from governance.python_ast import parse_python

MAX_LINES = 60  # of one function: the head of a longer one, said as such
MAX_CHARS = 3_000  # of one function's text


@dataclass(frozen=True)
class Code:
    """A definition's lines as the file has them: `first`-`last` (1-based, its decorators
    included), `text` those lines (or their head: `cut`)."""

    first: int
    last: int
    text: str
    cut: bool


def span(tree: ast.Module, symbol: str) -> tuple[int, int] | None:
    """The lines (decorators included) of the def or class `symbol` names (`f`, `C.m`,
    `outer.inner`), found by walking the bodies name by name; None when not defined."""
    body: list[ast.stmt] = tree.body
    node: ast.AST | None = None
    for name in symbol.split("."):
        node = next((n for n in body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef
                                                   | ast.ClassDef) and n.name == name), None)
        if node is None:
            return None
        body = node.body
    assert isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
    first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
    return first, node.end_lineno or node.lineno


def code_of(text: str, symbol: str, max_lines: int = MAX_LINES,
            max_chars: int = MAX_CHARS) -> Code | None:
    """`symbol`'s definition in `text`, verbatim (its whole lines, their indentation kept),
    cut to its first lines within `max_lines` and `max_chars`; None when `text` does not
    parse or does not define it."""
    try:
        where = span(parse_python(text), symbol)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    if where is None:
        return None
    first, last = where
    lines = text.splitlines(keepends=True)[first - 1:last]
    shown, used = [], 0
    for line in lines[:max_lines]:
        if used + len(line) > max_chars:
            break
        shown.append(line)
        used += len(line)
    return Code(first, last, "".join(shown), cut=len(shown) < len(lines))
