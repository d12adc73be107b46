"""VALIDATE and VALIDATE_RETRY: the candidate against the test oracle, in sandboxes.

Validation happens in sandbox copies of the repository; the live tree is not touched.
A refused candidate spends the validate budget (governance.retry); once it is spent the op
goes to L2 self-repair (governance.phases.l2) when that is enabled, else to POSTMORTEM. A
run that timed out while the host was loaded spends nothing: it runs again once the host is
quiet, within [health]'s bounds (governance.phases.slow_host).
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

from governance import retry
from governance.fs import nofollow
from governance.fs.protected import PathEscape, normalize, protected_reason
from governance.fs.rollback import RollbackSnapshot
from governance.oracle.differential import DiffReport
from governance.oracle.failure_text import as_payload
from governance.oracle.mutants import MutationReport
from governance.oracle.oracle import Report, tree_digest
from governance.oracle.oracle_run import (
    Checked,
    Sessions,
    Validation,
    check_original,
    check_own,
    combine,
    run_side,
    untraced_baseline,
)
from governance.oracle.profile_store import PROFILE_FILE
from governance.oracle.sandbox import Sandbox
from governance.oracle.scope import (
    SuiteKnowledge,
    TestScope,
    plan_scope,
    scope_note,
    split,
)
from governance.oracle.testrun import ORACLE_MARKERS, CoverageRequest, TestRunner
from governance.phase import Phase, Transition
from governance.phases import repeats, slow_host
from governance.phases.deps import PhaseDeps
from governance.phases.generate import generate_in
from governance.phases.review import accept_refused
from governance.phases.samples import judge_samples
from governance.proof.claim import base_text, refusals
from governance.proof.differential_check import (
    check_behaviour,
    targets_of,
    wants_differential,
)
from governance.proof.kin import behaviour_scope
from governance.proof.lint_gate import LintReport, adopt, check_lint, linters_of
from governance.proof.mutation_run import check_mutants, wants_mutation
from governance.proof.rules import FileText, fixed_tests, new_behaviour
from governance.python_ast import parse_python
from governance.schemas import Candidate, OperationContext, Source

MAX_CANDIDATE_BYTES = 1_000_000  # per file: a larger one is not a maintenance change


def static_problems(candidate: Candidate, d: PhaseDeps) -> list[str]:
    """Checks that need no execution: paths, protection, size, Python syntax."""
    problems = []
    for change in candidate.changes():
        try:
            rel = normalize(change.file_path, allow_non_ascii=d.policy.allow_non_ascii_paths)
        except PathEscape as exc:
            problems.append(str(exc))
            continue
        why = protected_reason(rel, d.state_rel, d.policy.protected_globs)
        if why:
            problems.append(f"{rel} is protected ({why}); do not touch it")
        content = change.full_content or ""
        marker = next((m for m in ORACLE_MARKERS if m in content or m in rel), None)
        if marker:
            problems.append(f"{rel} refers to the test oracle ({marker!r}); leave it alone")
        if len(content.encode("utf-8", "surrogatepass")) > MAX_CANDIDATE_BYTES:
            problems.append(f"{rel} is larger than {MAX_CANDIDATE_BYTES} bytes")
        if change.action == "write" and rel.endswith(".py"):
            try:
                parse_python(content, filename=rel)
            except SyntaxError as exc:
                problems.append(f"SyntaxError in {rel} line {exc.lineno}: {exc.msg}")
    return problems


async def validate_candidate(ctx: OperationContext, d: PhaseDeps, candidate: Candidate,
                             runner: TestRunner, *, on_live: bool = False) -> Validation:
    """The oracle for `candidate`, in sandbox copies of the live tree. Normally the tree is
    the op's base: the existing tests on the candidate's code against their baseline there
    (cached per base and scope), and the candidate's own tests on the full candidate tree.
    With `on_live` (L2 repairing a VERIFY failure) the live tree already holds the applied
    change: the copy gets the op's snapshot originals back first, so the repair is judged
    exactly as VALIDATE judges (the original tests alone, on the original test files).
    On a pass, the scope, baseline and verdict are what GATE and VERIFY will use."""
    # off the loop: parsing a candidate's files takes ~50 ms a 8,000-line file
    problems = await d.in_thread(static_problems, candidate, d) or await d.in_thread(
        refusals, ctx, d, candidate.changes())
    if problems:
        return Validation(False, "; ".join(problems), {"problems": problems}, problems)
    files = await d.in_thread(d.git.listed_files)
    boxes = d.state_dir / "sandboxes" / ctx.op_id
    try:
        base = await d.in_thread(Sandbox.create, d.root, files, boxes / "base", d.state_rel,
                                 d.policy.protected_globs)
        if on_live:  # one session on the live copy let a new test patch the code
            await d.in_thread(before_op, ctx, d, base.root)
        present = [f for f in files if (base.root / f).is_file()]
        run = _OracleRun(d, runner, candidate, boxes, base, present, new_behaviour(ctx),
                         wants_differential(ctx, d.policy), wants_mutation(ctx))
        linters = await d.in_thread(linters_of, d.root) if d.policy.lint and not on_live \
            else []  # the base's configuration, never what the candidate made of it
        # before any test: what the linter fixes is fixed in the candidate the tests judge
        lint = await run.lint(ctx, linters) if linters else None
        scope = await d.in_thread(lambda: plan_scope(
            candidate.changes(), base.root, present, suite=_suite(d),
            budget_s=d.policy.full_suite_budget_s))
        baseline, checked, baseline_s = await run.run(scope)
        scope = run.scope
        run.sessions = dataclasses.replace(run.sessions, lint=lint)  # read at GATE
    finally:
        await d.in_thread(Sandbox(boxes).destroy)  # however deep a test made them
    v = checked.verdict
    if v.passed:
        d.oracle.scope, d.oracle.baseline, d.oracle.verdict = scope, baseline, v
        d.oracle.sessions = run.sessions
    payload = _payload(scope, checked, baseline, baseline_s, run.sessions, lint)
    return Validation(v.passed, checked.detail() if not v.passed else v.reason, payload,
                      checked=checked, baseline=baseline)


def _payload(scope: TestScope, checked: Checked, baseline: Report, baseline_s: float,
             sessions: Sessions, lint: LintReport | None) -> dict:
    """VALIDATE's ledger payload: what ran, what it said, and each check's evidence."""
    v = checked.verdict
    payload = {"tests": scope.describe(), "scope": scope.why, "summary": v.reason[:2000],
               "counts": v.counts,
               "evidence": v.evidence, "regressions": list(v.regressions[:50]),
               "baseline": _baseline_note(baseline),
               "duration_s": round(sum(o.duration_s for o in checked.outcomes), 3),
               "baseline_duration_s": round(baseline_s, 3)}  # 0 when the cache had it
    if v.failures:  # what the failing tests said: the refusal's evidence in the ledger
        payload["failures"] = as_payload(v.failures)
    if sessions.differential is not None:  # what the differential check compared
        payload["behaviour"] = sessions.differential.payload()
    if sessions.mutation is not None:  # which changed lines a test would notice
        payload["mutants"] = sessions.mutation.payload()
    if lint is not None:  # the repository's own linters (governance.oracle.linters)
        payload["lint"] = lint.payload()
    return payload


def _texts(root: Path, changes: list) -> dict[str, str | None]:
    """The base copy's texts of the changed files (None: absent, unreadable, not UTF-8)."""
    out: dict[str, str | None] = {}
    for c in changes:
        try:
            out[c.file_path] = nofollow.read_bytes(root, c.file_path,
                                                   limit=MAX_CANDIDATE_BYTES * 4).decode()
        except (OSError, PathEscape, UnicodeDecodeError):
            out[c.file_path] = None
    return out


