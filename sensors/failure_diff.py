"""The library functions the human's last commits (and the edits not committed yet) changed,
and the functions a failing test reaches, so that failures a change made are one cause named
by the changed function (sensors.failure_causes), wherever the assertion failed: a
unittest-style `self.assertEqual` raises inside unittest/case.py, the test's line calls the
public `hex_to_name`, and what the human broke is the private `normalize_hex` under it.

Changed: `git diff -U0 <base>` of the repository's library `.py` files, where `base` is the
parent of the oldest of HEAD's last RECENT commits (a root commit, which adds the whole
library, is no change: the base stops at it), each hunk's lines taken to the function or
method holding them (`Class.method`; a nested def counts as the function holding it). A
diff that touches more than MAX_CHANGED functions says little about any one failure and is
not used. Each step is also kept apart, the newest first (the edits not committed yet,
HEAD's commit, its parent's, ...), each read against its own commit's text: a failure is
caused by the newest step it reaches (a human's commit that broke `bump_minor` on top of
the maintainers' commits that changed five other methods of its class).

Reached: by name, over-approximated on purpose (it is only ever intersected with the few
changed functions): from the test's def, every name it loads or calls (`x`, `obj.x`) is
every function, method or class of the repository so named, and so on through their bodies;
a class reached is its whole body (methods, and what its class body assigns:
`__eq__ = force_aff_func_args(eq_on_aff_funcs)`), a method reached is its class's body too
(the operators it defines run on the instances it builds). Bounded by MAX_NODES.
"""

from __future__ import annotations

import ast
import re
import subprocess
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from sensors import failure_reach as tc

RECENT = 3  # HEAD's last commits whose changes are the strongest hint
MAX_CHANGED = 12  # changed functions beyond which the diff is too diffuse to name a cause
MAX_CHANGED_TESTS = 60  # changed test defs beyond which the change is no one piece of work
MAX_NODES = 4000  # defs one test's reach visits
GIT_TIMEOUT_S = 20.0
_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@", re.MULTILINE)
Read = Callable[[str], str]


@dataclass(frozen=True)
class Changes:
    """What HEAD's last commits and the uncommitted edits changed since `base`: library
    functions and test defs, each `file::qual`."""

    base: str = ""
    library: frozenset[str] = frozenset()
    tests: frozenset[str] = frozenset()
    # `library` step by step, the newest first: the edits not committed yet, HEAD's own
    # commit, its parent's, ... A failure is caused by the newest change it reaches: the
    # human's commit that broke `bump_minor`, not the maintainers' before it that changed
    # five other methods of the same class.
    newest_first: tuple[frozenset[str], ...] = ()
    # Each step's (older, newer) revisions, as newest_first; newer None: the working tree
    # (sensors.newest_change shows a cause's function on both sides).
    revs: tuple[tuple[str, str | None], ...] = ()
    # `tests` step by step, as newest_first: a failing test changed in a newer step than
    # the library change it reaches asks for new behaviour; that change broke nothing.
    tests_first: tuple[frozenset[str], ...] = ()


def changes(root: Path, files: set[str], read: Read) -> Changes:
    """The recent changes (see the module docstring); empty when git cannot say. Library
    changes over MAX_CHANGED functions, or test changes over MAX_CHANGED_TESTS defs, are too
    diffuse to name a cause and are left out."""
    chain = _chain(root)
    py = sorted(f for f in files if tc.library(f, files) or tc.test_code(f, files))
    if not chain or not py:
        return Changes()
    lib: set[str] = set()
    tests: set[str] = set()
    steps: list[frozenset[str]] = []
    test_steps: list[frozenset[str]] = []
    # (older, newer) newest first; newer None: the working tree
    revs = list(zip(chain, [None, *chain[:-1]], strict=False))
    for old, new in revs:
        hunks = _diff(root, old, new, py)
        if hunks is None:
            return Changes()
        text = read if new is None else shown(root, new)
        step: set[str] = set()
        step_tests: set[str] = set()
        for path, lines in hunks.items():
            if path not in files:
                continue
            body = text(path)
            owner = _owner(body)
            into = step if tc.library(path, files) else step_tests
            into.update(f"{path}::{_outer(s, body)}" for s in map(owner, lines)
                        if s != "<module>")
        steps.append(frozenset(step))
        test_steps.append(frozenset(step_tests))
        lib |= step
        tests |= step_tests
    if len(lib) > MAX_CHANGED:
        lib, steps, revs = set(), [], []
    few = len(tests) <= MAX_CHANGED_TESTS
    return Changes(chain[-1], frozenset(lib), frozenset(tests) if few else frozenset(),
                   tuple(steps), tuple(revs), tuple(test_steps) if few and steps else ())


