"""Governance exceptions.

    GovernanceError                 base; carries op_id and phase when known
    ├── IllegalTransition           a phase returned a transition the table forbids
    ├── ProviderError               a model provider failed or returned unusable output
    │   ├── DeadlineMissed          the call's deadline passed before a reply was done
    │   ├── CandidateParseError     the model's text held no valid candidate JSON
    │   └── ModelCollapsed          a reply read as a degenerate loop (governance.brains.reflex):
    │                               discarded, never a candidate; infrastructure, not code
    ├── CommitError                 the auto-commit could not be made
    └── CostCeilingExceeded         the op spent more than its per-op budget
"""

from __future__ import annotations


class GovernanceError(Exception):
    def __init__(self, message: str, *, op_id: str | None = None, phase: str | None = None):
        super().__init__(message)
        self.op_id = op_id
        self.phase = phase


class IllegalTransition(GovernanceError):
    pass


class ProviderError(GovernanceError):
    """May carry what the failed call spent, for the ledger: tokens and partial text; and
    what kind of failure it was (`mode`, a governance.brains.failback.FailureMode value, with the
    server's Retry-After) for the failback state machine. `deadline_missed` says the
    call ran out of its deadline (the tool loop then keeps the sandbox's edits so far)."""

    def __init__(self, message: str, *, prompt_tokens: int = 0, completion_tokens: int = 0,
                 partial_text: str = "", mode: str | None = None,
                 retry_after_s: float | None = None, deadline_missed: bool = False,
                 **where: str | None):
        super().__init__(message, **where)
        self.prompt_tokens = prompt_tokens
        self.completion_tokens = completion_tokens
        self.partial_text = partial_text
        self.mode, self.retry_after_s = mode, retry_after_s
        self.deadline_missed = deadline_missed


class DeadlineMissed(ProviderError):
    """The deadline passed before the reply was done (a TIMEOUT to the failback chain)."""

    def __init__(self, message: str, **spent: object):
        super().__init__(message, mode="TIMEOUT", deadline_missed=True, **spent)  # type: ignore[arg-type]


class CandidateParseError(ProviderError):
    pass


class ModelCollapsed(ProviderError):
    """A reply read as collapsed (exit reason `collapse`, or proximity at the threshold),
    or a budget the reflex deflated ran out (exit_reason "deflated"). It carries no text:
    the reply is in the ledger already and must never be read as a lesson or a candidate."""

    def __init__(self, message: str, *, proximity: float, exit_reason: str = "",
                 source: str = "", round: int = 0, **where: str | None):
        super().__init__(message, **where)
        self.proximity = proximity
        self.exit_reason = exit_reason
        self.source = source
        self.round = round  # the tool round it happened in (0: a single turn)


class CommitError(GovernanceError):
    pass


class CostCeilingExceeded(GovernanceError):
    pass
