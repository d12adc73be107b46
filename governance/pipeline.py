"""The phase-function table: which function runs in which non-terminal phase."""

from __future__ import annotations

from collections.abc import Mapping

from governance.deps import PhaseFn
from governance.phase import Phase
from governance.phases_decide import (
    classify_phase,
    context_expansion_phase,
    plan_phase,
    route_phase,
)
from governance.phases_generate import generate_phase, generate_retry_phase
from governance.phases_land import apply_phase, approve_phase, gate_phase, verify_phase
from governance.phases_repair import l2_repair_phase
from governance.phases_validate import validate_phase, validate_retry_phase

PHASES: Mapping[Phase, PhaseFn] = {
    Phase.CLASSIFY: classify_phase,
    Phase.ROUTE: route_phase,
    Phase.CONTEXT_EXPANSION: context_expansion_phase,
    Phase.PLAN: plan_phase,
    Phase.GENERATE: generate_phase,
    Phase.GENERATE_RETRY: generate_retry_phase,
    Phase.VALIDATE: validate_phase,
    Phase.VALIDATE_RETRY: validate_retry_phase,
    Phase.L2_REPAIR: l2_repair_phase,
    Phase.GATE: gate_phase,
    Phase.APPROVE: approve_phase,
    Phase.APPLY: apply_phase,
    Phase.VERIFY: verify_phase,
}
