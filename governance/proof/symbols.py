"""Which function or class a line of a text belongs to, and which of its statements do
nothing (pure: texts in; a text that does not parse belongs to '<module>')."""

from __future__ import annotations

import ast
from collections.abc import Callable

from governance.python_ast import parse_python


def added_classes(old: str | None, new: str) -> frozenset[str]:
    """The qualified names of the classes in `new` that `old` does not have."""
    def classes(text: str) -> set[str]:
        owner = symbol_of_line(text)
        try:
            tree = parse_python(text)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return set()
        return {owner(n.lineno) for n in ast.walk(tree) if isinstance(n, ast.ClassDef)}
    return frozenset(classes(new) - classes(old or ""))


def inert_lines(old: str | None, new: str) -> frozenset[int]:
    """The lines of `new`'s statements that do nothing: docstrings, bare literals, `pass`,
    `...`, and the header of a class the candidate adds whose body is only those (a marker
    subclass has nothing for a test to enter; code that uses it is judged where it is)."""
    try:
        tree = parse_python(new)
        before = {n.name for n in ast.walk(parse_python(old or ""))
                  if isinstance(n, ast.ClassDef)}
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return frozenset()

    def inert(n: ast.AST) -> bool:
        return isinstance(n, ast.Pass) or (isinstance(n, ast.Expr)
                                           and isinstance(n.value, ast.Constant))
    marker = [n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)
              and n.name not in before and not n.decorator_list and all(map(inert, n.body))]
    return frozenset([n.lineno for n in ast.walk(tree) if inert(n)]
                     + [line for n in marker for line in range(n.lineno, n.body[0].lineno)])


def enclosing(symbol: str) -> list[str]:
    """'A.b.c' -> ['A', 'A.b', 'A.b.c']."""
    parts = symbol.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts) + 1)]


def symbol_of_line(text: str) -> Callable[[int], str]:
    """enclosing_symbol for many lines of one text, parsed once."""
    try:
        tree = parse_python(text)
    except (SyntaxError, ValueError, RecursionError):
        return lambda line: "<module>"
    spans: list[tuple[int, int, str]] = []

    def walk(body: list[ast.stmt], prefix: str) -> None:
        for node in body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                name = prefix + node.name
                spans.append((node.lineno, node.end_lineno or node.lineno, name))
                walk(node.body, name + ".")
    walk(tree.body, "")

    def owner(line: int) -> str:
        inside = [s for s in spans if s[0] <= line <= s[1]]
        return max(inside, key=lambda s: s[0])[2] if inside else "<module>"
    return owner


def enclosing_symbol(text: str, line: int) -> str:
    """The qualified name of the innermost function or class holding `line` ('<module>'
    when none, or when the text does not parse)."""
    return symbol_of_line(text)(line)
