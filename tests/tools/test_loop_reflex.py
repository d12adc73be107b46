"""The re-ground reflex inside the tool loop: a collapsed reply is recorded, then discarded
(its tool calls never run, it is never the final answer); spooks deflate what is left of
the round budget and are noted; a budget deflated to nothing re-grounds, not starves."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from governance.brains.reflex import Band
from governance.errors import ModelCollapsed, ProviderError
from governance.git.gitops import GitOps
from kernel.replay import ReplayProvider, ReplayTurn
from tests.helpers import loop_limits, make_policy, tool_call, tool_env, tool_loop
from tools.loop import ToolLoopCoordinator
from tools.policy import PolicyContext
from tools.workspace import Workspace

TARGET = "calc/ops.py"
WIPE = tool_call("write_file", path=TARGET, content="garbage\n")
READ = tool_call("read_file", path=TARGET)


def _turn(text: str, proximity: float | None = None, exit_reason: str = "") -> ReplayTurn:
    telemetry = None if proximity is None else {"collapse_proximity": proximity,
                                                 "exit_reason": exit_reason}
    return ReplayTurn.model_validate({"purpose": "generate", "text": text,
                                      "telemetry": telemetry})


def _loop(repo: Path, band: Band | None = None, **limits) -> tuple[ToolLoopCoordinator, dict]:
    ws = Workspace.create(repo, repo / ".ouroboros" / "sandboxes" / "op-reflex", [TARGET],
                          ".ouroboros")
    env = tool_env(workspace=ws, git=GitOps(repo), state_rel=".ouroboros", hidden=[])
    seen: dict = {"replies": [], "tools": [], "notes": []}

    async def on_reply(reply):
        seen["replies"].append(reply)

    async def on_tool(e):
        seen["tools"].append(e.tool)

    async def on_note(msg, data):
        seen["notes"].append((msg, data))

    loop = tool_loop(env, PolicyContext(ws.root, ".ouroboros"), loop_limits(**limits),
                               on_reply, on_tool, on_note, band=band or Band.of(make_policy()))
    return loop, seen


@pytest.mark.parametrize("stated", [
    {"proximity": 0.95, "exit_reason": "collapse"},  # the canary stopped the decode
    {"proximity": 0.71},  # at the threshold without the decode's verdict
])
async def test_a_collapsed_reply_with_tool_calls_runs_none_of_them(repo, stated):
    loop, seen = _loop(repo)
    provider = ReplayProvider([_turn(READ), _turn(WIPE, **stated), _turn("done")])
    with pytest.raises(ModelCollapsed) as caught:
        await loop.run(provider, "goal", deadline=time.monotonic() + 30)
    assert caught.value.round == 2 and caught.value.proximity == stated["proximity"]
    assert seen["tools"] == ["read_file"]  # the write never ran
    assert (loop.env.workspace.root / TARGET).read_text() == (repo / TARGET).read_text()
    assert len(seen["replies"]) == 2  # recorded before it was discarded
    assert len(provider.prompts) == 2  # and nothing was asked after it


async def test_a_collapsed_final_answer_is_never_accepted(repo):
    """Before the reflex, the last reply without tool calls was the answer, collapsed or
    not: a looping candidate could be applied."""
    loop, seen = _loop(repo)
    looping = json.dumps({"schema": "candidate.1", "file_path": TARGET,
                          "full_content": "return x\n",
                          "rationale": "I will return x now. " * 20})
    provider = ReplayProvider([_turn(READ), _turn(looping)])  # the text detector reads it
    with pytest.raises(ModelCollapsed) as caught:
        await loop.run(provider, "goal", deadline=time.monotonic() + 30)
    assert caught.value.source == "text" and caught.value.proximity >= 0.7
    assert [r.collapse.source for r in seen["replies"]] == ["text", "text"]


async def test_spooks_deflate_the_budget_and_are_noted(repo):
    loop, seen = _loop(repo)
    provider = ReplayProvider([_turn(READ, 0.5), _turn(READ, 0.6), _turn("done", 0.1)])
    reply = await loop.run(provider, "goal", deadline=time.monotonic() + 100)
    assert reply.text == "done"
    spooks = [d for msg, d in seen["notes"] if msg == "canary spook"]
    assert [(s["proximity_before"], s["proximity_after"]) for s in spooks] == [(0, 0.5),
                                                                              (0.5, 0.6)]
    assert spooks[0]["factor"] == 0.6 and spooks[1]["factor"] == pytest.approx(0.425)
    assert spooks[1]["remaining_s"] < spooks[0]["remaining_s"] < 61
    # The next turns were asked for fewer tokens: 0.6, then 0.6 * 0.425 of the budget.
    assert provider.steers[0] is None
    assert provider.steers[1].token_scale == pytest.approx(0.6)
    assert provider.steers[2].token_scale == pytest.approx(0.255)
    assert reply.collapse.proximity == 0.6  # the answer reports its worst round


async def test_a_budget_deflated_to_nothing_re_grounds_instead_of_starving(repo):
    loop, _ = _loop(repo)
    turns = [_turn(READ, 0.69) for _ in range(4)] + [_turn("done")]
    provider = ReplayProvider(turns)
    with pytest.raises(ModelCollapsed, match="deflated") as caught:
        await loop.run(provider, "goal", deadline=time.monotonic() + 100)
    assert caught.value.exit_reason == "deflated" and caught.value.proximity == 0.69
    assert len(provider.prompts) == 2  # 0.25 * 0.25 of the tokens is under the floor


async def test_a_provider_cut_short_by_deflation_is_the_reflex_not_a_dead_model(repo):
    loop, _ = _loop(repo)
    slow = ReplayTurn(purpose="generate", text="done", delay_s=20)
    provider = ReplayProvider([_turn(READ, 0.69), slow])
    with pytest.raises(ModelCollapsed, match="deflated budget ran out"):
        await loop.run(provider, "goal", deadline=time.monotonic() + 30)  # 30 * 0.25 < 20


async def test_the_callers_deadline_is_still_a_provider_failure(repo):
    loop, _ = _loop(repo)
    provider = ReplayProvider([ReplayTurn(purpose="generate", text="done", delay_s=5)])
    with pytest.raises(ProviderError) as caught:
        await loop.run(provider, "goal", deadline=time.monotonic() + 1)
    assert not isinstance(caught.value, ModelCollapsed)


async def test_malformed_tool_calls_are_the_loops_telemetry(repo):
    loop, _ = _loop(repo)
    provider = ReplayProvider([_turn('{"tool": "read_file", "arguments": {"path": '),
                               _turn("done")])
    reply = await loop.run(provider, "goal", deadline=time.monotonic() + 30)
    [bad] = reply.telemetry["malformed_tool_calls"]
    assert bad.startswith("invalid JSON")


@pytest.mark.slow
async def test_a_degenerate_hostile_call_is_discarded_before_it_is_parsed(repo):
    loop, seen = _loop(repo)
    line = '{"tool": "read_file", "arguments": {"path": "' + "a/" * 3000 + '"}}'
    provider = ReplayProvider([_turn(line), _turn("done")])
    with pytest.raises(ModelCollapsed):
        await loop.run(provider, "goal", deadline=time.monotonic() + 30)
    assert seen["tools"] == [] and len(provider.prompts) == 1


@pytest.mark.slow
async def test_a_bracket_bomb_is_no_loop_but_still_never_a_tool_call(repo):
    """A run of one punctuation character is one token to the detector (a banner is not a
    loop): the parser refuses the call instead, and nothing runs."""
    loop, seen = _loop(repo)
    line = '{"tool": "read_file", "arguments": ' + "[" * 5000 + "]" * 5000 + "}"
    provider = ReplayProvider([_turn(line), _turn("done")])
    reply = await loop.run(provider, "goal", deadline=time.monotonic() + 30)
    assert seen["tools"] == [] and reply.telemetry["malformed_tool_calls"]
