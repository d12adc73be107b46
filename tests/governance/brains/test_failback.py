"""The failback state machine (seed §40): its tables with the seed's numbers, the chain's
states, and a ProviderChain over replay providers (the named stand-in) whose scripts fail
the way servers do: the call moves on within its deadline, backoffs hold, probes bring a
provider back, QUEUE_ONLY refuses at once."""

from __future__ import annotations

import time

import pytest

from governance.brains.failback import (
    ADAPTIVE,
    BACKOFF,
    ChainState,
    FailureMode,
    Health,
    ProbeSchedule,
    recovery_eta_s,
    state_of,
)
from governance.brains.provider_chain import ProviderChain, classify
from governance.errors import DeadlineMissed, ProviderError
from kernel.replay import ReplayProvider, ReplayTurn


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize("mode, etas", [
    (FailureMode.RATE_LIMIT, [15, 30, 60, 120, 120]),
    (FailureMode.TIMEOUT, [45, 90, 180, 300, 300]),  # the seed's worked example
    (FailureMode.SERVER_ERROR, [60, 120, 240, 480, 600]),
    (FailureMode.CONNECTION, [120, 240, 480, 900, 900]),
    (FailureMode.CONTENT, [0, 0, 0, 0, 0]),
])
def test_recovery_eta_is_base_times_two_to_the_n_minus_one_capped(mode, etas):
    assert [recovery_eta_s(mode, n) for n in range(1, 6)] == etas
    assert recovery_eta_s(mode, 10_000) == BACKOFF[mode][1]  # no overflow far out


@pytest.mark.parametrize("until_eta, interval", [(600, 60), (61, 60), (60, 20), (31, 20),
                                                 (30, 10), (1, 10), (0, 5), (-100, 5)])
def test_probe_interval_shrinks_as_the_eta_nears(until_eta, interval):
    assert ADAPTIVE.interval_s(until_eta) == interval


def test_a_fixed_probe_interval_holds_whatever_the_eta():
    every = ProbeSchedule.every(2.5)
    assert [every.interval_s(u) for u in (900, 30, 0, -5)] == [2.5] * 4
    h = Health("p", schedule=every)
    h.failed(FailureMode.CONNECTION, 100.0)  # a 120 s backoff: probed in 2.5 s all the same
    assert (h.eta, h.next_probe) == (220.0, 102.5)
    h.probe_failed(103.0)
    assert h.next_probe == 105.5
    with pytest.raises(ValueError):
        ProbeSchedule.every(0)


def test_states_follow_the_records():
    clock = Clock()
    primary, fallback = Health("primary"), Health("fallback")
    records = [primary, fallback]
    assert state_of(records, clock.now) is ChainState.PRIMARY_ACTIVE
    primary.failed(FailureMode.CONTENT, clock.now)
    assert state_of(records, clock.now) is ChainState.PRIMARY_ACTIVE  # no penalty
    primary.failed(FailureMode.TIMEOUT, clock.now)
    assert state_of(records, clock.now) is ChainState.FALLBACK_ACTIVE
    fallback.failed(FailureMode.CONNECTION, clock.now)
    assert state_of(records, clock.now) is ChainState.QUEUE_ONLY
    clock.now += 45
    assert state_of(records, clock.now) is ChainState.DEGRADED  # the primary's ETA passed
    primary.failed(FailureMode.TIMEOUT, clock.now)  # the second in a row: 90 s
    assert primary.eta == clock.now + 90
    primary.probe_passed()
    assert state_of(records, clock.now) is ChainState.DEGRADED
    primary.succeeded()
    assert state_of(records, clock.now) is ChainState.PRIMARY_ACTIVE


