"""Deadlines sized to the brain (issue 20 §2): each brain's speed measured from its own
calls, a model step's deadline derived from that speed and the prompt it is about to get
within the route's bounds, the deadline split between a route's brains, and a tool loop
its deadline ends handing the sandbox's edits to the gates."""

from __future__ import annotations

import json
import time

import pytest

from governance.brains.provider_chain import ProviderChain, Split
from governance.errors import DeadlineMissed
from governance.phase import Phase
from governance.routes.deadlines import WorkShape, first_share, grant, need_s, reserve_s
from governance.routes.routing import Route
from governance.routes.throughput import ASSUMED, BrainSpeeds, Speed, measured, observed
from governance.schemas import ModelUsage
from kernel.replay import ReplayProvider, ReplayTurn
from ledger import Ledger
from tests.helpers import (
    explore_calls,
    make_policy,
    op_context,
    pipeline_deps,
    run_op,
    tool_call,
    venom_config,
    with_routes,
)
from tools.venom import Venom

SLOW = Speed(prompt_tps=80.0, decode_tps=30.0, source="calls")  # the embedded model, AVX2
SHAPE = WorkShape(reply_tokens=1024, tool_rounds=5, round_tokens=1024)


def _table():
    return make_policy().routes


# -- speed ------------------------------------------------------------------------------

def test_a_reply_that_says_where_its_time_went_moves_each_rate_from_its_own_part():
    start = Speed(100.0, 10.0, "ledger")
    usage = ModelUsage(provider="kernel", prompt_tokens=4000, completion_tokens=60,
                       latency_ms=52_000, prefill_tokens=4000, prefill_ms=50_000)
    after = observed(start, usage)  # measured: 80 prompt tok/s, 30 reply tok/s
    assert 80 < after.prompt_tps < 100 and 10 < after.decode_tps < 30
    assert (after.source, after.samples) == ("calls", 1)
    for _ in range(30):
        after = observed(after, usage)
    assert after.prompt_tps == pytest.approx(80, rel=0.01)
    assert after.decode_tps == pytest.approx(30, rel=0.01)


def test_a_re_prompt_loop_counts_every_token_it_decoded():
    """Three loops decoded 90 tokens for a 30-token reply: the reply speed is 90 over the
    decode time, not 30 (which once drove the estimate to a tenth of the truth)."""
    start = Speed(80.0, 30.0, "calls")
    usage = ModelUsage(provider="kernel", prompt_tokens=4000, completion_tokens=30,
                       latency_ms=53_000, prefill_tokens=4000, prefill_ms=50_000,
                       decode_tokens=90)
    assert observed(start, usage).decode_tps == pytest.approx(30.0)
    assert measured(usage, "m").decode_tps == pytest.approx(30.0)


def test_a_reply_with_only_its_latency_scales_both_rates_by_the_miss():
    start = Speed(1000.0, 40.0, "assumed")
    predicted = start.seconds(2000, 200)  # 2 s + 5 s
    slow = ModelUsage(provider="openai:x", prompt_tokens=2000, completion_tokens=200,
                      latency_ms=predicted * 2 * 1000)  # it took twice as long
    after = observed(start, slow)
    assert after.prompt_tps < 1000 and after.decode_tps < 40
    assert after.prompt_tps / after.decode_tps == pytest.approx(25)


