"""The re-ground reflex as a phase asks the model (governance.brains.reflex): the provider
watched turn by turn (its collapse signal read, the daemon's counters fed, each turn steered
as a re-ground asks), one of the op's re-grounds spent on a collapse, and whether the first
reply after it recovered. GENERATE and L2 ask through it (governance.phases.generate)."""

from __future__ import annotations

import time
from dataclasses import asdict, replace

from governance.brains import reflex
from governance.brains.provider import (
    CandidateProvider,
    CollapseSignal,
    ModelReply,
    ProviderHealth,
    ReplyShape,
    Steering,
    shaped,
)
from governance.errors import ModelCollapsed
from governance.phase import Phase
from governance.phases.deps import PhaseDeps
from governance.phases.repeats import seed_for
from governance.phases.route_brains import context_window
from governance.schemas import OperationContext


async def reground(ctx: OperationContext, d: PhaseDeps, phase: Phase, exc: ModelCollapsed,
                   deadline: float) -> Steering:
    """Spend one of the op's re-grounds on a collapse, or raise it when none is left (or
    no time is): the caller then asks again, steered."""
    data = {"proximity_before": round(exc.proximity, 4), "exit_reason": exc.exit_reason,
            "source": exc.source, "round": exc.round, "budget": d.policy.reground_budget}
    if ctx.regrounds >= d.policy.reground_budget or time.monotonic() >= deadline:
        why = "budget spent" if ctx.regrounds >= d.policy.reground_budget else "no time left"
        await d.thought(ctx, phase, f"canary collapse: no re-ground ({why})",
                        regrounds=ctx.regrounds, **data)
        raise exc
    ctx.regrounds += 1
    d.reflex_stats.regrounds += 1
    # a seed of its own: a sampled turn asked again as it was decodes the same reply
    steer = replace(reflex.reground_steering(ctx.regrounds),
                    seed=seed_for(f"{ctx.op_id}#reground", ctx.regrounds))
    await d.thought(ctx, phase, "canary collapse: re-grounding", regrounds=ctx.regrounds,
                    steering=asdict(steer), **data)
    return steer


async def reground_outcome(ctx: OperationContext, d: PhaseDeps, phase: Phase, before: float,
                           signals: list[CollapseSignal], band: reflex.Band) -> None:
    """A recovery: the first reply after a re-ground stays below the threshold."""
    after = signals[0] if signals else None
    recovered = after is not None and not reflex.is_collapse(after, band)
    if recovered:
        d.reflex_stats.recoveries += 1
    await d.thought(ctx, phase, "re-ground recovered" if recovered else
                    "re-ground did not recover", proximity_before=round(before, 4),
                    proximity_after=None if after is None else round(after.proximity, 4),
                    regrounds=ctx.regrounds)


class Watched:
    """The provider as the reflex sees it: each turn steered as the re-ground asks, its
    collapse signal kept (and put in the ledger's telemetry), the daemon's counters fed."""

    def __init__(self, inner: CandidateProvider, steer: Steering | None, band: reflex.Band,
                 stats: reflex.ReflexStats):
        self.inner, self.steer, self.band, self.stats = inner, steer, band, stats
        self.name = inner.name
        self.takes_shape = True  # passed on to the inner provider only if it takes one
        self.context_tokens = context_window(inner)  # the tool loop's compaction reads it
        self.signals: list[CollapseSignal] = []

    async def generate(self, prompt: str, *, deadline: float, steer: Steering | None = None,
                       shape: ReplyShape | None = None) -> ModelReply:
        both = steer if self.steer is None else self.steer.then(steer)
        reply = await self.inner.generate(prompt, deadline=deadline, steer=both,
                                          **shaped(self.inner, shape))
        self.signals.append(reply.collapse)
        reading = reflex.judge(reply.collapse, self.band).reading
        self.stats.spooks += reading is reflex.Reading.SPOOK
        self.stats.collapses += reading is reflex.Reading.COLLAPSE
        telemetry = {**reply.telemetry, "collapse": reply.collapse.model_dump()}
        return reply.model_copy(update={"telemetry": telemetry})

    async def plan(self, prompt: str, *, deadline: float,
                   shape: ReplyShape | None = None) -> ModelReply:
        return await self.inner.plan(prompt, deadline=deadline, **shaped(self.inner, shape))

    async def health(self) -> ProviderHealth:
        return await self.inner.health()