def before_op(ctx: OperationContext, d: PhaseDeps, copy: Path) -> None:
    """Undo, in a sandbox copy of the live tree, what this op applied (its snapshot):
    the live tree without this op (L2 on a VERIFY failure, and VERIFY itself)."""
    if not ctx.rollback_dir:
        raise ValueError("an applied op without a rollback snapshot")
    snap = RollbackSnapshot.load(Path(ctx.rollback_dir), d.root)
    RollbackSnapshot(snap.directory, copy, snap.entries).restore()


async def validate_phase(ctx: OperationContext, d: PhaseDeps) -> Transition:
    """The oracle in sandboxes (validate_candidate); a refusal spends the validate budget."""
    assert ctx.generation is not None
    d.oracle.verdict = None
    while True:  # a run that timed out on a loaded host runs again once it is quiet
        if ctx.alternates:  # best of N: the first proven sample goes on
            result = await judge_samples(ctx, d, d.validate_runner, validate_candidate)
        else:
            result = await validate_candidate(ctx, d, ctx.generation.candidate,
                                              d.validate_runner)
        if result.passed or not await slow_host.run_again(ctx, d, result.checked):
            break
    if not result.passed:
        d.oracle.failed = result
        # the same candidate again is refused at once, unless its run was cut short (a
        # timeout on a loaded box); off the loop (~0.1 s a 8,000-line file)
        if repeats.settles(result.checked.verdict.kind if result.checked else None):
            await d.in_thread(repeats.refuse, ctx, ctx.generation.candidate,
                              result.detail.splitlines()[0] if result.detail else "-")
        return _validation_failed(ctx, d, result.detail, result.payload)
    return Transition(Phase.GATE, f"oracle passed: {result.detail[:300]}", result.payload)


