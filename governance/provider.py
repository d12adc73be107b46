"""The only way governance reaches a model: the CandidateProvider protocol.

Providers return the model's text and usage; governance parses and judges it, so a
provider can never decide what is applied.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

from pydantic import BaseModel, Field

from governance.schemas import Candidate, ModelUsage, OperationContext, ToolRecord


class ModelReply(BaseModel):
    text: str
    usage: ModelUsage
    tool_records: list[ToolRecord] = Field(default_factory=list)
    # Tool calls the model asked for in this reply (the tool loop acts on them).
    tool_calls: list[dict[str, Any]] = Field(default_factory=list)
    # Model-side signals for the ledger: exit reason, depth, canary proximity, ...
    telemetry: dict[str, Any] = Field(default_factory=dict)


class ProviderHealth(BaseModel):
    healthy: bool
    detail: str = ""


@runtime_checkable
class CandidateProvider(Protocol):
    name: str

    async def generate(self, prompt: str, *, deadline: float) -> ModelReply:
        """One model turn; `deadline` is an absolute time.monotonic() value. Multi-turn tool
        use is driven from outside, turn by turn, by a ToolSession (Venom)."""
        ...

    async def plan(self, prompt: str, *, deadline: float) -> ModelReply:
        """A plan.1 (or expansion) reply as model text."""
        ...

    async def health(self) -> ProviderHealth: ...


class ToolSession(Protocol):
    """One op's tool-using generation (Venom): a sandbox, a tool loop, an exploration score."""

    min_calls: int  # exploration calls the gate requires (the prompt's protocol names it)

    async def run(self, provider: CandidateProvider, prompt: str, *,
                  deadline: float) -> ModelReply:
        """Drive the provider through tool rounds; records each model and tool call."""
        ...

    def candidate(self, final_text: str) -> Candidate | None:
        """The change: a candidate stated in `final_text` (applied to the sandbox), else the
        sandbox's diff; None when nothing changed. Raises CandidateParseError on bad JSON."""
        ...

    def exploration(self, complexity: str) -> tuple[bool, str, dict[str, Any]]:
        """(passes the exploration gate, feedback naming what is missing, summary); judged
        on what candidate() found, so call candidate() first."""
        ...

    def close(self) -> None: ...


class ToolSessions(Protocol):
    def open(self, ctx: OperationContext, phase: str, deps: Any) -> ToolSession: ...
