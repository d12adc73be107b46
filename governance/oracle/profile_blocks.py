"""Function blocks and their fingerprints (pytest-testmon's idea): what a test entered, to
the function, and whether that function changed between two trees.

A file's blocks are its functions that no other function encloses: module-level functions
and the methods of classes (at any depth of classes). A nested function, a lambda or a
comprehension belongs to the block around it; a class body, decorators, default arguments
and everything else outside the blocks' bodies is the file's module part. Each block's
fingerprint is its body's syntax tree (comments and layout do not count, nor where it
starts); the module part's is the whole tree with every block's body left out. So a test
that entered only `f` of a file need not rerun when `g`'s body changes, and every test
that entered the file reruns when its module part changes (a new import, a constant, a
def added, removed or with another signature or decorator).

Entries name what a test entered: (file, block id), with the block id '' for the module
part. A block id is the def's qualified name; a second def of the same name (a property's
setter) gets '#2', and so on.
"""

from __future__ import annotations

import ast
import bisect
import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from governance.oracle.run_dir import ExtraPlugin
from governance.python_ast import parse_python

MODULE = ""  # the block id of a file's module part
Entry = tuple[str, str]  # (repository-relative file, block id)


@dataclass(frozen=True)
class Blocks:
    """One file's blocks: fingerprints, and the line ranges that map a code object's first
    line to its block."""

    prints: dict[str, str]  # block id -> fingerprint; MODULE -> the module part's
    starts: tuple[int, ...]  # each block's first line (its first decorator's), ascending
    ends: tuple[int, ...]
    names: tuple[str, ...]

    def block_at(self, line: int) -> str:
        """The block whose lines hold `line`; MODULE outside every block."""
        at = bisect.bisect_right(self.starts, line) - 1
        return self.names[at] if at >= 0 and line <= self.ends[at] else MODULE


def _digest(node: ast.AST | list[ast.stmt]) -> str:
    text = ast.dump(ast.Module(body=node, type_ignores=[]) if isinstance(node, list)
                    else node, include_attributes=False)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def _defs(body: list[ast.stmt], prefix: str) -> Iterator[tuple[str, ast.FunctionDef |
                                                               ast.AsyncFunctionDef]]:
    """The blocks under `body`, outermost functions only, through classes and compound
    statements (a def under `if`, `try`, `with`, ...)."""
    for node in body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield f"{prefix}{node.name}", node
        elif isinstance(node, ast.ClassDef):
            yield from _defs(node.body, f"{prefix}{node.name}.")
        else:
            for field in ("body", "orelse", "finalbody", "handlers", "cases"):
                inner = getattr(node, field, None)
                if isinstance(inner, list):
                    yield from _defs([n for n in inner if isinstance(n, ast.AST)], prefix)


def blocks_of(text: str) -> Blocks | None:
    """`text`'s blocks, or None when it does not parse (then any change is the whole
    file's)."""
    try:
        tree = parse_python(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    prints: dict[str, str] = {}
    spans: list[tuple[int, int, str]] = []
    for qualname, node in list(_defs(tree.body, "")):
        name, n = qualname, 1
        while name in prints:
            n += 1
            name = f"{qualname}#{n}"
        prints[name] = _digest(node.body)
        first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
        spans.append((first, node.end_lineno or node.lineno, name))
        node.body = [ast.Pass()]  # the module part sees the signature, not the body
    try:
        prints[MODULE] = _digest(tree)
    except RecursionError:
        return None
    spans.sort()
    return Blocks(prints, tuple(s[0] for s in spans), tuple(s[1] for s in spans),
                  tuple(s[2] for s in spans))


def entries_of(result: object, read: Callable[[str], str | None]
               ) -> tuple[dict[str, frozenset[Entry]], dict[str, dict[str, str]]] | None:
    """Per test, the blocks it entered, from the profile plugin's report
    (governance.oracle.profile_plugin), and the fingerprints of every Python file entered,
    read with `read` from the profiled tree. None: the report is not that shape."""
    if not isinstance(result, dict):
        return None
    codes, sets, tests = result.get("codes"), result.get("sets"), result.get("tests")
    if not (isinstance(codes, list) and isinstance(sets, list) and isinstance(tests, dict)):
        return None
    files: dict[str, Blocks | None] = {}
    entries: list[Entry] = []
    for code in codes:
        if not (isinstance(code, list) and len(code) == 2 and isinstance(code[0], str)
                and type(code[1]) is int):
            return None
        rel, line = code
        if rel not in files:
            text = read(rel) if rel.endswith(".py") else None
            files[rel] = blocks_of(text) if text is not None else None
        blocks = files[rel]
        entries.append((rel, blocks.block_at(line) if blocks else MODULE))
    entered = [_entered(raw, entries) for raw in sets]
    if any(e is None for e in entered):
        return None
    nodes: dict[str, frozenset[Entry]] = {}
    for nodeid, number in tests.items():
        if type(number) is not int or not 0 <= number < len(entered):
            return None
        nodes[str(nodeid)] = entered[number]  # type: ignore[assignment]
    # a file without blocks (not Python, not parsable) has no fingerprints: any change to
    # it is the whole file's (changed_entries)
    return nodes, {rel: b.prints if b else {} for rel, b in files.items()}


def _entered(raw: object, entries: list[Entry]) -> frozenset[Entry] | None:
    if not isinstance(raw, list) or not all(type(i) is int and 0 <= i < len(entries)
                                            for i in raw):
        return None
    return frozenset(entries[i] for i in raw)


def changed_entries(prints: dict[str, dict[str, str]], changed: set[str],
                    read: Callable[[str], str | None]) -> tuple[set[str], set[Entry]]:
    """Of the changed files, (those changed as a whole: module part changed, unparsable,
    deleted; the blocks changed in the others), against the fingerprints `prints` of the
    old tree, reading the new tree with `read`. A file nobody entered counts for nothing."""
    whole: set[str] = set()
    blocks: set[Entry] = set()
    for rel in changed & prints.keys():
        text = read(rel)
        new = blocks_of(text) if text is not None else None
        old = prints[rel]
        if new is None or new.prints.get(MODULE) != old.get(MODULE):
            whole.add(rel)
            continue
        blocks |= {(rel, b) for b, h in old.items() if b != MODULE and new.prints.get(b) != h}
    return whole, blocks


PROFILE_MODULE = "_ouroboros_profile"


def profile_request() -> ExtraPlugin:
    """Record per test the functions it entered (governance.oracle.profile_plugin)."""
    return ExtraPlugin(Path(__file__).with_name("profile_plugin.py"), PROFILE_MODULE,
                       "profile_settings.json", {}, "profile.json")