def test_the_first_reply_of_a_brain_known_only_by_the_assumption_replaces_it():
    """Qwen2.5-Coder-1.5B on two cores through llama.cpp's server: 2,693 prompt and 177
    reply tokens in 111.5 s, where the assumption said 7.1 s. Blended in, the next step's
    deadline was sized to 0.7x of the guess and passed before its first token."""
    start = Speed(1000.0, 40.0, ASSUMED)
    plan = ModelUsage(provider="qwen", prompt_tokens=2693, completion_tokens=177,
                      latency_ms=111_500)
    after = observed(start, plan)
    assert after.seconds(2693, 177) == pytest.approx(111.5)  # it predicts what it saw
    assert (after.source, after.samples) == ("calls", 1)
    again = observed(after, ModelUsage(provider="qwen", prompt_tokens=2693,
                                       completion_tokens=177, latency_ms=11_150))
    assert again.seconds(2693, 177) == pytest.approx(111.5 / (1 + 0.3 * 9))  # later: blended
    kernel = observed(start, ModelUsage(provider="k", prompt_tokens=4000, completion_tokens=60,
                                        latency_ms=52_000, prefill_tokens=4000,
                                        prefill_ms=50_000))
    assert (kernel.prompt_tps, kernel.decode_tps) == pytest.approx((80.0, 30.0))
    speeds = BrainSpeeds(start)  # from the ledger's rows too: the first row replaces it
    speeds.seed_from_calls([{"provider": "qwen", "prompt_tokens": 2693,
                             "completion_tokens": 177, "latency_ms": 111_500}])
    assert speeds.get("qwen").seconds(2693, 177) == pytest.approx(111.5)
    assert speeds.get("qwen").source == "ledger"


def test_calls_too_small_to_say_anything_change_nothing():
    start = Speed(1000.0, 40.0, "assumed")
    tiny = ModelUsage(provider="k", prompt_tokens=3, completion_tokens=1, latency_ms=1.0,
                      prefill_tokens=3, prefill_ms=0.5)
    assert observed(start, tiny) == start
    assert measured(tiny, "measured at start") is None


async def test_speeds_start_from_the_ledgers_recent_calls(short_tmp):
    ledger = await Ledger.open(short_tmp / "l.db")
    try:
        for _ in range(3):
            await ledger.record_model_call(
                "op-1", phase="GENERATE", provider="kernel", prompt_tokens=4000,
                completion_tokens=60, latency_ms=52_000,
                telemetry={"prefill": {"tokens": 4000, "ms": 50_000}})
        await ledger.record_model_call("op-1", phase="GENERATE", provider="kernel", ok=False,
                                       error="boom", latency_ms=1.0)
        rows = await ledger.recent_model_calls()
    finally:
        await ledger.close()
    speeds = BrainSpeeds(Speed(1000.0, 40.0, "assumed"))
    assert speeds.seed_from_calls(rows) == ["kernel"]
    known = speeds.get("kernel")
    assert known.source == "ledger" and known.samples == 3
    assert known.prompt_tps < 1000 * 0.5  # moved well toward the measured 80
    assert speeds.get("never-seen").source == "assumed"


# -- the deadline ------------------------------------------------------------------------

def test_a_slow_brain_is_given_what_its_prompt_needs_within_the_route_budget():
    table = _table()
    spec = table.spec(Route.BACKGROUND.value)  # 180 s timeout, 900 s budget
    fast = grant(table, spec, "openai:x", Speed(2000.0, 80.0, "calls"), 4000, SHAPE,
                 tools=True)
    assert (fast.seconds, fast.rule) == (spec.timeout_s, "route timeout")
    slow = grant(table, spec, "kernel", SLOW, 4000, SHAPE, tools=True)
    need = need_s(SLOW, 4000, SHAPE, tools=True)  # 50 s prefill + 5 rounds of replies
    assert slow.rule == "sized to the brain"
    assert slow.seconds == pytest.approx(need * table.margin)
    assert slow.seconds > spec.timeout_s  # the seed's 180 s would have cut it off
    huge = grant(table, spec, "kernel", SLOW, 60_000, SHAPE, tools=True)
    assert (huge.seconds, huge.rule) == (spec.budget_s, "route budget")
    assert huge.payload(spec)["speed"]["prompt_tps"] == 80.0


def test_the_next_brain_keeps_its_reserve_and_the_first_its_share():
    table = _table()  # primary_share 0.65, fallback_reserve_s 20
    assert reserve_s(table, None) == 0
    assert reserve_s(table, 4.0) == table.fallback_reserve_s
    assert reserve_s(table, 100.0) == pytest.approx(100 * table.margin)
    assert first_share(table, 100.0, 0.0) == 100.0
    assert first_share(table, 100.0, 20.0) == 80.0
    assert first_share(table, 100.0, 90.0) == pytest.approx(65.0)  # never below its share
    spec = table.spec(Route.STANDARD.value)
    both = grant(table, spec, "openai:x", Speed(2000.0, 80.0, "calls"), 4000, SHAPE,
                 tools=False, next_need_s=need_s(SLOW, 4000, SHAPE, tools=False))
    assert both.reserve_s > table.fallback_reserve_s and both.seconds > spec.timeout_s


