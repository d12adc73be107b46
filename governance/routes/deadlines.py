"""How long a model step may take: sized to the brain that will answer it, within its
route's bounds. Pure arithmetic; governance.phases.route_brains gathers the inputs and
records the result.

A step's need on a brain is that brain's measured speed (governance.routes.throughput) times the
work it is about to get: the first prompt prefilled and a reply decoded, and in the tool
loop each later round's tool results prefilled and another reply decoded (at most every
round, each reply at most its token cap: a deadline is a bound, not a forecast). What the
step is given:

    want    = need(first brain) * margin + reserve for the next brain (if the route has one)
    granted = want, at least the route's timeout_s, at most its budget_s (and the op's
              ceiling)

The reserve is the seed's deadline split (004 §42.6): at least `fallback_reserve_s`, or the
next brain's own need when that is more. A brain asked with others after it gets
`first_share` of what is left: the rest is the reserve, but never more than
1 - primary_share of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from governance.routes.routing import RouteSpec, RouteTable
from governance.routes.throughput import Speed

CHARS_PER_TOKEN = 4  # a prompt's size in tokens when its brain cannot count them


@dataclass(frozen=True)
class WorkShape:
    """The bounds of a model step, from the settings (daemon.phase_deps.policy_from)."""

    reply_tokens: int  # the most one reply may be (the provider's max_new_tokens)
    tool_rounds: int  # the tool loop's max_rounds
    round_tokens: int  # prompt tokens one later round adds (a tool result's cap)


def need_s(speed: Speed, prompt_tokens: int, shape: WorkShape, *, tools: bool) -> float:
    """Seconds `speed` needs for a step whose first prompt is `prompt_tokens` long."""
    first = speed.seconds(prompt_tokens, shape.reply_tokens)
    if not tools:
        return first
    return first + (shape.tool_rounds - 1) * speed.seconds(shape.round_tokens,
                                                           shape.reply_tokens)


def reserve_s(table: RouteTable, next_need_s: float | None) -> float:
    """What is kept for the next brain of a route (0 when none follows)."""
    if next_need_s is None:
        return 0.0
    return max(table.fallback_reserve_s, next_need_s * table.margin)


def first_share(table: RouteTable, left_s: float, reserve: float) -> float:
    """The seconds of `left_s` the brain asked now may use when `reserve` is kept for the
    next: at least primary_share of it."""
    if reserve <= 0:
        return left_s
    return max(left_s - reserve, left_s * table.primary_share)


@dataclass(frozen=True)
class Grant:
    """The time a model step is given and why."""

    seconds: float
    brain: str
    need_s: float  # the first brain's estimated need (before the margin)
    reserve_s: float
    rule: str  # "route timeout" | "sized to the brain" | "route budget"
    prompt_tokens: int
    speed: Speed

    def payload(self, spec: RouteSpec) -> dict[str, Any]:
        return {"deadline_s": round(self.seconds, 1), "rule": self.rule, "brain": self.brain,
                "need_s": round(self.need_s, 1), "reserve_s": round(self.reserve_s, 1),
                "prompt_tokens": self.prompt_tokens, "speed": self.speed.describe(),
                "route": spec.route.value, "timeout_s": spec.timeout_s,
                "budget_s": spec.budget_s}


def grant(table: RouteTable, spec: RouteSpec, brain: str, speed: Speed, prompt_tokens: int,
          shape: WorkShape, *, tools: bool, next_need_s: float | None = None,
          ceiling_s: float | None = None) -> Grant:
    """The step's time: `want` within the route's timeout and budget, and never past the
    op's ceiling (`ceiling_s`)."""
    need = need_s(speed, prompt_tokens, shape, tools=tools)
    reserve = reserve_s(table, next_need_s)
    want = need * table.margin + reserve
    if want <= spec.timeout_s:
        seconds, rule = spec.timeout_s, "route timeout"
    elif want <= spec.budget_s:
        seconds, rule = want, "sized to the brain"
    else:
        seconds, rule = spec.budget_s, "route budget"
    if ceiling_s is not None and seconds > ceiling_s:
        seconds, rule = ceiling_s, "op ceiling"
    return Grant(seconds, brain, need, reserve, rule, prompt_tokens, speed)
