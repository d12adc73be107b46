"""The daemon's brains as the routes see them (seed §42): each route's brain list
resolved against the brains built at start, and what is known of each brain.

A route without its own `brains` gets a default:
- BACKGROUND and SPECULATIVE: the free brains only (in-process, or an HTTP brain that costs
  $0: an Ollama or a server on this machine), when there are both kinds: work nobody asked
  for today spends nothing;
- IMMEDIATE and COMPLEX: the strongest first: remote HTTP brains before local ones;
- STANDARD: every brain in the chain's order (provider.http_first).

What is known of each brain starts from the ledger (its recent calls' speed, its plans'
usability) and, for an in-process brain never measured, one short measured call.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import structlog

from daemon.brains.providers import price_of
from daemon.config.settings import Settings
from daemon.errors import ConfigError
from daemon.phase_deps import route_table
from governance.brains.provider import CandidateProvider
from governance.brains.provider_chain import ProviderChain, Split
from governance.routes.routing import Route, RouteSpec, RouteTable
from governance.routes.throughput import BrainSpeeds, PlanRecord, measured
from ledger import Ledger

log = structlog.get_logger("daemon.brains.routes")

FREE_ONLY = frozenset({Route.BACKGROUND, Route.SPECULATIVE})
STRONG_FIRST = frozenset({Route.IMMEDIATE, Route.COMPLEX})


@dataclass(frozen=True)
class Brain:
    name: str
    free: bool  # in-process, or an HTTP brain priced $0


@dataclass
class Brains:
    """The routes resolved, and what is known of every brain (shared by all ops)."""

    routes: RouteTable
    speeds: BrainSpeeds
    plans: PlanRecord


def brains_of(settings: Settings, provider: CandidateProvider | None) -> list[Brain]:
    """The brains `provider` asks, in chain order, and whether each is free."""
    if provider is None:
        return []
    members = provider.providers if isinstance(provider, ProviderChain) else [provider]
    priced = {e.name or f"{e.kind}:{e.model}": price_of(e, settings.provider.prices)
              for e in settings.provider.http}
    return [Brain(p.name, p.name not in priced or priced[p.name][:2] == (0.0, 0.0))
            for p in members]


def resolve(table: RouteTable, brains: list[Brain]) -> RouteTable:
    """Every route's brain list made explicit, with why; ConfigError names a route that
    lists a brain that does not exist."""
    names = [b.name for b in brains]
    routes: dict[Route, RouteSpec] = {}
    for route, spec in table.routes.items():
        key = f"routes.{route.value.lower()}.brains"
        unknown = [n for n in spec.brains if n not in names]
        if unknown:
            raise ConfigError(f"{key}: no brain named {', '.join(unknown)} (the brains: "
                              f"{', '.join(names) or 'none'})")
        chosen, why = (list(spec.brains), key) if spec.brains else _default(route, brains)
        routes[route] = dataclasses.replace(spec, brains=tuple(chosen), brains_why=why)
    return dataclasses.replace(table, routes=routes)


def _default(route: Route, brains: list[Brain]) -> tuple[list[str], str]:
    free = [b.name for b in brains if b.free]
    paid = [b.name for b in brains if not b.free]
    if route in FREE_ONLY and free and paid:
        return free, f"default for {route.value}: the free brains only"
    if route in STRONG_FIRST and free and paid:
        return paid + free, f"default for {route.value}: the strongest (remote) brains first"
    return [b.name for b in brains], "default: every brain, in the chain's order"


async def know_brains(settings: Settings, provider: CandidateProvider | None,
                      ledger: Ledger) -> Brains:
    """The routes resolved against `provider`'s brains; their speeds and plan records from
    the ledger; an in-process brain never measured measured once now."""
    table = resolve(route_table(settings), brains_of(settings, provider))
    speeds = BrainSpeeds(table.assumed)
    seeded = speeds.seed_from_calls(await ledger.recent_model_calls())
    members = provider.providers if isinstance(provider, ProviderChain) else \
        [provider] if provider is not None else []
    for member in members:
        if member.name not in seeded and hasattr(member, "measure") \
                and settings.routes.measure_at_start:
            await _measure(member, speeds)
    if isinstance(provider, ProviderChain):
        provider.split = Split(table, speeds, settings.provider.max_new_tokens)
    for name, speed in speeds.known().items():
        log.info("brain speed", brain=name, **speed.describe())
    return Brains(table, speeds, PlanRecord(await ledger.plan_outcomes()))


async def _measure(member: CandidateProvider, speeds: BrainSpeeds) -> None:
    log.info("measuring the brain's speed", brain=member.name)
    try:
        usage = await member.measure()  # type: ignore[attr-defined]
    except Exception as exc:  # the assumed speed stands; the first real call corrects it
        log.warning("brain speed not measured", brain=member.name, error=str(exc)[:300])
        return
    speed = measured(usage, "measured at start")
    if speed is not None:
        speeds.seed(member.name, speed)
