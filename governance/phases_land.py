"""GATE, APPROVE, APPLY and VERIFY: the chokepoint, the human, the disk, the proof."""

from __future__ import annotations

import asyncio
import difflib

from governance import atomic
from governance.crashpoints import crashpoint
from governance.deps import PhaseDeps, Transition, file_sha256
from governance.phase import Phase
from governance.protected import PathEscape, contained
from governance.risk import RiskInput, RiskTier, classify
from governance.rollback import RollbackSnapshot
from governance.schemas import OperationContext
from governance.testrun import scope_tests, text_reader

DIFF_PREVIEW_CHARS = 4000


def _diff_preview(ctx: OperationContext, d: PhaseDeps) -> str:
    assert ctx.generation is not None
    chunks = []
    for change in ctx.generation.candidate.changes():
        live = d.root / change.file_path
        old = live.read_text(encoding="utf-8", errors="replace") if live.is_file() else ""
        new = change.full_content or ""
        chunks.extend(difflib.unified_diff(old.splitlines(True), new.splitlines(True),
                                           f"a/{change.file_path}", f"b/{change.file_path}"))
    text = "".join(chunks)
    return text if len(text) <= DIFF_PREVIEW_CHARS else text[:DIFF_PREVIEW_CHARS] + "\n[...]"


async def gate_phase(ctx: OperationContext, d: PhaseDeps) -> Transition:
    """Re-check every candidate path against the live root, then re-rank risk on what the
    candidate really touches. The tier can only rise."""
    assert ctx.generation is not None
    changes = ctx.generation.candidate.changes()
    try:
        for change in changes:
            contained(d.root, change.file_path)
    except PathEscape as exc:
        return Transition(Phase.BLOCKED, f"path containment: {exc}")
    files = tuple(c.file_path for c in changes)
    verdict = classify(RiskInput(
        files=files,
        new_files=frozenset(c.file_path for c in changes
                            if c.action == "write" and not (d.root / c.file_path).exists()),
        deleted_files=frozenset(c.file_path for c in changes if c.action == "delete"),
        confidence=ctx.envelope.confidence, state_dir=d.state_rel,
        protected_globs=d.policy.protected_globs, approval_globs=d.policy.approval_globs,
        notify_globs=d.policy.notify_globs))
    if verdict.tier is RiskTier.BLOCKED:
        return Transition(Phase.BLOCKED, f"candidate touches a protected path: {verdict.reason}")
    before = RiskTier[ctx.risk_tier or "SAFE_AUTO"]
    tier = max(before, verdict.tier)
    ctx.risk_tier = tier.name
    why = (f"candidate rule {verdict.rule}: {verdict.reason}" if verdict.tier > before
           else f"classified {before.name}")
    return Transition(Phase.APPROVE, f"tier {tier.name} ({why})",
                      {"tier": tier.name, "files": list(files), "diff": _diff_preview(ctx, d)})


async def approve_phase(ctx: OperationContext, d: PhaseDeps) -> Transition:
    tier = RiskTier[ctx.risk_tier or "SAFE_AUTO"]
    if tier is RiskTier.SAFE_AUTO:
        return Transition(Phase.APPLY, "auto-approved (SAFE_AUTO)")
    if tier is RiskTier.NOTIFY_APPLY:
        delay = d.policy.notify_apply_delay_s
        await d.thought(ctx, Phase.APPROVE, f"applying in {delay:g}s unless cancelled",
                        cancel=f"ouroboros cancel {ctx.op_id}", diff=_diff_preview(ctx, d))
        await asyncio.sleep(delay)
        return Transition(Phase.APPLY, f"notify window of {delay:g}s passed without a cancel")
    timeout = d.policy.approval_timeout_s
    await d.thought(ctx, Phase.APPROVE, "awaiting human approval",
                    approve=f"ouroboros approve {ctx.op_id}",
                    reject=f"ouroboros reject {ctx.op_id}", diff=_diff_preview(ctx, d))
    decision = await d.approvals.wait(ctx.op_id, timeout)
    if decision is None:
        return Transition(Phase.CANCELLED, f"no approval within {timeout:g}s")
    if not decision.approved:
        return Transition(Phase.CANCELLED, f"rejected by human: {decision.reason or '-'}")
    return Transition(Phase.APPLY, f"approved by human: {decision.reason or '-'}")


async def apply_phase(ctx: OperationContext, d: PhaseDeps) -> Transition:
    """Snapshot every file, then write all of them; any failure restores the whole batch."""
    assert ctx.generation is not None
    changes = ctx.generation.candidate.changes()
    paths = [c.file_path for c in changes]
    stale = [f for f, h in ctx.live_hashes.items() if file_sha256(d.root / f) != h]
    if stale:
        return Transition(Phase.POSTMORTEM, f"stale: changed since GENERATE: {', '.join(stale)}")
    dirty = await d.in_thread(d.git.dirty, paths)
    if dirty:
        return Transition(Phase.POSTMORTEM,
                          f"human edits appeared on {', '.join(dirty)}; not applied")
    snapshot = await d.in_thread(RollbackSnapshot.capture, d.state_dir, ctx.op_id, d.root, paths)
    ctx.rollback_dir = str(snapshot.directory)
    ctx.applied = True  # from here on, any non-COMPLETE ending restores the snapshot
    crashpoint("apply_after_snapshot")

    def write_all() -> dict[str, str | None]:
        for n, change in enumerate(changes):
            if n == 1:
                crashpoint("apply_between_files")
            live = contained(d.root, change.file_path)
            if change.action == "delete":
                atomic.remove(live)
            else:
                atomic.write_text(live, change.full_content or "")
        return {p: file_sha256(d.root / p) for p in paths}

    post = await d.in_thread(write_all)
    return Transition(Phase.VERIFY, f"applied {len(paths)} file(s)",
                      {"files": paths, "post_sha256": post, "rollback": ctx.rollback_dir})


async def verify_phase(ctx: OperationContext, d: PhaseDeps) -> Transition:
    assert ctx.generation is not None
    changed = [c.file_path for c in ctx.generation.candidate.changes()]
    files = await d.in_thread(d.git.listed_files)
    tests = scope_tests(changed, sorted(set(files) | set(changed)), text_reader(d.root))
    outcome = await d.verify_runner.run(d.root, tests)
    payload = {"tests": tests or ["<full suite>"], "summary": outcome.summary,
               "failed": outcome.failed, "duration_s": round(outcome.duration_s, 2)}
    if not outcome.passed:
        return Transition(Phase.POSTMORTEM, f"verify failed on the live tree: "
                          f"{outcome.describe()}", payload)
    return Transition(Phase.COMPLETE, f"verified ({outcome.summary or 'no tests'})", payload)