def git(root: Path, *args: str) -> str | None:
    """git's output, or None when it cannot say."""
    try:
        out = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True,
                             timeout=GIT_TIMEOUT_S)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout if out.returncode == 0 else None


def _diff(root: Path, old: str, new: str | None, py: list[str]) -> dict[str, list[int]] | None:
    """The hunks' lines of `py` from `old` to `new` (None: the working tree); None when git
    cannot say."""
    out = git(root, "diff", "-U0", "--no-color", "--no-ext-diff", "--no-renames", old,
               *([new] if new else []), "--", *py)
    return None if out is None else _hunks(out)


def shown(root: Path, rev: str) -> Read:
    """A file's text at `rev` ('' when git cannot say): an older step's line numbers are
    that commit's, not the working tree's."""
    return lambda path: git(root, "show", f"{rev}:{path}") or ""


def _chain(root: Path) -> list[str]:
    """HEAD's last RECENT commits, newest first, then the base the changes are counted
    from: the parent of the oldest that has one. A root commit among them adds the whole
    library: the chain stops at it (it is the base). [] when git cannot say."""
    out = git(root, "rev-list", "--parents", f"--max-count={RECENT}", "--first-parent", "HEAD")
    rows = [line.split() for line in (out or "").splitlines()]
    chain = []
    for row in rows:
        chain.append(row[0])
        if len(row) == 1:  # a root commit: the base itself
            return chain
    return [*chain, rows[-1][1]] if rows else []


def _hunks(diff: str) -> dict[str, list[int]]:
    """New-side line numbers each file's hunks touch (a pure deletion: the lines around)."""
    out: dict[str, list[int]] = {}
    for part in diff.split("\ndiff --git ")[0:]:
        m = re.search(r"^\+\+\+ b/(.+)$", part, re.MULTILINE)
        if m is None:
            continue
        lines = out.setdefault(m.group(1), [])
        for h in _HUNK.finditer(part):
            start, count = int(h.group(1)), int(h.group(2) or 1)
            lines.extend(range(start, start + count) if count else (start, start + 1))
    return out


def _owner(text: str) -> Callable[[int], str]:
    """The qualified name of the innermost def holding a line, its decorators included (a
    test's parametrize table is the test's), or '<module>'."""
    tree = tc.parse(text)
    spans: list[tuple[int, int, str]] = []

    def walk(body: list[ast.stmt], prefix: str) -> None:
        for node in body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
                spans.append((first, node.end_lineno or node.lineno, prefix + node.name))
                walk(node.body, f"{prefix}{node.name}.")
    walk(tree.body if tree is not None else [], "")

    def owner(line: int) -> str:
        inside = [s for s in spans if s[0] <= line <= s[1]]
        return max(inside, key=lambda s: s[0])[2] if inside else "<module>"
    return owner


def _outer(symbol: str, text: str) -> str:
    """The function or `Class.method` holding `symbol` (a nested def is its holder's)."""
    parts = symbol.split(".")
    tree = tc.parse(text)
    top = next((n for n in (tree.body if tree else [])
                if isinstance(n, ast.ClassDef) and n.name == parts[0]), None)
    return ".".join(parts[:2]) if top is not None and len(parts) > 1 else parts[0]


