"""Pure static analyses that judge whether a candidate change is what the op asked for.

Text in, data out, no I/O, from `ast` and `difflib` alone. `old` is a file's text at the
op's base (None: the candidate creates it); `new` the candidate's text (None: it deletes
it). Text that cannot be parsed (a syntax error, lone surrogates, nesting that exhausts the
parser) never raises out of here: it comes back as a finding that says so, which callers
read as "unproven".

- changed_statements: the executable statements a candidate added or changed (the line
  diff under it: governance.proof.diff).
- todo_resolution_problems: a TODO marker is resolved only by code, never by rewording it.
- runner_sniffing (governance.proof.sniff): code that asks whether it runs under a test
  runner or a tracer.
- symbol_changes, breaking_changes (governance.proof.names): which names changed, and
  which public ones broke.
"""

from __future__ import annotations

import ast
import bisect
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from governance.proof.ast_helpers import (
    DEFS,
    FUNCS,
    Unanalysable,
    blocks,
    dedent,
    docstrings,
    dump,
    guarded,
    is_docstring,
    layout_only,
    own_nodes,
    parse,
    source_lines,
    statements,
)
from governance.proof.diff import line_opcodes
from governance.proof.names import SymbolChange, breaking_changes, symbol_changes
from governance.proof.sniff import runner_sniffing
from governance.python_ast import parse_python

__all__ = ["UNANALYSABLE", "Statement", "SymbolChange", "Unanalysable", "breaking_changes",
           "changed_statements", "line_opcodes", "runner_sniffing", "symbol_changes",
           "todo_resolution_problems"]
MARKER = re.compile(r"#\s*(TODO|FIXME|HACK)\b")  # the same rule as sensors/todo.py


# -- 1. changed statements ---------------------------------------------------------------


@dataclass(frozen=True)
class Statement:
    """One executable statement: `line` its first line, `lines` its own span (a compound
    statement's header, with its decorators and its except/case clause lines)."""

    line: int
    lines: frozenset[int]


# Line 0 never runs, so a caller that asks "did the tests run every changed statement?"
# can never be satisfied by a file that could not be analysed.
UNANALYSABLE = Statement(0, frozenset({0}))


def _own_span(s: ast.stmt) -> frozenset[int]:
    if not blocks(s):
        return frozenset(range(s.lineno, (s.end_lineno or s.lineno) + 1))
    start = min([s.lineno] + [d.lineno for d in getattr(s, "decorator_list", ())])
    first = s.cases[0].pattern if isinstance(s, ast.Match) else s.body[0]
    lines = set(range(start, max(s.lineno, first.lineno - 1) + 1))
    for h in getattr(s, "handlers", ()):
        lines.update(range(h.lineno, max(h.lineno, h.body[0].lineno - 1) + 1))
    for c in getattr(s, "cases", ()):
        lines.update(range(c.pattern.lineno, max(c.pattern.lineno, c.body[0].lineno - 1) + 1))
    return frozenset(lines)


def _code_lines(lines: list[str], tree: ast.Module | None,
                stmts: list[ast.stmt] | None = None) -> set[int]:
    """Lines that hold code: not blank, not a comment (unless inside a string literal), not
    a docstring's."""
    code = {n for n, t in enumerate(lines, 1) if t.strip() and not t.lstrip().startswith("#")}
    if tree is None:
        return code
    stmts = list(statements(tree.body)) if stmts is None else stmts
    for s in stmts:
        if (s.end_lineno or s.lineno) > s.lineno:  # only these can hold a multi-line string
            for node in own_nodes(s):
                if isinstance(node, (ast.Constant, ast.JoinedStr)) and node.end_lineno:
                    code.update(range(node.lineno, node.end_lineno + 1))
    for doc in docstrings(tree, stmts).values():
        code.difference_update(range(doc.lineno, (doc.end_lineno or doc.lineno) + 1))
    return code


def _owners(stmts: list[ast.stmt], docs: dict[int, ast.stmt]) -> dict[int, list[ast.stmt]]:
    """line -> the statements whose own span holds it (several only on shared lines)."""
    out: dict[int, list[ast.stmt]] = {}
    for node in stmts:
        if id(node) not in docs:
            for n in _own_span(node):
                out.setdefault(n, []).append(node)
    return out


