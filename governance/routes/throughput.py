"""How fast each brain is: prompt tokens per second (prefill) and reply tokens per second
(decode), kept up to date from the brain's own calls, so an op's deadline is sized to the
brain that will answer it (governance.routes.deadlines).

A first estimate comes from the start (`seed`: the brain's recent ledgered calls, a short
measured call, or the configured assumption for a brain never seen); every reply recorded
afterwards (PhaseDeps.record_reply) moves it by an exponentially weighted average, so one
slow call (a busy machine) shifts the estimate without owning it. The first reply of a
brain known only by the assumption replaces it: a guess is no measurement. A reply that
says where its time went (ModelUsage.prefill_tokens / prefill_ms: the kernel's) updates each
rate from its own part; one that reports only the whole latency (an HTTP API) scales both
rates by how far the estimate missed it.

PlanRecord is the other thing learnt of a brain: whether its plans are worth asking for
(governance.phases.route_brains).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from governance.schemas import ModelUsage

ALPHA = 0.3  # the weight of a new observation in the running estimate
MIN_PREFILL_TOKENS = 32  # fewer computed prompt tokens than this say little about the rate
MIN_DECODE_TOKENS = 8
MIN_SECONDS = 0.05  # a shorter measurement is mostly overhead
RATE_BOUNDS = (0.5, 1e6)  # tokens/s: anything outside is a broken measurement, clamped
ASSUMED = "assumed"  # the source of a speed no call of the brain has measured yet


@dataclass(frozen=True)
class Speed:
    """One brain's throughput and where the number came from."""

    prompt_tps: float  # prompt tokens prefilled per second
    decode_tps: float  # reply tokens decoded per second
    source: str  # ASSUMED | "measured at start" | "ledger" | "calls"
    samples: int = 0  # calls folded into it

    def seconds(self, prompt_tokens: int, reply_tokens: int) -> float:
        """Time to prefill `prompt_tokens` and decode `reply_tokens`."""
        return max(prompt_tokens, 0) / self.prompt_tps + max(reply_tokens, 0) / self.decode_tps

    def describe(self) -> dict[str, Any]:
        return {"prompt_tps": round(self.prompt_tps, 1), "decode_tps": round(self.decode_tps, 1),
                "source": self.source, "samples": self.samples}


def decoded_tokens(usage: ModelUsage) -> int:
    """Every token the call decoded (a re-prompt loop decodes more than its reply)."""
    return usage.completion_tokens if usage.decode_tokens is None else usage.decode_tokens


def measured(usage: ModelUsage, source: str) -> Speed | None:
    """The speed one call that says where its time went measured, or None when it is too
    small to say (the start-up measurement of an in-process brain)."""
    if usage.prefill_ms is None or usage.prefill_tokens is None or not _sane(usage):
        return None
    prefill_s, total_s = usage.prefill_ms / 1000, usage.latency_ms / 1000
    if (usage.prefill_tokens < MIN_PREFILL_TOKENS or prefill_s < MIN_SECONDS
            or decoded_tokens(usage) < MIN_DECODE_TOKENS or total_s - prefill_s < MIN_SECONDS):
        return None
    return Speed(_rate(usage.prefill_tokens, prefill_s),
                 _rate(decoded_tokens(usage), total_s - prefill_s), source, 1)


def _sane(usage: ModelUsage) -> bool:
    numbers = (usage.latency_ms, usage.prompt_tokens, usage.completion_tokens,
               usage.prefill_ms, usage.prefill_tokens, usage.decode_tokens)
    return all(math.isfinite(n) and n >= 0 for n in numbers if n is not None)


def _rate(tokens: float, seconds: float) -> float:
    lo, hi = RATE_BOUNDS
    return min(max(tokens / seconds, lo), hi)


def _blend(old: float, new: float, weight: float = ALPHA) -> float:
    return old + weight * (new - old)