class _OracleRun:
    """One candidate's sessions in sandbox copies of the op's base: the baseline (cached;
    the whole suite's is timed and profiled, and narrowed to the affected scope when it
    does not finish in time), ORIGINAL on base + code changes, OWN on base + everything,
    and for new behaviour OWN-ON-BASE on base + the test side only."""

    def __init__(self, d: PhaseDeps, runner: TestRunner, candidate: Candidate, boxes: Path,
                 base: Sandbox, present: list[str], wants_fail_to_pass: bool,
                 wants_differential: bool = False, wants_mutation: bool = False):
        self.d, self.runner, self.candidate = d, runner, candidate
        self.boxes, self.base, self.present = boxes, base, present
        self.wants_fail_to_pass = wants_fail_to_pass
        self.wants_differential = wants_differential
        self.wants_mutation = wants_mutation
        self.old_texts: dict[str, str | None] = {}
        self.scratch = d.state_dir / "oracle"
        self.scope: TestScope | None = None
        self.sessions = Sessions()

    async def copy(self, name: str) -> Sandbox:
        return await self.d.in_thread(Sandbox.create, self.base.root, self.present,
                                      self.boxes / name, self.d.state_rel,
                                      self.d.policy.protected_globs)

    async def run(self, scope: TestScope) -> tuple[Report, Checked, float]:
        """(baseline, verdict, seconds the baseline run took: 0 when cached)."""
        code, tests = split(self.candidate.changes())
        full_tree = await self.copy("candidate") if scope.own or scope.everything else None
        own_base = await self.copy("own-on-base") if self.wants_fail_to_pass and scope.own \
            else None
        baseline, baseline_s = Report.empty(), 0.0
        if scope.needs_baseline:
            baseline, baseline_s, scope = await self._baseline(scope)
        self.scope = scope
        original = await self._original(scope, baseline, code) if scope.code_changed else None
        own = None
        if full_tree is not None and (original is None or original.verdict.passed):
            full_tree.apply(self.candidate.changes())
            own = await check_own(self.runner, full_tree.root, scope, self.scratch, baseline)
            on_base = await self._own_on_base(own_base, tests, scope) if own.verdict.passed \
                else None
            self.sessions = dataclasses.replace(self.sessions, own=_report(own),
                                                own_on_base=on_base)
        checked = combine(original, own)
        if checked.verdict.passed and self.wants_mutation and scope.code_changed:
            self.sessions = dataclasses.replace(self.sessions,
                                                mutation=await self._mutants(code, baseline))
        return baseline, checked, baseline_s

    async def _original(self, scope: TestScope, baseline: Report, code: list) -> Checked:
        """ORIGINAL on the base copy with the code changes (its base texts kept for the
        mutation check), and for a preserve change the differential check after it."""
        pristine = await self.copy("behaviour-base") if self.wants_differential else None
        self.old_texts = await self.d.in_thread(_texts, self.base.root, code)
        self.base.apply(code)
        original = await check_original(self.runner, self.base.root, scope, baseline,
                                        self.scratch)
        self.sessions = Sessions(original=_report(original))
        if pristine is not None and original.verdict.passed:
            self.sessions = dataclasses.replace(
                self.sessions, differential=await self._behaviour(pristine, code))
        return original

    async def _mutants(self, code: list, baseline: Report) -> MutationReport:
        """The mutation check (governance.proof.mutation_run) in a copy of the
        candidate's code with the tests ORIGINAL ran, in their base form, when they show
        the change; with the candidate's own tests only when they alone do (the model's
        claim). A test the candidate adds or appends to could tell the check's child from
        a test run and fail only there: every mutant would look killed. A check that
        breaks is a finding."""
        try:
            original = self.sessions.original
            fixed = fixed_tests(original.tests, baseline) if original else set()
            by_model = not fixed
            box = await self.copy("mutants")  # the base copy holds the code changes now
            if by_model:
                await self.d.in_thread(box.apply, [c for c in self.candidate.changes()
                                                    if c not in code])
            files = [FileText(c.file_path, self.old_texts.get(c.file_path),
                              None if c.action == "delete" else (c.full_content or ""))
                     for c in code]
            judges = (original, self.sessions.own) if by_model else (original,)
            coverage = [r.coverage for r in judges if r is not None and r.coverage is not None]
            return await check_mutants(self.runner, box.root, files, coverage, self.scratch,
                                       sorted(fixed))
        except Exception as exc:  # a gate that cannot decide refuses
            return MutationReport(problem=f"{type(exc).__name__}: {exc}"[:300])

    async def lint(self, ctx: OperationContext, linters: list) -> LintReport:
        """The lint gate (governance.proof.lint_gate) in a copy holding the whole
        candidate. What the repository's fixer fixed is adopted in the candidate itself
        (not in a human's accepted change: that is what they accepted); a finding left,
        or a gate that cannot run, leaves the change unproven."""
        try:
            box = await self.copy("lint")
            await self.d.in_thread(box.apply, self.candidate.changes())
            report = await check_lint(self.runner, box.root, linters,
                                      self.candidate.changes(),
                                      lambda rel: base_text(ctx, self.d, rel), self.scratch,
                                      self.d.policy.lint_timeout_s,
                                      fix=ctx.envelope.source != Source.REVIEW)
        except Exception as exc:  # a gate that cannot decide refuses
            return LintReport(problem=f"{type(exc).__name__}: {exc}"[:300])
        adopt(self.candidate, report.texts)
        return report

    async def _behaviour(self, pristine: Sandbox, code: list) -> DiffReport:
        """The differential check (governance.proof.differential_check): the base copy
        against the tree with the candidate's code; a check that breaks is a finding."""
        try:
            targets, problems = await self.d.in_thread(targets_of, pristine.root, code)
            if problems:
                return DiffReport(problem="; ".join(problems[:3]))
            coverage = self.sessions.original.coverage if self.sessions.original else None
            targets, tests = behaviour_scope(targets, coverage)
            return await check_behaviour(self.runner, pristine.root, self.base.root, targets,
                                         tests, self.scratch)
        except Exception as exc:  # a gate that cannot decide refuses
            return DiffReport(problem=f"{type(exc).__name__}: {exc}"[:300])

    async def _baseline(self, scope: TestScope) -> tuple[Report, float, TestScope]:
        """The scope's baseline (cached per base digest and scope). A full one is timed and
        profiled for the suite's knowledge; one that does not finish in time narrows the
        scope to the affected tests (unless none was found), and so does one the suite's
        knowledge already says cannot finish in time: it is not tried again per op."""
        d, suite, limit = self.d, self.d.oracle.suite, self.runner.timeout_s
        if scope.full and scope.original and (suite.suite_s or 0.0) > limit:
            return await self._baseline(scope.narrowed(_too_slow(suite, scope, limit)))
        digest = await d.in_thread(tree_digest, self.base.root, self.present)
        cached = d.oracle.cache.get((digest, scope.key))
        if cached is not None:
            return cached, 0.0, scope
        pristine = await self.copy(f"baseline-{len(scope.key or ())}")
        profile = CoverageRequest(profile=True) if scope.full else None
        ran = await run_side(self.runner, pristine.root, scope.original, scope.full,
                             self.scratch, profile)
        if scope.full and ran.timed_out and scope.original:
            suite.too_slow(limit)
            return await self._baseline(scope.narrowed(_too_slow(suite, scope, limit)))
        report = ran.report
        if scope.full and not report.problem:
            cov = report.coverage
            suite.learn(ran.duration_s, cov.files if cov else None)
            report = await untraced_baseline(self.runner, pristine.root, scope.original,
                                             scope.full, self.scratch, report)
        d.oracle.cache.put((digest, scope.key), report)
        return report, ran.duration_s, scope

    async def _own_on_base(self, box: Sandbox | None, tests: list,
                           scope: TestScope) -> Report | None:
        """The candidate's test modules on the base code: which fail there (fail-to-pass)."""
        if box is None:
            return None
        box.apply(tests)
        out = await run_side(self.runner, box.root, scope.own, False, self.scratch)
        return out.report


