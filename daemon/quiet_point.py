"""Quiet points: now and then the dispatcher lets every op in flight end before it starts
another, so the ledger's retention has a place to cut.

Retention (ledger.retention) moves a rowid prefix of each table and never splits an op
between the archive and the database, so it can only cut where no op was in flight: with
ops overlapping back to back (a long backlog, every worker busy) there is no such place
and the database grows until the daemon idles. After `every` ops have started, dispatch
therefore holds new ops until the ones in flight have ended, and their bookkeeping too (a
quiet point), or until `wait_s` has passed (a long op, waiting on the host or a human, is
not waited for: that quiet point is skipped). Between two quiet points at most `every`
ops stay inline beyond retention's policy; the cost is the workers left idle while the
slowest op in flight ends, once every `every` ops (docs/observability.md#retention).
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass

import structlog

log = structlog.get_logger("daemon.quiet_point")


@dataclass
class QuietPoints:
    """The dispatcher's count of ops since the last quiet point (daemon.service)."""

    every: int  # ops between quiet points; 0: never held
    wait_s: float  # the longest a quiet point holds dispatch
    since: int = 0  # ops started since the last quiet point
    running: int = 0  # ops started whose bookkeeping has not ended
    due_at: float | None = None  # when dispatch began to hold

    def began(self) -> None:
        self.since += 1
        self.running += 1

    def ended(self) -> None:
        self.running -= 1

    def holds(self, now: float) -> bool:
        """Whether dispatch waits now: a quiet point is due and not yet reached."""
        if not self.every or self.since < self.every:
            return False
        if self.running == 0 or (self.due_at is not None and now - self.due_at >= self.wait_s):
            if self.running:
                log.info("quiet point skipped: an op in flight outlasted it",
                         running=self.running, waited_s=round(now - (self.due_at or now), 1))
            self.since, self.due_at = 0, None
            return False
        if self.due_at is None:
            self.due_at = now
        return True

    def wake_in(self, now: float) -> float | None:
        """How long dispatch may sleep before `holds` must be asked again (None: until
        something changes)."""
        return None if self.due_at is None else max(0.0, self.due_at + self.wait_s - now)

    async def wait(self, changed: asyncio.Event, now: float) -> None:
        """Dispatch's sleep: until `changed` (then cleared), or a quiet point's wait ends."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self.wake_in(now)):
                await changed.wait()
        changed.clear()
