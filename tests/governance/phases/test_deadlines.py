"""Time bounds: the seed's route timeouts, a generation deadline that starts with the op's own
turn at the model, a bounded wait for that turn, and the op's wall-clock ceiling."""

from __future__ import annotations

import asyncio
import json
import time

import pytest

from daemon.config.settings import Settings
from daemon.op_handle import OpHandle
from daemon.service import Daemon
from daemon.status.text import status_text
from governance.fs.rollback import RollbackSnapshot
from governance.phase import Phase, Transition
from governance.phases.orchestrator import Orchestrator
from governance.phases.pipeline import PHASES
from governance.routes.routing import Route
from kernel.replay import ReplayProvider, ReplayTurn
from ledger import Ledger
from tests.helpers import (
    make_policy,
    op_context,
    pipeline_deps,
    run_op,
    tree_bytes,
    with_routes,
)

NO_OP = json.dumps({"schema": "candidate.1", "no_op": True, "rationale": "already fine"})


@pytest.mark.parametrize("route,seconds", [(Route.IMMEDIATE, 60), (Route.STANDARD, 120),
                                           (Route.COMPLEX, 180), (Route.BACKGROUND, 180)])
def test_route_timeouts_are_the_seeds_with_five_seconds_grace(route, seconds):
    spec = make_policy().routes.spec(route.value)
    assert (spec.timeout_s, spec.grace_s) == (seconds, 5)
    assert spec.budget_s >= seconds


def test_an_op_without_a_route_gets_standards_contract():
    assert make_policy().routes.spec(None).route is Route.STANDARD


def _slow_model(turns: int, delay_s: float) -> ReplayProvider:
    return ReplayProvider([ReplayTurn(purpose="generate", text=NO_OP, delay_s=delay_s)
                           for _ in range(turns)])


async def _run_together(short_tmp, repo, provider, policy, n: int):
    ledger = await Ledger.open(short_tmp / "l.db")
    deps = pipeline_deps(repo, ledger, provider, policy=policy)  # one deps: one model gate
    ctxs = [op_context(goal=f"op {i}", dedup_key=f"k{i}") for i in range(n)]
    try:
        ends = await asyncio.gather(*(Orchestrator(PHASES, deps).run(c) for c in ctxs))
        chains = [await ledger.chain(c.op_id) for c in ctxs]
    finally:
        await ledger.close()
    return ends, chains


@pytest.mark.slow
async def test_a_queued_op_still_gets_its_full_deadline(repo, short_tmp):
    """Three ops, one model whose every turn takes 0.4 s, a 0.6 s deadline: the third op
    queues 0.8 s (longer than its deadline) and still gets its whole 0.6 s."""
    policy = with_routes(make_policy(), timeout_s=0.6, budget_s=0.6, grace_s=0.0)
    started = time.monotonic()
    ends, chains = await _run_together(short_tmp, repo, _slow_model(3, 0.4), policy, 3)
    assert ends == [Phase.COMPLETE] * 3
    assert time.monotonic() - started >= 1.2  # the turns were taken one at a time
    waits = [th["data"]["waited_s"] for c in chains for th in c["thoughts"]
             if th["msg"] == "model turn after queueing"]
    assert waits and max(waits) > 0.6


@pytest.mark.slow
async def test_waiting_for_the_model_is_bounded_separately(repo, short_tmp):
    ends, chains = await _run_together(short_tmp, repo, _slow_model(2, 1.0),
                                       make_policy(model_wait_timeout_s=0.3), 2)
    assert sorted(ends) == sorted([Phase.COMPLETE, Phase.POSTMORTEM])
    starved = chains[ends.index(Phase.POSTMORTEM)]
    assert "no turn at the model: waited" in starved["transitions"][-1]["reason"]
    assert starved["model_calls"] == []  # it never reached the model