def observed(speed: Speed, usage: ModelUsage) -> Speed:
    """`speed` moved toward what one reply measured (unchanged when it measured nothing,
    or something no clock gives: a NaN, infinite or negative time or count)."""
    if not _sane(usage):
        return speed
    total_s = usage.latency_ms / 1000
    prompt_tps, decode_tps = speed.prompt_tps, speed.decode_tps
    # An assumption is no measurement: the first call replaces it. Blended in at ALPHA, a
    # brain 16x slower than assumed (Qwen2.5-Coder-1.5B on two cores through llama.cpp's
    # server: 111 s for a 7 s guess) was still taken for 0.7x of the guess at the next
    # step, whose deadline then passed before its first token.
    weight = 1.0 if speed.source == ASSUMED else ALPHA
    applied = False  # whether the call measured anything (a call too small does not)
    if usage.prefill_ms is not None and usage.prefill_tokens is not None:
        prefill_s = usage.prefill_ms / 1000
        if usage.prefill_tokens >= MIN_PREFILL_TOKENS and prefill_s >= MIN_SECONDS:
            prompt_tps = _blend(prompt_tps, _rate(usage.prefill_tokens, prefill_s), weight)
            applied = True
        decode_s, decoded = total_s - prefill_s, decoded_tokens(usage)
        if decoded >= MIN_DECODE_TOKENS and decode_s >= MIN_SECONDS:
            decode_tps = _blend(decode_tps, _rate(decoded, decode_s), weight)
            applied = True
    else:
        predicted = speed.seconds(usage.prompt_tokens, usage.completion_tokens)
        if total_s < MIN_SECONDS or predicted <= 0:
            return speed
        factor = _blend(1.0, min(max(predicted / total_s, 1e-3), 1e3), weight)  # >1: faster
        prompt_tps, decode_tps = speed.prompt_tps * factor, speed.decode_tps * factor
        applied = True
    if not applied:
        return speed
    return Speed(prompt_tps, decode_tps, "calls", speed.samples + 1)


class BrainSpeeds:
    """Every brain's Speed, by the provider name its replies carry (ModelUsage.provider)."""

    def __init__(self, assumed: Speed):
        if not (math.isfinite(assumed.prompt_tps) and math.isfinite(assumed.decode_tps)
                and assumed.prompt_tps > 0 and assumed.decode_tps > 0):
            raise ValueError(f"an assumed speed must be positive and finite: {assumed}")
        self.assumed = assumed
        self._by_brain: dict[str, Speed] = {}

    def get(self, brain: str) -> Speed:
        return self._by_brain.get(brain, self.assumed)

    def known(self) -> Mapping[str, Speed]:
        return dict(self._by_brain)

    def seed(self, brain: str, speed: Speed) -> None:
        """A first estimate, kept only when nothing better is known of `brain`."""
        if brain not in self._by_brain:
            self._by_brain[brain] = speed

    def observe(self, usage: ModelUsage) -> None:
        self._by_brain[usage.provider] = observed(self.get(usage.provider), usage)

    def seed_from_calls(self, rows: Iterable[Mapping[str, Any]]) -> list[str]:
        """Replay ledgered model calls, oldest first (rows of provider, prompt_tokens,
        completion_tokens, latency_ms, telemetry JSON); returns the brains it seeded."""
        seeded: list[str] = []
        for row in rows:
            usage = usage_of_row(row)
            if usage is None:
                continue
            if usage.provider not in self._by_brain:
                self._by_brain[usage.provider] = self.assumed  # the first row replaces it
                seeded.append(usage.provider)
            self.observe(usage)
        for brain in seeded:
            self._by_brain[brain] = replace(self._by_brain[brain], source="ledger")
        return seeded


def usage_of_row(row: Mapping[str, Any]) -> ModelUsage | None:
    """The ModelUsage a ledgered model call recorded (its prefill from the telemetry's
    "prefill" entry, which PhaseDeps.record_reply writes), or None for a useless row."""
    try:
        telemetry = json.loads(row.get("telemetry") or "{}")
        prefill = telemetry.get("prefill") if isinstance(telemetry, dict) else None
        prefill = prefill if isinstance(prefill, dict) else {}
        return ModelUsage(provider=str(row["provider"]), prompt_tokens=int(row["prompt_tokens"]),
                          completion_tokens=int(row["completion_tokens"]),
                          latency_ms=float(row["latency_ms"]),
                          prefill_tokens=prefill.get("tokens"), prefill_ms=prefill.get("ms"),
                          decode_tokens=prefill.get("decoded"))
    except (KeyError, TypeError, ValueError):
        return None


@dataclass
class PlanRecord:
    """brain -> (PLAN replies, usable plans), seeded from the ledger at start."""

    counts: dict[str, tuple[int, int]] = field(default_factory=dict)

    def skip_reason(self, brain: str, trials: int) -> str | None:
        """Why `brain` is not asked for a plan, or None when it is."""
        tries, usable = self.counts.get(brain, (0, 0))
        if trials == 0:
            return "planning is off (governance.plan_trials = 0)"
        if usable == 0 and tries >= trials:
            return (f"{brain} produced no usable plan in {tries} tries "
                    f"(governance.plan_trials = {trials})")
        return None

    def record(self, brain: str, usable: bool) -> None:
        tries, good = self.counts.get(brain, (0, 0))
        self.counts[brain] = (tries + 1, good + usable)
