"""The allowed phase transitions, as one table, validated when this module is imported.

The orchestrator consults `check()` before entering any phase; a transition that is
not in the table is a bug in a phase function and routes the op to POSTMORTEM.
"""

from __future__ import annotations

from collections.abc import Mapping

from governance.errors import IllegalTransition
from governance.phase import INITIAL, TERMINAL, Phase
from governance.phases import state_table

P = Phase
# Failure sinks every running phase may take: an unexpected error, a human cancel, or
# an unrecoverable configuration problem.
_SINKS = frozenset({P.POSTMORTEM, P.CANCELLED, P.FAILED_PERMANENT})

TRANSITIONS: Mapping[Phase, frozenset[Phase]] = {
    P.CLASSIFY: frozenset({P.ROUTE, P.BLOCKED}) | _SINKS,
    P.ROUTE: frozenset({P.CONTEXT_EXPANSION}) | _SINKS,
    P.CONTEXT_EXPANSION: frozenset({P.PLAN}) | _SINKS,
    P.PLAN: frozenset({P.GENERATE}) | _SINKS,
    # A no-op candidate ("nothing to change") completes without touching disk.
    P.GENERATE: frozenset({P.VALIDATE, P.GENERATE_RETRY, P.COMPLETE}) | _SINKS,
    P.GENERATE_RETRY: frozenset({P.VALIDATE, P.GENERATE_RETRY, P.COMPLETE}) | _SINKS,
    # Once the validate retries are spent, L2 self-repair; a converged repair goes to GATE.
    P.VALIDATE: frozenset({P.GATE, P.VALIDATE_RETRY, P.L2_REPAIR}) | _SINKS,
    P.VALIDATE_RETRY: frozenset({P.VALIDATE, P.VALIDATE_RETRY, P.COMPLETE}) | _SINKS,
    P.L2_REPAIR: frozenset({P.GATE}) | _SINKS,
    P.GATE: frozenset({P.APPROVE, P.BLOCKED}) | _SINKS,
    # What is not proven (or needs a human) goes to a review branch instead of the disk.
    P.APPROVE: frozenset({P.APPLY, P.PROPOSED}) | _SINKS,
    P.APPLY: frozenset({P.VERIFY}) | _SINKS,
    # A VERIFY failure gets one L2 repair, written through GATE, APPROVE and APPLY again.
    P.VERIFY: frozenset({P.COMPLETE, P.L2_REPAIR}) | _SINKS,
    **{t: frozenset() for t in TERMINAL},
}


def check(current: Phase, target: Phase) -> None:
    """Raise IllegalTransition unless `current -> target` is in the table."""
    if target not in TRANSITIONS[current]:
        raise IllegalTransition(f"can't enter {target} when in {current}")


def validate_table(table: Mapping[Phase, frozenset[Phase]]) -> None:
    """Structural checks (governance.phases.state_table): every phase listed, terminals are sinks,
    all reachable, no dead ends."""
    state_table.validate(table, name="phase", states=Phase, initial=INITIAL, terminal=TERMINAL)


validate_table(TRANSITIONS)