@dataclass
class Index:
    """Every def of the repository's `.py` files (top-level functions and classes, the
    methods of top-level classes, and the values of top-level assignments: a module's table
    of callables), by the names a call can use for them."""

    by_name: dict[str, list[tuple[str, str, ast.AST]]] = field(default_factory=dict)

    @classmethod
    def of(cls, files: Iterable[str], read: Read) -> Index:
        index = cls()
        for path in sorted(f for f in files if f.endswith(".py")):
            tree = tc.parse(read(path))
            for node in tree.body if tree is not None else []:
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                    index.add(node.name, path, node.name, node)
                elif isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
                    for target in node.targets if isinstance(node, ast.Assign) else [
                            node.target]:  # a table of callables: EXP_PRINT = {...: lambda}
                        if isinstance(target, ast.Name):
                            index.add(target.id, path, target.id, node.value)
                if isinstance(node, ast.ClassDef):
                    for item in node.body:
                        if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                            index.add(item.name, path, f"{node.name}.{item.name}", item)
        return index

    def add(self, name: str, path: str, qual: str, node: ast.AST) -> None:
        self.by_name.setdefault(name, []).append((path, qual, node))

    def reached(self, starts: Iterable[ast.AST]) -> set[str]:
        """`file::qual` of every def `starts` reach by name (see the module docstring)."""
        seen: set[str] = set()
        todo = list(starts)
        visited: set[int] = set()
        while todo and len(seen) < MAX_NODES:
            node = todo.pop()
            if id(node) in visited:
                continue
            visited.add(id(node))
            for name in _names(node):
                for path, qual, target in self.by_name.get(name, ()):
                    todo.extend(self._enter(path, qual, target, seen))
        return seen

    def _enter(self, path: str, qual: str, node: ast.AST, seen: set[str]) -> list[ast.AST]:
        """Mark a def reached; what to walk next: it, and for a method its class (whose
        methods are all reached with it)."""
        if f"{path}::{qual}" in seen:
            return []
        seen.add(f"{path}::{qual}")
        owner = qual.split(".")[0]
        if "." in qual:
            return [node, *(t for p, q, t in self.by_name.get(owner, ())
                            if p == path and q == owner)]
        if isinstance(node, ast.ClassDef):
            seen.update(f"{path}::{owner}.{item.name}" for item in node.body
                        if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef))
        return [node]


def _names(node: ast.AST) -> set[str]:
    out: set[str] = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name):
            out.add(sub.id)
        elif isinstance(sub, ast.Attribute):
            out.add(sub.attr)
    return out


def test_def(tree: ast.Module, test_id: str) -> tuple[str, ast.AST] | None:
    """(`Class.test` or `test` where it is defined, its def) for a node id; a test defined
    under an `if` or a `try` (numpy present) by its name alone."""
    found = tc.defined(tree, test_id)
    if found is not None:
        return found[0].replace("::", "."), found[1]
    name = tc.PARAMS.sub("", test_id).split("::")[-1]
    return next(((n.name, n) for n in ast.walk(tree)
                 if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef) and n.name == name),
                None)


def test_starts(tree: ast.Module, test_id: str) -> list[ast.AST]:
    """Where a test's reach starts: its def, and its class's methods that are no tests
    (setUp, helpers: the objects a unittest-style test asserts on are often built there)."""
    found = test_def(tree, test_id)
    if found is None:
        return []
    starts: list[ast.AST] = [found[1]]
    cls = found[0].split(".")[0] if "." in found[0] else None
    top = {n.name: n for n in tree.body if isinstance(n, ast.ClassDef)}
    if cls in top:
        starts += [n for n in top[cls].body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
                   and not n.name.startswith("test")]
    return starts


def reached_changes(starts: list[ast.AST], index: Index, changed: frozenset[str]) -> list[str]:
    """The changed functions (`file::qual`) a test reaches from `starts`, sorted."""
    if not changed or not starts:
        return []
    reach = index.reached(starts)
    return sorted(c for c in changed if c in reach)
