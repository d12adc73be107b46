"""What `ouroboros ledger OP` and `ouroboros status` print about L2 self-repair and the
re-ground reflex: real ops (a real git repo, the real pipeline and jailed pytest, the model
played by the replay provider) rendered by daemon.cli.render, as a user reads them; and the
ledger verb's --limit."""

from __future__ import annotations

import asyncio
import json

import pytest

from daemon.cli import main
from daemon.cli.render import chain_text
from daemon.status.text import status_text
from governance.brains.reflex import ReflexStats
from governance.phase import Phase
from kernel.replay import ReplayProvider, ReplayTurn
from tests.helpers import OPS_BROKEN, OPS_FIXED, make_policy, run_op
from tests.status_sample import sample_status

TARGET = "calc/ops.py"
NO_RETRY = make_policy(max_generate_retries=0, max_validate_retries=0)
COLLAPSED = {"collapse_proximity": 0.95, "exit_reason": "collapse"}


def _turn(content: str, match: str | None = None, telemetry: dict | None = None) -> ReplayTurn:
    text = json.dumps({"schema": "candidate.1", "file_path": TARGET, "full_content": content,
                       "rationale": "clamp into range"})
    return ReplayTurn.model_validate({"purpose": "generate", "text": text, "match": match,
                                      "telemetry": telemetry})


def _repair(n: int, content: str) -> ReplayTurn:
    return _turn(content, match=f"L2 self-repair, iteration {n} ")


def _detail(shown: str, msg: str) -> dict:
    """The data line under the first thought whose message is `msg`."""
    lines = shown.splitlines()
    at = next(i for i, line in enumerate(lines) if line.endswith(f": {msg}"))
    return json.loads(lines[at + 1])


@pytest.mark.slow
async def test_a_refused_repair_says_why_and_both_l2_clocks_are_shown(repo, short_tmp):
    padded = OPS_FIXED + "".join(f"# padding {i}\n" for i in range(200))
    provider = ReplayProvider([_turn(OPS_BROKEN), _repair(1, padded), _repair(2, OPS_FIXED)])
    end, chain = await run_op(repo, short_tmp / "l.db", TARGET, provider=provider,
                              policy=NO_RETRY)
    assert end is Phase.COMPLETE, chain["transitions"][-1]["reason"]
    shown = chain_text(chain)
    clocks = _detail(shown, "L2 deadline reconciliation")
    assert clocks["l2_timebox_s"] == 120.0 and clocks["downstream_s"] == 90.0
    assert clocks["winning_cap"] == "pipeline_remaining"  # 360 s ceiling > 120 + 90
    assert clocks["effective_s"] == clocks["pipeline_remaining_s"] > 210.0
    refused = _detail(shown, "L2 iteration 1: retry")
    assert refused["failure_class"] == "refused"
    # 200 padding lines plus the two lines the repair fixes, against the current candidate
    assert refused["problems"] == ["the repair patch changes 204 lines (at most 150)"]
    assert (refused["iteration"], refused["max_iterations"]) == (1, 5)
    assert refused["left_s"] > 0
    converged = _detail(shown, "L2 iteration 2: converged")
    assert converged["decision"] == "converged" and "why" not in converged
    started = _detail(shown, "L2 started")
    assert started["failing"] == ["tests/test_ops.py::test_add"]
    assert "on_live" not in started  # said only when an applied change is being repaired
    order = [shown.index(s) for s in ("VALIDATE -> L2_REPAIR", "L2 deadline reconciliation",
                                      "L2 started", "L2 iteration 1", "L2 iteration 2",
                                      "L2_REPAIR -> GATE")]
    assert order == sorted(order)


