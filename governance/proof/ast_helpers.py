"""The AST helpers shared by the proof analyses (governance.proof.static and its parts).

Parsing that never raises anything but Unanalysable, statement blocks, docstrings, string
constants, dotted names resolved through import aliases, and which hunks of a line diff
change only comments or layout. Pure: text and trees in, data out.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from collections.abc import Callable, Iterator
from typing import TypeVar

from governance.python_ast import parse_python

T = TypeVar("T")
_NEWLINE = re.compile(r"\r\n|\r|\n")
_COMMENT_OR_SPACE = re.compile(r"#.*|\s+")
_LAYOUT = (tokenize.INDENT, tokenize.DEDENT, tokenize.NEWLINE)  # their text is layout
BLOCK_FIELDS = ("body", "orelse", "finalbody")
DEFS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
FUNCS = (ast.FunctionDef, ast.AsyncFunctionDef)
COMPOUND = (*DEFS, ast.If, ast.For, ast.AsyncFor, ast.While, ast.With, ast.AsyncWith, ast.Try,
            getattr(ast, "TryStar", ast.Try), ast.Match)


class Unanalysable(ValueError):
    """Text that cannot be analysed; its message is the finding a caller reports."""


def source_lines(text: str) -> list[str]:
    """The lines as Python numbers them: split at \\n, \\r\\n and \\r only (str.splitlines
    also splits at form feeds and U+2028, and would shift every line after one)."""
    lines = _NEWLINE.split(text)
    return lines[:-1] if lines[-1] == "" else lines


def parse(text: str, what: str) -> ast.Module:
    try:
        return parse_python(text.removeprefix("\ufeff"))  # a BOM read as text is no syntax error
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        raise Unanalysable(f"the {what} could not be analysed "
                           f"({type(exc).__name__}: {str(exc)[:120]})") from None


def guarded(work: Callable[[], T], on_failure: Callable[[str], T]) -> T:
    """Run `work`; text too deep for the walks below is as unanalysable as bad syntax."""
    try:
        return work()
    except Unanalysable as exc:
        return on_failure(str(exc))
    except (RecursionError, MemoryError) as exc:
        return on_failure(f"the text could not be analysed ({type(exc).__name__})")


def dump(node: object) -> str:
    if isinstance(node, list):
        return "[" + ", ".join(dump(n) for n in node) + "]"
    return ast.dump(node) if isinstance(node, ast.AST) else repr(node)


def is_docstring(stmt: ast.stmt) -> bool:
    return (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant)
            and isinstance(stmt.value.value, str))


def docstrings(tree: ast.Module, stmts: list[ast.stmt] | None = None) -> dict[int, ast.stmt]:
    """id -> docstring statement (the first bare string of a module, def or class);
    `stmts`: statements(tree.body), when the caller has it already."""
    found = stmts if stmts is not None else statements(tree.body)
    owners = [tree, *(s for s in found if isinstance(s, DEFS))]
    return {id(n.body[0]): n.body[0] for n in owners if n.body and is_docstring(n.body[0])}


def blocks(node: ast.AST) -> list[list[ast.stmt]]:
    """The statement lists a compound statement owns, in source order."""
    if not isinstance(node, COMPOUND):
        return []
    found = [getattr(node, f) for f in BLOCK_FIELDS if getattr(node, f, None)]
    found += [h.body for h in getattr(node, "handlers", ())]
    found += [c.body for c in getattr(node, "cases", ())]
    return sorted(found, key=lambda b: b[0].lineno)


def statements(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """Every statement of `body` and of the blocks under it, in source order, without
    walking any expression (a walk of every node is what costs on a huge file)."""
    todo = list(reversed(body))
    while todo:
        s = todo.pop()
        yield s
        for block in reversed(blocks(s)):
            todo.extend(reversed(block))


def own_nodes(stmt: ast.stmt) -> Iterator[ast.AST]:
    """The nodes of one statement, not those of the statements nested in it."""
    todo = [c for c in ast.iter_child_nodes(stmt) if not isinstance(c, ast.stmt)]
    while todo:
        node = todo.pop()
        yield node
        todo.extend(c for c in ast.iter_child_nodes(node) if not isinstance(c, ast.stmt))


def dedent(text: str) -> int:
    return len(text) - len(text.lstrip())


def const_str(node: ast.AST) -> str | None:
    """A string constant, folding `"py" + "test"` and f-strings of constants."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = const_str(node.left), const_str(node.right)
        return None if left is None or right is None else left + right
    if isinstance(node, ast.JoinedStr):
        parts = [const_str(v) for v in node.values]
        return None if None in parts else "".join(parts)
    if isinstance(node, ast.FormattedValue) and node.conversion == -1 and not node.format_spec:
        return const_str(node.value)  # the `{'test'}` of f"py{'test'}"
    return None


