"""ProviderChain: an ordered chain of providers behind the one CandidateProvider face that
governance knows, routed by the failback state machine (governance.brains.failback).

A call goes to the first provider not in backoff. When it fails with an infrastructure
failure (rate limit, timeout, server error, connection), that is recorded (a backoff for
it), and the same call goes to the next provider, within the caller's deadline: an op whose
provider dies mid-generation carries on with the next one instead of ending in POSTMORTEM.
A CONTENT failure (the request was refused: a 400, a 401) is the caller's to handle, raised
at once: the next provider would most likely refuse it too. When every provider is in
backoff the chain is QUEUE_ONLY: calls fail at once and `queue_only` tells the dispatcher to
leave signals queued. When every brain a call could ask failed for the infrastructure's
reasons (or was in backoff), the call raises BrainsUnreachable (governance.brains.outage):
its op waits (`wait_for`) for a probe to pass or a backoff to run out, then asks again.
`probe_forever` probes the providers in backoff (their health()) on the adaptive schedule
and `on_change` wakes the dispatcher when one comes back.

Every state change and every failure is a ledger thought (phase PROVIDER) through `record`.
Exceptions other than ProviderError from a provider are classified too (a provider bug is a
SERVER_ERROR, an OSError a CONNECTION failure), never raised into governance raw.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import structlog

from governance.brains.failback import (
    ADAPTIVE,
    ChainState,
    FailureMode,
    Health,
    ProbeSchedule,
    order,
    state_of,
)
from governance.brains.outage import BrainsUnreachable, Down, address, is_outage, what_to_start
from governance.brains.provider import (
    CandidateProvider,
    ModelReply,
    ProviderHealth,
    Steering,
    asks_in_parallel,
    batches,
    samples_of,
    shaped,
)
from governance.errors import DeadlineMissed, ProviderError
from governance.routes.deadlines import CHARS_PER_TOKEN, first_share, reserve_s
from governance.routes.routing import RouteTable
from governance.routes.throughput import BrainSpeeds

log = structlog.get_logger("governance.brains.provider_chain")

Record = Callable[[str, dict[str, Any]], Awaitable[None]]
Call = Callable[[CandidateProvider, float], Awaitable[ModelReply]]  # (brain, its deadline)
PROBE_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class Split:
    """How a turn's time is shared between the brains a route asks (seed §42.6): the
    route table's shares, the brains' speeds, and the most one reply may be."""

    table: RouteTable
    speeds: BrainSpeeds
    reply_tokens: int

    def reserve(self, brain: str, prompt: str) -> float:
        need = self.speeds.get(brain).seconds(len(prompt) // CHARS_PER_TOKEN,
                                              self.reply_tokens)
        return reserve_s(self.table, need)


def classify(exc: BaseException) -> FailureMode:
    mode = getattr(exc, "mode", None)
    if isinstance(mode, str) and mode in FailureMode.__members__:
        return FailureMode(mode)
    if isinstance(exc, TimeoutError):
        return FailureMode.TIMEOUT
    if isinstance(exc, OSError):
        return FailureMode.CONNECTION
    if isinstance(exc, ProviderError) and exc.deadline_missed:
        return FailureMode.TIMEOUT
    return FailureMode.SERVER_ERROR


class ProviderChain:
    def __init__(self, providers: Sequence[CandidateProvider], *, record: Record | None = None,
                 on_change: Callable[[], None] | None = None,
                 clock: Callable[[], float] = time.monotonic, split: Split | None = None,
                 probes: ProbeSchedule = ADAPTIVE):
        if not providers:
            raise ValueError("a provider chain needs at least one provider")
        self.providers = list(providers)
        self.records = [Health(p.name, schedule=probes) for p in self.providers]
        self.name = "+".join(p.name for p in self.providers)
        self.takes_shape = any(getattr(p, "takes_shape", False) is True for p in self.providers)
        self.record, self.on_change, self.clock = record, on_change, clock
        self.split = split  # None: each brain may use the whole deadline
        self._wake = asyncio.Event()
        self._back = asyncio.Event()  # set (and replaced) at every change: waiters look again
        self.waiters: dict[str, tuple[float, tuple[str, ...]]] = {}  # who -> (since, brains)
        # brain -> what its health check said: its server answers without listing its model
        self.unlisted: dict[str, str] = {}

    @property
    def state(self) -> ChainState:
        return state_of(self.records, self.clock())

    @property
    def queue_only(self) -> bool:
        return self.state is ChainState.QUEUE_ONLY

    def snapshot(self) -> dict[str, Any]:
        now = self.clock()
        probes = [h.next_probe - now for h in self.records if h.next_probe != math.inf]
        return {"state": self.state.value,
                "providers": {h.name: h.describe(now) for h in self.records},
                "next_probe_s": round(max(0.0, min(probes)), 1) if probes else None,
                "down": self.down(), "unlisted": list(self.unlisted.values())}

    def down(self) -> list[dict[str, Any]]:
        """Each brain failing now: since when (epoch seconds), how, where it should answer,
        what to start, and how many ops wait for a brain it is one of."""
        return [{"name": h.name, "mode": h.mode.value if h.mode else None,
                 "since": h.down_since, "url": address(p), "fix": what_to_start(address(p)),
                 "waiting": sum(h.name in brains for _, brains in self.waiters.values())}
                for p, h in zip(self.providers, self.records, strict=True) if h.failing]

    def routed(self, names: Sequence[str]) -> RoutedChain:
        """This chain as a route sees it: only the brains `names`, in that order (every
        brain, in chain order, when empty), sharing this chain's failback records."""
        index = {p.name: i for i, p in enumerate(self.providers)}
        unknown = [n for n in names if n not in index]
        if unknown:
            raise ValueError(f"no brain named {', '.join(unknown)} (brains: "
                             f"{', '.join(index)})")
        return RoutedChain(self, [index[n] for n in names] or list(index.values()))

    def asked(self, indices: Sequence[int]) -> list[int]:
        """`indices` in their order, less the brains in backoff now."""
        ready = set(order(self.records, self.clock()))
        return [i for i in indices if i in ready]

    async def generate(self, prompt: str, *, deadline: float, steer: Steering | None = None,
                       shape: Any = None) -> ModelReply:
        return await self.routed(()).generate(prompt, deadline=deadline, steer=steer,
                                              shape=shape)

    async def plan(self, prompt: str, *, deadline: float, shape: Any = None) -> ModelReply:
        return await self.routed(()).plan(prompt, deadline=deadline, shape=shape)

    async def health(self) -> ProviderHealth:
        snap = self.snapshot()
        detail = "; ".join(f"{n}: {d}" for n, d in snap["providers"].items())
        return ProviderHealth(healthy=not self.queue_only, detail=f"{snap['state']}: {detail}")

    async def ask(self, indices: Sequence[int], prompt: str, deadline: float,
                  call: Call) -> ModelReply:
        """Ask the brains `indices` in turn until one answers; each gets its share of what
        is left (Split), the last one all of it."""
        tried: list[str] = []
        down: list[Down] | None = []  # None once a failure was the work's
        # The last brain asked had all that was left: its deadline miss is the call's, kept
        # typed on the error raised here (the ledger's call record and eval count it).
        missed = False
        for k, i in enumerate(rest := self.asked(indices)):
            left = deadline - self.clock()
            if left <= 0:
                raise DeadlineMissed("; ".join([*tried, "no provider answered: the deadline "
                                                    "passed before the next provider was asked"]))
            provider, health = self.providers[i], self.records[i]
            try:
                reply = await call(provider, self._share(rest[k + 1:], prompt, left, deadline))
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a provider's bug is its failure, classified
                mode = await self._mode(provider, exc)
                await self._failed(i, mode, exc)
                if mode is FailureMode.CONTENT and isinstance(exc, ProviderError):
                    raise
                tried.append(f"{provider.name}: {mode.value}: {exc}")
                missed = bool(getattr(exc, "deadline_missed", False))
                if down is not None and is_outage(mode, exc):
                    down.append(Down(provider.name, mode.value, address(provider)))
                else:
                    down = None
                continue
            if health.failing:
                await self._changed(health.succeeded, f"{provider.name} answered again")
            return reply
        why = "; ".join(tried) or "every provider is in backoff (QUEUE_ONLY)"
        if down is None:
            raise ProviderError(f"no provider answered: {why}"[:2000], deadline_missed=missed)
        raise BrainsUnreachable(f"no provider answered: {why}"[:2000],
                                down=down or self._in_backoff(indices),
                                wait=lambda who: self.wait_for(indices, who))

    async def _mode(self, provider: CandidateProvider, exc: BaseException) -> FailureMode:
        """classify(exc), except a reply cut short that no server status explains (a stream
        that ended without its end): when the server then does not answer at all, it died
        under the reply (llama.cpp's server killed mid-reply ends its stream cleanly) and
        the failure is CONNECTION. A server that still answers misbehaved: SERVER_ERROR."""
        mode = classify(exc)
        if mode is FailureMode.SERVER_ERROR and getattr(exc, "status", None) is None \
                and address(provider) is not None and (await _health(provider)).unreachable:
            return FailureMode.CONNECTION
        return mode

    def _in_backoff(self, indices: Sequence[int]) -> list[Down]:
        return [Down(self.providers[i].name, (self.records[i].mode or FailureMode.CONNECTION)
                     .value, address(self.providers[i])) for i in indices]

    async def wait_for(self, indices: Sequence[int], who: str) -> float:
        """Return once one of the brains `indices` may be asked again: a probe passed, a
        call answered, or its backoff ran out. `who` (an op id) is counted in `down()`
        meanwhile. The seconds waited."""
        started = self.clock()
        self.waiters[who] = (time.time(), tuple(self.providers[i].name for i in indices))
        try:
            while not self.asked(indices):
                back, now = self._back, self.clock()
                eta = min((self.records[i].eta for i in indices), default=now)
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(max(0.0, eta - now)):
                        await back.wait()
        finally:
            self.waiters.pop(who, None)
        return self.clock() - started

    async def check_at_start(self) -> list[Down]:
        """Ask each HTTP brain's server once, at the daemon's start: one that does not
        answer at all is a CONNECTION failure now (no op is started for it to fail; the
        prober watches it), not at the first op's call. The brains found down."""
        http = [(i, p, url) for i, p in enumerate(self.providers) if (url := address(p))]
        # at once: a server that hangs costs the start its timeout once, not once a brain
        healths = await asyncio.gather(*(_health(p) for _, p, _ in http))
        found: list[Down] = []
        for (i, provider, url), health in zip(http, healths, strict=True):
            await self._listing(provider, health)
            if health.unreachable:
                found.append(Down(provider.name, FailureMode.CONNECTION.value, url))
                await self._changed(
                    lambda i=i: self.records[i].failed(FailureMode.CONNECTION, self.clock()),
                    f"{provider.name} does not answer at start: {what_to_start(url)}")
                self._wake.set()
        return found

    def _share(self, after: Sequence[int], prompt: str, left: float, deadline: float) -> float:
        """The deadline of the brain asked now: all of it when none follows, else its share
        with the next brain's reserve kept."""
        if self.split is None or not after:
            return deadline
        keep = self.split.reserve(self.providers[after[0]].name, prompt)
        return self.clock() + first_share(self.split.table, left, keep)

    async def _failed(self, i: int, mode: FailureMode, exc: BaseException) -> None:
        name = self.providers[i].name
        retry_after = getattr(exc, "retry_after_s", None)
        await self._changed(
            lambda: self.records[i].failed(mode, self.clock(), retry_after),
            f"{name} failed ({mode.value}): {type(exc).__name__}: {exc}"[:500],
            tokens={"prompt": getattr(exc, "prompt_tokens", 0),
                    "completion": getattr(exc, "completion_tokens", 0)})
        self._wake.set()  # the prober has a new provider to watch

    async def _changed(self, change: Callable[[], None], what: str, **data: Any) -> None:
        before = self.state
        change()
        self._back.set()  # a waiting op looks again (wait_for)
        self._back = asyncio.Event()
        after = self.state
        msg = f"failback: {what}" + (f"; {before.value} -> {after.value}" if after != before
                                     else f"; still {after.value}")
        log.info("failback", what=what, state=after.value)
        if self.record is not None:
            try:
                await self.record(msg, {"state": after.value, "from": before.value,
                                        **self.snapshot(), **data})
            except Exception:  # the ledger's trouble must not turn into the provider's
                log.exception("failback event not recorded")
        if after != before and self.on_change is not None:
            self.on_change()

    async def probe_forever(self) -> None:
        """Probe providers in backoff when due; owned by the daemon's task group."""
        while True:
            due = [(h.next_probe, i) for i, h in enumerate(self.records)
                   if h.failing and not h.probed_ok and h.next_probe != math.inf]
            wait = min(due)[0] - self.clock() if due else math.inf
            if wait > 0:
                self._wake.clear()
                try:
                    async with asyncio.timeout(None if wait == math.inf else wait):
                        await self._wake.wait()
                except TimeoutError:
                    pass
                continue
            await self.probe(min(due)[1])

    async def _listing(self, provider: CandidateProvider, health: ProviderHealth) -> None:
        """Say once that a brain's server answers without listing its model (the user's
        configuration error, not an outage: status and the ledger show it until it lists
        the model); the brain is asked all the same."""
        if not health.model_unlisted or not health.healthy:
            if health.healthy:
                self.unlisted.pop(provider.name, None)
            return
        if provider.name not in self.unlisted:
            self.unlisted[provider.name] = health.detail
            log.warning("brain model not listed", brain=provider.name, detail=health.detail)
            if self.record is not None:
                with contextlib.suppress(Exception):  # the ledger's trouble is not the brain's
                    await self.record(f"failback: {health.detail}",
                                      {"model_unlisted": provider.name, **self.snapshot()})

    async def probe(self, i: int) -> bool:
        provider, health = self.providers[i], self.records[i]
        answer = await _health(provider)  # one that raises is a failed probe
        await self._listing(provider, answer)
        if ok := answer.healthy:
            await self._changed(health.probe_passed, f"{provider.name} probe passed")
        else:
            health.probe_failed(self.clock())
        return ok