def _suite(d: PhaseDeps) -> SuiteKnowledge:
    """The shared suite knowledge, with the background profile (daemon.suite_profile) taken
    from the state dir when it changed: every op, and every restart, reuses it."""
    d.oracle.suite.adopt(d.state_dir / PROFILE_FILE)
    return d.oracle.suite


def _too_slow(suite: SuiteKnowledge, scope: TestScope, limit_s: float) -> str:
    """Why a whole-suite baseline gave way to the affected scope, for the ledger."""
    took = "did not finish" if math.isinf(suite.suite_s or 0.0) else \
        f"took {suite.suite_s:.1f}s"
    return (f"it {took}, over VALIDATE's {limit_s:g}s limit: "
            + scope_note(suite, len(scope.original)))


def _report(checked: Checked) -> Report | None:
    return checked.outcomes[0].report if checked.outcomes else None


def _baseline_note(baseline: Report) -> str:
    if baseline.problem:
        return f"unusable: {baseline.problem}"
    passed = sum(1 for o in baseline.tests.values() if o in ("passed", "xpassed"))
    return f"{passed} of {len(baseline.tests)} passed"


def _validation_failed(ctx: OperationContext, d: PhaseDeps, detail: str,
                       payload: dict) -> Transition:
    """A refused candidate spends the validate budget (governance.retry); once it is spent,
    L2 self-repair takes over when enabled (once per op), else the op ends."""
    ctx.last_failure = detail
    headline = detail.splitlines()[0][:300] if detail else "-"
    if ctx.envelope.source == Source.REVIEW:  # no model to retry with: the human decides
        return Transition(Phase.POSTMORTEM, accept_refused(ctx, headline), payload)
    if retry.spend(ctx, d.policy, retry.Failure.VALIDATION_FAILED):
        return Transition(Phase.VALIDATE_RETRY, f"validation failed: {headline}", payload)
    attempts = retry.spent(ctx, retry.Budget.VALIDATE)
    if d.policy.l2_enabled and ctx.l2_runs == 0:
        return Transition(Phase.L2_REPAIR, f"validation failed {attempts} time(s), retries "
                          f"spent: L2 self-repair ({headline})", payload)
    return Transition(Phase.POSTMORTEM, f"validation failed {attempts} time(s), no retry "
                      f"left: {headline}", payload)


async def validate_retry_phase(ctx: OperationContext, d: PhaseDeps) -> Transition:
    """A new candidate from the validation feedback; an unusable reply here spends the
    generate budget, not the validate budget, and retries here."""
    return await generate_in(ctx, d, Phase.VALIDATE_RETRY, Phase.VALIDATE_RETRY)