def qual(node: ast.AST, aliases: dict[str, str]) -> str | None:
    """The dotted name an expression refers to, through import aliases, `getattr(sys, "x")`,
    `__import__("sys")`, `sys.__dict__["x"]` and `vars(sys)["x"]`."""
    if isinstance(node, ast.Name):
        return aliases.get(node.id, node.id)
    if isinstance(node, ast.Attribute):
        base = qual(node.value, aliases)
        return base and f"{base}.{node.attr}"
    if isinstance(node, ast.Call) and node.args:
        func, first = qual(node.func, aliases), const_str(node.args[0])
        if func in ("__import__", "importlib.import_module", "builtins.__import__"):
            return first
        if func in ("getattr", "hasattr", "builtins.getattr") and len(node.args) > 1:
            base, attr = qual(node.args[0], aliases), const_str(node.args[1])
            return base and attr and f"{base}.{attr}"
    if isinstance(node, ast.Subscript) and (key := const_str(node.slice)):
        v = node.value
        if isinstance(v, ast.Attribute) and v.attr == "__dict__":
            base = qual(v.value, aliases)
            return base and f"{base}.{key}"
        if isinstance(v, ast.Call) and qual(v.func, aliases) == "vars" and v.args:
            base = qual(v.args[0], aliases)
            return base and f"{base}.{key}"
    return None


def binding(n: ast.AST) -> tuple[ast.AST | None, ast.AST | None]:
    if isinstance(n, ast.Assign) and len(n.targets) == 1:
        return n.targets[0], n.value
    if isinstance(n, ast.AnnAssign):
        return n.target, n.value
    if isinstance(n, (ast.For, ast.AsyncFor, ast.comprehension)):
        return n.target, n.iter
    return None, None


def all_names(tree: ast.Module) -> set[str]:
    """The string entries of `__all__` (assigned, augmented, extended or appended)."""
    out = set()
    for s in statements(tree.body):
        n = s.value if isinstance(s, ast.Expr) else s
        target, value = binding(n) if not isinstance(n, ast.AugAssign) else (n.target, n.value)
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.args and \
                n.func.attr in ("extend", "append") and qual(n.func.value, {}) == "__all__":
            target, value = n.func.value, n.args[0]
        if isinstance(target, ast.Name) and target.id == "__all__" and value is not None:
            items = value.elts if isinstance(value, (ast.Tuple, ast.List, ast.Set)) else [value]
            out.update(s for e in items if (s := const_str(e)) is not None)
    return out


def public_name(name: str, exported: set[str]) -> bool:
    """Listed in `__all__`, or no part of the name is private (dunders are public)."""
    return name in exported or all(
        not p.startswith("_") or (p.startswith("__") and p.endswith("__"))
        for p in name.split("."))


def layout_only(old: str, new: str,
                opcodes: list[tuple[str, int, int, int, int]]) -> set[int]:
    """The indices of a line diff's opcodes (old's lines to new's) that change only comments
    and layout: a `# type:` or `# noqa` comment, a line re-wrapped. Each such hunk has the
    same code tokens on both sides, and all of them together change no AST, either applied
    to the old text or taken back out of the new one (the AST, not the text, is what runs).
    Empty when any of that cannot be shown."""
    a, b = source_lines(old), source_lines(new)
    maybe = [k for k, (tag, i1, i2, j1, j2) in enumerate(opcodes) if tag == "replace"
             and _COMMENT_OR_SPACE.sub("", "".join(a[i1:i2]))
             == _COMMENT_OR_SPACE.sub("", "".join(b[j1:j2]))]
    if not maybe:
        return set()  # the common case: no tokenizing, no parsing
    old_tokens, new_tokens = _code_tokens(old), _code_tokens(new)
    if old_tokens is None or new_tokens is None:
        return set()
    keep = {k for k in maybe if _tokens_in(old_tokens, *opcodes[k][1:3])
            == _tokens_in(new_tokens, *opcodes[k][3:5])}

    def mixed(base: list[str], other: list[str], swap: bool) -> str:
        out: list[str] = []
        for k, (_, i1, i2, j1, j2) in enumerate(opcodes):
            ours, theirs = ((j1, j2), (i1, i2)) if swap else ((i1, i2), (j1, j2))
            out += other[slice(*theirs)] if k in keep else base[slice(*ours)]
        return "\n".join(out) + "\n"

    try:
        same = keep and _dump(mixed(a, b, False)) == _dump(old) \
            and _dump(mixed(b, a, True)) == _dump(new)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return set()
    return keep if same else set()


def _dump(text: str) -> str:
    return ast.dump(parse_python(text.removeprefix("\ufeff")))


Tokens = tuple[list[tuple[int, str]], dict[int, list[int]]]


def _code_tokens(text: str) -> Tokens | None:
    """The text's tokens (type, text) without comments, blank lines or layout's characters,
    and line -> the indices of the tokens on it (a multi-line string is on each of its
    lines); None when the text cannot be tokenized."""
    tokens: list[tuple[int, str]] = []
    on_line: dict[int, list[int]] = {}
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text.removeprefix("\ufeff")).readline):
            if tok.type in (tokenize.COMMENT, tokenize.NL):
                continue
            for n in range(tok.start[0], tok.end[0] + 1):
                on_line.setdefault(n, []).append(len(tokens))
            tokens.append((tok.type, "" if tok.type in _LAYOUT else tok.string))
    except (tokenize.TokenError, SyntaxError, RecursionError, MemoryError):
        return None
    return tokens, on_line


def _tokens_in(found: Tokens, i1: int, i2: int) -> list[tuple[int, str]]:
    """The tokens on lines i1+1..i2 (a diff's 0-based half-open range), in order."""
    tokens, on_line = found
    return [tokens[k] for k in sorted({k for n in range(i1 + 1, i2 + 1)
                                       for k in on_line.get(n, ())})]
