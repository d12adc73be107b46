"""CLASSIFY, ROUTE, CONTEXT_EXPANSION and PLAN: deciding how (and whether) to do the work."""

from __future__ import annotations

import time
from collections.abc import Iterable
from pathlib import Path

from governance import nofollow, reflex
from governance.deps import PhaseDeps, Transition
from governance.errors import CandidateParseError, ProviderError
from governance.memory import Assessment
from governance.model_gate import ModelWaitExpired
from governance.phase import Phase
from governance.prompts import plan_prompt
from governance.protected import PathEscape, live_path_problem, normalize, protected_reason
from governance.provider import PLAN_SHAPE, shaped
from governance.review import REVIEW_SOURCE
from governance.risk import RiskInput, RiskTier, classify, new_files_under
from governance.routing import ROUTES, Route, generate_timeout_s, route
from governance.schemas import OperationContext, PlanResult, parse_plan
from governance.testrun import scope_tests, text_reader

TRIVIAL_GOAL_CHARS = 200
MAX_CONTEXT_FILES = 5


def is_trivial(ctx: OperationContext) -> bool:
    """One target and a short goal: no context expansion, no plan, and only the exploration
    gate's diversity floors are skipped (never its 2-call, read-each-target rule)."""
    return len(ctx.envelope.target_files) == 1 and len(ctx.envelope.goal) <= TRIVIAL_GOAL_CHARS


def _unsafe_targets(root: Path, targets: tuple[str, ...], allow_non_ascii: bool) -> list[str]:
    return [why for t in targets
            if (why := live_path_problem(root, t, allow_non_ascii=allow_non_ascii))]


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
    dirty = await d.in_thread(d.git.dirty, list(targets))
    if dirty:
        return Transition(Phase.BLOCKED,
                          f"target files have uncommitted human edits: {', '.join(dirty)}",
                          payload)
    tier, rule = _escalated(advice, verdict.tier, verdict.rule, payload) if advice \
        else (verdict.tier, verdict.rule)
    ctx.risk_tier, ctx.risk_rule = tier.name, rule
    ctx.cautions = list(advice.cautions) if advice else []
    ctx.base_head = await d.in_thread(d.git.head_sha)
    return Transition(Phase.ROUTE, f"risk {tier.name} by rule {rule}", payload)


async def _advice(ctx: OperationContext, d: PhaseDeps,
                  targets: tuple[str, ...]) -> Assessment | None:
    """What the outcome records advise (governance.memory), or None: no memory, or memory
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
    spec, why = route(ctx.envelope)
    ctx.route = spec.route.value
    return Transition(Phase.CONTEXT_EXPANSION, f"route {spec.route} ({why})",
                      {"route": spec.route.value, "generate_timeout_s": spec.generate_timeout_s})


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


async def plan_phase(ctx: OperationContext, d: PhaseDeps) -> Transition:
    """Ask for a plan.1 on non-trivial ops; a failed plan falls through (soft failure)."""
    spec = ROUTES[Route(ctx.route)] if ctx.route else None
    if is_trivial(ctx) and not (spec and spec.plan_required):
        return Transition(Phase.GENERATE, "skipped: trivial op (default approach)")
    if d.provider is None:
        return Transition(Phase.GENERATE, "skipped: no provider to plan with")
    if ctx.envelope.source == REVIEW_SOURCE:
        return Transition(Phase.GENERATE, "skipped: a human accepted a reviewed change")
    try:  # the plan queues for the model like generation; its deadline starts at its turn
        async with d.model_gate.turn(ctx.op_id, d.policy.model_wait_timeout_s):
            deadline = time.monotonic() + generate_timeout_s(ctx.route)
            reply = await d.provider.plan(plan_prompt(ctx), deadline=deadline,
                                          **shaped(d.provider, PLAN_SHAPE))
    except ModelWaitExpired as exc:
        return Transition(Phase.GENERATE, f"plan skipped, default approach: {exc}")
    except ProviderError as exc:
        await d.record_failed_call(ctx, Phase.PLAN, exc)
        return Transition(Phase.GENERATE, f"plan failed, default approach: {exc}")
    await d.record_reply(ctx, Phase.PLAN, reply)
    band = reflex.Band.of(d.policy)
    if reflex.is_collapse(reply.collapse, band):  # never a plan; no re-ground: it is optional
        d.reflex_stats.collapses += 1
        return Transition(Phase.GENERATE, f"plan discarded, default approach: the model "
                          f"collapsed (proximity {reply.collapse.proximity:.2f})",
                          {"plan_collapsed": reply.collapse.model_dump()},
                          cost_delta=reply.usage.cost_usd)
    try:
        plan = parse_plan(reply.text)
    except CandidateParseError as exc:
        return Transition(Phase.GENERATE, f"plan unusable, default approach: {exc}",
                          cost_delta=reply.usage.cost_usd)
    allow = d.policy.allow_non_ascii_paths
    try:
        problems = await d.in_thread(plan_path_problems, d.root, plan, d.state_rel,
                                     d.policy.protected_globs, allow)
    except Exception as exc:  # a gate that fails refuses: the plan, not the op
        problems = [f"the plan's paths could not be checked ({type(exc).__name__}: {exc})"]
    if problems:
        return Transition(Phase.GENERATE, f"plan dropped, default approach: {problems[0]}",
                          {"plan_dropped": problems, "plan": plan.model_dump()},
                          cost_delta=reply.usage.cost_usd)
    plan.ordered_changes = [c.model_copy(update={"file_path": normalize(
        c.file_path, allow_non_ascii=allow)}) for c in plan.ordered_changes]
    ctx.plan = plan  # its paths in canonical form, as candidates name them
    return Transition(Phase.GENERATE, f"plan: {plan.approach[:120]}",
                      {"plan": plan.model_dump()}, cost_delta=reply.usage.cost_usd)


def plan_path_problems(root: Path, plan: PlanResult, state_rel: str,
                       protected_globs: Iterable[str], allow_non_ascii: bool) -> list[str]:
    """Why the plan's paths cannot be trusted, one line each; [] when every path is fine.

    A path must stay inside the repository, be unprotected, pass no symlink (nothing is
    followed) and name an existing regular file, unless the plan declares it new (its
    change says `"new": true`). A plan that fails is dropped for the default
    approach: its coverage check would otherwise drive the op into retries."""
    out = []
    for change in plan.ordered_changes:
        raw = change.file_path
        try:
            rel = normalize(raw, allow_non_ascii=allow_non_ascii)
            why = protected_reason(rel, state_rel, protected_globs)
        except PathEscape as exc:
            out.append(f"{raw!r} escapes the repository: {exc}")
            continue
        if why:
            out.append(f"{rel} is protected ({why})")
        elif problem := live_path_problem(root, rel, allow_non_ascii=allow_non_ascii):
            out.append(f"{rel}: {problem}")
        elif not change.new and _missing(root, rel):
            out.append(f"{rel} does not exist and the plan does not declare it new")
    return out


def _missing(root: Path, rel: str) -> bool:
    try:
        return nofollow.lstat(root, rel) is None  # never follows a symlink
    except (OSError, ValueError):  # an unsafe component: not an existing file to change
        return True
