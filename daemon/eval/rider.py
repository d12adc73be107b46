"""The careless rider: the maintainer's fix plus one behaviour change in another public
function, the kind of "while I was there" edit a careless model makes.

The rider mutates one statement of a public function (module level, or a public method of
a public class) that the fix leaves alone and that the failing tests never enter: in a
file the fix changes when one has such a function, else in another code file (and when
the failing tests enter every public function, in one they enter). Mutations, in order: a
negated comparison (== / !=, is / is not, in / not in), a moved boundary (< / <=, > / >=),
and / or swapped, an integer constant plus one.

This module makes the mutants, and says whether a tree's file carries one (`carries`: eval
counts a change that carries the task's rider as wrong whatever the hidden tests say);
who chooses among them runs the suite. Eval
(daemon.eval.mine) takes the first mutant some hidden test notices, so that a careless
change which lands shows as false-proven on the card; the real-history suite
(bench/real_history_rider.py) takes the first one the library's suite does not notice, so
that only the daemon's proof can stop it.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from governance.python_ast import parse_python

_NEGATE = {ast.Eq: ("==", "!="), ast.NotEq: ("!=", "=="), ast.Is: ("is", "is not"),
           ast.IsNot: ("is not", "is"), ast.In: ("in", "not in"), ast.NotIn: ("not in", "in")}
_BOUNDARY = {ast.Lt: ("<", "<="), ast.LtE: ("<=", "<"), ast.Gt: (">", ">="),
             ast.GtE: (">=", ">")}

# (path, the function) -> whether the failing tests enter it
Entered = Callable[[str, ast.FunctionDef], bool]


@dataclass(frozen=True)
class Mutant:
    path: str
    function: str
    line: int
    mutation: str  # e.g. "'==' -> '!='"
    text: str  # the whole file, mutated

    def as_dict(self, quiet: bool, before: str) -> dict:
        return {"path": self.path, "function": self.function, "line": self.line,
                "mutation": self.mutation, "quiet": quiet,
                "before": before.splitlines()[self.line - 1].strip(),
                "after": self.text.splitlines()[self.line - 1].strip()}


def public_functions(tree: ast.Module) -> Iterator[tuple[str, ast.FunctionDef]]:
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and not node.name.startswith("_"):
            yield node.name, node
        elif isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
            for item in node.body:
                if isinstance(item, ast.FunctionDef) and not item.name.startswith("_"):
                    yield f"{node.name}.{item.name}", item


def first_line(fn: ast.FunctionDef) -> int:
    """The function's first line, its decorators included."""
    return min([fn.lineno, *(d.lineno for d in fn.decorator_list)])


def mutants(path: str, text: str, function: str, fn: ast.FunctionDef) -> Iterator[Mutant]:
    lines = text.splitlines(keepends=True)
    for node in ast.walk(fn):
        for line, old, new, what in _edits(node, lines):
            raw = lines[line - 1]
            mutated = [*lines[:line - 1], raw.replace(old, new, 1), *lines[line:]]
            yield Mutant(path, function, line, what, "".join(mutated))


def _edits(node: ast.AST, lines: list[str]) -> Iterator[tuple[int, str, str, str]]:
    """(line, old text, new text, description) of each mutation of `node` on one line."""
    if isinstance(node, ast.Compare) and len(node.ops) == 1:
        op = type(node.ops[0])
        pair = _NEGATE.get(op) or _BOUNDARY.get(op)
        right = node.comparators[0]
        if pair and node.left.end_lineno == right.lineno == node.lineno:
            yield from _op_edit(lines[node.lineno - 1], node.left, right, *pair)
    elif isinstance(node, ast.BoolOp) and len(node.values) == 2:
        word = ("and", "or") if isinstance(node.op, ast.And) else ("or", "and")
        left, right = node.values
        if left.end_lineno == right.lineno:
            yield from _op_edit(lines[left.end_lineno - 1], left, right, *word)
    elif (isinstance(node, ast.Constant) and type(node.value) is int
          and node.lineno == node.end_lineno):
        raw = lines[node.lineno - 1].encode()
        old = raw[node.col_offset:node.end_col_offset].decode()
        if old.isdigit():
            yield (node.lineno, _cut(raw, node.col_offset, node.end_col_offset),
                   _cut(raw, node.col_offset, node.end_col_offset, f"{int(old) + 1}"),
                   f"{old!r} -> {str(int(old) + 1)!r}")


def _op_edit(raw_line: str, left: ast.AST, right: ast.AST, old: str,
             new: str) -> Iterator[tuple[int, str, str, str]]:
    raw = raw_line.encode()
    gap = raw[left.end_col_offset:right.col_offset].decode()
    word = r"\s+".join(map(re.escape, old.split()))
    pattern = re.compile(r"(?<![=<>!\w])" + word + r"(?![=<>\w])")
    match = pattern.search(gap)
    if match is None:
        return
    start = len(raw[:left.end_col_offset].decode())
    head = raw_line[:start]
    before = head + gap
    after = head + gap[:match.start()] + new + gap[match.end():]
    yield left.end_lineno, before, after, f"{old!r} -> {new!r}"


def _cut(raw: bytes, start: int, end: int, middle: str | None = None) -> str:
    """The line up to `end` (with `middle` in place of [start:end] when given)."""
    head = raw[:start].decode()
    return head + (middle if middle is not None else raw[start:end].decode())


def candidates(files: dict[str, str], fix: dict[str, str | None], base: dict[str, str],
               entered: Entered, code: list[str], entered_too: bool = False,
               ) -> Iterator[Mutant]:
    """Mutants of public functions the fix leaves alone and the failing tests never enter
    (`entered_too`: or do enter), in the fixed tree `files`: in the fix's own files first,
    then in the other `code` files."""
    own = sorted(p for p, t in fix.items() if t is not None and p.endswith(".py"))
    for path in [*own, *sorted(set(code) - set(own))]:
        text = files.get(path)
        if text is None:
            continue
        try:
            tree = parse_python(text)
        except SyntaxError:
            continue
        old = base.get(path, "")
        for name, fn in public_functions(tree):
            if (ast.get_source_segment(text, fn) or "") not in old:
                continue  # the fix changed it
            if entered_too or not entered(path, fn):
                yield from mutants(path, text, name, fn)


def ordered(files: dict[str, str], fix: dict[str, str | None], base: dict[str, str],
            entered: Entered, code: list[str]) -> list[Mutant]:
    """The mutants to try, in order: those of functions the failing tests never enter;
    when there are none, those of functions they do enter."""
    return list(candidates(files, fix, base, entered, code)) or list(
        candidates(files, fix, base, entered, code, entered_too=True))


def function_source(text: str, function: str) -> str | None:
    """The source of the public function `function` ("name" or "Class.method") in `text`;
    None when the text does not parse or has no such function."""
    try:
        tree = parse_python(text)
    except (SyntaxError, ValueError):
        return None
    for name, fn in public_functions(tree):
        if name == function:
            return ast.get_source_segment(text, fn)
    return None


def carries(text: str | None, mutated: str, function: str) -> bool:
    """Whether the file `text` (None: absent) holds `function` exactly as the mutant's
    file `mutated` has it: the rider's mutation is there. Compared by the function's
    source, so lines moved elsewhere in the file do not hide it."""
    if text is None:
        return False
    want = function_source(mutated, function)
    return want is not None and function_source(text, function) == want
