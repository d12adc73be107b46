"""What a failing test's failure is caused by, so failures that share a cause become one
piece of work (sensors.failing_tests) instead of one op each.

A failure's causes are typed keys, never read out of its message (a message worded twice
must not make two pieces of work):

- `test:<file>::<test>`: the test without its parametrisation (`test_x[13-13th]` and
  `test_x[113-113th]` are one test, run with other data); a test that fails inside another
  test file's test (its class inherited from there) has that test's causes too;
- `fn:<file>::<function>`: a function of the library, outside the test code, the failure
  points at: where it was raised when that is library code (the function holding the line,
  by `ast`), else the innermost library frame the results plugin recorded
  (`library_where`: raised in the standard library or a dependency from library code),
  else, when it was raised on a line of the test file (a failed assert), the library
  functions that line calls (resolved through the test file's imports of repository
  modules), or the methods it calls on an object the test made (`v.bump("")` where `v`
  holds a call's result: the one class of the imported packages that defines `bump`; a
  builtin or a comparison on such objects, `hash(v)` or `v1 < v2`: its special method), or
  the one library function the values of the names it reads came from (`dev =
  v.replace(...)`, then `assert str(dev) == ...`); with no such line (a jailed run's
  summary carries none, the line calls no library function), the one library function
  the test's body calls, when it calls
  exactly one, else the one its helpers reach (sensors.failure_reach: `self.flakes(...)`
  through a test package's harness into pyflakes' Checker, two hops at most);
- `at:<file>:<line>`: a crash at a library module's top level (no function holds it).

Failures are grouped by shared causes (any one in common joins them), and two library
functions join when one of them calls the other by name in its body, both failing: a broken
`ordinal` fails the tests of `ordinalize`, which calls it, as well as its own. A group's
`anchor` is the cause its work is known by (its dedup key hashes it): the first of its
`fn:` causes in sorted order, else of its `test:` causes. It depends on what fails and where,
never on how the failure is worded.
"""

from __future__ import annotations

import ast
import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from governance.proof.symbols import enclosing_symbol
from governance.schemas import SignalEnvelope, Urgency
from sensors import failure_diff as fd
from sensors import failure_reach as tc
from sensors.failure_reach import PARAMS, library

CHANGE = "change:"  # joins the failing tests one recent commit changed; names no work
MAX_CAUSES = 16  # of one failure: a huge assert calling everything says little
GOAL_TESTS = 8  # test ids a goal names; the evidence holds the rest
MAX_TESTS = 200  # test ids (and causes) one envelope's evidence holds
GOAL_CAP = 4000  # characters of a joined goal


def cause_of_test(test_id: str) -> str:
    return f"test:{PARAMS.sub('', test_id)}"


def causes_of(test_id: str, where: str, files: set[str], read: Callable[[str], str],
              library_where: str = "") -> frozenset[str]:
    """Every cause of one failure (see the module docstring); its test cause at least.
    `library_where`: the innermost frame in library code, when the failure was raised
    outside it (the standard library, a dependency, a test helper)."""
    out = [cause_of_test(test_id)]
    test_file = test_id.split("::", 1)[0]
    if (other := _inherited_from(test_file, where, files, read)) is not None:
        return frozenset({*out, *causes_of(other, where, files, read, library_where)})
    for raised in (where, library_where):
        path, at = tc.spot(raised)
        if at and library(path, files):
            symbol = enclosing_symbol(read(path), at)
            out.append(f"at:{path}:{at}" if symbol == "<module>" else f"fn:{path}::{symbol}")
            return frozenset(out)
    path, at = tc.spot(where)
    tree = tc.parse(read(test_file)) if test_file in files else None
    if tree is None:
        return frozenset(out)
    if (test_def := tc.defined(tree, test_id)) is not None:
        out.append(f"test:{test_file}::{test_def[0]}")  # inherited: one test, run twice
    names, modules = tc.imports(tree, files)
    stmt = tc.innermost(tree, at, ast.stmt) if at and path == test_file else None
    reached = tc.calls(stmt, names, modules) if stmt is not None else []
    if not reached and stmt is not None and test_def is not None:  # a method of an object
        reached = _object_calls(stmt, test_def[1], names, modules, files, read)
    if not reached and test_def is not None:  # the line calls none: the test's one, if one
        reached = tc.body_calls(tree, test_id, test_def[1], names, modules)
        reached = reached if len(reached) == 1 else []
    if not reached and test_def is not None:  # through its helpers: their one, if one
        node = stmt if stmt is not None else test_def[1]
        reached = tc.helper_calls(tree, test_file, test_id, node, files, read)
        reached = reached if len(reached) == 1 else []
    homes = (tc.home(f, name, files, read) for f, name in reached[:MAX_CAUSES])
    out += [f"fn:{f}::{name}" for f, name in homes]
    return frozenset(out)