async def test_a_hung_primary_leaves_the_fallback_its_reserve():
    """The primary would use the whole deadline; the chain cuts it at its share, so the
    fallback still answers inside the caller's deadline."""
    table = _table()
    seen: dict[str, float] = {}

    class Hung(ReplayProvider):
        async def generate(self, prompt, *, deadline, steer=None):
            seen["primary"] = deadline - time.monotonic()
            raise DeadlineMissed("the primary ran out of its share")

    primary, fallback = Hung([]), ReplayProvider([ReplayTurn(text="answer")])
    primary.name, fallback.name = "primary", "fallback"
    speeds = BrainSpeeds(Speed(1000.0, 40.0, "assumed"))
    chain = ProviderChain([primary, fallback], split=Split(table, speeds, reply_tokens=10))
    reply = await chain.routed(["primary", "fallback"]).generate(
        "p", deadline=time.monotonic() + 100)
    assert reply.text == "answer"
    assert seen["primary"] == pytest.approx(100 - table.fallback_reserve_s, abs=1)
    assert chain.records[0].failing and not chain.records[1].failing


def test_a_route_names_only_brains_that_exist():
    a, b = ReplayProvider([]), ReplayProvider([])
    a.name, b.name = "a", "b"
    chain = ProviderChain([a, b])
    assert chain.routed(["b"]).brains == ["b"]
    assert chain.routed([]).brains == ["a", "b"]
    with pytest.raises(ValueError, match="no brain named c"):
        chain.routed(["c"])


# -- through the pipeline --------------------------------------------------------------------

TARGET = "calc/ops.py"
FIX = tool_call("edit_file", path=TARGET, old="    return x\n",
                new="    return max(lo, min(x, hi))\n")


@pytest.mark.slow
async def test_a_deadline_inside_the_tool_loop_hands_the_edits_to_the_gates(repo, short_tmp):
    """The model explores, fixes clamp with a tool, and its next turn would miss the
    deadline: the edits so far are the candidate, judged like any other, and land."""
    provider = ReplayProvider([ReplayTurn(purpose="generate", text=explore_calls(TARGET)),
                               ReplayTurn(purpose="generate", text=FIX),
                               ReplayTurn(purpose="generate", text="late", delay_s=30)])
    venom = Venom(venom_config(), "tests run no jailed command here", repo.parent / "home")
    policy = with_routes(make_policy(max_generate_retries=0), timeout_s=5.0, budget_s=5.0)
    end, chain = await run_op(repo, short_tmp / "l.db", TARGET, provider=provider,
                              tools=venom, policy=policy)
    thoughts = [t["msg"] for t in chain["thoughts"]]
    assert "deadline reached: the sandbox's edits so far are the candidate" in thoughts
    assert "deadline reached: judging the partial candidate" in thoughts
    to_validate = next(t for t in chain["transitions"] if t["to_phase"] == "VALIDATE")
    assert to_validate["payload"]["partial"] is True
    assert end is Phase.COMPLETE, chain["transitions"][-1]["reason"]
    assert "max(lo, min(x, hi))" in (repo / TARGET).read_text()


async def test_a_deadline_before_any_edit_is_the_models_failure(repo, short_tmp):
    provider = ReplayProvider([ReplayTurn(purpose="generate", text=explore_calls(TARGET)),
                               ReplayTurn(purpose="generate", text="late", delay_s=30)])
    venom = Venom(venom_config(), "tests run no jailed command here", repo.parent / "home")
    policy = with_routes(make_policy(max_generate_retries=0), timeout_s=5.0, budget_s=5.0)
    end, chain = await run_op(repo, short_tmp / "l.db", TARGET, provider=provider,
                              tools=venom, policy=policy)
    assert end is Phase.POSTMORTEM
    assert "deadline" in chain["transitions"][-1]["reason"]


