"""The pipeline's phases, which of them are terminal, and a move from one to the next."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from ledger.store import TERMINAL_PHASES


class Phase(StrEnum):
    CLASSIFY = "CLASSIFY"
    ROUTE = "ROUTE"
    CONTEXT_EXPANSION = "CONTEXT_EXPANSION"
    PLAN = "PLAN"
    GENERATE = "GENERATE"
    GENERATE_RETRY = "GENERATE_RETRY"
    VALIDATE = "VALIDATE"
    VALIDATE_RETRY = "VALIDATE_RETRY"
    L2_REPAIR = "L2_REPAIR"  # self-repair: its own small FSM (governance.phases.l2)
    GATE = "GATE"
    APPROVE = "APPROVE"
    APPLY = "APPLY"
    VERIFY = "VERIFY"
    COMPLETE = "COMPLETE"
    PROPOSED = "PROPOSED"  # not proven: committed to a review branch, the human's untouched
    POSTMORTEM = "POSTMORTEM"
    CANCELLED = "CANCELLED"
    BLOCKED = "BLOCKED"
    FAILED_PERMANENT = "FAILED_PERMANENT"

    @property
    def terminal(self) -> bool:
        return self in TERMINAL


# The ledger's list is the one source (it may not import this module); Phase() refuses a
# name that is no phase, so the two can never drift apart silently.
TERMINAL: frozenset[Phase] = frozenset(Phase(name) for name in TERMINAL_PHASES)
INITIAL: Phase = Phase.CLASSIFY


@dataclass(frozen=True)
class Transition:
    """What a phase function returns: the next phase, why, and what the ledger records."""

    to: Phase
    reason: str
    payload: dict[str, Any] = field(default_factory=dict)
    cost_delta: float = 0.0
    # The op ends for a reason that is not about the code (a provider, the model's turn,
    # a collapse, the daemon itself): it teaches no lesson (governance.memory.lessons).
    infra: bool = False
