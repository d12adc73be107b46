"""ROUTE: a deterministic table from (source, urgency, file count) to a provider route,
and each route's contract: which brains it asks, in what order, and how long a model step
may take (governance.routes.deadlines sizes it to the brain within these bounds).

No model is consulted, so replaying a signal always yields the same route.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from governance.routes.throughput import Speed
from governance.schemas import SignalEnvelope, Source, Urgency


class Route(StrEnum):
    IMMEDIATE = "IMMEDIATE"
    STANDARD = "STANDARD"
    COMPLEX = "COMPLEX"
    BACKGROUND = "BACKGROUND"
    SPECULATIVE = "SPECULATIVE"


@dataclass(frozen=True)
class RouteSpec:
    """One route's contract, from the [routes] settings (daemon/config/routes.py)."""

    route: Route
    timeout_s: float  # the seed's generation timeout: what any brain gets at least
    budget_s: float  # the most a model step may be given, however slow its brain
    brains: tuple[str, ...] = ()  # brain names in the order asked; () = every brain
    brains_why: str = "every brain, in the chain's order"  # who chose them (the ledger says)
    grace_s: float = 5.0  # on top of the deadline: a reply finishing at the bell still lands

    @property
    def plan_required(self) -> bool:
        return self.route in PLAN_REQUIRED


@dataclass(frozen=True)
class RouteTable:
    """Every route's contract and the deadline split between a route's brains (seed
    §42.6): the first brain asked keeps at least `primary_share` of what is left, and at
    least `fallback_reserve_s` (or what the next brain needs) stays for the next one."""

    routes: Mapping[Route, RouteSpec]
    primary_share: float
    fallback_reserve_s: float
    margin: float  # a brain's estimated need times this is what it is given
    assumed: Speed  # the speed of a brain never measured

    def spec(self, route_name: str | None) -> RouteSpec:
        """The op's route (STANDARD's when it has none yet)."""
        return self.routes[Route(route_name) if route_name else Route.STANDARD]


PLAN_REQUIRED = frozenset({Route.COMPLEX})  # the seed: COMPLEX ops plan before generating

# The seed's lookup sets (004 §42.2), with this tree's sensor names added: a human's
# `signal --urgency critical` is as urgent as a voice command, and the opportunity miner's
# unasked-for refactors are the proactive exploration the seed calls speculative.
IMMEDIATE_SOURCES = frozenset({Source.TEST_FAILURE, Source.VOICE_HUMAN, Source.RUNTIME_HEALTH,
                               Source.HUMAN})
BACKGROUND_SOURCES = frozenset({Source.AI_MINER, Source.EXPLORATION, Source.BACKLOG,
                                Source.ARCHITECTURE, Source.TODO, Source.DOC_STALENESS})
SPECULATIVE_SOURCES = frozenset({Source.INTENT_DISCOVERY, Source.OPPORTUNITY})
# The seed routes on a complexity label; none exists before PLAN, so the file count stands in.
COMPLEX_FILE_COUNT = 3


def route(envelope: SignalEnvelope) -> tuple[Route, str]:
    """The route for an envelope and the rule that chose it (the seed's order, 004 §42.3)."""
    if len(envelope.target_files) >= COMPLEX_FILE_COUNT:
        return Route.COMPLEX, f"{len(envelope.target_files)} target files"
    if envelope.source in SPECULATIVE_SOURCES:
        return Route.SPECULATIVE, f"source={envelope.source}"
    if envelope.source in BACKGROUND_SOURCES:
        return Route.BACKGROUND, f"source={envelope.source}"
    if envelope.source in IMMEDIATE_SOURCES and envelope.urgency is Urgency.CRITICAL:
        return Route.IMMEDIATE, f"source={envelope.source}, urgency=critical"
    return Route.STANDARD, "default"