async def test_every_model_step_records_its_deadline_and_why(repo, short_tmp):
    script = [ReplayTurn(purpose="generate",
                         text=json.dumps({"schema": "candidate.1", "no_op": True,
                                          "rationale": "fine"}))]
    end, chain = await run_op(repo, short_tmp / "l.db", TARGET,
                              provider=ReplayProvider(script))
    assert end is Phase.COMPLETE
    route = next(t for t in chain["transitions"] if t["from_phase"] == "ROUTE")
    assert route["payload"]["brains"] == ["replay"] and "brains: replay" in route["reason"]
    [grant_line] = [t["data"] for t in chain["thoughts"] if t["msg"] == "model deadline"]
    assert grant_line["brain"] == "replay" and grant_line["rule"] == "route timeout"
    assert grant_line["deadline_s"] == grant_line["timeout_s"]
    assert grant_line["prompt_tokens"] > 0 and grant_line["speed"]["source"] == "assumed"


# -- PLAN only for brains whose plans were ever usable ------------------------------------

async def test_a_brain_whose_plans_are_noise_is_not_asked_again(repo, short_tmp):
    from governance.phases.plan import plan_phase

    ledger = await Ledger.open(short_tmp / "l.db")
    provider = ReplayProvider([ReplayTurn(purpose="plan", text="I think we should fix it")
                               for _ in range(3)])
    deps = pipeline_deps(repo, ledger, provider, policy=make_policy(plan_trials=2))
    ends = []
    try:
        for i in range(3):
            ctx = op_context("calc/ops.py", "calc/__init__.py", goal="two files",
                             dedup_key=f"k{i}")
            ctx.route = Route.STANDARD.value
            await ledger.record_operation(ctx.op_id, source="s", goal="g", session_id="s",
                                          envelope={})
            t = await plan_phase(ctx, deps)
            await ledger.append_transition(ctx.op_id, from_phase="PLAN", to_phase=t.to.value,
                                           reason=t.reason, payload=t.payload)
            ends.append(t)
        outcomes = await ledger.plan_outcomes()
    finally:
        await ledger.close()
    assert [t.payload.get("plan_usable") for t in ends] == [False, False, None]
    assert ends[2].reason.startswith("plan skipped, default approach: replay produced no "
                                     "usable plan in 2 tries")
    assert len(provider.prompts) == 2  # the third op never asked
    assert outcomes == {"replay": (2, 0)}  # what the next start seeds PlanRecord from


def test_no_step_is_given_more_than_the_ops_ceiling():
    table = _table()
    spec = table.spec(Route.COMPLEX.value)
    capped = grant(table, spec, "kernel", SLOW, 60_000, SHAPE, tools=True, ceiling_s=400.0)
    assert (capped.seconds, capped.rule) == (400.0, "op ceiling")


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -5.0])
def test_a_garbage_measurement_never_poisons_a_brains_speed(bad):
    """A ledger row (or a provider) with a NaN, infinite or negative time or count: the
    estimate stays what it was, so no deadline becomes NaN."""
    start = Speed(80.0, 30.0, "calls")
    rows = [ModelUsage(provider="k", prompt_tokens=4000, completion_tokens=60, latency_ms=bad),
            ModelUsage(provider="k", prompt_tokens=4000, completion_tokens=60,
                       latency_ms=50_000, prefill_tokens=4000, prefill_ms=bad),
            ModelUsage(provider="k", prompt_tokens=4000, completion_tokens=60,
                       latency_ms=50_000, prefill_tokens=4000, prefill_ms=40_000,
                       decode_tokens=int(bad) if bad == -5.0 else None)]
    for usage in rows:
        after = observed(start, usage)
        assert after.prompt_tps > 0 and after.decode_tps > 0
        assert after.prompt_tps == after.prompt_tps and after.decode_tps < float("inf")