def _object_calls(stmt: ast.stmt, func: ast.AST, names: dict[str, tuple[str, str]],
                  modules: dict[str, str], files: set[str], read: Callable[[str], str]
                  ) -> list[tuple[str, str]]:
    """The library methods the failing line calls on an object the test made (`assert
    v.bump_prerelease("") == expected`), else the one library function the values of the
    names it reads came from (`dev = v.replace(...)`, then `assert str(dev) == ...`)."""
    methods = tc.package_methods(names, modules, files, read)
    if found := tc.object_calls(stmt, func, methods):
        return found
    flowed = list(dict.fromkeys(c for v in tc.assigned_before(stmt, func)
                                for c in [*tc.calls(v, names, modules),
                                          *tc.object_calls(v, func, methods)]))
    return flowed if len(flowed) == 1 else []


def from_changes(causes: dict[str, frozenset[str]], changed: fd.Changes,
                 files: set[str], read: Callable[[str], str]) -> dict[str, frozenset[str]]:
    """Causes from the diff that made the tests fail (sensors.failure_diff): a failure that
    reaches a library function the human's last commits changed is caused by it (its `fn:`
    causes become the changed functions it reaches in the newest commit it reaches any, its
    test causes stay), whatever line or frame it was raised at; else a failing test whose
    own def those commits changed (the human wrote the tests of a change not made yet)
    shares `change:<base>` with the other such tests: one piece of work. The others keep
    the causes their code shows."""
    if not changed.library and not changed.tests:
        return causes
    index = fd.Index.of((f for f in files if tc.library(f, files) or tc.test_code(f, files)),
                        read) if changed.library else fd.Index()
    out = dict(causes)
    for test_id, keys in causes.items():
        test_file = test_id.split("::", 1)[0]
        tree = tc.parse(read(test_file)) if test_file in files else None
        if tree is None:
            continue
        test_step = _test_step(tree, test_file, test_id, changed)
        if hits := _newest_reached(fd.test_starts(tree, test_id), index, changed, test_step):
            out[test_id] = frozenset({*(k for k in keys if k.startswith("test:")),
                                      *(f"fn:{h}" for h in hits[:MAX_CAUSES])})
        elif (found := fd.test_def(tree, test_id)) is not None \
                and f"{test_file}::{found[0]}" in changed.tests:
            out[test_id] = keys | {f"{CHANGE}{changed.base[:12]}"}
    return out


def _newest_reached(starts: list[ast.AST], index: fd.Index, changed: fd.Changes,
                    test_step: int | None = None) -> list[str]:
    """The changed functions a test reaches in the newest step of the changes that it
    reaches at all (the human's last commit before the maintainers' ones under it); none
    when the test's own def changed in a newer step than that (`test_step`): the test asks
    for what the code never did, and the older change broke nothing (semver's 7fdf7b242dd9:
    its test change under the maintainers' "Immutable VersionInfo", whose undoing the
    prompt then offered and the 1.5B model wrote)."""
    for n, step in enumerate(changed.newest_first or (changed.library,)):
        if hits := fd.reached_changes(starts, index, step):
            return [] if test_step is not None and test_step < n else hits
    return []


def changed_tests_step(test_ids: Iterable[str], files: set[str], read: Callable[[str], str],
               changed: fd.Changes) -> int | None:
    """The newest step that changed one of the tests' own defs (None: none did); a change
    older than it is no cause to undo (sensors.newest_change)."""
    steps = []
    for test_id in test_ids:
        test_file = test_id.split("::", 1)[0]
        tree = tc.parse(read(test_file)) if test_file in files else None
        if tree is not None and (n := _test_step(tree, test_file, test_id, changed)) is not None:
            steps.append(n)
    return min(steps, default=None)


def _test_step(tree: ast.Module, test_file: str, test_id: str,
               changed: fd.Changes) -> int | None:
    """The newest step that changed the test's own def, None when none did."""
    found = fd.test_def(tree, test_id)
    name = f"{test_file}::{found[0]}" if found is not None else None
    return next((n for n, step in enumerate(changed.tests_first) if name in step), None)


