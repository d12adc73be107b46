"""The only way governance reaches a model: the CandidateProvider protocol.

Providers return the model's text and usage; governance parses and judges it, so a
provider can never decide what is applied. Every reply also says how close the model came
to a degenerate loop (CollapseSignal); a turn can be steered away from one (Steering),
which is what the re-ground reflex (governance.brains.reflex) asks of the turn after a collapse.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field

from governance.phase import Phase
from governance.policy import Policy
from governance.schemas import (
    CANDIDATE_JSON_SCHEMA,
    PLAN_JSON_SCHEMA,
    Candidate,
    ModelUsage,
    OperationContext,
    ToolRecord,
)

if TYPE_CHECKING:  # for checkers only: kernel/ imports this seam and needs no git or SQLite
    from governance.brains.approval import QuestionBroker
    from governance.git.gitops import GitOps
    from governance.oracle.testrun import TestRunner
    from ledger import Ledger


class CollapseSignal(BaseModel):
    """How close one reply came to a degenerate loop, in [0, 1], and who says so:
    "canary" (the token canary, with logits), "text" (the text-only detector over the
    finished reply), "script" (a replay turn states it), "none" (nobody measured)."""

    model_config = ConfigDict(frozen=True)

    proximity: float = Field(default=0.0, ge=0.0, le=1.0)
    collapsed: bool = False  # the provider's own verdict (the canary stopped the decode)
    exit_reason: str = ""  # the decode's: stop | length | collapse | ...
    source: Literal["canary", "text", "script", "none"] = "none"


class ModelReply(BaseModel):
    """One model turn's text; tool calls in it are the tool loop's to parse, never the
    provider's."""

    text: str
    usage: ModelUsage
    tool_records: list[ToolRecord] = Field(default_factory=list)
    # Model-side signals for the ledger: exit reason, depth, canary proximity, ...
    telemetry: dict[str, Any] = Field(default_factory=dict)
    collapse: CollapseSignal = Field(default_factory=CollapseSignal)


@dataclass(frozen=True)
class Steering:
    """What the reflex asks of the next turn; the defaults ask nothing. A provider maps what
    it can (the kernel: all of it; a provider without sampling knobs: the token budget)."""

    adapt: bool = False  # canary in adapt mode: deeper loop on Ouro, penalty rising with it
    penalty_boost: float = 0.0  # added to the configured repetition penalty
    temperature_scale: float = 1.0  # < 1 cools sampling (greedy stays greedy)
    token_scale: float = 1.0  # share of the configured max_new_tokens still allowed
    # A retry after a repeated answer (governance.phases.repeats): sample at this temperature
    # at least, greedy brains too, with this seed (None: the configured one). A provider
    # without these knobs (replay) ignores them.
    temperature_floor: float = 0.0
    seed: int | None = None
    # A best-of-N sample after the first (governance.phases.samples): a greedy brain
    # samples at its provider's sampling temperature (N greedy replies are one reply N
    # times: a local server decoded the same 812 tokens four times, issue 50, stop 81).
    sample: bool = False

    def __post_init__(self) -> None:
        if not (self.penalty_boost >= 0 and 0 <= self.temperature_scale <= 1
                and 0 < self.token_scale <= 1 and 0 <= self.temperature_floor <= 2):
            raise ValueError(f"steering out of range: {self}")

    def then(self, other: Steering | None) -> Steering:
        """Both at once: adapt if either asks, boosts add, scales multiply, the higher
        floor holds; the seed either names, or one made of both where both do (a re-ground
        of a best-of-N sample is a sample of its own: with the sample's seed alone, three
        re-grounds through llama.cpp's server decoded the collapsed reply three times)."""
        if other is None:
            return self
        return Steering(self.adapt or other.adapt, self.penalty_boost + other.penalty_boost,
                        self.temperature_scale * other.temperature_scale,
                        self.token_scale * other.token_scale,
                        max(self.temperature_floor, other.temperature_floor),
                        _seeds(self.seed, other.seed), self.sample or other.sample)

    def temperature(self, configured: float, sampling: float = 0.0) -> float:
        """This turn's temperature, from the configured one; a sample's at least
        `sampling` (the provider's best-of-N temperature)."""
        floor = max(self.temperature_floor, sampling if self.sample else 0.0)
        return max(configured * self.temperature_scale, floor)


@dataclass(frozen=True)
class ReplyShape:
    """The forms one reply may take, as JSON Schemas: data for a provider that decodes under
    a grammar (the kernel); others never see it (shaped()). It narrows what a model can
    write and decides nothing: governance parses and judges every reply as before."""

    name: str  # for telemetry: "candidate.1", "plan.1", "tool round", ...
    final: dict[str, Any] | None = None  # a final answer: one JSON object of this schema
    lines: tuple[dict[str, Any], ...] = ()  # a tool-call reply: lines, each one such object
    prose: bool = False  # a one-line prose answer (no braces) is allowed too
    # The reply's first text, written for the model (a prefill: the kernel continues it, and
    # the reply is it and what follows). A small model told SEARCH/REPLACE blocks echoed the
    # prompt's last paragraph instead (issue 50, stop 64); begun with a block, it continues
    # one. A provider that cannot prefill ignores it; governance reads the whole reply.
    opening: str = ""
    # A blocks reply's files (the edit form code models are told, governance.edit_blocks):
    # (path, its lines) each, the SEARCH parts copied from them. A provider that decodes
    # under a grammar of the blocks (kernel.blocks_grammar) narrows the reply to blocks of
    # these files or the no-change object; the reply is judged as any other.
    block_files: tuple[tuple[str, tuple[str, ...]], ...] = ()


