"""What every phase function receives and returns: PhaseDeps in, a Transition out.

The value types live lower down (governance.policy, governance.phase), so the modules
PhaseDeps is built from (memory, retry, reflex, provider) never import this hub."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import structlog

from governance.brains.approval import QuestionBroker
from governance.brains.model_gate import ModelGate
from governance.brains.provider import CandidateProvider, ModelReply, ToolSessions
from governance.brains.reflex import ReflexStats
from governance.errors import CostCeilingExceeded
from governance.git.gitops import GitOps
from governance.git.review import ReviewBranches
from governance.host_load import HostLoad
from governance.memory.memory import Memory
from governance.oracle.oracle_run import OracleMemo
from governance.oracle.testrun import TestRunner
from governance.phase import Phase, Transition
from governance.policy import Policy
from governance.routes.throughput import BrainSpeeds, PlanRecord
from governance.schemas import OperationContext
from ledger import Ledger

log = structlog.get_logger("governance")

# The daemon's wait for its host (daemon.host.gate): returns once heavy work may run,
# saying which op waits and for what (a model call, a test run) while it does.
HostYield = Callable[[str, str], Awaitable[None]]


@dataclass
class OpClock:
    """The time one op spent waiting for its host: off the op's ceiling, as APPROVE's
    wait for a human is (governance.phases.orchestrator extends the ceiling by it)."""

    paused_s: float = 0.0
    waiting_since: float | None = None  # monotonic, while a wait is on
    # VALIDATE runs again after a timeout on a loaded host, and the wait for a quiet one
    # (governance.phases.slow_host): bounded per op by HostLoad.retry
    slow_host_runs: int = 0
    slow_host_waited_s: float = 0.0

    def paused(self, now: float) -> float:
        """Seconds paused so far, the wait still on included."""
        return self.paused_s + (now - self.waiting_since if self.waiting_since else 0.0)


@dataclass
class PhaseDeps:
    root: Path
    state_dir: Path
    state_rel: str  # state dir relative to root ('' when it lives outside the repo)
    policy: Policy
    provider: CandidateProvider | None
    git: GitOps
    validate_runner: TestRunner
    verify_runner: TestRunner
    ledger: Ledger
    tools: ToolSessions | None = None  # Venom; None = single-turn generation
    questions: QuestionBroker | None = None
    reviews: ReviewBranches | None = None  # the daemon's (its count feeds `watch`)
    oracle: OracleMemo = field(default_factory=OracleMemo)  # VALIDATE's baseline and verdict
    model_gate: ModelGate = field(default_factory=ModelGate)  # shared by every op (daemon)
    reflex_stats: ReflexStats = field(default_factory=ReflexStats)  # the daemon's counters
    memory: Memory | None = None  # outcome records and what they advise (advisory only)
    # What has been measured of each brain: its speed, whether its plans are usable. The
    # daemon's is shared by every op; None: a fresh one assuming the configured speed.
    speeds: BrainSpeeds | None = None
    plans: PlanRecord = field(default_factory=PlanRecord)
    host_yield: HostYield | None = None  # None: nothing to yield to (tests, `eval`)
    host: HostLoad | None = None  # the host's load (daemon.host.slow_runs); None: not judged
    clock: OpClock = field(default_factory=OpClock)

    def __post_init__(self) -> None:
        if self.speeds is None:
            self.speeds = BrainSpeeds(self.policy.routes.assumed)

    def for_op(self, op_id: str = "") -> PhaseDeps:
        """These deps for one op: its own oracle memo (sharing the caches) and clock, its
        test runs waiting for the host first."""
        mine = dataclasses.replace(self, oracle=self.oracle.for_op(), clock=OpClock())
        if self.host_yield is not None:
            async def before_run() -> None:
                await mine.yield_to_host(op_id, "a test run")
            mine.validate_runner = self.validate_runner.gated(before_run)
            mine.verify_runner = self.verify_runner.gated(before_run)
        return mine

    async def yield_to_host(self, op_id: str, what: str) -> None:
        """Heavy work (a model call, a jailed test run) waits here while the machine is its
        human's; the wait is off the op's clock and its step deadlines start after it."""
        if self.host_yield is None:
            return
        self.clock.waiting_since = time.monotonic()
        try:
            await self.host_yield(op_id, what)
        finally:
            self.clock.paused_s += time.monotonic() - self.clock.waiting_since
            self.clock.waiting_since = None

    async def record_reply(self, ctx: OperationContext, phase: Phase, reply: ModelReply) -> None:
        u = reply.usage
        ctx.cost_usd += u.cost_usd
        ctx.nominal_usd += u.cost_usd if u.nominal else 0.0
        telemetry = reply.telemetry
        if u.prefill_ms is not None:  # where the time went: the brain's speed, after a restart
            telemetry = {**telemetry, "prefill": {"tokens": u.prefill_tokens, "ms": u.prefill_ms,
                                                  "decoded": u.decode_tokens}}
        if u.nominal:  # its cost is no money: `ledger` says so of the call and of the op
            telemetry = {**telemetry, "nominal": True}
        await self.ledger.record_model_call(
            ctx.op_id, phase=phase.value, provider=u.provider, model=u.model,
            prompt_tokens=u.prompt_tokens, completion_tokens=u.completion_tokens,
            cost_usd=u.cost_usd, latency_ms=u.latency_ms, telemetry=telemetry,
            reply_text=reply.text)
        assert self.speeds is not None
        self.speeds.observe(u)
        for rec in reply.tool_records:
            await self.ledger.record_tool_call(
                ctx.op_id, round=0, tool=rec.tool, arguments=rec.arguments,
                verdict=rec.verdict, result_bytes=rec.result_bytes, duration_ms=rec.duration_ms)
        if ctx.cost_usd > self.policy.per_op_usd:
            raise CostCeilingExceeded(
                f"op cost ${ctx.cost_usd:.4f} exceeds the per-op ceiling "
                f"${self.policy.per_op_usd:.2f}", op_id=ctx.op_id, phase=phase.value)

    async def record_failed_call(self, ctx: OperationContext, phase: Phase, exc: Exception) -> None:
        """A failed call, with what the error carries of the tokens spent and the partial
        reply (ProviderError's prompt_tokens, completion_tokens, partial_text)."""
        name = getattr(self.provider, "name", "none")
        # typed, so a count of deadline misses never reads the error's text
        missed = {"deadline_missed": True} if getattr(exc, "deadline_missed", False) else {}
        await self.ledger.record_model_call(
            ctx.op_id, phase=phase.value, provider=name, ok=False,
            error=f"{type(exc).__name__}: {exc}", telemetry=missed,
            prompt_tokens=int(getattr(exc, "prompt_tokens", 0) or 0),
            completion_tokens=int(getattr(exc, "completion_tokens", 0) or 0),
            reply_text=str(getattr(exc, "partial_text", "") or ""))

    async def thought(self, ctx: OperationContext, phase: Phase, msg: str, **data: Any) -> None:
        """The thought log: in the ledger, and at INFO in the daemon's log."""
        log.info("thought", op_id=ctx.op_id, phase=phase.value, msg=msg, **data)
        await self.ledger.record_thought(ctx.op_id, phase.value, msg, data)

    async def in_thread(self, fn: Callable[..., Any], *args: Any) -> Any:
        return await asyncio.to_thread(fn, *args)


PhaseFn = Callable[[OperationContext, PhaseDeps], Awaitable[Transition]]


class CancelToken:
    """A cooperative cancel request with the reason the op's CANCELLED row will carry."""

    def __init__(self) -> None:
        self._event = asyncio.Event()
        self.reason = ""

    def cancel(self, reason: str) -> None:
        if not self._event.is_set():
            self.reason = reason
            self._event.set()

    def is_set(self) -> bool:
        return self._event.is_set()

    async def wait(self) -> None:
        await self._event.wait()