def test_a_different_mode_restarts_the_count_and_retry_after_only_lengthens():
    h = Health("p")
    h.failed(FailureMode.RATE_LIMIT, 0.0)
    h.failed(FailureMode.RATE_LIMIT, 0.0)
    assert (h.consecutive, h.eta) == (2, 30.0)
    h.failed(FailureMode.SERVER_ERROR, 0.0)
    assert (h.consecutive, h.eta) == (1, 60.0)
    h.failed(FailureMode.RATE_LIMIT, 0.0, retry_after_s=100)
    assert h.eta == 100.0
    h.failed(FailureMode.RATE_LIMIT, 0.0, retry_after_s=10_000)
    assert h.eta == 120.0  # capped
    h.failed(FailureMode.RATE_LIMIT, 0.0, retry_after_s=float("nan"))
    assert h.eta == 60.0  # the third in a row; a NaN Retry-After is ignored


def _replay(name: str, *turns: dict) -> ReplayProvider:
    provider = ReplayProvider([ReplayTurn.model_validate(t) for t in turns])
    provider.name = name
    return provider


def _chain(*providers: ReplayProvider, clock: Clock | None = None):
    events: list[tuple[str, dict]] = []
    changes: list[str] = []

    async def record(msg: str, data: dict) -> None:
        events.append((msg, data))

    chain = ProviderChain(providers, record=record, on_change=lambda: changes.append("x"),
                          clock=clock or Clock())
    return chain, events, changes


def _deadline(chain: ProviderChain, s: float = 30.0) -> float:
    """A deadline on the chain's own clock (a fake one here): never mix it with the real
    monotonic clock, which reads below 1000 s on a machine booted minutes ago."""
    return chain.clock() + s


async def test_a_failing_primary_hands_the_same_call_to_the_fallback():
    clock = Clock()
    primary = _replay("primary", {"error": {"mode": "SERVER_ERROR", "message": "502"}},
                      {"text": "from the primary"})
    fallback = _replay("fallback", {"text": "from the fallback"}, {"text": "again"})
    chain, events, changes = _chain(primary, fallback, clock=clock)
    reply = await chain.generate("fix it", deadline=_deadline(chain))
    assert reply.text == "from the fallback" and reply.usage.provider == "fallback"
    assert chain.state is ChainState.FALLBACK_ACTIVE and changes == ["x"]
    [(msg, data)] = events
    assert "primary failed (SERVER_ERROR)" in msg and "PRIMARY_ACTIVE -> FALLBACK_ACTIVE" in msg
    assert data["providers"]["primary"].startswith("SERVER_ERROR x1, retry in 60s")
    assert (await chain.generate("next", deadline=_deadline(chain))).text == "again"
    assert primary.prompts == ["fix it"]  # in backoff: not asked
    clock.now += 60
    assert chain.state is ChainState.DEGRADED
    assert (await chain.generate("later", deadline=_deadline(chain))).text == "from the primary"
    assert chain.state is ChainState.PRIMARY_ACTIVE
    assert "primary answered again; DEGRADED -> PRIMARY_ACTIVE" in events[-1][0]


async def test_a_content_failure_is_the_caller_s_and_costs_no_backoff():
    primary = _replay("primary", {"error": {"mode": "CONTENT", "message": "400 bad request"}})
    fallback = _replay("fallback", {"text": "unused"})
    chain, _, _ = _chain(primary, fallback)
    with pytest.raises(ProviderError, match="400 bad request"):
        await chain.generate("x", deadline=_deadline(chain))
    assert fallback.prompts == [] and chain.state is ChainState.PRIMARY_ACTIVE


