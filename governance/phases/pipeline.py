"""The phase-function table: which function runs in which non-terminal phase."""

from __future__ import annotations

from collections.abc import Mapping

from governance.phase import Phase, Transition
from governance.phases.decide import classify_phase, context_expansion_phase, route_phase
from governance.phases.deps import PhaseDeps, PhaseFn
from governance.phases.generate import generate_phase, generate_retry_phase
from governance.phases.land import apply_phase, approve_phase, gate_phase
from governance.phases.plan import plan_phase
from governance.phases.repair import l2_repair_phase
from governance.phases.review import review_generate
from governance.phases.validate import validate_phase, validate_retry_phase
from governance.phases.verify import verify_phase
from governance.schemas import OperationContext, Source


async def _generate(ctx: OperationContext, d: PhaseDeps) -> Transition:
    """An accept op's candidate is the review branch's commit, not a model's reply."""
    if ctx.envelope.source == Source.REVIEW:
        return await review_generate(ctx, d)
    return await generate_phase(ctx, d)


PHASES: Mapping[Phase, PhaseFn] = {
    Phase.CLASSIFY: classify_phase,
    Phase.ROUTE: route_phase,
    Phase.CONTEXT_EXPANSION: context_expansion_phase,
    Phase.PLAN: plan_phase,
    Phase.GENERATE: _generate,
    Phase.GENERATE_RETRY: generate_retry_phase,
    Phase.VALIDATE: validate_phase,
    Phase.VALIDATE_RETRY: validate_retry_phase,
    Phase.L2_REPAIR: l2_repair_phase,
    Phase.GATE: gate_phase,
    Phase.APPROVE: approve_phase,
    Phase.APPLY: apply_phase,
    Phase.VERIFY: verify_phase,
}