async def _health(provider: CandidateProvider) -> ProviderHealth:
    """A provider's health within the probe's timeout; one that raises did not answer."""
    try:
        async with asyncio.timeout(PROBE_TIMEOUT_S):
            return await provider.health()
    except asyncio.CancelledError:
        raise
    except Exception:
        return ProviderHealth(healthy=False, unreachable=True)


class RoutedChain:
    """A route's brains of a ProviderChain, as one CandidateProvider
    (governance.phases.route_brains)."""

    def __init__(self, chain: ProviderChain, indices: Sequence[int]):
        self.chain, self.indices = chain, list(indices)
        self.brains = [chain.providers[i].name for i in self.indices]
        self.name = "+".join(self.brains)
        self.takes_shape = chain.takes_shape

    def ready(self) -> list[str]:
        """The route's brains not in backoff now, in the order they will be asked."""
        return [self.chain.providers[i].name for i in self.chain.asked(self.indices)]

    async def generate(self, prompt: str, *, deadline: float, steer: Steering | None = None,
                       shape: Any = None) -> ModelReply:
        return await self.chain.ask(self.indices, prompt, deadline, lambda p, d: p.generate(
            prompt, deadline=d, steer=steer, **shaped(p, shape)))

    @property
    def takes_samples(self) -> bool:
        """Whether the brain asked first now decodes best-of-N's samples together."""
        ready = self.chain.asked(self.indices)
        return bool(ready) and batches(self.chain.providers[ready[0]])

    @property
    def parallel_samples(self) -> bool:
        """Whether the brain asked first now takes best-of-N's samples as calls at once."""
        ready = self.chain.asked(self.indices)
        return bool(ready) and asks_in_parallel(self.chain.providers[ready[0]])

    async def generate_samples(self, prompt: str, n: int, *, deadline: float,
                               steer: Steering | None = None,
                               shape: Any = None) -> list[ModelReply]:
        """`n` samples from the first brain that answers (governance.brains.provider
        .samples_of), failing over as generate does."""
        return await self.chain.ask(self.indices, prompt, deadline, lambda p, d: samples_of(
            p, prompt, n, deadline=d, steer=steer, shape=shape))

    async def plan(self, prompt: str, *, deadline: float, shape: Any = None) -> ModelReply:
        return await self.chain.ask(self.indices, prompt, deadline, lambda p, d: p.plan(
            prompt, deadline=d, **shaped(p, shape)))

    async def health(self) -> ProviderHealth:
        return await self.chain.health()