async def test_status_shows_how_long_an_op_has_waited_for_the_model(repo):
    daemon = Daemon(repo, Settings())
    holder, waiter = OpHandle(op_context(goal="a")), OpHandle(op_context(goal="b"))
    daemon.ops = {h.ctx.op_id: h for h in (holder, waiter)}
    release = asyncio.Event()

    async def hold():
        async with daemon.model_gate.turn(holder.ctx.op_id, None):
            await release.wait()

    async def queue():
        async with daemon.model_gate.turn(waiter.ctx.op_id, None):
            pass

    tasks = [asyncio.create_task(hold())]
    await asyncio.sleep(0.01)
    tasks.append(asyncio.create_task(queue()))
    await asyncio.sleep(0.2)
    status = await daemon.status()
    rows = {r.op_id: r for r in status.in_flight}
    assert rows[holder.ctx.op_id].waiting_for_model_s is None
    assert rows[waiter.ctx.op_id].waiting_for_model_s >= 0.2
    assert status.model_turn == holder.ctx.op_id
    assert "waiting for the model" in status_text(status)
    release.set()
    await asyncio.gather(*tasks)
    assert (await daemon.status()).in_flight[1].waiting_for_model_s is None


@pytest.mark.slow
async def test_the_wall_clock_ceiling_reaps_a_wedged_op_before_apply(repo, short_tmp):
    async def wedged(ctx, d):
        await asyncio.sleep(30)
        return Transition(Phase.GATE, "never")

    started = time.monotonic()
    end, chain, _ = await _validate_only(repo, short_tmp, wedged)
    assert end is Phase.POSTMORTEM
    assert time.monotonic() - started < 10
    last = chain["transitions"][-1]
    assert "wall-clock ceiling of 0.5s passed (during VALIDATE)" in last["reason"]
    assert last["payload"]["reaped"] is True


async def test_a_model_step_is_never_given_more_than_the_ceiling(repo, short_tmp):
    """A model slower than the whole ceiling: its step's deadline is the ceiling, so the
    model call itself ends (and says so) instead of being reaped mid-call."""
    end, chain = await run_op(repo, short_tmp / "l.db", "calc/ops.py",
                              provider=_slow_model(1, 30.0), policy=make_policy(op_ceiling_s=0.5))
    assert end is Phase.POSTMORTEM
    [grant] = [t["data"] for t in chain["thoughts"] if t["msg"] == "model deadline"]
    assert (grant["deadline_s"], grant["rule"]) == (0.5, "op ceiling")
    assert "deadline" in chain["transitions"][-1]["reason"]


@pytest.mark.slow
async def test_the_ceiling_after_apply_rolls_back_byte_identically(repo, short_tmp):
    before = tree_bytes(repo)
    ledger = await Ledger.open(short_tmp / "l.db")

    async def apply(ctx, d):
        snap = RollbackSnapshot.capture(d.state_dir, ctx.op_id, d.root, ["calc/ops.py"])
        ctx.rollback_dir, ctx.applied = str(snap.directory), True
        (d.root / "calc" / "ops.py").write_text("half-written")
        await asyncio.sleep(0.6)  # APPLY is not interrupted, even past the ceiling
        return Transition(Phase.VERIFY, "applied")

    async def verify(ctx, d):
        await asyncio.sleep(60)
        return Transition(Phase.COMPLETE, "never")

    phases = dict(PHASES)
    phases.update({Phase.APPLY: apply, Phase.VERIFY: verify})
    deps = pipeline_deps(repo, ledger, _slow_model(1, 0.0), policy=make_policy(op_ceiling_s=0.4))
    try:
        ctx = op_context()
        ends = await _skip_to_apply(phases, deps, ctx)
        chain = await ledger.chain(ctx.op_id)
    finally:
        await ledger.close()
    assert ends is Phase.POSTMORTEM
    last = chain["transitions"][-1]
    assert "(before VERIFY); reaped" in last["reason"]
    assert last["payload"]["rolled_back"] == ["calc/ops.py"]
    assert tree_bytes(repo) == before


async def _skip_to_apply(phases, deps, ctx, keep: Phase | None = None):
    """GENERATE answers straight into APPROVE -> APPLY (the gates are not under test);
    `keep` leaves that phase's function as the caller set it."""
    async def generate(c, d):
        return Transition(Phase.VALIDATE, "scripted")

    async def validate(c, d):
        return Transition(Phase.GATE, "scripted")

    async def gate(c, d):
        return Transition(Phase.APPROVE, "scripted")

    async def approve(c, d):
        return Transition(Phase.APPLY, "scripted")

    scripted = {Phase.GENERATE: generate, Phase.VALIDATE: validate, Phase.GATE: gate,
                Phase.APPROVE: approve}
    phases.update({p: fn for p, fn in scripted.items() if p is not keep})
    return await Orchestrator(phases, deps).run(ctx)


