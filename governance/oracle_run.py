"""Running the oracle for one op: which tests, which trees, which sessions.

A candidate's changes split in two: code, and the test side (test modules, anything in a
test directory, and whatever configures the test run: conftest.py, ini files, ...). They
are judged apart, so that what the candidate writes on the test side can never sit in the
session that judges its code:

- the ORIGINAL session runs the existing tests that exercise the changed code, in their
  base form, on a tree holding the candidate's code changes only. It is compared with the
  baseline (the same tests on the op's base): this is the promise that the repo's own suite
  still passes. When no test is scoped, it is the whole original suite.
- the OWN session runs the test modules the candidate adds or changes (and those importing
  changed test helpers), in the candidate's form, on the full candidate tree: all must pass.
  Edits to existing tests are the human's call: GATE's weakening check (governance.weakening).

VERIFY runs both sets in one session on the live tree, compared with the baseline minus the
test files the candidate changed (those were vetted, and if needed approved, at GATE).
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from governance.oracle import BaselineCache, Report, Verdict, judge
from governance.risk import harness_reason
from governance.schemas import FileChange
from governance.testrun import TestOutcome, TestRunner, scope_tests
from governance.weakening import is_test_path


@dataclass(frozen=True)
class TestScope:
    __test__ = False

    code_changed: bool  # the ORIGINAL session runs only if code changed
    original: tuple[str, ...]  # existing test files that exercise the changed code
    full: bool  # nothing scoped for the code: the whole original suite
    own: tuple[str, ...]  # test modules the candidate adds or changes, candidate form
    test_paths: frozenset[str]  # every test path the candidate writes or deletes

    @property
    def key(self) -> tuple[str, ...] | None:
        return None if self.full else self.original

    def describe(self) -> list[str]:
        original = ["<full suite>"] if self.full else list(self.original)
        return [*(original if self.code_changed else []), *self.own]


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


def is_test_side(rel: str) -> bool:
    """Tests, test data, and whatever configures the test run (conftest, ini files, ...)."""
    return is_test_path(rel) or harness_reason(rel) is not None


def split(changes: Sequence[FileChange]) -> tuple[list[FileChange], list[FileChange]]:
    """(code changes, test-side changes)."""
    code = [c for c in changes if not is_test_side(c.file_path)]
    return code, [c for c in changes if is_test_side(c.file_path)]


def plan_scope(changes: Sequence[FileChange], base: Path, base_files: Sequence[str]) -> TestScope:
    code, tests = split(changes)
    present = set(base_files)
    written = {c.file_path for c in changes if c.action == "write"}
    original = scope_tests([c.file_path for c in code], sorted(present), _reader(base, ()))
    own = scope_tests([c.file_path for c in tests], sorted(present | written),
                      _reader(base, changes))
    deleted = {c.file_path for c in changes if c.action == "delete"}
    return TestScope(code_changed=bool(code), original=tuple(original), full=not original,
                     own=tuple(t for t in own if t not in deleted),
                     test_paths=frozenset(c.file_path for c in tests))


async def run_side(runner: TestRunner, root: Path, tests: Sequence[str], full: bool,
                   scratch: Path) -> TestOutcome:
    """One pytest session; a side with nothing to run is an empty report, not a full run."""
    if not tests and not full:
        return TestOutcome(True, None, report=Report.empty())
    return await runner.run(root, list(tests), scratch=scratch)


@dataclass(frozen=True)
class Checked:
    verdict: Verdict
    outcomes: tuple[TestOutcome, ...] = ()

    def detail(self) -> str:
        """The verdict plus the tail of pytest's own output, for the model and the human."""
        tails = [o.output_tail[-1500:] for o in self.outcomes if o.output_tail]
        return "\n".join([self.verdict.reason, *tails])


async def check_original(runner: TestRunner, root: Path, scope: TestScope, baseline: Report,
                         scratch: Path) -> Checked:
    """The existing tests, in base form, on the tree with the candidate's code changes."""
    out = await run_side(runner, root, scope.original, scope.full, scratch)
    return Checked(judge(out.report, baseline, scope.full), (out,))


async def check_own(runner: TestRunner, root: Path, scope: TestScope,
                    scratch: Path) -> Checked:
    """The candidate's test modules on the full candidate tree: every one must pass."""
    if not scope.own:
        return Checked(Verdict(True, "no test module of the candidate's to run", evidence="own"))
    out = await run_side(runner, root, scope.own, False, scratch)
    v = judge(out.report, Report.empty(), False)
    reason = v.reason if v.passed else f"the candidate's tests: {v.reason}"
    return Checked(Verdict(v.passed, reason, evidence="own", counts=v.counts,
                           failing=v.failing), (out,))


def combine(original: Checked | None, own: Checked | None) -> Checked:
    """One verdict from the two sessions; evidence comes from the original one."""
    parts = [c for c in (original, own) if c is not None]
    failed = next((c for c in parts if not c.verdict.passed), None)
    outcomes = tuple(o for c in parts for o in c.outcomes)
    if failed is not None:
        return Checked(failed.verdict, outcomes)
    if original is None:
        return own or Checked(Verdict(True, "nothing to run: the change has no test modules",
                                      evidence="own"))
    v = original.verdict
    reason = v.reason + (f"; own tests: {own.verdict.reason}" if own and own.outcomes else "")
    return Checked(Verdict(True, reason, evidence=v.evidence, counts=v.counts), outcomes)


def _file_of(nodeid: str) -> str:
    return posixpath.normpath(nodeid.split("::", 1)[0])


async def check_live(runner: TestRunner, root: Path, scope: TestScope, baseline: Report,
                     scratch: Path) -> Checked:
    """VERIFY: every scoped test on the live tree, in one session, against the baseline
    minus the test files the candidate changed."""
    files = [] if scope.full and scope.code_changed else sorted(
        {*(scope.original if scope.code_changed else ()), *scope.own})
    full = scope.full and scope.code_changed
    if not files and not full:
        return Checked(Verdict(True, "no scoped test exists on the live tree"))
    out = await run_side(runner, root, files, full, scratch)
    kept = {n: o for n, o in baseline.tests.items() if _file_of(n) not in scope.test_paths}
    base = Report(finished=True, exitstatus=baseline.exitstatus, tests=kept)
    return Checked(judge(out.report, base, full), (out,))


@dataclass
class Validation:
    """One candidate judged (governance.phases_validate): static problems, or the oracle's
    verdict in sandboxes; L2 classifies a failed one (governance.l2_repair)."""

    passed: bool
    detail: str  # for the model and the human: the verdict plus pytest's output tail
    payload: dict
    problems: list[str] = field(default_factory=list)  # static problems (nothing ran)
    checked: Checked | None = None
    baseline: Report | None = None


@dataclass
class OracleMemo:
    """What one op's VALIDATE hands to GATE and VERIFY: the scope and baseline it judged
    against, and its verdict. One per op (PhaseDeps is built per op); `cache` may be shared,
    since its keys hold the base tree's digest."""

    cache: BaselineCache = field(default_factory=BaselineCache)
    scope: TestScope | None = None
    baseline: Report | None = None
    verdict: Verdict | None = None
    failed: Validation | None = None  # the newest refusal, for L2 to classify
