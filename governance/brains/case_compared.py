"""A comparison with a word the failing test writes in another case, where the same function
compares the same value through a case method elsewhere: a forgotten `.upper()`.

sqlparse's `group_functions` tests `tmp_token.value.upper() == 'CREATE'` and
`tmp_token.value.upper() == 'TABLE'`, then `tmp_token.value == 'AS'`; its failing test
writes `'create table tbl1 as select ...'` (111b35cffcfe, issue 50). Shown grouping.py's
functions, Qwen2.5-Coder-1.5B edited `group_over`, the first of them, in eight replies of
eight. The line is findable without running anything: an `==` or `!=` between an
expression and a text literal that a word of the test's texts spells in another case, in a
function that compares that very expression (its source text) through `.upper()`,
`.lower()` or `.casefold()` elsewhere. The prompt names such lines, and where there is one
the reply is opened with a SEARCH of it (reply_opening); what is found only shapes a prompt.

Pure: trees and texts in, lines out.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence

from governance.brains.library_trees import parsed

MAX_FOUND = 4  # lines named
LINE_CHARS = 160
_CASE_METHODS = frozenset({"upper", "lower", "casefold"})

Found = tuple[str, int, str]  # a file, a line, its text as the file has it


def case_compared(words: Sequence[str], texts: dict[str, str]) -> list[Found]:
    """The lines of `texts` (path -> a library file's text) comparing a value with a text
    that one of `words` spells in another case, in a function comparing that value through
    a case method elsewhere; in file and line order, MAX_FOUND at most."""
    spelt = spelling(words)
    return first_found([found for path, text in texts.items()
                        if (tree := parsed(text)) is not None
                        for found in compared_in(path, tree, text, spelt)])


def spelling(words: Sequence[str]) -> dict[str, str]:
    """Each word by its case-folded form, as written."""
    return {w.casefold(): w for w in words}


def first_found(found: list[Found]) -> list[Found]:
    """`found` in file and line order, once each, MAX_FOUND at most."""
    return sorted(set(found))[:MAX_FOUND]


def compared_in(path: str, tree: ast.AST, text: str, spelt: dict[str, str]) -> list[Found]:
    """case_compared's lines of one file, its `tree` and `text`."""
    lines = text.splitlines()
    return [(path, n, lines[n - 1]) for fn in ast.walk(tree)
            if isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef)
            for n in _raw_lines(fn, spelt) if 0 < n <= len(lines)]


def _raw_lines(fn: ast.AST, spelt: dict[str, str]) -> list[int]:
    """The lines of `fn` comparing, as it is, a value `fn` compares through a case method
    elsewhere, with a text a word of `spelt` writes otherwise."""
    normalized: set[str] = set()
    raw: list[tuple[str, int]] = []
    for node in ast.walk(fn):
        if not isinstance(node, ast.Compare) or len(node.ops) != 1 \
                or not isinstance(node.ops[0], ast.Eq | ast.NotEq):
            continue
        sides = [node.left, node.comparators[0]]
        texts = [s.value for s in sides if isinstance(s, ast.Constant)
                 and isinstance(s.value, str)]
        others = [s for s in sides if not (isinstance(s, ast.Constant))]
        if len(texts) != 1 or len(others) != 1:
            continue
        other = others[0]
        if isinstance(other, ast.Call) and not other.args and not other.keywords \
                and isinstance(other.func, ast.Attribute) \
                and other.func.attr in _CASE_METHODS:
            normalized.add(ast.unparse(other.func.value))
            continue
        word = spelt.get(texts[0].casefold())
        if word is not None and word != texts[0]:
            raw.append((ast.unparse(other), node.lineno))
    return [n for expr, n in raw if expr in normalized]
