"""VALIDATE and VALIDATE_RETRY: the candidate against the test oracle, in sandboxes.

Validation happens in sandbox copies of the repository; the live tree is not touched.
A refused candidate spends the validate budget (governance.retry); once it is spent the op
goes to L2 self-repair (governance.l2) when that is enabled, else to POSTMORTEM.
"""

from __future__ import annotations

import ast
from pathlib import Path

from governance import retry
from governance.deps import PhaseDeps, Transition
from governance.oracle import Report, tree_digest
from governance.oracle_run import (
    Checked,
    TestScope,
    Validation,
    check_original,
    check_own,
    combine,
    plan_scope,
    run_side,
    split,
)
from governance.phase import Phase
from governance.phases_generate import generate_in
from governance.protected import PathEscape, normalize, protected_reason
from governance.rollback import RollbackSnapshot
from governance.sandbox import Sandbox
from governance.schemas import Candidate, OperationContext
from governance.testrun import ORACLE_MARKERS, TestRunner

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
                ast.parse(content, filename=rel)
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
    problems = static_problems(candidate, d)
    if problems:
        return Validation(False, "; ".join(problems), {"problems": problems}, problems)
    files = await d.in_thread(d.git.listed_files)
    boxes = d.state_dir / "sandboxes" / ctx.op_id
    try:
        base = await d.in_thread(Sandbox.create, d.root, files, boxes / "base", d.state_rel,
                                 d.policy.protected_globs)
        if on_live:  # one session on the live copy let a new test patch the code
            await d.in_thread(_before_op, ctx, d, base.root)
        present = [f for f in files if (base.root / f).is_file()]
        scope = plan_scope(candidate.changes(), base.root, present)
        baseline, checked, baseline_s = await _run_oracle(d, runner, candidate, boxes, base,
                                                          present, scope)
    finally:
        await d.in_thread(Sandbox(boxes).destroy)  # however deep a test made them
    v = checked.verdict
    if v.passed:
        d.oracle.scope, d.oracle.baseline, d.oracle.verdict = scope, baseline, v
    payload = {"tests": scope.describe(), "summary": v.reason[:2000], "counts": v.counts,
               "evidence": v.evidence, "regressions": list(v.regressions[:50]),
               "baseline": _baseline_note(baseline),
               "duration_s": round(sum(o.duration_s for o in checked.outcomes), 3),
               "baseline_duration_s": round(baseline_s, 3)}  # 0 when the cache had it
    return Validation(v.passed, checked.detail() if not v.passed else v.reason, payload,
                      checked=checked, baseline=baseline)


def _before_op(ctx: OperationContext, d: PhaseDeps, copy: Path) -> None:
    """Undo, in a sandbox copy of the live tree, what this op applied (its snapshot)."""
    if not ctx.rollback_dir:
        raise ValueError("an applied op without a rollback snapshot")
    snap = RollbackSnapshot.load(Path(ctx.rollback_dir), d.root)
    RollbackSnapshot(snap.directory, copy, snap.entries).restore()


async def validate_phase(ctx: OperationContext, d: PhaseDeps) -> Transition:
    """The oracle in sandboxes (validate_candidate); a refusal spends the validate budget."""
    assert ctx.generation is not None
    d.oracle.verdict = None
    result = await validate_candidate(ctx, d, ctx.generation.candidate, d.validate_runner)
    if not result.passed:
        d.oracle.failed = result
        return _validation_failed(ctx, d, result.detail, result.payload)
    return Transition(Phase.GATE, f"oracle passed: {result.detail[:300]}", result.payload)


async def _run_oracle(d: PhaseDeps, runner: TestRunner, candidate: Candidate, boxes: Path,
                      base: Sandbox, present: list[str],
                      scope: TestScope) -> tuple[Report, Checked, float]:
    """Baseline (cached), then ORIGINAL on base + code changes, OWN on base + everything;
    with the seconds the baseline run took (0 when cached)."""
    code, _ = split(candidate.changes())
    scratch = d.state_dir / "oracle"

    async def copy(name: str) -> Sandbox:
        return await d.in_thread(Sandbox.create, base.root, present, boxes / name,
                                 d.state_rel, d.policy.protected_globs)

    full_tree = await copy("candidate") if scope.own else None
    baseline, baseline_s = Report.empty(), 0.0
    original = None
    if scope.code_changed:
        key = (await d.in_thread(tree_digest, base.root, present), scope.key)
        cached = d.oracle.cache.get(key)
        if cached is None:  # in its own copy: a baseline run may write into its tree
            pristine = await copy("baseline")
            ran = await run_side(runner, pristine.root, scope.original, scope.full, scratch)
            cached, baseline_s = ran.report, ran.duration_s
            d.oracle.cache.put(key, cached)
        baseline = cached
        base.apply(code)
        original = await check_original(runner, base.root, scope, baseline, scratch)
    own = None
    if full_tree is not None and (original is None or original.verdict.passed):
        full_tree.apply(candidate.changes())
        own = await check_own(runner, full_tree.root, scope, scratch)
    return baseline, combine(original, own), baseline_s


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