Region = tuple[ast.stmt | None, list[ast.stmt], int, float]  # owner, block, first, last line


def _block_regions(stmts: list[ast.stmt], tree: ast.Module,
                   code: list[int]) -> dict[int, list[Region]]:
    """indentation -> the blocks at it, by first line. A block's region runs on over the
    comment lines after its last statement, up to the next line of code. Blocks at one
    indentation never nest (a nested block is indented deeper), but for the module's."""
    regions: dict[int, list[Region]] = {0: [(None, tree.body, 0, float("inf"))]}
    for node in stmts:
        lo = node.lineno
        for block in blocks(node):
            end = block[-1].end_lineno or block[-1].lineno
            after = bisect.bisect_right(code, end)
            hi = code[after] - 1 if after < len(code) else max(end, code[-1] if code else 0)
            regions.setdefault(block[0].col_offset, []).append((node, block, lo, hi))
            lo = hi + 1
    for found in regions.values():
        found.sort(key=lambda r: r[2])
    return regions


@dataclass
class _Candidate:
    """The parsed candidate text and what the line mapping needs of it, computed once."""

    tree: ast.Module
    lines: list[str]

    def __post_init__(self) -> None:
        self.stmts = list(statements(self.tree.body))
        self.docs = docstrings(self.tree, self.stmts)
        self.owners = _owners(self.stmts, self.docs)
        self.code = _code_lines(self.lines, self.tree, self.stmts)
        self._sorted_code = sorted(self.code)
        self._regions: dict[int, list[Region]] | None = None
        self._starts: dict[int, list[int]] = {}

    def _block_at(self, indent: int, j1: int) -> Region | None:
        """The innermost block at `indent` whose region holds the point after line j1."""
        if self._regions is None:
            self._regions = _block_regions(self.stmts, self.tree, self._sorted_code)
            self._starts = {i: [r[2] for r in found] for i, found in self._regions.items()}
        found = self._regions.get(indent, [])
        k = bisect.bisect_right(self._starts.get(indent, []), j1) - 1
        for region in (found[k], found[0]) if k >= 0 else ():  # the nearest, or the module
            if region[2] <= j1 <= region[3]:
                return region
        return None

    def after_deletion(self, indent: int, j1: int, j2: int) -> list[ast.stmt]:
        """What code deleted after line j1 changed: the statement that now follows it in
        its block; when nothing follows, the block's header, but in a function body the
        statement before it (a def's header runs at import, not when the code that lost
        something runs); nothing at the end of the module."""
        region = self._block_at(indent, j1)
        if region is None:  # an indentation that matches no block: the nearest code's owner
            k = bisect.bisect_right(self._sorted_code, j2)
            near = self._sorted_code[k:k + 1] or self._sorted_code[:k][-1:]
            return self.owners.get(near[0], []) if near else []
        owner, block, _, _ = region
        rest = [s for s in block if id(s) not in self.docs]
        follow = [s for s in rest if s.lineno > j2][:1]
        if not follow and isinstance(owner, FUNCS):
            follow = [s for s in rest if s.lineno <= j1][-1:]
        return follow or ([owner] if owner is not None else [])


def changed_statements(old: str | None, new: str) -> list[Statement]:
    """The executable statements of `new` that the candidate added or changed, by line.

    Lines are diffed; each added or replaced code line maps to the statement whose own span
    holds it (a compound statement's own span is its header). Code deleted without a
    replacement counts as a change of the statement that follows it in its block, else of
    the block's header (in a function body: of the statement before it). A hunk that
    changes only comments or layout (a `# type:` comment on a def line, a call re-wrapped:
    the same AST, ast_helpers.layout_only) changes no statement. [UNANALYSABLE] when `new`
    cannot be parsed: its line 0 never runs, so it is never covered."""
    return guarded(lambda: _changed(old, new), lambda _why: [UNANALYSABLE])


