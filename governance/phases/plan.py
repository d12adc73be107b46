"""PLAN: ask the route's brain for a plan.1 before generating. Advice only: any failure
falls through to GENERATE with the default approach (a soft failure), and a brain whose
plans have never been usable is not asked (governance.phases.route_brains, PlanRecord)."""

from __future__ import annotations

import time
from collections.abc import Iterable
from pathlib import Path

from governance.brains import reflex
from governance.brains.model_gate import ModelWaitExpired
from governance.brains.outage import BrainsUnreachable
from governance.brains.prompts import plan_prompt
from governance.brains.provider import PLAN_SHAPE, CandidateProvider, ModelReply, shaped
from governance.brains.reached_code import reached_functions
from governance.errors import CandidateParseError, ProviderError
from governance.fs import nofollow
from governance.fs.protected import PathEscape, live_path_problem, normalize, protected_reason
from governance.phase import Phase, Transition
from governance.phases import step_prompt
from governance.phases.brain_wait import wait_for_brain
from governance.phases.decide import is_trivial
from governance.phases.deps import PhaseDeps
from governance.phases.route_brains import for_route, model_grant, ready_brains
from governance.schemas import OperationContext, PlanResult, Source, parse_plan


def _not_asked(ctx: OperationContext, d: PhaseDeps) -> str | None:
    """Why no plan is asked for, or None when one is."""
    spec = d.policy.routes.spec(ctx.route)
    if is_trivial(ctx) and not spec.plan_required:
        return "skipped: trivial op (default approach)"
    if d.provider is None:
        return "skipped: no provider to plan with"
    if ctx.envelope.source == Source.REVIEW:
        return "skipped: a human accepted a reviewed change"
    reached = reached_functions(ctx.envelope.evidence) \
        if ctx.envelope.source == Source.TEST_FAILURE else []
    if len(reached) == 1:
        # The prompt names the function, shows its code and the change that broke it: a
        # plan only says it again, or worse (the 1.5B model's planned the breaking change
        # again, and its 5,500-token prompt took five minutes to read on two cores).
        return (f"skipped: the failure reached one function ({reached[0][3:][:200]}): "
                "the repair's place is known (default approach)")
    if owner := _one_definition(reached):
        # A class and its methods (semver's `VersionInfo(major=0, minor=10, patch=4)`
        # reached the class, its __init__ and its properties): one place, shown the same.
        return (f"skipped: the failure reached one definition ({owner[:200]}) and its "
                "members: the repair's place is known (default approach)")
    return None


def _one_definition(reached: list[str]) -> str | None:
    """`file::Top` when every reached function is the top-level definition `Top` of one
    file or a member of it, else None."""
    tops = {(c[3:].partition("::")[0], c[3:].partition("::")[2].split(".")[0])
            for c in reached}
    if len(tops) != 1:
        return None
    path, top = tops.pop()
    return f"{path}::{top}"


async def plan_phase(ctx: OperationContext, d: PhaseDeps) -> Transition:
    """Ask for a plan.1 on non-trivial ops; a failed plan falls through (soft failure)."""
    why = _not_asked(ctx, d)
    if why:
        return Transition(Phase.GENERATE, why)
    assert d.provider is not None
    view = for_route(d.provider, ctx.route, d)
    brain = (ready_brains(view) or [view.name])[0]
    if why := d.plans.skip_reason(brain, d.policy.plan_trials):
        return Transition(Phase.GENERATE, f"plan skipped, default approach: {why}",
                          {"plan_skipped": why})
    try:  # the plan queues for the model like generation; its deadline starts at its turn
        reply = await _asked(ctx, d, view)
    except ModelWaitExpired as exc:
        return Transition(Phase.GENERATE, f"plan skipped, default approach: {exc}")
    except ProviderError as exc:
        await d.record_failed_call(ctx, Phase.PLAN, exc)
        return Transition(Phase.GENERATE, f"plan failed, default approach: {exc}")
    await d.record_reply(ctx, Phase.PLAN, reply)
    t = await _judged(ctx, d, reply)
    usable = ctx.plan is not None
    d.plans.record(reply.usage.provider, usable)
    return Transition(t.to, t.reason, {**t.payload, "brain": reply.usage.provider,
                                       "plan_usable": usable}, t.cost_delta)


async def _asked(ctx: OperationContext, d: PhaseDeps, view: CandidateProvider) -> ModelReply:
    """_ask, waiting out an outage of the route's brains (governance.phases.brain_wait)."""
    while True:
        try:
            return await _ask(ctx, d, view)
        except BrainsUnreachable as exc:
            await d.record_failed_call(ctx, Phase.PLAN, exc)
            await wait_for_brain(ctx, d, Phase.PLAN, exc)


async def _ask(ctx: OperationContext, d: PhaseDeps, view: CandidateProvider) -> ModelReply:
    await d.yield_to_host(ctx.op_id, "a model call (PLAN)")  # before its deadline starts
    async with d.model_gate.turn(ctx.op_id, d.policy.model_wait_timeout_s):
        # the files and the op as GENERATE will show them: its prompt reuses this one's prefix
        prompt = step_prompt.framed(await d.in_thread(
            plan_prompt, ctx, d.root, step_prompt.budget(d, view)), d)
        g = await model_grant(ctx, d, Phase.PLAN, view, prompt, tools=False)
        grace = d.policy.routes.spec(ctx.route).grace_s
        return await view.plan(prompt, deadline=time.monotonic() + g.seconds + grace,
                               **shaped(view, PLAN_SHAPE))


async def _judged(ctx: OperationContext, d: PhaseDeps, reply: ModelReply) -> Transition:
    """The reply as a plan: discarded (collapsed), unusable, dropped (its paths), or kept
    on ctx.plan with its paths in canonical form."""
    cost = reply.usage.cost_usd
    if reflex.is_collapse(reply.collapse, reflex.Band.of(d.policy)):  # no re-ground: optional
        d.reflex_stats.collapses += 1
        return Transition(Phase.GENERATE, f"plan discarded, default approach: the model "
                          f"collapsed (proximity {reply.collapse.proximity:.2f})",
                          {"plan_collapsed": reply.collapse.model_dump()}, cost_delta=cost)
    try:
        plan = parse_plan(reply.text)
    except CandidateParseError as exc:
        return Transition(Phase.GENERATE, f"plan unusable, default approach: {exc}",
                          cost_delta=cost)
    allow = d.policy.allow_non_ascii_paths
    try:
        problems = await d.in_thread(plan_path_problems, d.root, plan, d.state_rel,
                                     d.policy.protected_globs, allow)
    except Exception as exc:  # a gate that fails refuses: the plan, not the op
        problems = [f"the plan's paths could not be checked ({type(exc).__name__}: {exc})"]
    if problems:
        return Transition(Phase.GENERATE, f"plan dropped, default approach: {problems[0]}",
                          {"plan_dropped": problems, "plan": plan.model_dump()},
                          cost_delta=cost)
    plan.ordered_changes = [c.model_copy(update={"file_path": normalize(
        c.file_path, allow_non_ascii=allow)}) for c in plan.ordered_changes]
    ctx.plan = plan  # its paths in canonical form, as candidates name them
    return Transition(Phase.GENERATE, f"plan: {plan.approach[:120]}",
                      {"plan": plan.model_dump()}, cost_delta=cost)


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