CANDIDATE_SHAPE = ReplyShape("candidate.1", final=CANDIDATE_JSON_SCHEMA)
PLAN_SHAPE = ReplyShape("plan.1", final=PLAN_JSON_SCHEMA)


def shaped(provider: object, shape: ReplyShape | None) -> dict[str, Any]:
    """The keyword that hands `shape` to `provider`: only one declaring `takes_shape = True`
    gets it, so every other provider (replay, a test's fake) is called exactly as before."""
    if shape is None or getattr(provider, "takes_shape", False) is not True:
        return {}
    return {"shape": shape}


def batches(provider: object) -> bool:
    """Whether `provider` decodes best-of-N's samples together: one declaring
    `takes_samples = True` has `generate_samples(prompt, n, *, deadline, steer[, shape])
    -> list[ModelReply]` (the in-process kernel: one prefill, one batched decode; fewer than
    n replies where samples were cut by the deadline)."""
    return getattr(provider, "takes_samples", False) is True


def asks_in_parallel(provider: object) -> bool:
    """Whether best-of-N's samples are asked of `provider` at once, as separate calls: one
    declaring `parallel_samples = True` (a hosted HTTP brain, whose server answers calls side
    by side; a local server shares this machine's cores, so it is asked in turn)."""
    return getattr(provider, "parallel_samples", False) is True


async def samples_of(provider: CandidateProvider, prompt: str, n: int, *, deadline: float,
                     steer: Steering | None = None,
                     shape: ReplyShape | None = None) -> list[ModelReply]:
    """`n` replies from one call where `provider` batches them, else its one reply (a
    failover brain that does not batch answers for the whole call)."""
    if batches(provider):
        return list(await provider.generate_samples(  # type: ignore[attr-defined]
            prompt, n, deadline=deadline, steer=steer, **shaped(provider, shape)))
    return [await provider.generate(prompt, deadline=deadline, steer=steer,
                                    **shaped(provider, shape))]


class ProviderHealth(BaseModel):
    healthy: bool
    detail: str = ""
    # Nothing answered at all (refused, unreachable, no reply in time): the brain's server
    # is down, not the brain wrong (governance.brains.outage)
    unreachable: bool = False
    # The server answers but does not list the configured model: the user's configuration
    # to fix, not an outage; the brain is healthy and its calls ask for the model all the
    # same (a single-model server such as llama.cpp's answers them)
    model_unlisted: bool = False


@runtime_checkable
class CandidateProvider(Protocol):
    name: str

    async def generate(self, prompt: str, *, deadline: float,
                       steer: Steering | None = None) -> ModelReply:
        """One model turn; `deadline` is an absolute time.monotonic() value; `steer` (from
        the reflex) bends this turn's decoding. Multi-turn tool use is driven from outside,
        turn by turn, by a ToolSession (Venom). A provider with `takes_shape = True` also
        takes `shape: ReplyShape | None` here and in plan() (pass it with shaped())."""
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
        """Drive the provider through tool rounds; records each model and tool call. Raises
        ModelCollapsed on a collapsed reply (never returned as the final answer)."""
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


class SessionDeps(Protocol):
    """What a tool session reads of the op's deps (governance.phases.deps.PhaseDeps honours it)."""

    root: Path
    state_dir: Path
    state_rel: str
    policy: Policy
    git: GitOps
    validate_runner: TestRunner
    ledger: Ledger
    questions: QuestionBroker | None

    async def record_reply(self, ctx: OperationContext, phase: Phase,
                           reply: ModelReply) -> None: ...

    async def thought(self, ctx: OperationContext, phase: Phase, msg: str,
                      **data: Any) -> None: ...


class ToolSessions(Protocol):
    def open(self, ctx: OperationContext, phase: Phase, deps: SessionDeps) -> ToolSession:
        """A session for one generation attempt of `ctx` in `phase`; closed by the caller."""
        ...

    def overhead(self) -> str:
        """What a session adds to the first prompt (its tool instructions): part of the
        prompt a model step's deadline is sized to."""
        ...


def derived_seed(*parts: object) -> int:
    """A sampling seed made of `parts` (an op and its attempt, two seeds): the same for the
    same parts, on a replay too, and within what every API takes (31 bits)."""
    digest = hashlib.sha256("\x00".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:4], "big") & 0x7FFF_FFFF


def _seeds(first: int | None, then: int | None) -> int | None:
    """The seed of two steerings at once: either's, or one made of both."""
    if first is None or then is None or first == then:
        return then if then is not None else first
    return derived_seed(first, then)