def _inherited_from(test_file: str, where: str, files: set[str],
                    read: Callable[[str], str]) -> str | None:
    """The node id of the test of another test file whose body `where` is in: a test that
    `test_file` reruns by inheriting its class (pyflakes' test_doctests.py reruns
    test_other.py's tests as doctests) is that test, with its causes."""
    path, at = tc.spot(where)
    if not at or path == test_file or test_file not in files or not tc.test_code(path, files):
        return None
    tree = tc.parse(read(path))
    func = tc.innermost(tree, at, (ast.FunctionDef, ast.AsyncFunctionDef)) if tree else None
    if func is None or not func.name.startswith("test"):
        return None
    cls = tc.innermost(tree, at, ast.ClassDef)
    return f"{path}::{cls.name}::{func.name}" if cls is not None else f"{path}::{func.name}"


def _callees(file: str, function: str, read: Callable[[str], str]) -> set[str]:
    """The names `file`'s top-level `function` (or `Class.method`) calls by bare name or
    as an attribute (`self.x()`, `mod.x()`)."""
    tree = tc.parse(read(file))
    if tree is None:
        return set()
    node: ast.AST | None = tc.test_function(tree, f"{file}::{function.replace('.', '::')}")
    if node is None:
        return set()
    out = set()
    for call in ast.walk(node):
        if isinstance(call, ast.Call):
            f = call.func
            out.add(f.id if isinstance(f, ast.Name) else f.attr
                    if isinstance(f, ast.Attribute) else "")
    return out - {""}


@dataclass(frozen=True)
class Group:
    """Failures (by test id) that share a cause, and all their causes."""

    tests: tuple[str, ...]
    causes: frozenset[str]

    @property
    def anchor(self) -> str:
        fns = sorted(c for c in self.causes if not c.startswith(("test:", CHANGE)))
        tests = sorted(c for c in self.causes if not c.startswith(CHANGE))
        return (fns or tests or sorted(self.causes))[0]

    @property
    def key(self) -> str:
        return f"test_failure:{hashlib.sha256(self.anchor.encode()).hexdigest()[:24]}"


def group(causes: dict[str, frozenset[str]], read: Callable[[str], str]) -> list[Group]:
    """Union the failures (test id -> its causes) that share a cause, or whose library
    functions call each other; groups in the order of their first test."""
    parent = {t: t for t in causes}

    def find(t: str) -> str:
        while parent[t] != t:
            parent[t] = parent[parent[t]]
            t = parent[t]
        return t

    def union(a: str, b: str) -> None:
        parent[find(b)] = find(a)

    owner: dict[str, str] = {}
    for test_id, keys in causes.items():
        for key in keys:
            if key in owner:
                union(owner[key], test_id)
            else:
                owner[key] = test_id
    fns = {k: t for k, t in owner.items() if k.startswith("fn:")}
    for key, test_id in fns.items():
        file, _, function = key[3:].partition("::")
        for name in _callees(file, function, read):
            other = fns.get(f"fn:{file}::{name}")
            if other is not None:
                union(other, test_id)
    members: dict[str, list[str]] = {}
    for test_id in causes:
        members.setdefault(find(test_id), []).append(test_id)
    return [Group(tuple(ts), frozenset().union(*(causes[t] for t in ts)))
            for ts in members.values()]


def causes_in(env: SignalEnvelope) -> frozenset[str]:
    """The causes an envelope's evidence names (none for other sources' work)."""
    causes = env.evidence.get("causes")
    return frozenset(c for c in causes if isinstance(c, str)) if isinstance(causes, list) \
        else frozenset()


def join(first: SignalEnvelope, later: SignalEnvelope) -> SignalEnvelope:
    """One piece of work for both: `first`'s key, goal and focus, their targets, tests and
    causes united, the surer urgency, `later`'s key among the merged keys (its WAL row is
    dispatched with the op)."""
    tests = sorted({*_strings(first.evidence.get("tests")), *_strings(later.evidence.get(
        "tests"))})
    new = [t for t in tests if t not in _strings(first.evidence.get("tests"))]
    goal = first.goal if not new else (
        f"{first.goal}\n- also failing, of the same cause: {', '.join(new[:GOAL_TESTS])}"
        + (f" (+{len(new) - GOAL_TESTS} more)" if len(new) > GOAL_TESTS else ""))
    merged = [k for k in dict.fromkeys([*_strings(first.evidence.get("merged_keys")),
                                        later.dedup_key,
                                        *_strings(later.evidence.get("merged_keys"))])
              if k != first.dedup_key]
    return first.model_copy(update={
        "target_files": tuple(dict.fromkeys((*first.target_files, *later.target_files))),
        "goal": goal[:GOAL_CAP],
        "urgency": max(first.urgency, later.urgency, key=list(Urgency).index),
        "evidence": {**first.evidence, "tests": tests[:MAX_TESTS], "merged_keys": merged,
                     "causes": sorted(causes_in(first) | causes_in(later))[:MAX_TESTS]}})


def _strings(value: object) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []
