"""Which tests judge a candidate: the affected scope, all of it.

A candidate's changes split in two: code, and the test side (test modules, anything in a
test directory, and whatever configures the test run: conftest.py, ini files, ...).

The ORIGINAL session (governance.oracle.oracle_run) runs, in base form, every existing test that
can observe a changed module:
- tests named after a changed module, or importing it by name (testrun.scope_tests);
- every test in the transitive reverse-import closure of the changed modules
  (governance.oracle.import_graph): `tests/test_api.py` imports `calc.api`, which imports
  `calc.core`, so a change to `calc/core.py` runs it;
- every test file that entered a changed file during the last profiled full-suite run
  (the testmon idea: what a test executed at baseline, whatever it imported).

The whole suite runs instead when the scope cannot be trusted or is not worth computing:
- the whole suite's last measured baseline took at most `proof.full_suite_budget_s`, or
  has not been measured yet (then this run measures it, and profiles it);
- a repository file imports modules by a run-time name (importlib, __import__, runpy,
  entry points): no import edge can be followed through it;
- no test is found for a changed module (no import edge at all);
- a harness file changed (conftest.py, ini files, ...): that means every test, and the
  OWN session then runs the whole suite in the candidate's form too (`everything`).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from governance.gates.risk import harness_reason
from governance.gates.weakening import is_test_path
from governance.oracle import profile_store
from governance.oracle.import_graph import ImportGraph
from governance.oracle.testrun import is_test_file, scope_tests
from governance.schemas import FileChange


@dataclass
class SuiteKnowledge:
    """What the oracle has learnt about a repository's suite, shared by every op: the
    import graph (cached per file), the seconds the last full baseline took (inf: it did
    not finish in time), and which code files each test file entered then. The background
    profile (daemon.suite_profile, kept in the state dir) is adopted when it is newer than
    what VALIDATE learnt itself; `origin` and `missing` say where the profile came from or
    why there is none, for the ledger."""

    graph: ImportGraph = field(default_factory=ImportGraph)
    suite_s: float | None = None
    profile: dict[str, frozenset[str]] = field(default_factory=dict)
    learnt_at: float = 0.0  # epoch seconds `suite_s` and `profile` were learnt
    origin: str = ""  # where `profile` came from
    missing: str = "no whole-suite run has finished yet"  # why there is no profile
    _seen: tuple[int, int] | None = None  # the store file last adopted (mtime, size)

    def learn(self, seconds: float, entered: dict[str | None, frozenset[str]] | None) -> None:
        self.suite_s = seconds
        if entered is None:
            return
        self.profile = code_entered(entered)
        self.learnt_at, self.origin = time.time(), "a whole-suite baseline at VALIDATE"

    def too_slow(self, limit_s: float | None = None) -> None:
        self.suite_s = math.inf
        if not self.profile:
            limit = f" {limit_s:g}s" if limit_s is not None else ""
            self.missing = (f"the whole suite ran past VALIDATE's{limit} time limit; its "
                            "profile is learnt in the background")

    def adopt(self, path: Path) -> None:
        """Take the stored profile (profile_store) when it changed and is newer than ours.
        A run that timed out is remembered: the suite is known to be slow."""
        try:
            st = path.stat()
        except OSError:
            return
        if (st.st_mtime_ns, st.st_size) == self._seen:
            return
        self._seen = (st.st_mtime_ns, st.st_size)
        stored = profile_store.load(path)
        p, out = stored.profile, stored.timed_out
        if p is not None and p.at >= self.learnt_at:
            self.suite_s, self.profile, self.learnt_at = p.suite_s, dict(p.tests), p.at
            self.origin = f"the suite profile of tree {p.tree[:12]}"
        elif out is not None and not self.profile:
            self.suite_s = math.inf
            self.missing = (f"the background profile run timed out after {out.limit_s:g}s "
                            f"on tree {out.tree[:12]}")
        elif stored.learning is not None and not self.profile:
            self.missing = "the suite profile is being learnt in the background"


def code_entered(entered: dict[str | None, frozenset[str]]) -> dict[str, frozenset[str]]:
    """Per test file, the code files (not the test side) its tests entered."""
    profile: dict[str, set[str]] = {}
    for nodeid, files in entered.items():
        if nodeid:
            code = {f for f in files if f.endswith(".py") and not is_test_side(f)}
            profile.setdefault(nodeid.split("::", 1)[0], set()).update(code)
    return {test: frozenset(files) for test, files in profile.items()}


def scope_note(suite: SuiteKnowledge, found: int) -> str:
    """The ledger's words for a narrow scope: with the profile, or the closure only."""
    if suite.profile:
        return f"the affected scope: {found} test file(s), by imports and {suite.origin}"
    return (f"closure only: the affected scope by imports alone, {found} test file(s); no "
            f"suite profile ({suite.missing})")


