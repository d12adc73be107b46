"""Running the oracle for one op: which trees, which sessions.

A candidate's code and test-side changes (governance.oracle.scope) are judged apart, so that what
the candidate writes on the test side can never sit in the session that judges its code:

- the ORIGINAL session runs the affected scope (governance.oracle.scope), in base form, on a tree
  holding the candidate's code changes only, recording which tests ran each changed line
  (coverage, for governance.proof.rules). It is compared with the baseline (the same tests on
  the op's base): this is the promise that the repo's own suite still passes.
- the OWN session runs the test modules the candidate adds or changes (and those importing
  changed test helpers), in the candidate's form, on the full candidate tree: all must pass
  (with a harness change: the whole suite, compared with the baseline). Edits to existing
  tests are the human's call: GATE's weakening check (governance.gates.weakening).
- for new behaviour, the OWN-ON-BASE session runs the candidate's test modules on the base
  code: a test that fails there and passes on the candidate is fail-to-pass evidence.

VERIFY runs both sets in one session on the live tree, compared with the baseline minus the
test files the candidate changed (those were vetted, and if needed approved, at GATE).
"""

from __future__ import annotations

import dataclasses
import posixpath
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from governance.oracle.differential import DiffReport
from governance.oracle.lint_report import LintReport
from governance.oracle.mutants import MutationReport
from governance.oracle.oracle import (
    GOOD,
    BaselineCache,
    FailureKind,
    Report,
    Verdict,
    judge,
)
from governance.oracle.scope import SuiteKnowledge, TestScope
from governance.oracle.testrun import CoverageRequest, TestOutcome, TestRunner

# Tests a traced session may fail only because the tracer slowed them (a time budget): more
# failures than this are not the tracer's doing, and are not run again untraced.
UNTRACED_MAX = 10
_JUDGED_TEST_BY_TEST = frozenset({FailureKind.NONE, FailureKind.FAILING})


async def run_side(runner: TestRunner, root: Path, tests: Sequence[str], full: bool,
                   scratch: Path, coverage: CoverageRequest | None = None) -> TestOutcome:
    """One pytest session: `tests`, or with `full` the whole suite (no paths); a side with
    nothing to run is an empty report, not a full run."""
    if not tests and not full:
        return TestOutcome(True, None, report=Report.empty())
    return await runner.run(root, [] if full else list(tests), scratch=scratch,
                            coverage=coverage)


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
    """The existing tests, in base form, on the tree with the candidate's code changes,
    recording which of them ran each line of the changed code files."""
    return await traced_session(runner, root, scope.original, scope.full, scratch,
                                CoverageRequest(scope.watch), baseline, _affected(scope))


async def traced_session(runner: TestRunner, root: Path, tests: Sequence[str], full: bool,
                         scratch: Path, coverage: CoverageRequest, baseline: Report,
                         affected: frozenset[str] | None) -> Checked:
    """A session that records coverage, judged against `baseline`. The tracer slows the
    watched code several times over, so a test with a time budget can fail only here:
    when every test held against the change passed at baseline and failed here (at most
    UNTRACED_MAX of them), the same session runs again untraced, in the same order, and
    those tests take their outcome from it; coverage stays the traced run's. A test that
    fails untraced too, or never runs there, is a regression all the same."""
    out = await run_side(runner, root, tests, full, scratch, coverage)
    verdict = judge(out.report, baseline, full, affected)
    slowed = _failed_when_traced(out.report, baseline, verdict)
    if not slowed or not (coverage.watch or coverage.profile):
        return Checked(verdict, (out,))
    # No coverage, so no tracer; and stopping at the first failure: once a test fails
    # untraced too, the verdict stands, and a broken candidate costs little more.
    again = await run_side(runner.stopping_early(), root, tests, full, scratch)
    if judge(again.report, baseline, full, affected).kind not in _JUDGED_TEST_BY_TEST:
        return Checked(verdict, (out, again))  # the rerun itself broke: the verdict stands
    outcomes = {n: o for n in slowed if (o := again.report.with_outcome(n)) in GOOD}
    merged = dataclasses.replace(out, report=dataclasses.replace(
        out.report, tests={**out.report.tests, **outcomes}))
    verdict = judge(merged.report, baseline, full, affected)
    if verdict.passed:
        verdict = dataclasses.replace(verdict, reason=f"{verdict.reason}; judged untraced "
                                      f"(failed only under the tracer): {', '.join(slowed)}")
    return Checked(verdict, (merged, again))


