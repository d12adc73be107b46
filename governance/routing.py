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


ROUTES: dict[Route, RouteSpec] = {
    Route.IMMEDIATE: RouteSpec(Route.IMMEDIATE, 120.0, False),
    Route.STANDARD: RouteSpec(Route.STANDARD, 180.0, False),
    Route.COMPLEX: RouteSpec(Route.COMPLEX, 360.0, True),
    Route.BACKGROUND: RouteSpec(Route.BACKGROUND, 180.0, False),
    Route.SPECULATIVE: RouteSpec(Route.SPECULATIVE, 120.0, False),
}

URGENCY_ROUTES: dict[Urgency, Route] = {Urgency.CRITICAL: Route.IMMEDIATE}
SOURCE_ROUTES: dict[str, Route] = {
    "test_failure": Route.IMMEDIATE,
    "todo_scanner": Route.BACKGROUND,
    "doc_staleness": Route.BACKGROUND,
    "opportunity_miner": Route.BACKGROUND,
    "intent_discovery": Route.SPECULATIVE,
}
COMPLEX_FILE_COUNT = 3


def route(envelope: SignalEnvelope) -> tuple[RouteSpec, str]:
    """The route for an envelope and the table row that chose it."""
    if envelope.urgency in URGENCY_ROUTES:
        return ROUTES[URGENCY_ROUTES[envelope.urgency]], f"urgency={envelope.urgency}"
    if len(envelope.target_files) >= COMPLEX_FILE_COUNT:
        return ROUTES[Route.COMPLEX], f"{len(envelope.target_files)} target files"
    if envelope.source in SOURCE_ROUTES:
        return ROUTES[SOURCE_ROUTES[envelope.source]], f"source={envelope.source}"
    return ROUTES[Route.STANDARD], "default"
