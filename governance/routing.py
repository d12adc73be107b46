"""ROUTE: a deterministic table from (source, urgency, file count) to a provider route.

No model is consulted, so replaying a signal always yields the same route.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from governance.schemas import SignalEnvelope, Urgency


class Route(StrEnum):
    IMMEDIATE = "IMMEDIATE"
    STANDARD = "STANDARD"
    COMPLEX = "COMPLEX"
    BACKGROUND = "BACKGROUND"
    SPECULATIVE = "SPECULATIVE"


@dataclass(frozen=True)
class RouteSpec:
    route: Route
    generate_timeout_s: float
    plan_required: bool
    grace_s: float = 5.0  # on top of the timeout: a reply finishing at the bell still lands


# The seed's route timeouts (004 §42.5). SPECULATIVE is "N/A (batch)" there; nothing here
# runs batches, so it gets BACKGROUND's budget rather than none.
ROUTES: dict[Route, RouteSpec] = {
    Route.IMMEDIATE: RouteSpec(Route.IMMEDIATE, 60.0, False),
    Route.STANDARD: RouteSpec(Route.STANDARD, 120.0, False),
    Route.COMPLEX: RouteSpec(Route.COMPLEX, 180.0, True),
    Route.BACKGROUND: RouteSpec(Route.BACKGROUND, 180.0, False),
    Route.SPECULATIVE: RouteSpec(Route.SPECULATIVE, 180.0, False),
}

# The seed's lookup sets (004 §42.2), with this tree's sensor names added.
IMMEDIATE_SOURCES = frozenset({"test_failure", "voice_human", "runtime_health"})
BACKGROUND_SOURCES = frozenset({"ai_miner", "opportunity_miner", "exploration", "backlog",
                                "architecture", "todo_scanner", "doc_staleness"})
SPECULATIVE_SOURCES = frozenset({"intent_discovery"})
# The seed routes on a complexity label; none exists before PLAN, so the file count stands in.
COMPLEX_FILE_COUNT = 3


def route(envelope: SignalEnvelope) -> tuple[RouteSpec, str]:
    """The route for an envelope and the rule that chose it (the seed's order, 004 §42.3)."""
    if len(envelope.target_files) >= COMPLEX_FILE_COUNT:
        return ROUTES[Route.COMPLEX], f"{len(envelope.target_files)} target files"
    if envelope.source in SPECULATIVE_SOURCES:
        return ROUTES[Route.SPECULATIVE], f"source={envelope.source}"
    if envelope.source in BACKGROUND_SOURCES:
        return ROUTES[Route.BACKGROUND], f"source={envelope.source}"
    if envelope.source in IMMEDIATE_SOURCES and envelope.urgency is Urgency.CRITICAL:
        return ROUTES[Route.IMMEDIATE], f"source={envelope.source}, urgency=critical"
    return ROUTES[Route.STANDARD], "default"


def generate_timeout_s(route_name: str | None) -> float:
    """A generation attempt's deadline: the route's timeout plus its grace (STANDARD's when
    the op has no route yet)."""
    spec = ROUTES[Route(route_name)] if route_name else ROUTES[Route.STANDARD]
    return spec.generate_timeout_s + spec.grace_s