@pytest.mark.slow
async def test_a_reground_shows_its_budget_and_each_reply_its_proximity(repo, short_tmp):
    provider = ReplayProvider([_turn(OPS_BROKEN, telemetry=COLLAPSED), _turn(OPS_FIXED)])
    end, chain = await run_op(repo, short_tmp / "l.db", TARGET, provider=provider,
                              policy=NO_RETRY, reflex_stats=ReflexStats())
    assert end is Phase.COMPLETE, chain["transitions"][-1]["reason"]
    shown = chain_text(chain)
    grounding = _detail(shown, "canary collapse: re-grounding")
    assert grounding == {"exit_reason": "collapse", "source": "script",
                         "proximity_before": 0.95, "regrounds": 1, "budget": 2}
    recovered = _detail(shown, "re-ground recovered")
    assert recovered["proximity_before"] == 0.95 and recovered["proximity_after"] < 0.7
    calls = [line for line in shown.splitlines() if line.lstrip().startswith("model ")]
    assert "exit_reason=collapse collapse_proximity=0.95(script)" in calls[0]
    assert "ok collapse_proximity=" in calls[1]  # stated nothing: the text detector read it
    assert "(text)" in calls[1]
    assert not any("exit_reason= " in c or "ok  " in c for c in calls)
    assert shown.index("re-ground recovered") < shown.index("GENERATE -> VALIDATE")


@pytest.mark.slow
async def test_a_spent_reground_budget_is_shown_with_the_count(repo, short_tmp):
    provider = ReplayProvider([_turn(OPS_BROKEN, telemetry=COLLAPSED)] * 2)
    end, chain = await run_op(repo, short_tmp / "l.db", TARGET, provider=provider,
                              policy=make_policy(max_generate_retries=0, reground_budget=1))
    assert end is Phase.POSTMORTEM
    shown = chain_text(chain)
    spent = _detail(shown, "canary collapse: no re-ground (budget spent)")
    assert (spent["regrounds"], spent["budget"]) == (1, 1)
    assert _detail(shown, "re-ground did not recover")["proximity_after"] == 0.95


def _chain_with(*thoughts: tuple[str, dict]) -> dict:
    return {"operation": {"op_id": "op-1", "source": "s", "session_id": "x", "goal": "g"},
            "transitions": [], "model_calls": [], "tool_calls": [],
            "thoughts": [{"ts": f"t{i}", "phase": "GENERATE", "msg": msg, "data": data}
                         for i, (msg, data) in enumerate(thoughts)]}


def test_a_spook_shows_the_budget_it_deflated():
    shown = chain_text(_chain_with(("canary spook", {
        "round": 2, "proximity_before": 0.1, "proximity_after": 0.5, "source": "canary",
        "factor": 0.6, "remaining_s": 41.5, "token_scale": 0.6})))
    assert _detail(shown, "canary spook") == {
        "round": 2, "source": "canary", "proximity_before": 0.1, "proximity_after": 0.5,
        "factor": 0.6, "remaining_s": 41.5, "token_scale": 0.6}


def test_thought_data_without_the_keys_or_hostile_values_still_renders():
    shown = chain_text(_chain_with(("a", {}), ("b", {"decision": "stop"}),
                                   ("c", {"on_live": True, "why": None}),
                                   ("d", {"problems": ["x" * 5000], "failing": []}),
                                   ("e", {"why": "\u202e\x00", "decision": None})))
    assert shown.count("think") == 5
    assert _detail(shown, "b") == {"decision": "stop"}
    assert _detail(shown, "c") == {"on_live": True}
    assert len(shown.splitlines()[-3]) < 700  # a huge problem is capped
    assert "\\u202e" in shown  # escaped, never a raw control character


