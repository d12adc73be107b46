"""Running the oracle for one op: which tests, the baseline, and the candidate's two runs.

The scoped test files split in two: `old` ones, which exist in the op's base, and `new`
ones, which the candidate adds. The baseline runs the old files on the base tree. After the
change, the old files run in one pytest session and the new files in a second one, so
import-time code in a candidate's new test module can never touch the session that judges
the existing tests. When nothing is scoped, the whole suite runs on both sides.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from governance.oracle import BaselineCache, Report, Verdict, judge
from governance.schemas import FileChange
from governance.testrun import TestOutcome, TestRunner, scope_tests


@dataclass(frozen=True)
class TestScope:
    __test__ = False

    old: tuple[str, ...]  # scoped test files present in the base
    new: tuple[str, ...]  # scoped test files the candidate adds
    full: bool  # nothing scoped: the whole suite, both sides

    @property
    def key(self) -> tuple[str, ...] | None:
        return None if self.full else self.old

    def describe(self) -> list[str]:
        return ["<full suite>"] if self.full else [*self.old, *self.new]


def overlay_reader(base: Path, changes: Sequence[FileChange]) -> Callable[[str], str]:
    """Read a file as the candidate would leave it, without writing anything."""
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


def plan_scope(changes: Sequence[FileChange], base_files: Sequence[str],
               read_text: Callable[[str], str]) -> TestScope:
    changed = [c.file_path for c in changes]
    written = {c.file_path for c in changes if c.action == "write"}
    base = set(base_files)
    scoped = scope_tests(changed, sorted(base | written), read_text)
    old = tuple(t for t in scoped if t in base)
    new = tuple(t for t in scoped if t not in base and t in written)
    return TestScope(old, new, full=not scoped)


async def run_side(runner: TestRunner, root: Path, tests: Sequence[str], full: bool,
                   scratch: Path) -> TestOutcome:
    """One pytest session; a side with nothing to run is an empty report, not a full run."""
    if not tests and not full:
        return TestOutcome(True, None, report=Report.empty())
    return await runner.run(root, list(tests), scratch=scratch)


@dataclass(frozen=True)
class Checked:
    verdict: Verdict
    outcomes: tuple[TestOutcome, ...]

    def detail(self) -> str:
        """The verdict plus the tail of pytest's own output, for the model and the human."""
        tails = [o.output_tail[-1500:] for o in self.outcomes if o.output_tail]
        return "\n".join([self.verdict.reason, *tails])


async def check(runner: TestRunner, root: Path, scope: TestScope, baseline: Report,
                scratch: Path) -> Checked:
    """Judge the tree at `root` (candidate applied) against the baseline."""
    outcomes: list[TestOutcome] = []
    verdict = None
    if scope.old or scope.full:
        outcomes.append(await run_side(runner, root, scope.old, scope.full, scratch))
        verdict = judge(outcomes[-1].report, baseline, scope.full)
        if not scope.new or not verdict.passed:
            return Checked(verdict, tuple(outcomes))
    outcomes.append(await run_side(runner, root, scope.new, False, scratch))
    fresh = judge(outcomes[-1].report, Report.empty(), False)
    if not fresh.passed:
        return Checked(Verdict(False, f"the candidate's new tests: {fresh.reason}",
                               counts=fresh.counts), tuple(outcomes))
    if verdict is None:
        return Checked(fresh, tuple(outcomes))
    return Checked(Verdict(True, f"{verdict.reason}; new tests: {fresh.reason}",
                           evidence=verdict.evidence, counts=verdict.counts),
                   tuple(outcomes))


@dataclass
class OracleMemo:
    """What one op's VALIDATE hands to GATE and VERIFY: the scope and baseline it judged
    against, and its verdict. One per op (PhaseDeps is built per op); `cache` may be shared,
    since its keys hold the base tree's digest."""

    cache: BaselineCache = field(default_factory=BaselineCache)
    scope: TestScope | None = None
    baseline: Report | None = None
    verdict: Verdict | None = None
