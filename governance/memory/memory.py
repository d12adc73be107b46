"""Grounding memory: every finished op leaves an outcome record in the ledger, and CLASSIFY
asks what those records say about the files the next op will change (governance.memory.reputation).

Advisory by construction: `assess` can only say "escalate" (one tier up, never past
APPROVAL_REQUIRED: memory never blocks) and hand the prompt cautions; it cannot lower a
tier, skip a phase or change a gate. When reading the records fails, the op goes on without
advice and a thought says so.

It also carries the prompt's other grounding, as advisory as the rest: this run's session
lessons (governance.memory.lessons, fed here at each op's end) and the strategic digest
(governance.memory.digest), which GENERATE puts into its prompt.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import structlog

from governance.memory.digest import Digest
from governance.memory.lessons import THOUGHT_CHECK, THOUGHT_LESSON, Lessons, lesson
from governance.memory.reputation import Prophecy, prophecy, reputations
from governance.memory.trust import ANY_ROUTE, Trust, brier, calibrated, drift
from governance.memory.trust import table as trust_table
from governance.oracle.import_graph import ImportGraph
from governance.phase import Phase, Transition
from governance.retry import Budget, Failure
from governance.schemas import OperationContext
from ledger import Ledger

log = structlog.get_logger("governance")

# The terminal phases whose outcome says nothing about the files (failure class = phase).
NOT_ABOUT_THE_FILES = {Phase.CANCELLED: "cancelled", Phase.BLOCKED: "blocked"}
# The retry budget an op spent most on -> its class: only VALIDATE's is about the files.
BUDGET_CLASS = {Budget.VALIDATE.value: "validation_failed", Budget.GENERATE.value: "model"}


def failure_class(ctx: OperationContext, t: Transition) -> str:
    """How the op ended, in the classes governance.memory.reputation counts ('' = success)."""
    if t.to is Phase.COMPLETE:
        return ""
    if t.to in NOT_ABOUT_THE_FILES:
        return NOT_ABOUT_THE_FILES[t.to]
    if ctx.applied:
        return "rolled_back"  # it reached disk, and was undone
    if t.payload.get("reaped"):
        return "timeout"
    if t.payload.get("failure") == Failure.REPEAT:  # the brain, not the files (repeats)
        return "model"
    if ctx.failures:
        return BUDGET_CLASS.get(max(ctx.failures, key=lambda k: ctx.failures[k]), "other")
    return "other"


@dataclass(frozen=True)
class Assessment:
    confidence: float  # the stated confidence, calibrated down by trust (governance.memory.trust)
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
    lessons: Lessons | None = None  # this run's session lessons (governance.memory.lessons)
    digest: Digest | None = None  # the strategic digest, cached per HEAD (governance.memory.digest)

    def _since(self) -> str:
        return (datetime.now(UTC) - timedelta(seconds=self.ttl_s)).isoformat()

    async def refresh(self) -> None:
        """Recompute what status shows (at start and after each outcome)."""
        records = await self.ledger.outcomes_since(self._since())
        b, d = brier(records), drift(records)
        self.summary = {"outcomes": len(records),
                        "brier": None if b is None else round(b, 4),
                        "drift": None if d is None else round(d, 4)}
        if self.lessons is not None:
            self.summary["lessons"] = self.lessons.describe()

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
        await self._learn(ctx, t, files, cls)
        await self.refresh()

    async def _learn(self, ctx: OperationContext, t: Transition, files: list[str],
                     cls: str) -> None:
        """This op's session lesson, if it teaches one; the lesson and any convergence
        checkpoint go to the ledger as thoughts (checkpoint first, as the buffer saw them)."""
        if self.lessons is None:
            return
        line = lesson(ctx.envelope.goal, ctx.envelope.target_files or files, cls, t.reason,
                      t.infra)
        if line is None:  # infrastructure (R8): no lesson, not counted
            return
        check = self.lessons.observe(line, landed=cls == "", shown=bool(ctx.lessons))
        base = {"session": self.lessons.session}
        if check is not None:
            await self.ledger.record_thought(ctx.op_id, t.to.value, THOUGHT_CHECK,
                                             {**base, **check.describe()})
        await self.ledger.record_thought(ctx.op_id, t.to.value, THOUGHT_LESSON,
                                         {**base, "line": line, "cap": self.lessons.cap})

    async def prompt_context(self, op_id: str, head: str | None) -> tuple[list[str], str]:
        """(session lessons, strategic digest) for op `op_id`'s generation prompt. Advisory:
        when the digest cannot be built the prompt goes without it (logged), never the op."""
        lessons = self.lessons.for_op(op_id) if self.lessons is not None else []
        if self.digest is None or not head:
            return lessons, ""
        try:
            return lessons, await asyncio.to_thread(self.digest.for_head, head)
        except Exception as exc:
            log.warning("strategic digest unavailable", error=f"{exc}"[:300])
            return lessons, ""

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