@pytest.mark.slow
async def test_waiting_for_approval_is_off_the_ceilings_clock(repo, short_tmp):
    ledger = await Ledger.open(short_tmp / "l.db")

    async def approve(ctx, d):
        await asyncio.sleep(0.6)  # a person taking longer than the whole ceiling
        return Transition(Phase.APPLY, "approved")

    async def apply(ctx, d):
        return Transition(Phase.VERIFY, "applied")

    async def verify(ctx, d):
        return Transition(Phase.COMPLETE, "verified")

    phases = dict(PHASES)
    phases.update({Phase.APPROVE: approve, Phase.APPLY: apply, Phase.VERIFY: verify})
    deps = pipeline_deps(repo, ledger, _slow_model(1, 0.0), policy=make_policy(op_ceiling_s=0.4))
    try:
        assert await _skip_to_apply(phases, deps, op_context(), keep=Phase.APPROVE) \
            is Phase.COMPLETE
    finally:
        await ledger.close()


@pytest.mark.slow
async def test_the_plan_queues_for_the_model_too(repo, short_tmp):
    """PLAN takes its turn at the model like GENERATE; a turn that never comes is a soft
    fall-through to the default approach, not a deadline spent while queueing."""
    from governance.phases.plan import plan_phase

    ledger = await Ledger.open(short_tmp / "l.db")
    provider = ReplayProvider([ReplayTurn(purpose="plan", text="{}")])
    deps = pipeline_deps(repo, ledger, provider, policy=make_policy(model_wait_timeout_s=0.2))
    ctx = op_context("calc/ops.py", "calc/__init__.py", goal="two files")
    ctx.route = Route.STANDARD.value
    try:
        async with deps.model_gate.turn("op-other", None):  # another op holds the model
            t = await plan_phase(ctx, deps)
    finally:
        await ledger.close()
    assert t.to is Phase.GENERATE and t.reason.startswith("plan skipped, default approach")
    assert "waited 0.2s for the model" in t.reason and provider.prompts == []


async def test_waiting_for_the_host_is_off_the_op_s_clock(repo, short_tmp):
    """A busy host holds the op at its next test run for longer than its whole ceiling:
    the op goes on afterwards, as APPROVE's wait for a human would; the same time spent
    working is reaped (the test above)."""
    waits: list[tuple[str, str]] = []

    async def busy_host(op_id: str, what: str) -> None:
        waits.append((op_id, what))
        await asyncio.sleep(0.8)  # the human's machine stays busy past the 0.5 s ceiling

    async def validate(ctx, d):
        await d.validate_runner.before()  # where a jailed run starts: it waits first
        return Transition(Phase.POSTMORTEM, "validated after the wait")

    end, chain, op_id = await _validate_only(repo, short_tmp, validate, host_yield=busy_host)
    assert end is Phase.POSTMORTEM
    assert chain["transitions"][-1]["reason"] == "validated after the wait"
    assert waits == [(op_id, "a test run")]


async def _validate_only(repo, short_tmp, validate, **deps):
    """An op whose GENERATE is scripted and whose VALIDATE is `validate`, under a 0.5 s
    ceiling: (its end, its ledger chain, its id)."""
    ledger = await Ledger.open(short_tmp / "l.db")

    async def generate(ctx, d):
        return Transition(Phase.VALIDATE, "scripted")

    phases = dict(PHASES)
    phases.update({Phase.GENERATE: generate, Phase.VALIDATE: validate})
    made = pipeline_deps(repo, ledger, _slow_model(1, 0.0), policy=make_policy(
        op_ceiling_s=0.5), **deps)
    try:
        ctx = op_context()
        end = await Orchestrator(phases, made).run(ctx)
        return end, await ledger.chain(ctx.op_id), ctx.op_id
    finally:
        await ledger.close()
