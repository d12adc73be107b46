"""The daemon's `status` answer, built from its live parts (daemon.service.Daemon)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from daemon.embedded_brain import brain_note
from daemon.reviews import status_entry
from governance.phase import Phase
from governance.provider_chain import ProviderChain

if TYPE_CHECKING:
    from daemon.service import Daemon


async def status_of(d: Daemon) -> dict[str, Any]:
    """What `status` answers (socket, CLI, REPL): the service, the queue, the ops in flight,
    the changes waiting for review, money, the reflex, grounding memory, signing and the
    live view."""
    now = time.monotonic()
    cost_today = await d.cost_today()
    return {
        "state": d.state.value,
        "degraded_reason": d.degraded_reason,
        "paused": d.paused,
        "host": d.host.snapshot(),  # daemon.host_gate: whether heavy work waits, why, since
        "repo": str(d.root),
        "session_id": d.session_id,
        "provider": getattr(d.provider, "name", None),
        "failback": (d.provider.snapshot() if isinstance(d.provider, ProviderChain)
                     else None),
        "brain_note": (brain_note(d.settings.provider)  # daemon.embedded_brain: what it can do
                       if getattr(d.provider, "name", None) == "kernel" else None),
        "queue": d.queue.snapshot() if d.queue is not None else [],
        "reviews": await status_entry(d),  # changes waiting on review branches
        "sensor_problems": d.sensors.problems(),
        "questions": d.questions.pending(),
        "mcp": {"servers": sorted(d.mcp.sessions) if d.mcp else [],
                "problems": d.mcp_problems},
        "in_flight": [{"op_id": op_id, "phase": h.phase.value,
                       "goal": h.ctx.envelope.goal, "risk": h.ctx.risk_tier,
                       "cost_usd": round(h.ctx.cost_usd, 6),
                       "age_s": round(now - h.started, 1),
                       "waiting_for_model_s": _rounded(d.model_gate.waited_s(op_id, now)),
                       "l2_iteration": (f"{h.ctx.l2_iteration} of "
                                        f"{d.settings.governance.l2_max_iters}"
                                        if h.phase is Phase.L2_REPAIR else None)}
                      for op_id, h in d.ops.items()],
        "model_turn": d.model_gate.holder,
        "cost_today_usd": round(cost_today, 6),
        "budget_exhausted": cost_today >= d.settings.cost.daily_usd,
        "daily_budget_usd": d.settings.cost.daily_usd,
        "reflex": d.reflex_stats.as_dict(),
        "grounding": d.memory.summary if d.memory else None,
        "commit_signing": d.signing.status(),
        "live_view": d.live.url if d.live else None,  # daemon.live_port
    }


def _rounded(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds, 1)
