"""The daemon's `status` answer (daemon.status.model.Status), built from the parts of the
daemon that `StatusSource` names."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from daemon.brains.embedded import ConfigRead, brain_note
from daemon.reviews import status_entry
from daemon.start_failures import FAILING_FILE, known_failures
from daemon.status.model import InFlight, Status
from daemon.status.outage_text import brain_wait_since
from governance.brains.provider_chain import ProviderChain
from governance.oracle import profile_store
from governance.phase import Phase

FAILING_SHOWN = 20  # failing tests status names; it counts them all

if TYPE_CHECKING:
    from daemon.config.settings import Settings
    from daemon.host.gate import HostGate
    from daemon.host.state_gate import StateGate
    from daemon.op_handle import OpHandle
    from governance.brains.approval import QuestionBroker
    from governance.brains.model_gate import ModelGate
    from governance.brains.provider import CandidateProvider
    from governance.brains.reflex import ReflexStats
    from governance.git.review import ReviewBranches
    from governance.git.signing import Signing
    from governance.memory.memory import Memory
    from sensors.hub import SensorHub
    from sensors.queue import IntakeQueue
    from tools.mcp_hub import McpHub


class Served(Protocol):
    """What status reads of the live view's server (daemon.live.http.LiveServer): its page."""

    @property
    def url(self) -> str: ...


class StatusSource(Protocol):
    """What `status` reads: the daemon (daemon.service.Daemon) honours it, as a whole; a
    test can hand in anything else that does. Every member is read, none is written."""

    state: Enum  # daemon.op_handle.ServiceState
    degraded_reason: str
    paused: bool
    host: HostGate
    storage: StateGate
    root: Path
    session_id: str
    settings: Settings  # provider, governance.l2_max_iters, cost.daily_usd
    config_read: ConfigRead  # the file settings came from: the brain note's wording
    provider: CandidateProvider | None
    queue: IntakeQueue | None
    reviews: ReviewBranches
    sensors: SensorHub
    questions: QuestionBroker
    mcp: McpHub | None
    mcp_problems: list[str]
    ops: Mapping[str, OpHandle]
    model_gate: ModelGate
    reflex_stats: ReflexStats
    memory: Memory | None
    signing: Signing
    live: Served | None

    async def cost_today(self, providers: list[str] | None = None) -> float: ...


async def status_of(d: StatusSource) -> Status:
    """What `status` answers (socket, CLI, REPL): the service, the queue, the ops in flight,
    the changes waiting for review, money, the reflex, grounding memory, signing and the
    live view. Built through the model, so a part whose shape drifts fails here, in the
    daemon's tests, not in a client."""
    cost_today = await d.cost_today()
    nominal = nominal_brains(d.provider)
    nominal_today = await d.cost_today(nominal) if nominal else 0.0
    name = getattr(d.provider, "name", None)
    return Status.model_validate({
        "state": d.state.value,
        "degraded_reason": d.degraded_reason,
        "paused": d.paused,
        "host": d.host.snapshot(),  # daemon.host.gate: whether heavy work waits, why, since
        # daemon.suite_profile: what picks the affected scope, from the state dir
        "suite_profile": await asyncio.to_thread(_suite_profile, d),
        "storage": d.storage.snapshot(),  # daemon.host.state_gate: whether the state dir has room
        "repo": str(d.root),
        "session_id": d.session_id,
        "provider": name,
        "failback": d.provider.snapshot() if isinstance(d.provider, ProviderChain) else None,
        # daemon.brains.embedded: what the embedded model can do
        "brain_note": brain_note(d.settings.provider, d.config_read) if name == "kernel"
        else None,
        "queue": d.queue.snapshot() if d.queue is not None else [],
        "held_back": d.queue.work.snapshot() if d.queue is not None else [],
        **await asyncio.to_thread(_failing, d),
        "reviews": await status_entry(d.reviews),  # changes waiting on review branches
        "sensor_problems": d.sensors.problems(),
        "questions": d.questions.pending(),
        "mcp": {"servers": sorted(d.mcp.sessions) if d.mcp else [],
                "problems": d.mcp.problems() if d.mcp else d.mcp_problems},  # live
        "in_flight": in_flight(d, time.monotonic()),
        "model_turn": d.model_gate.holder,
        "cost_today_usd": round(cost_today, 6),
        "cost_today_nominal_usd": round(nominal_today, 6),
        "budget_exhausted": cost_today >= d.settings.cost.daily_usd,
        "daily_budget_usd": d.settings.cost.daily_usd,
        "reflex": d.reflex_stats.as_dict(),
        # before the first refresh the summary is empty: nothing to show yet
        "grounding": (d.memory.summary or None) if d.memory else None,
        "commit_signing": d.signing.status(),
        "live_view": d.live.url if d.live else None,  # daemon.live_port
        "tasks": len(asyncio.all_tasks()),
    })


def nominal_brains(provider: CandidateProvider | None) -> list[str]:
    """The names of the brains whose price is nominal (the in-process kernel's
    usd_per_mtok: KernelProvider.nominal_price), a chain's members included."""
    members = provider.providers if isinstance(provider, ProviderChain) else [provider]
    return [p.name for p in members if getattr(p, "nominal_price", False) is True]


def in_flight(d: StatusSource, now: float) -> list[InFlight]:
    """Each op in flight: its phase, risk, cost, age, its wait for the model, L2's count."""
    max_iters = d.settings.governance.l2_max_iters
    return [InFlight(op_id=op_id, phase=h.phase.value, goal=h.ctx.envelope.goal,
                     risk=h.ctx.risk_tier, cost_usd=round(h.ctx.cost_usd, 6),
                     nominal_usd=round(h.ctx.nominal_usd, 6),
                     age_s=round(now - h.started, 1),
                     waiting_for_model_s=_rounded(d.model_gate.waited_s(op_id, now)),
                     waiting_for_host=h.waits,
                     waiting_for_brain_since=brain_wait_since(d.provider, op_id),
                     l2_iteration=(f"{h.ctx.l2_iteration} of {max_iters}"
                                   if h.phase is Phase.L2_REPAIR else None))
            for op_id, h in d.ops.items()]


def _failing(d: StatusSource) -> dict:
    """The tests the suite's last runs left failing (daemon.start_failures' file; none
    where it is missing or unreadable: status never fails for it)."""
    failing = known_failures(d.settings.state_path(d.root) / FAILING_FILE)
    return {"failing_tests": failing[:FAILING_SHOWN], "failing_count": len(failing)}


def _suite_profile(d: StatusSource) -> dict:
    path = d.settings.state_path(d.root) / profile_store.PROFILE_FILE
    return profile_store.describe(profile_store.load(path))


def _rounded(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds, 1)