@dataclass(frozen=True)
class TestScope:
    __test__ = False

    code_changed: bool  # the ORIGINAL session runs only if code changed
    original: tuple[str, ...]  # existing test files that can observe the changed code
    full: bool  # the whole original suite instead (`why` says why)
    own: tuple[str, ...]  # test modules the candidate adds or changes, candidate form
    test_paths: frozenset[str]  # every test path the candidate writes or deletes
    everything: bool = False  # a harness file changed: the whole suite, both sessions
    why: str = ""  # why this scope, for the ledger
    watch: frozenset[str] = frozenset()  # changed code files whose lines must have run

    @property
    def key(self) -> tuple[str, ...] | None:
        return None if self.full else self.original

    @property
    def needs_baseline(self) -> bool:
        return self.code_changed or self.everything

    def describe(self) -> list[str]:
        original = ["<full suite>"] if self.full else list(self.original)
        own = ["<full suite, candidate form>"] if self.everything else list(self.own)
        return [*(original if self.code_changed else []), *own]

    def narrowed(self, why: str = "") -> TestScope:
        """The scoped form of a full scope whose baseline did not finish in time."""
        return TestScope(self.code_changed, self.original, not self.original, self.own,
                         self.test_paths, self.everything, "the whole suite is too slow; "
                         + (why or "the affected scope" if self.original else "no scope found"),
                         self.watch)


def is_test_side(rel: str) -> bool:
    """Tests, test data, and whatever configures the test run (conftest, ini files, ...)."""
    return is_test_path(rel) or harness_reason(rel) is not None


def split(changes: Sequence[FileChange]) -> tuple[list[FileChange], list[FileChange]]:
    """(code changes, test-side changes)."""
    code = [c for c in changes if not is_test_side(c.file_path)]
    return code, [c for c in changes if is_test_side(c.file_path)]


def _reader(base: Path, changes: Sequence[FileChange]) -> Callable[[str], str]:
    """Read a file as `changes` would leave it (none: as in the base), writing nothing."""
    written = {c.file_path: (c.full_content or "") for c in changes if c.action == "write"}
    deleted = {c.file_path for c in changes if c.action == "delete"}

    def read(rel: str) -> str:
        if rel in written:
            return written[rel]
        if rel in deleted:
            return ""
        try:
            return (base / rel).read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
    return read


def _affected(code: list[str], base: Path, present: list[str],
              suite: SuiteKnowledge) -> set[str]:
    """Existing test files that can observe `code`: by name and import, by the transitive
    import closure, and by what they entered in the last profiled run."""
    found = set(scope_tests(code, present, _reader(base, ())))
    closure = suite.graph.reverse_closure(base, present, code)
    found |= {f for f in closure if is_test_file(f)}
    changed = set(code)
    found |= {test for test, files in suite.profile.items() if files & changed}
    return found & set(present)


def _full_reason(harness: list[str], suite: SuiteKnowledge, budget_s: float,
                 dynamic: list[str], original: set[str]) -> str | None:
    if harness:
        return f"a harness file changed ({', '.join(harness[:3])}): every test"
    if suite.suite_s is None:
        return "the whole suite: its cost is not measured yet"
    if suite.suite_s <= budget_s:
        return f"the whole suite: its baseline took {suite.suite_s:.1f}s <= {budget_s:g}s"
    if dynamic:
        return f"the whole suite: {', '.join(dynamic[:3])} import modules by run-time names"
    if not original:
        return "the whole suite: no test imports the changed code"
    return None


def plan_scope(changes: Sequence[FileChange], base: Path, base_files: Sequence[str], *,
               suite: SuiteKnowledge, budget_s: float) -> TestScope:
    code, tests = split(changes)
    present = sorted(set(base_files))
    code_paths = [c.file_path for c in code]
    harness = [c.file_path for c in tests if harness_reason(c.file_path)]
    original = _affected(code_paths, base, present, suite) if code else set()
    dynamic = suite.graph.dynamic_importers(base, present) if code else []
    why_full = _full_reason(harness, suite, budget_s, dynamic, original)
    written = {c.file_path for c in changes if c.action == "write"}
    own = scope_tests([c.file_path for c in tests], sorted(set(present) | written),
                      _reader(base, changes))
    deleted = {c.file_path for c in changes if c.action == "delete"}
    why = why_full or scope_note(suite, len(original))
    return TestScope(code_changed=bool(code), original=tuple(sorted(original)),
                     full=why_full is not None, own=tuple(t for t in own if t not in deleted),
                     test_paths=frozenset(c.file_path for c in tests),
                     everything=bool(harness), why=why,
                     watch=frozenset(p for p in code_paths if p.endswith(".py")
                                     and p in written))