async def untraced_baseline(runner: TestRunner, root: Path, tests: Sequence[str],
                            full: bool, scratch: Path, report: Report) -> Report:
    """A traced (profiled) baseline's failed tests, judged untraced: run alone first (the
    human's failing test fails there too, and that is the end of it); when some pass
    alone, the same session runs again untraced, in the same order, and those that pass
    there passed before the change (the tracer slowed them). Only ever more tests read as
    passing before, which the change must then keep passing."""
    failed = tuple(sorted(n for n, o in report.tests.items() if o in ("failed", "error")))
    if not failed or len(failed) > UNTRACED_MAX:
        return report
    alone = await run_side(runner, root, failed, False, scratch)
    if not any(alone.report.with_outcome(n) in GOOD for n in failed):
        return report
    again = (await run_side(runner, root, tests, full, scratch)).report
    if judge(again, Report.empty(), full).kind not in _JUDGED_TEST_BY_TEST:
        return report
    passed = {n: o for n in failed if (o := again.with_outcome(n)) in GOOD}
    return dataclasses.replace(report, tests={**report.tests, **passed})


def _failed_when_traced(after: Report, baseline: Report, verdict: Verdict) -> tuple[str, ...]:
    """The tests a failed verdict holds against the change when every one of them passed
    at baseline and failed or errored here (at most UNTRACED_MAX); else none."""
    if verdict.passed or verdict.kind is not FailureKind.FAILING:
        return ()
    ids = verdict.failing
    slowed = all(baseline.with_outcome(n) in GOOD and after.with_outcome(n) in ("failed", "error")
                 for n in ids)
    return ids if slowed and len(ids) <= UNTRACED_MAX else ()


def _affected(scope: TestScope) -> frozenset[str] | None:
    """When the whole suite runs: the test files that can observe the change (pre-existing
    failures elsewhere are not the change's)."""
    if not scope.full or scope.everything:  # a harness change reaches every test
        return None
    return frozenset(scope.original) | scope.test_paths


async def check_own(runner: TestRunner, root: Path, scope: TestScope, scratch: Path,
                    baseline: Report | None = None) -> Checked:
    """The candidate's test modules on the full candidate tree: every one must pass. With
    a harness change, the whole suite in the candidate's form, against `baseline`."""
    if scope.everything:
        return await traced_session(runner, root, (), True, scratch,
                                    CoverageRequest(scope.watch), baseline or Report.empty(),
                                    _affected(scope))
    if not scope.own:
        return Checked(Verdict(True, "no test module of the candidate's to run", evidence="own"))
    out = await run_side(runner, root, scope.own, False, scratch, CoverageRequest(scope.watch))
    v = judge(out.report, Report.empty(), False)
    reason = v.reason if v.passed else f"the candidate's tests: {v.reason}"
    return Checked(Verdict(v.passed, reason, evidence="own", counts=v.counts,
                           failing=v.failing, kind=v.kind, failures=v.failures), (out,))


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
    full = (scope.full and scope.code_changed) or scope.everything
    files = [] if full else sorted({*(scope.original if scope.code_changed else ()),
                                    *scope.own})
    if not files and not full:
        return Checked(Verdict(True, "no scoped test exists on the live tree"))
    out = await run_side(runner, root, files, full, scratch)
    kept = {n: o for n, o in baseline.tests.items() if _file_of(n) not in scope.test_paths}
    base = Report(finished=True, exitstatus=baseline.exitstatus, tests=kept)
    return Checked(judge(out.report, base, full, _affected(scope) if full else None), (out,))


@dataclass
class Validation:
    """One candidate judged (governance.phases.validate): static problems, or the oracle's
    verdict in sandboxes; L2 classifies a failed one (governance.phases.l2_repair)."""

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
    suite: SuiteKnowledge = field(default_factory=SuiteKnowledge)  # shared like the cache
    scope: TestScope | None = None
    baseline: Report | None = None
    verdict: Verdict | None = None
    failed: Validation | None = None  # the newest refusal, for L2 to classify
    sessions: Sessions | None = None  # the passing verdict's reports, for governance.proof.rules

    def for_op(self) -> OracleMemo:
        return OracleMemo(cache=self.cache, suite=self.suite)


@dataclass(frozen=True)
class Sessions:
    """The reports behind a passing verdict: what governance.proof.rules reads."""

    original: Report | None = None  # the affected scope on the candidate's code
    own: Report | None = None  # the candidate's tests on the candidate tree
    own_on_base: Report | None = None  # the candidate's tests on the base code
    # the differential check of a preserve change (governance.oracle.differential)
    differential: DiffReport | None = None
    # the mutation check of a repair or new behaviour (governance.oracle.mutants)
    mutation: MutationReport | None = None
    # the repository's own linters on the candidate (governance.oracle.lint_report)
    lint: LintReport | None = None
