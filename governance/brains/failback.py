"""The failback state machine (seed §40): which provider of an ordered chain to ask, when to
try a failed one again, and when to stop asking and keep work queued.

Each provider has a Health record: the mode and count of its consecutive failures and its
recovery ETA, `base * 2**(n-1)` capped per mode (BACKOFF). A content failure (a reply that
came back malformed) costs no backoff: the infrastructure worked. The chain's state is a
function of the records (state_of), never stored separately, so it cannot drift from them:

    PRIMARY_ACTIVE   the primary has no failures: use it
    DEGRADED         the primary failed, but its ETA passed or a probe succeeded: try it,
                     with the fallbacks as safety
    FALLBACK_ACTIVE  the primary is in backoff: use the first fallback that is not
    QUEUE_ONLY       every provider is in backoff: ops wait in the queue until a probe
                     succeeds

Providers in backoff are probed (their `health()`) on a ProbeSchedule: by default at an
interval that shrinks as the ETA nears (ADAPTIVE: far from it 60 s, then 20 s, 10 s, and 5 s
once it has passed), or every `[provider] probe_interval_s` where that is set.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from enum import StrEnum


class FailureMode(StrEnum):
    """As kernel.http.providers.ProviderFailure.mode spells them."""

    RATE_LIMIT = "RATE_LIMIT"  # HTTP 429
    TIMEOUT = "TIMEOUT"  # the request or the generation ran out of time
    SERVER_ERROR = "SERVER_ERROR"  # HTTP 5xx, a broken stream, an unclassified failure
    CONNECTION = "CONNECTION"  # refused, unreachable, DNS
    CONTENT = "CONTENT"  # the request or reply was refused: no infrastructure penalty


class ChainState(StrEnum):
    PRIMARY_ACTIVE = "PRIMARY_ACTIVE"
    DEGRADED = "DEGRADED"
    FALLBACK_ACTIVE = "FALLBACK_ACTIVE"
    QUEUE_ONLY = "QUEUE_ONLY"


# mode -> (base seconds, cap seconds)
BACKOFF: dict[FailureMode, tuple[float, float]] = {
    FailureMode.RATE_LIMIT: (15.0, 120.0),
    FailureMode.TIMEOUT: (45.0, 300.0),
    FailureMode.SERVER_ERROR: (60.0, 600.0),
    FailureMode.CONNECTION: (120.0, 900.0),
    FailureMode.CONTENT: (0.0, 0.0),
}


@dataclass(frozen=True)
class ProbeSchedule:
    """How often a provider in backoff is probed, by the seconds still to its ETA."""

    # (seconds still to the ETA at least, probe interval), first match wins
    steps: tuple[tuple[float, float], ...] = ((60.0, 60.0), (30.0, 20.0), (0.0, 10.0))
    past_eta_s: float = 5.0  # once the ETA passed

    @classmethod
    def every(cls, seconds: float) -> ProbeSchedule:
        """One fixed interval, whatever the ETA (`[provider] probe_interval_s`)."""
        if not seconds > 0:
            raise ValueError(f"a probe interval must be positive, not {seconds}")
        return cls(((0.0, seconds),), seconds)

    def interval_s(self, until_eta: float) -> float:
        for at_least, interval in self.steps:
            if until_eta > at_least:
                return interval
        return self.past_eta_s


ADAPTIVE = ProbeSchedule()


def recovery_eta_s(mode: FailureMode, consecutive: int) -> float:
    """Seconds of backoff after the `consecutive`-th failure in a row of `mode`."""
    base, cap = BACKOFF[mode]
    if consecutive < 1 or base == 0:
        return 0.0
    return min(base * 2.0 ** min(consecutive - 1, 64), cap)


@dataclass
class Health:
    """One provider's failure record. Times are time.monotonic() values."""

    name: str
    mode: FailureMode | None = None
    consecutive: int = 0
    eta: float = 0.0  # not tried before this (0: any time)
    probed_ok: bool = False  # a probe succeeded since the last failure
    next_probe: float = math.inf
    down_since: float | None = None  # epoch seconds of the first failure in this row
    schedule: ProbeSchedule = ADAPTIVE

    @property
    def failing(self) -> bool:
        return self.consecutive > 0

    def in_backoff(self, now: float) -> bool:
        return self.failing and not self.probed_ok and now < self.eta

    def failed(self, mode: FailureMode, now: float, retry_after_s: float | None = None) -> None:
        """A failure of `mode`; a server's Retry-After lengthens the backoff, never shortens
        it (and is capped like it)."""
        if mode is FailureMode.CONTENT:
            return  # the provider answered: nothing to back off from
        if not self.failing:
            self.down_since = time.time()
        self.consecutive = self.consecutive + 1 if mode == self.mode else 1
        self.mode, self.probed_ok = mode, False
        wait = recovery_eta_s(mode, self.consecutive)
        if retry_after_s is not None and math.isfinite(retry_after_s):
            wait = min(max(wait, retry_after_s), BACKOFF[mode][1])
        self.eta = now + wait
        self.next_probe = now + self.schedule.interval_s(self.eta - now)

    def succeeded(self) -> None:
        self.mode, self.consecutive, self.eta, self.down_since = None, 0, 0.0, None
        self.probed_ok, self.next_probe = False, math.inf

    def probe_passed(self) -> None:
        self.probed_ok, self.next_probe = True, math.inf

    def probe_failed(self, now: float) -> None:
        self.next_probe = now + self.schedule.interval_s(self.eta - now)

    def describe(self, now: float) -> str:
        if not self.failing:
            return "healthy"
        wait = max(0.0, self.eta - now)
        probe = "" if self.next_probe == math.inf else \
            f", next probe in {max(0.0, self.next_probe - now):.0f}s"
        return (f"{self.mode} x{self.consecutive}"
                + (", probe passed" if self.probed_ok else f", retry in {wait:.0f}s") + probe)


def state_of(records: list[Health], now: float) -> ChainState:
    primary, *fallbacks = records
    if not primary.failing:
        return ChainState.PRIMARY_ACTIVE
    if not primary.in_backoff(now):
        return ChainState.DEGRADED
    if any(not f.in_backoff(now) for f in fallbacks):
        return ChainState.FALLBACK_ACTIVE
    return ChainState.QUEUE_ONLY


def order(records: list[Health], now: float) -> list[int]:
    """Indices of the providers to try, in order: those not in backoff, chain order."""
    return [i for i, r in enumerate(records) if not r.in_backoff(now)]