async def test_every_provider_down_is_queue_only_until_a_probe_passes():
    clock = Clock()
    primary = _replay("primary", {"error": {"mode": "CONNECTION"}}, {"text": "back"})
    fallback = _replay("fallback", {"error": {"mode": "RATE_LIMIT", "retry_after_s": 30}})
    chain, events, changes = _chain(primary, fallback, clock=clock)
    with pytest.raises(ProviderError, match="no provider answered: primary: CONNECTION"):
        await chain.generate("x", deadline=_deadline(chain))
    assert chain.queue_only and (await chain.health()).healthy is False
    with pytest.raises(ProviderError, match="QUEUE_ONLY"):
        await chain.generate("y", deadline=_deadline(chain))  # refused at once, nobody asked
    assert len(primary.prompts) == 1
    assert chain.snapshot()["next_probe_s"] == 10.0  # the fallback: 30 s to its ETA, not over 30
    primary.healthy = False
    assert not await chain.probe(0)
    assert chain.queue_only
    primary.healthy = True
    assert await chain.probe(0)
    assert chain.state is ChainState.DEGRADED and len(changes) == 3  # each state change
    assert "primary probe passed; QUEUE_ONLY -> DEGRADED" in events[-1][0]
    assert (await chain.generate("z", deadline=_deadline(chain))).text == "back"


async def test_a_provider_bug_is_classified_not_raised_raw():
    class Broken(ReplayProvider):
        async def generate(self, prompt, *, deadline, steer=None):
            raise RuntimeError("provider bug")

    broken = Broken([])
    broken.name = "broken"
    chain, events, _ = _chain(broken, _replay("fallback", {"text": "ok"}))
    assert (await chain.generate("x", deadline=_deadline(chain))).text == "ok"
    assert "broken failed (SERVER_ERROR): RuntimeError: provider bug" in events[0][0]


async def test_no_fallback_is_tried_once_the_deadline_passed():
    clock = Clock()
    primary = _replay("primary", {"error": {"mode": "TIMEOUT"}})
    fallback = _replay("fallback", {"text": "too late"})
    chain, _, _ = _chain(primary, fallback, clock=clock)
    primary_deadline = clock.now + 10

    async def slow_timeout(prompt, *, deadline, steer=None):
        clock.now += 10  # the primary used the whole budget before failing
        raise DeadlineMissed("generation missed its deadline after 12 tokens")

    primary.generate = slow_timeout
    with pytest.raises(ProviderError, match=r"primary: TIMEOUT.*deadline passed before"):
        await chain.generate("x", deadline=primary_deadline)
    assert fallback.prompts == []


def test_classification_of_what_providers_raise():
    assert classify(ProviderError("x", mode="RATE_LIMIT")) is FailureMode.RATE_LIMIT
    assert classify(DeadlineMissed("generation missed its deadline after 3 tokens")) \
        is FailureMode.TIMEOUT
    # typed, never read from the words: a message that mentions a deadline is not one
    assert classify(ProviderError("the deadline word in a server's error")) \
        is FailureMode.SERVER_ERROR
    assert classify(TimeoutError()) is FailureMode.TIMEOUT
    assert classify(ConnectionRefusedError()) is FailureMode.CONNECTION
    assert classify(ProviderError("x", mode="bogus")) is FailureMode.SERVER_ERROR
    assert classify(ValueError()) is FailureMode.SERVER_ERROR


async def test_the_probe_loop_probes_when_due_and_wakes_the_dispatcher():
    import asyncio

    primary = _replay("primary", {"error": {"mode": "SERVER_ERROR"}})
    chain, events, changes = _chain(primary, clock=time.monotonic)
    with pytest.raises(ProviderError):
        await chain.generate("x", deadline=_deadline(chain))
    # 60 s to the ETA: a probe every 20 s
    assert chain.queue_only and chain.records[0].next_probe > time.monotonic() + 10
    loop = asyncio.create_task(chain.probe_forever())
    await asyncio.sleep(0.05)  # a window in which an early probe would have run: the check
    assert chain.queue_only  # not due yet: nothing probed
    chain.records[0].next_probe = time.monotonic() + 0.05  # as if the time had come
    chain._wake.set()
    for _ in range(100):
        if not chain.queue_only:
            break
        await asyncio.sleep(0.02)
    loop.cancel()
    assert chain.state is ChainState.DEGRADED and changes[-1] == "x"
    assert "primary probe passed" in events[-1][0]
