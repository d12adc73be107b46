"""Grounding memory: every finished op leaves an outcome record in the ledger, and CLASSIFY
asks what those records say about the files the next op will change (governance.reputation).

Advisory by construction: `assess` can only say "escalate" (one tier up, never past
APPROVAL_REQUIRED: memory never blocks) and hand the prompt cautions; it cannot lower a
tier, skip a phase or change a gate. When reading the records fails, the op goes on without
advice and a thought says so.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from governance.deps import Transition
from governance.import_graph import ImportGraph
from governance.phase import Phase
from governance.reputation import Prophecy, prophecy, reputations
from governance.retry import Budget
from governance.schemas import OperationContext
from governance.trust import ANY_ROUTE, Trust, brier, calibrated, drift
from governance.trust import table as trust_table
from ledger import Ledger

# The terminal phases whose outcome says nothing about the files (failure class = phase).
NOT_ABOUT_THE_FILES = {Phase.CANCELLED: "cancelled", Phase.BLOCKED: "blocked"}
# The retry budget an op spent most on -> its class: only VALIDATE's is about the files.
BUDGET_CLASS = {Budget.VALIDATE.value: "validation_failed", Budget.GENERATE.value: "model"}


def failure_class(ctx: OperationContext, t: Transition) -> str:
    """How the op ended, in the classes governance.reputation counts ('' = success)."""
    if t.to is Phase.COMPLETE:
        return ""
    if t.to in NOT_ABOUT_THE_FILES:
        return NOT_ABOUT_THE_FILES[t.to]
    if ctx.applied:
        return "rolled_back"  # it reached disk, and was undone
    if t.payload.get("reaped"):
        return "timeout"
    if ctx.failures:
        return BUDGET_CLASS.get(max(ctx.failures, key=lambda k: ctx.failures[k]), "other")
    return "other"


@dataclass(frozen=True)
class Assessment:
    confidence: float  # the stated confidence, calibrated down by trust (governance.trust)
    trust: Trust | None = None  # of this provider x source, over every route
    prophecies: tuple[Prophecy, ...] = ()
    cautions: tuple[str, ...] = ()

    @property
    def escalate(self) -> bool:
        return any(p.escalates for p in self.prophecies)

    def describe(self) -> dict[str, Any]:
        """For the CLASSIFY row's payload."""
        return {"confidence": round(self.confidence, 4),
                "trust": None if self.trust is None else {
                    "value": round(self.trust.value, 4), "hits": self.trust.hits,
                    "n": self.trust.n},
                "files": [{"file": p.file, "risk": p.risk, "level": p.level,
                           "confidence": p.confidence, "dependents": p.dependents,
                           "success_rate": round(p.reputation.success_rate, 3),
                           "fragility": round(p.reputation.fragility, 3)}
                          for p in self.prophecies]}


@dataclass
class Memory:
    ledger: Ledger
    ttl_s: float
    graph: ImportGraph = field(default_factory=ImportGraph)
    summary: dict[str, Any] = field(default_factory=dict)  # for status: no I/O to show it

    def _since(self) -> str:
        return (datetime.now(UTC) - timedelta(seconds=self.ttl_s)).isoformat()

    async def refresh(self) -> None:
        """Recompute what status shows (at start and after each outcome)."""
        records = await self.ledger.outcomes_since(self._since())
        b, d = brier(records), drift(records)
        self.summary = {"outcomes": len(records),
                        "brier": None if b is None else round(b, 4),
                        "drift": None if d is None else round(d, 4)}

    async def record(self, ctx: OperationContext, t: Transition, provider: str) -> None:
        files = sorted({*ctx.envelope.target_files,
                        *(c.file_path for c in (ctx.generation.candidate.changes()
                                                if ctx.generation else ()))})
        cls = failure_class(ctx, t)
        await self.ledger.record_outcome(
            ctx.op_id, files=files, source=ctx.envelope.source, route=ctx.route or "",
            provider=provider, confidence=ctx.envelope.confidence, result=t.to.value,
            failure_class=cls, evidence={"reason": t.reason[:500],
                                         "failures": dict(ctx.failures),
                                         "commit": ctx.commit_sha})
        await self.refresh()

    async def assess(self, root: Path, targets: Sequence[str],
                     listed: Callable[[], Awaitable[Sequence[str]]], *, provider: str = "",
                     source: str = "", stated: float = 1.0) -> Assessment:
        """Advice for an op on `targets`; `listed` (the repository's files, for the import
        graph) is only asked for when some target has a history."""
        records = await self.ledger.outcomes_since(self._since())
        trust = trust_table(records).get((provider, source, ANY_ROUTE))
        confidence = calibrated(stated, trust)
        reps = reputations(records)
        known = [t for t in targets if t in reps]
        if not known:
            return Assessment(confidence, trust)
        counts = await asyncio.to_thread(self.graph.dependents, root, await listed(), known)
        found = tuple(prophecy(reps[t], counts.get(t, 0)) for t in known)
        return Assessment(confidence, trust, found,
                          tuple(p.caution() for p in found if p.escalates))