def _changed(old: str | None, new: str) -> list[Statement]:
    cand = _Candidate(parse(new, "candidate"), source_lines(new))
    found: set[ast.stmt] = set()
    if old is None:
        found = {s for stmts in cand.owners.values() for s in stmts}
    else:
        old_lines = source_lines(old)
        try:
            old_code = _code_lines(old_lines, parse_python(old.removeprefix("\ufeff")))
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            old_code = _code_lines(old_lines, None)
        ops = line_opcodes(old_lines, cand.lines)
        layout = layout_only(old, new, ops)  # a comment or a re-wrap: no statement changed
        for k, (tag, i1, i2, j1, j2) in enumerate(ops):
            if tag == "equal" or k in layout:
                continue
            found.update(s for n in range(j1 + 1, j2 + 1) if n in cand.code
                         for s in cand.owners.get(n, ()))
            deleted = [n for n in range(i1 + 1, i2 + 1) if n in old_code]
            if deleted and not any(cand.owners.get(n) for n in range(j1 + 1, j2 + 1)
                                   if n in cand.code):
                found.update(cand.after_deletion(dedent(old_lines[deleted[0] - 1]), j1, j2))
    stmts = {Statement(s.lineno, _own_span(s)) for s in found}
    return sorted(stmts, key=lambda s: (s.line, sorted(s.lines)))


# -- 2. a TODO is resolved only by code ----------------------------------------------------


def _scopes(body: list[ast.stmt], prefix: str, out: dict[str, list[ast.AST]]) -> None:
    """qualified name -> its defs and classes, in source order (overloads and conditional
    defs share a name); conditional blocks add no part to the name."""
    for s in body:
        if isinstance(s, DEFS):
            out.setdefault(prefix + s.name, []).append(s)
            _scopes(s.body, f"{prefix}{s.name}.", out)
        else:
            for block in blocks(s):
                _scopes(block, prefix, out)


def _extent(node: ast.AST, lines: list[str]) -> tuple[int, int]:
    """A def's lines: decorators first, and the comments indented under it after its last
    statement (a trailing `# TODO` belongs to the def above it)."""
    start = min([node.lineno] + [d.lineno for d in node.decorator_list])
    end = node.end_lineno or node.lineno
    while end < len(lines) and (not lines[end].strip() or (
            lines[end].lstrip().startswith("#") and dedent(lines[end]) > node.col_offset)):
        end += 1
    return start, end


def _enclosing(scopes: dict[str, list[ast.AST]], lines: list[str],
               n: int) -> tuple[str, int, ast.AST] | None:
    """(qualified name, index among same-named defs, node) of the innermost def or class
    holding line n; None at module level."""
    best = None
    for name, nodes in scopes.items():
        for i, node in enumerate(nodes):
            start, end = _extent(node, lines)
            if start <= n <= end and (best is None or start >= best[3]):
                best = (name, i, node, start)
    return best[:3] if best else None


def _code_dump(node: ast.AST) -> str:
    """Everything executable of a def or class: its signature or bases, decorators and body,
    without the docstring."""
    body = node.body[1:] if node.body and is_docstring(node.body[0]) else node.body
    rest = [v for k, v in ast.iter_fields(node) if k not in ("body", "name")]
    return dump([*rest, body])


def _trivial(s: ast.stmt) -> str | None:
    """What a do-nothing statement is, or None when it does something."""
    v = getattr(s, "value", None)
    exc = getattr(s, "exc", None)
    exc = exc.func if isinstance(exc, ast.Call) else exc
    if isinstance(s, ast.Pass):
        return "pass"
    if isinstance(s, ast.Expr) and isinstance(v, ast.Constant) and v.value is ...:
        return "..."
    if isinstance(s, ast.Expr) and isinstance(v, ast.Constant) and isinstance(v.value, str):
        return "a docstring"
    if isinstance(s, ast.Raise) and isinstance(exc, ast.Name) and (
            exc.id == "NotImplementedError"):
        return "raise NotImplementedError"
    none = v is None or (isinstance(v, ast.Constant) and v.value is None)
    if isinstance(s, ast.Return) and none:
        return "return None"
    return None


def _stub_kind(node: ast.AST) -> str | None:
    """Why a def's body is trivial ("pass", "a docstring and ..."), or None."""
    kinds = [_trivial(s) for s in node.body]
    return None if None in kinds else " and ".join(dict.fromkeys(kinds)) or "empty"