def test_within_one_millisecond_an_event_sits_between_the_transitions_of_its_phase():
    """The ledger's timestamps are milliseconds and a replay model answers in none: an
    event in GENERATE goes after the transition into GENERATE and before the one out."""
    ts = "2026-11-21T10:00:00.000+00:00"
    chain = {"operation": {"op_id": "op-1", "source": "s", "session_id": "x", "goal": "g"},
             "transitions": [_transition(1, "PLAN", "GENERATE", ts),
                             _transition(2, "GENERATE", "VALIDATE", ts),
                             _transition(3, "VALIDATE", "L2_REPAIR", ts)],
             "model_calls": [{"ts": ts, "phase": "GENERATE", "provider": "p", "model": "m",
                              "prompt_tokens": 1, "completion_tokens": 1, "cost_usd": 0.0,
                              "latency_ms": 0.0, "ok": 1, "error": "", "telemetry": {}}],
             "tool_calls": [{"ts": ts, "tool": "read_file", "verdict": "ok",
                             "result_bytes": 9, "arguments": {"path": "a.py"}}],
             "thoughts": [{"ts": ts, "phase": p, "msg": m, "data": {}} for p, m in (
                 ("GENERATE", "re-ground recovered"),
                 ("L2_REPAIR", "L2 deadline reconciliation"),
                 ("CLASSIFY", "elsewhere"))]}
    rows = [line.strip().split(":")[0] for line in chain_text(chain).splitlines()[3:]]
    assert rows == ["#1   PLAN -> GENERATE", "model  GENERATE p/m in=1 out=1 $0.0000 0ms ok",
                    "tool   read_file ok 9B {\"path\"", "think  GENERATE",
                    "#2   GENERATE -> VALIDATE", "#3   VALIDATE -> L2_REPAIR",
                    "think  L2_REPAIR", "think  CLASSIFY"]


def _transition(seq: int, frm: str, to: str, ts: str) -> dict:
    return {"seq": seq, "ts": ts, "from_phase": frm, "to_phase": to, "reason": "r",
            "cost_delta": 0.0, "payload": {}}


def _status(**reflex: int) -> str:
    counts = {"spooks": 0, "collapses": 0, "regrounds": 0, "recoveries": 0, **reflex}
    return status_text(sample_status(reflex=counts))


def test_the_reflex_status_line_counts_in_words_since_the_daemon_started():
    assert ("reflex:   1 canary spook, 2 collapses, 1 re-ground, 1 recovered (since the "
            "daemon started)") in _status(spooks=1, collapses=2, regrounds=1, recoveries=1)
    assert "0 canary spooks, 0 collapses, 0 re-grounds, 0 recovered" in _status()


@pytest.mark.parametrize(("limit", "why"), [("0", "must be 1 or more, not 0"),
                                            ("-3", "must be 1 or more, not -3"),
                                            ("x", "not a whole number: 'x'")])
def test_ledger_limit_below_one_is_a_usage_error(limit, why, capsys):
    """--limit 0 printed "no operations recorded yet" over a full ledger; -3 listed all."""
    with pytest.raises(SystemExit) as exc:
        main(["ledger", "--list", "--limit", limit])
    assert exc.value.code == 2
    assert why in capsys.readouterr().err


@pytest.mark.slow
async def test_status_shows_the_l2_iteration_of_an_op_in_repair(repo, short_tmp):
    from tests.helpers import (
        add_todo_and_commit,
        candidate_turn,
        explore_turn,
        running_daemon,
        settings_for,
        write_script,
    )

    slow_fix = json.loads(candidate_turn(TARGET, OPS_FIXED))
    slow_fix.update(match="L2 self-repair, iteration 1 ", delay_s=3.0)
    script = write_script(short_tmp / "script.jsonl", explore_turn(),
                          candidate_turn(TARGET, OPS_BROKEN), json.dumps(slow_fix))
    settings = settings_for(script, governance={"max_validate_retries": 0})
    async with running_daemon(repo, settings) as daemon:
        add_todo_and_commit(repo)

        seen: list = []

        async def repairing() -> bool:  # the repair turn takes 3 s: status polls meanwhile
            s = await daemon.status()
            seen.extend(op for op in s.in_flight if op.l2_iteration == "1 of 5")
            return bool(seen) and "L2 iteration 1 of 5" in status_text(s)

        deadline = asyncio.get_running_loop().time() + 30
        while not await repairing():
            assert asyncio.get_running_loop().time() < deadline, "never saw L2 in status"
            await asyncio.sleep(0.05)
        assert seen[0].phase == "L2_REPAIR"
