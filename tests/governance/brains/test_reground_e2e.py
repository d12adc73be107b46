"""The re-ground reflex end to end: a real git repo, the real Orchestrator and phase table,
the real oracle (pytest), the model scripted (its telemetry states the collapses).

A collapsed reply is never applied; a re-ground then a good answer lands; the op's
re-ground budget spent is GENERATE_RETRY class `collapse` (no lesson about the code), then
POSTMORTEM; every collapse, re-ground and recovery is in the ledger and the counters.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from daemon.status.text import status_text
from governance.brains.reflex import ReflexStats, reground_steering
from governance.phase import Phase
from governance.phases.repeats import seed_for
from kernel.replay import ReplayProvider, ReplayTurn
from tests.helpers import (
    OPS_BROKEN,
    OPS_FIXED,
    OPS_PY,
    explore_calls,
    make_policy,
    run_op,
    tool_call,
    venom_config,
)
from tests.status_sample import sample_status
from tools.venom import Venom

TARGET = "calc/ops.py"
FIX = tool_call("edit_file", path=TARGET, old="    return x\n",
                new="    return max(lo, min(x, hi))\n")
COLLAPSED = {"collapse_proximity": 0.95, "exit_reason": "collapse"}


def _candidate(content: str, rationale: str = "clamp into range") -> str:
    return json.dumps({"schema": "candidate.1", "file_path": TARGET, "full_content": content,
                       "rationale": rationale})


def _turn(text: str, telemetry: dict | None = None) -> ReplayTurn:
    return ReplayTurn.model_validate({"purpose": "generate", "text": text,
                                      "telemetry": telemetry, "cost_usd": 0.0005})


async def _op(repo: Path, *turns: ReplayTurn, tools: bool = False, **policy: object):
    provider = ReplayProvider(list(turns))
    stats = ReflexStats()
    deps: dict = {"policy": make_policy(**policy), "reflex_stats": stats}
    if tools:
        deps["tools"] = Venom(venom_config(), "tests run no jailed command here",
                              repo.parent / "home")
    end, chain = await run_op(repo, repo.parent / "ledger.sqlite3", TARGET, provider=provider,
                              **deps)
    return end, chain, provider, stats


def _thoughts(chain: dict, prefix: str) -> list[dict]:
    return [t["data"] for t in chain["thoughts"] if t["msg"].startswith(prefix)]


def _phases(chain: dict) -> list[str]:
    return [t["to_phase"] for t in chain["transitions"]]


@pytest.mark.slow
async def test_a_collapsed_candidate_is_discarded_and_the_re_grounded_answer_lands(repo):
    # The collapsed reply states a candidate that would break `add`: it must never land.
    end, chain, provider, stats = await _op(
        repo, _turn(_candidate(OPS_BROKEN, "loop loop loop"), COLLAPSED),
        _turn(_candidate(OPS_FIXED)))
    assert end is Phase.COMPLETE, chain["transitions"][-1]
    assert (repo / TARGET).read_text() == OPS_FIXED
    assert "GENERATE_RETRY" not in _phases(chain)  # re-grounded inside the one attempt
    [grounded] = _thoughts(chain, "canary collapse: re-grounding")
    assert grounded["proximity_before"] == 0.95 and grounded["exit_reason"] == "collapse"
    assert grounded["regrounds"] == 1 and grounded["source"] == "script"
    [outcome] = _thoughts(chain, "re-ground recovered")
    assert outcome["proximity_before"] == 0.95 and outcome["proximity_after"] < 0.3
    # The re-grounded turn was steered; the prompt was rebuilt from the files on disk.
    [first, again] = provider.steers
    assert first is None and again == replace(reground_steering(1), seed=again.seed)
    op_id = chain["model_calls"][0]["op_id"]
    assert again.seed == seed_for(f"{op_id}#reground", 1)  # a decode of its own
    assert "def clamp(x, lo, hi):\n    return x" in provider.prompts[1]
    assert "loop loop loop" not in provider.prompts[1]
    assert stats.as_dict() == {"spooks": 0, "collapses": 1, "regrounds": 1, "recoveries": 1}
    calls = chain["model_calls"]
    assert [c["telemetry"]["collapse"]["exit_reason"] for c in calls] == ["collapse", ""]


@pytest.mark.slow
async def test_the_text_detector_alone_catches_a_looping_reply(repo):
    looping = _candidate(OPS_FIXED, rationale="I clamp x into range now. " * 25)
    end, chain, _, stats = await _op(repo, _turn(looping), _turn(_candidate(OPS_FIXED)))
    assert end is Phase.COMPLETE
    [grounded] = _thoughts(chain, "canary collapse: re-grounding")
    assert grounded["source"] == "text" and grounded["proximity_before"] >= 0.7
    assert stats.recoveries == 1


async def test_a_spent_re_ground_budget_is_a_collapse_retry_then_postmortem(repo):
    """reground_budget=1, max_generate_retries=1: attempt 1 collapses, re-grounds once,
    collapses again -> GENERATE_RETRY (class collapse); attempt 2 collapses with no
    re-ground left -> POSTMORTEM. Nothing of the collapsed text becomes a lesson."""
    secret = "LOOPING-TEXT-NOT-A-LESSON"
    turns = [_turn(_candidate(OPS_BROKEN, secret), COLLAPSED) for _ in range(3)]
    end, chain, provider, stats = await _op(repo, *turns, reground_budget=1,
                                            max_generate_retries=1)
    assert end is Phase.POSTMORTEM
    assert (repo / TARGET).read_text() == OPS_PY
    retry, last = chain["transitions"][-2], chain["transitions"][-1]
    assert retry["to_phase"] == "GENERATE_RETRY" and retry["payload"]["failure"] == "collapse"
    assert last["to_phase"] == "POSTMORTEM" and last["payload"]["failure"] == "collapse"
    assert "kept collapsing" in last["reason"] and "1 re-grounds" in last["reason"]
    assert "VALIDATE" not in _phases(chain)
    assert len(provider.prompts) == 3
    assert all(secret not in p and "previous attempt failed" not in p
               for p in provider.prompts)
    assert len(_thoughts(chain, "canary collapse: no re-ground (budget spent)")) == 2
    assert len(_thoughts(chain, "re-ground did not recover")) == 1
    assert stats.as_dict() == {"spooks": 0, "collapses": 3, "regrounds": 1, "recoveries": 0}


@pytest.mark.slow
async def test_inside_venoms_tool_loop_a_collapsed_edit_never_lands(repo):
    """Tools on: the collapsed round asks to wipe the target; the re-ground opens a fresh
    sandbox and transcript, explores again and lands the real fix."""
    wipe = tool_call("write_file", path=TARGET, content="garbage\n")
    end, chain, provider, stats = await _op(
        repo, _turn(explore_calls(TARGET)), _turn(wipe, COLLAPSED),
        _turn(explore_calls(TARGET)), _turn(FIX), _turn("clamped"), tools=True)
    assert end is Phase.COMPLETE, chain["transitions"][-1]
    assert (repo / TARGET).read_text() == OPS_FIXED
    assert "write_file" not in [c["tool"] for c in chain["tool_calls"]]
    assert "## You wrote" not in provider.prompts[2]  # the transcript was dropped
    # every re-grounded round is steered, with the re-ground's own seed
    assert provider.steers[2] == replace(reground_steering(1), seed=provider.steers[2].seed)
    assert provider.steers[2].seed is not None
    assert provider.steers[4] is not None and provider.steers[4].adapt
    [grounded] = _thoughts(chain, "canary collapse: re-grounding")
    assert grounded["round"] == 2
    assert stats.regrounds == 1 and stats.recoveries == 1
    text = status_text(sample_status(reflex=stats.as_dict()))
    assert ("reflex:   0 canary spooks, 1 collapse, 1 re-ground, 1 recovered (since the "
            "daemon started)") in text


@pytest.mark.slow
async def test_a_spook_is_a_ledger_event_and_a_counter(repo):
    end, chain, _, stats = await _op(
        repo, _turn(_candidate(OPS_FIXED), {"collapse_proximity": 0.5}))
    assert end is Phase.COMPLETE
    [spook] = _thoughts(chain, "canary spook")
    assert spook["proximity_after"] == 0.5 and spook["source"] == "script"
    assert stats.as_dict() == {"spooks": 1, "collapses": 0, "regrounds": 0, "recoveries": 0}


async def test_a_re_ground_the_steps_time_runs_out_in_is_a_collapse_not_a_missed_deadline(
        repo):
    """The collapsed reply took most of the step's time and its re-ground ran out of the
    rest: through llama.cpp's server on two cores a 120 s reply left 12 s, and sqlparse's
    op ended 'deadline missed' (stop 83). The turn is the collapse it was: the attempt is
    retried as one, and the next answer lands."""
    late = ReplayTurn.model_validate({"purpose": "generate", "text": _candidate(OPS_FIXED),
                                      "delay_s": 1e6})  # past any step's deadline
    end, chain, _, stats = await _op(
        repo, _turn(_candidate(OPS_BROKEN, "loop loop loop"), COLLAPSED), late,
        _turn(_candidate(OPS_FIXED)), max_generate_retries=1)
    assert end is Phase.COMPLETE, chain["transitions"][-1]
    assert (repo / TARGET).read_text() == OPS_FIXED
    retry = next(t for t in chain["transitions"] if t["to_phase"] == "GENERATE_RETRY")
    assert retry["payload"]["failure"] == "collapse", retry
    assert len(_thoughts(chain, "re-ground did not recover")) == 1
    assert stats.regrounds == 1 and stats.recoveries == 0
