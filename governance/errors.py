"""Governance exceptions.

    GovernanceError                 base; carries op_id and phase when known
    ├── IllegalTransition           a phase returned a transition the table forbids
    ├── ProviderError               a model provider failed or returned unusable output
    │   └── CandidateParseError     the model's text held no valid candidate JSON
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
    """May carry what the failed call spent, for the ledger: tokens and partial text."""

    def __init__(self, message: str, *, prompt_tokens: int = 0, completion_tokens: int = 0,
                 partial_text: str = "", **where: str | None):
        super().__init__(message, **where)
        self.prompt_tokens = prompt_tokens
        self.completion_tokens = completion_tokens
        self.partial_text = partial_text


class CandidateParseError(ProviderError):
    pass


class CommitError(GovernanceError):
    pass


class CostCeilingExceeded(GovernanceError):
    pass
