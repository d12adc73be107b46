"""The re-ground reflex's rules: pure functions over a reply's collapse proximity, and the
small values they work on (Band, RoundBudget, ReflexStats); no I/O here.

    proximity < spook               CALM      the budget is left alone
    spook <= proximity < threshold  SPOOK     the remaining budget (time and tokens) deflates
                                              along DEFLATION as proximity nears the threshold
    proximity >= threshold, or      COLLAPSE  the reply is discarded; the op re-grounds with
    exit reason `collapse`                    REGROUND_STEERING[n] while its budget lasts

`spook` is governance.reground_spook, `threshold` is provider.canary_threshold. A recovery
is a re-ground whose next reply stays below the threshold. The side effects (the ledger,
the counters, asking again) live in governance.phases.generate and tools.loop; a tool loop
keeps its deflating budget in a RoundBudget.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from enum import StrEnum

from governance.brains.provider import CollapseSignal, Steering
from governance.errors import DeadlineMissed, ModelCollapsed
from governance.policy import Policy

# (share of the way from spook to threshold, factor on the remaining budget), interpolated
# linearly. Even the first spook trims a little; at the brink a quarter is left, enough for
# one short answer, while a model that keeps nearing a loop runs out and re-grounds.
DEFLATION: tuple[tuple[float, float], ...] = ((0.0, 0.9), (0.5, 0.6), (1.0, 0.25))

# What the n-th re-ground of an op asks of its next turn (the last entry repeats): adapt
# mode (deeper on Ouro, penalty rising with proximity), a firmer repetition penalty, cooler
# sampling; the second also asks for a shorter answer, since a long one looped twice.
REGROUND_STEERING: tuple[Steering, ...] = (
    Steering(adapt=True, penalty_boost=0.3, temperature_scale=0.5),
    Steering(adapt=True, penalty_boost=0.6, temperature_scale=0.25, token_scale=0.75),
)


# A budget deflated below this share is spent: rather than a starved, truncated answer, the
# op re-grounds (ModelCollapsed with exit reason "deflated").
SPENT_BELOW = 0.1


@dataclass(frozen=True)
class Band:
    """The reflex's two knobs: governance.reground_spook, provider.canary_threshold (their
    defaults live in the settings alone; of() builds the band from the policy)."""

    spook: float
    threshold: float

    def __post_init__(self) -> None:
        _checked(self.spook, "reground_spook")
        _checked(self.threshold, "the collapse threshold")

    @classmethod
    def of(cls, policy: Policy) -> Band:
        return cls(policy.reground_spook, policy.collapse_threshold)


class Reading(StrEnum):
    CALM = "calm"
    SPOOK = "spook"
    COLLAPSE = "collapse"


@dataclass(frozen=True)
class Judgement:
    reading: Reading
    proximity: float
    factor: float  # what remains of the budget after this reply (1.0 = untouched)
    exit_reason: str


@dataclass
class ReflexStats:
    """Counters since the daemon started (owned by the Daemon, shown by `status`)."""

    spooks: int = 0
    collapses: int = 0
    regrounds: int = 0
    recoveries: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"spooks": self.spooks, "collapses": self.collapses,
                "regrounds": self.regrounds, "recoveries": self.recoveries}


@dataclass
class RoundBudget:
    """What is left of a tool loop's generation budget as spooks deflate it."""

    deadline: float  # the caller's, absolute (time.monotonic())
    soft: float  # the deflated one; never later than `deadline`
    token_scale: float = 1.0
    last: float = 0.0  # the previous reply's proximity

    def steer(self) -> Steering | None:
        return Steering(token_scale=self.token_scale) if self.token_scale < 1 else None

    def deflate(self, factor: float, now: float) -> None:
        self.soft = now + max(self.soft - now, 0.0) * factor
        self.token_scale *= factor

    def check(self, rnd: int, now: float) -> None:
        """Raise when no round may start: the caller's deadline passed (DeadlineMissed), or
        the deflated budget is spent (ModelCollapsed "deflated": re-ground, not starve)."""
        if now >= self.deadline:
            raise DeadlineMissed("the generation deadline passed during the tool loop")
        if now >= self.soft or self.token_scale < SPENT_BELOW:
            raise ModelCollapsed(f"the reflex deflated the tool loop's budget to nothing by "
                                 f"round {rnd} (last proximity {self.last:.2f})",
                                 proximity=self.last, exit_reason="deflated", round=rnd)


def _checked(value: float, what: str) -> float:
    if not (isinstance(value, int | float) and math.isfinite(value) and 0 <= value <= 1):
        raise ValueError(f"{what} must be a number in [0, 1], not {value!r}")
    return float(value)


def deflation(proximity: float, band: Band) -> float:
    """The factor on the remaining budget after a reply at `proximity` (1.0 below spook).
    A spook at or above the threshold leaves no band: nothing deflates before a collapse."""
    p, s, t = _checked(proximity, "proximity"), band.spook, band.threshold
    if p < s or s >= t:
        return 1.0
    x = min((p - s) / (t - s), 1.0)
    for (x0, f0), (x1, f1) in itertools.pairwise(DEFLATION):
        if x <= x1:
            return f0 + (f1 - f0) * (x - x0) / (x1 - x0)
    return DEFLATION[-1][1]


def is_collapse(signal: CollapseSignal, band: Band) -> bool:
    return (signal.collapsed or signal.exit_reason == "collapse"
            or signal.proximity >= band.threshold)


def judge(signal: CollapseSignal, band: Band) -> Judgement:
    """CALM, SPOOK or COLLAPSE for one reply, with the budget factor it implies."""
    if is_collapse(signal, band):
        return Judgement(Reading.COLLAPSE, signal.proximity, 0.0, signal.exit_reason)
    factor = deflation(signal.proximity, band)
    spooked = band.spook <= signal.proximity and band.spook < band.threshold
    return Judgement(Reading.SPOOK if spooked else Reading.CALM, signal.proximity, factor,
                     signal.exit_reason)


def reground_steering(n: int) -> Steering:
    """The steering for an op's n-th re-ground (1-based)."""
    if n < 1:
        raise ValueError(f"re-grounds count from 1, not {n}")
    return REGROUND_STEERING[min(n, len(REGROUND_STEERING)) - 1]
