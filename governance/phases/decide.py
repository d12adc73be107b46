"""CLASSIFY, ROUTE and CONTEXT_EXPANSION: deciding how (and whether) to do the work; PLAN
is governance.phases.plan."""

from __future__ import annotations

from pathlib import Path

from governance.brains.brain_names import reply_form_of
from governance.fs.protected import PathEscape, live_path_problem, normalize
from governance.gates.risk import RiskInput, RiskTier, classify, new_files_under
from governance.memory.memory import Assessment
from governance.oracle.testrun import scope_tests, text_reader
from governance.phase import Phase, Transition
from governance.phases.deps import PhaseDeps
from governance.phases.route_brains import for_route, ready_brains
from governance.routes.routing import route
from governance.schemas import OperationContext

TRIVIAL_GOAL_CHARS = 200
MAX_CONTEXT_FILES = 5


def is_trivial(ctx: OperationContext) -> bool:
    """One target and a short goal: no context expansion, no plan, and only the exploration
    gate's diversity floors are skipped (never its 2-call, read-each-target rule)."""
    return len(ctx.envelope.target_files) == 1 and len(ctx.envelope.goal) <= TRIVIAL_GOAL_CHARS


def _unsafe_targets(root: Path, targets: tuple[str, ...], allow_non_ascii: bool) -> list[str]:
    return [why for t in targets
            if (why := live_path_problem(root, t, allow_non_ascii=allow_non_ascii))]


def _human_at_work(d: PhaseDeps, targets: tuple[str, ...]) -> str | None:
    """Why the human's work in progress keeps the op's hands off, or None."""
    busy = d.git.operation_in_progress()
    if busy:  # their rebase, merge, bisect, ...: applied or committed now, it lands inside it
        return f"{busy} is in progress in the repository: the daemon waits until it ends"
    dirty = d.git.dirty(list(targets))
    return f"target files have uncommitted human edits: {', '.join(dirty)}" if dirty else None


async def classify_phase(ctx: OperationContext, d: PhaseDeps) -> Transition:
    """Rank the risk of the envelope's targets. A target that is or passes through a
    symlink (wherever it points), or is not a regular file, is BLOCKED before anything
    reads it: what the model sees and what APPLY writes are the named paths themselves."""
    allow = d.policy.allow_non_ascii_paths
    try:
        targets = tuple(normalize(f, allow_non_ascii=allow) for f in ctx.envelope.target_files)
    except PathEscape as exc:
        return Transition(Phase.BLOCKED, f"bad target path: {exc}")
    unsafe = await d.in_thread(_unsafe_targets, d.root, targets, allow)
    if unsafe:
        return Transition(Phase.BLOCKED, f"unsafe target path: {'; '.join(unsafe)}")
    advice = await _advice(ctx, d, targets)
    confidence = advice.confidence if advice else ctx.envelope.confidence
    verdict = classify(RiskInput(
        files=targets, new_files=new_files_under(d.root, targets), deleted_files=frozenset(),
        confidence=confidence, state_dir=d.state_rel,
        protected_globs=d.policy.protected_globs, approval_globs=d.policy.approval_globs,
        notify_globs=d.policy.notify_globs))
    payload = {"tier": verdict.tier.name, "rule": verdict.rule, "why": verdict.reason}
    if verdict.tier is RiskTier.BLOCKED:
        return Transition(Phase.BLOCKED, f"protected path: {verdict.reason}", payload)
    busy = await d.in_thread(_human_at_work, d, targets)
    if busy:
        return Transition(Phase.BLOCKED, busy, payload)
    tier, rule = _escalated(advice, verdict.tier, verdict.rule, payload) if advice \
        else (verdict.tier, verdict.rule)
    ctx.risk_tier, ctx.risk_rule = tier.name, rule
    ctx.cautions = list(advice.cautions) if advice else []
    ctx.base_head = await d.in_thread(d.git.head_sha)
    ctx.base_branch = await d.in_thread(d.git.branch)
    return Transition(Phase.ROUTE, f"risk {tier.name} by rule {rule}", payload)


async def _advice(ctx: OperationContext, d: PhaseDeps,
                  targets: tuple[str, ...]) -> Assessment | None:
    """What the outcome records advise (governance.memory.memory), or None: no memory, or memory
    that cannot be read — then the op goes on as the rules rank it."""
    if d.memory is None:
        return None
    try:
        return await d.memory.assess(
            d.root, targets, lambda: d.in_thread(d.git.listed_files),
            provider=getattr(d.provider, "name", ""), source=ctx.envelope.source,
            stated=ctx.envelope.confidence)
    except Exception as exc:  # advisory: its failure must not become the op's
        await d.thought(ctx, Phase.CLASSIFY, "memory unavailable", error=f"{exc}"[:300])
        return None


def _escalated(advice: Assessment, tier: RiskTier, rule: str,
               payload: dict) -> tuple[RiskTier, str]:
    """One tier up for a fragile target (never past APPROVAL_REQUIRED, never down)."""
    payload["memory"] = advice.describe()
    if advice.escalate and tier < RiskTier.APPROVAL_REQUIRED:
        payload["tier"] = RiskTier(tier + 1).name
        return RiskTier(tier + 1), f"{rule}+memory"
    return tier, rule


async def route_phase(ctx: OperationContext, d: PhaseDeps) -> Transition:
    """The route, and the brains it asks: which, in what order, and why (seed §42)."""
    chosen, why = route(ctx.envelope)
    ctx.route = chosen.value
    spec = d.policy.routes.spec(ctx.route)
    payload = {"route": chosen.value, "timeout_s": spec.timeout_s, "budget_s": spec.budget_s,
               "brains_why": spec.brains_why}
    if d.provider is not None:
        view = for_route(d.provider, ctx.route, d)
        ctx.reply_form = reply_form_of(view).value
        payload.update(brains=getattr(view, "brains", [view.name]),
                       ready=ready_brains(view), reply_form=ctx.reply_form)
    named = ", ".join(payload.get("brains", [])) or "no brain"
    return Transition(Phase.CONTEXT_EXPANSION, f"route {chosen} ({why}); brains: {named}",
                      payload)


async def context_expansion_phase(ctx: OperationContext, d: PhaseDeps) -> Transition:
    """Deterministic expansion: the tests that exercise the targets, bounded."""
    if not d.policy.context_expansion or is_trivial(ctx):
        return Transition(Phase.PLAN, "skipped: trivial op" if d.policy.context_expansion
                          else "skipped: disabled by config")
    files = await d.in_thread(d.git.listed_files)
    related = scope_tests(list(ctx.envelope.target_files), files,
                          text_reader(d.root))[:MAX_CONTEXT_FILES]
    ctx.context_files = related
    return Transition(Phase.PLAN, f"{len(related)} related files", {"files": related})
