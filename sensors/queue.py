"""IntakeQueue: a bounded priority queue of envelopes with dedup and a write-ahead log.

This is the seam the full intake router (coalescing, file locks, storm protection) will
replace; the orchestrator only sees `put`, `pop_ready` and `changed`.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field

import structlog

from governance.schemas import SignalEnvelope, Urgency
from ledger import Ledger

log = structlog.get_logger("sensors.queue")

SOURCE_TIER: dict[str, float] = {"test_failure": 3.0, "backlog": 2.0, "todo_scanner": 1.0}
URGENCY_BOOST: dict[Urgency, float] = {Urgency.LOW: 0.0, Urgency.NORMAL: 1.0,
                                       Urgency.HIGH: 2.0, Urgency.CRITICAL: 4.0}
FILE_COUNT_PENALTY = 0.25


def priority(env: SignalEnvelope) -> float:
    """Higher runs first: source tier + urgency + confidence - a penalty per extra file."""
    return (SOURCE_TIER.get(env.source, 0.5) + URGENCY_BOOST[env.urgency] + env.confidence
            - FILE_COUNT_PENALTY * (len(env.target_files) - 1))


@dataclass(order=True)
class _Entry:
    sort_key: tuple[float, int]
    envelope: SignalEnvelope = field(compare=False)


class IntakeQueue:
    def __init__(self, ledger: Ledger, capacity: int = 16):
        self.ledger = ledger
        self.capacity = capacity
        self._heap: list[_Entry] = []
        self._keys: set[str] = set()  # queued or already dispatched this run
        self._order = itertools.count()
        self.changed = asyncio.Event()

    def __len__(self) -> int:
        return len(self._heap)

    async def put(self, env: SignalEnvelope, *, from_wal: bool = False) -> bool:
        """Queue `env` unless it duplicates one already seen; evict the lowest when full."""
        if env.dedup_key in self._keys:
            return False
        if not from_wal:  # a failed append raises before the key is seen: a retry can queue it
            await self.ledger.wal_append("enqueued", dedup_key=env.dedup_key,
                                         session_id=env.session_id,
                                         envelope=env.model_dump(mode="json"))
            if env.dedup_key in self._keys:  # a concurrent put won while we appended
                return False
        self._keys.add(env.dedup_key)
        heapq.heappush(self._heap, _Entry((-priority(env), next(self._order)), env))
        if len(self._heap) > self.capacity:
            lowest = max(self._heap)
            self._heap.remove(lowest)
            heapq.heapify(self._heap)
            self._keys.discard(lowest.envelope.dedup_key)  # may come back if it fires again
            await self.ledger.wal_append("dropped", dedup_key=lowest.envelope.dedup_key,
                                         session_id=lowest.envelope.session_id)
            log.warning("queue full: evicted", dedup_key=lowest.envelope.dedup_key)
        self.changed.set()
        return True

    async def pop_ready(self, blocked: Callable[[SignalEnvelope], bool]) -> SignalEnvelope | None:
        """The highest-priority envelope that is not blocked (e.g. by a file in use)."""
        for entry in sorted(self._heap):
            if not blocked(entry.envelope):
                self._heap.remove(entry)
                heapq.heapify(self._heap)
                await self.ledger.wal_append("dispatched", dedup_key=entry.envelope.dedup_key,
                                             session_id=entry.envelope.session_id)
                return entry.envelope
        return None

    async def rehydrate(self) -> int:
        """Re-queue what a previous run enqueued but never dispatched."""
        count = 0
        for data in await self.ledger.wal_pending():
            try:
                env = SignalEnvelope.model_validate(data)
            except ValueError:
                log.warning("unreadable WAL entry skipped")
                continue
            count += await self.put(env, from_wal=True)
        return count

    def snapshot(self) -> list[dict]:
        return [{"goal": e.envelope.goal, "source": e.envelope.source,
                 "files": list(e.envelope.target_files), "priority": round(-e.sort_key[0], 2)}
                for e in sorted(self._heap)]
