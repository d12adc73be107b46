"""The host gate's verdict (daemon.host.gate): from one reading of the host, why heavy work
must wait now, by cause (the load, the battery, the heat), against the [health] limits.

The daemon's own load. The load average counts the daemon's own threads and jailed runs
too; judged as it is, the daemon's work would close the gate on itself. So the gate
estimates the daemon's share the way the kernel computes the average: every sample counts
the daemon's tasks in R or D (daemon.host.health.own_runnable) and folds the count into an
exponential average with the same one-minute window, and that share is subtracted from the
load before the comparison. The two are sampled at different instants, so the difference is
noisy; hysteresis absorbs it: the gate closes above `max_load_share` x cores and opens only
below `resume_load_share` x cores (likewise `max_temp_c` and `resume_temp_c`), so it does not
flap at the line. The estimate starts at 0 (the daemon's start-up is counted as the human's):
an error on the side of yielding.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import dataclass

from daemon.config.health import HealthSection
from daemon.host.health import HostReading

LOAD_WINDOW_S = 60.0  # the 1-minute load average's time constant (kernel: EXP_1)


@dataclass(frozen=True)
class Limits:
    """[health], as the gate reads it (defaults: daemon.config.health.HealthSection)."""

    enabled: bool
    max_load_share: float
    resume_load_share: float
    pause_on_battery: bool
    max_temp_c: float
    resume_temp_c: float
    poll_s: float
    max_wait_s: float = 0.0  # the bound (daemon.host.overdue); 0: none
    min_free_memory_mb: float = 0.0

    @classmethod
    def of(cls, health: HealthSection) -> Limits:
        return cls(enabled=health.enabled, max_load_share=health.max_load_share,
                   resume_load_share=health.resume_load_share,
                   pause_on_battery=health.pause_on_battery, max_temp_c=health.max_temp_c,
                   resume_temp_c=health.resume_temp_c, poll_s=health.poll_s,
                   max_wait_s=health.max_wait_s,
                   min_free_memory_mb=health.min_free_memory_mb)


def own_load(previous: float, runnable: int, elapsed_s: float) -> float:
    """The daemon's share of the 1-minute load average after a sample of `runnable` tasks
    `elapsed_s` after the last: the kernel's own update, load = load*e + n*(1 - e)."""
    decay = math.exp(-max(elapsed_s, 0.0) / LOAD_WINDOW_S)
    return previous * decay + runnable * (1.0 - decay)


def load_bar(r: HostReading, own: float, limits: Limits,
             held: bool) -> tuple[float, float] | None:
    """(the load counted against the human: the 1-minute figure less the daemon's own, the
    bar it is held to now: the pause mark, or the resume mark while held)."""
    if r.load1 is None:
        return None
    share = limits.resume_load_share if held else limits.max_load_share
    return max(0.0, r.load1 - own), share * r.cores


def _load_reason(r: HostReading, own: float, limits: Limits, held: bool) -> str | None:
    if (measured := load_bar(r, own, limits, held)) is None:
        return None
    others, bar = measured
    share = limits.resume_load_share if held else limits.max_load_share
    if (others < bar) if held else (others <= bar):
        return None
    shown = f"load {r.load1:.1f}" + (f" less the daemon's own {own:.1f} = {others:.1f}"
                                      if own >= 0.05 else "")
    scale = f"{share:g} x {r.cores} core{'s' if r.cores != 1 else ''}"
    return (f"{shown}, resumes below {bar:.1f} = {scale}" if held
            else f"{shown} > {bar:.1f} = {scale}")


def _heat_reason(r: HostReading, limits: Limits, held: bool) -> str | None:
    if r.temp_c is None:
        return None
    if held and r.temp_c >= limits.resume_temp_c:
        return f"{r.hot_zone} at {r.temp_c:.0f} °C, resumes below {limits.resume_temp_c:g} °C"
    if not held and r.temp_c >= limits.max_temp_c:
        return f"{r.hot_zone} at {r.temp_c:.0f} °C >= {limits.max_temp_c:g} °C"
    return None


def judge(r: HostReading, own: float, limits: Limits,
          held: Collection[str] = ()) -> dict[str, str]:
    """Why heavy work must wait now, by cause ({} = it may run). `held`: the causes it
    already waits for, which end only below their resume marks."""
    found = {"load": _load_reason(r, own, limits, "load" in held),
             "battery": "on battery power" if limits.pause_on_battery and r.on_battery
             else None,
             "heat": _heat_reason(r, limits, "heat" in held)}
    return {cause: why for cause, why in found.items() if why}