def _marker_gone(old_lines: list[str], new_lines: list[str] | None,
                 same: set[int], n: int) -> bool:
    if new_lines is None:
        return True
    if n in same:
        return False
    text = old_lines[n - 1].strip()  # moved, not reworded: as many copies as before
    return sum(t.strip() == text for t in new_lines) < sum(
        t.strip() == text for t in old_lines)


def _moved_out(old: str, new: str | None, old_lines: list[str],
               new_lines: list[str] | None, n: int) -> bool:
    """A marker whose line still exists, but no longer inside the def or class it marked
    (moved above the def, into another function): that function's marker is gone."""
    if new is None or new_lines is None:
        return False

    def owners(text: str, lines: list[str]) -> Callable[[int], str]:
        scopes: dict[str, list[ast.AST]] = {}
        _scopes(parse(text, "text").body, "", scopes)  # once per text, not per line

        def owner(line: int) -> str:
            found = _enclosing(scopes, lines, line)
            return f"{found[0]}#{found[1]}" if found else "<module>"
        return owner

    def check() -> bool:
        want, text = owners(old, old_lines)(n), old_lines[n - 1].strip()
        in_new = owners(new, new_lines)
        return not any(in_new(i) == want
                       for i, line in enumerate(new_lines, 1) if line.strip() == text)
    return guarded(check, lambda why: False)


def todo_resolution_problems(old: str, new: str | None,
                             marker_lines: Sequence[int]) -> list[str]:
    """Why removing the TODO/FIXME/HACK markers at `marker_lines` of `old` resolved nothing:
    the marked def was deleted, stubbed out, or only its comments changed (at module level:
    no code changed at all). A marker still in `new` is no problem. Lines that hold no
    marker are ignored; when none does, every marker in `old` counts."""
    old_lines = source_lines(old)
    marked = sorted({n for n in marker_lines if isinstance(n, int) and 0 < n <= len(
        old_lines) and MARKER.search(old_lines[n - 1])})
    marked = marked or [n for n, t in enumerate(old_lines, 1) if MARKER.search(t)]
    new_lines = None if new is None else source_lines(new)
    same: set[int] = set()
    if new_lines is not None:
        for tag, i1, i2, _, _ in line_opcodes(old_lines, new_lines):
            same.update(range(i1 + 1, i2 + 1) if tag == "equal" else ())
    gone = [n for n in marked if _marker_gone(old_lines, new_lines, same, n)
            or _moved_out(old, new, old_lines, new_lines, n)]
    if not gone:
        return []
    return guarded(lambda: _judge_markers(old, new, old_lines, gone), lambda why: [why])


def _judge_markers(old: str, new: str | None, old_lines: list[str],
                   gone: list[int]) -> list[str]:
    old_tree = parse(old, "base text")
    new_tree = None if new is None else parse(new, "candidate")
    old_scopes: dict[str, list[ast.AST]] = {}
    new_scopes: dict[str, list[ast.AST]] = {}
    _scopes(old_tree.body, "", old_scopes)
    if new_tree is not None:
        _scopes(new_tree.body, "", new_scopes)
    problems = []
    for n in gone:
        word = MARKER.search(old_lines[n - 1]).group(1)
        scope = _enclosing(old_scopes, old_lines, n)
        why = _unresolved(scope, old_tree, new_tree, new_scopes)
        if why:
            where = scope[0] if scope else "module level"
            problems.append(f"the {word} at line {n} ({where}) was removed but {why}: a "
                            "marker is resolved only by code")
    return problems


def _unresolved(scope: tuple[str, int, ast.AST] | None, old_tree: ast.Module,
                new_tree: ast.Module | None, new_scopes: dict[str, list[ast.AST]]) -> str | None:
    if new_tree is None:
        return "the whole file was deleted"
    if scope is None:
        return "no code of the module changed" if dump(old_tree) == dump(new_tree) else None
    name, i, node = scope
    twins = new_scopes.get(name, [])
    if i >= len(twins):
        return f"{name} itself was deleted"
    if _code_dump(node) == _code_dump(twins[i]):
        return f"{name}'s code did not change"
    stub = _stub_kind(twins[i])
    return f"{name} is now a stub ({stub})" if stub else None
