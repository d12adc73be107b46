"""Edits end to end: the replay stand-in answers GENERATE and L2 with exact search/replace
edits; the real pipeline (jailed pytest, the proof) judges the whole files they make, and a
refused edit is told to the next turn."""

from __future__ import annotations

import json

import pytest

from governance.phase import Phase
from kernel.replay import ReplayProvider, ReplayTurn
from tests.helpers import OPS_FIXED, OPS_PY, git, make_policy, run_op

TARGET = "calc/ops.py"
NO_RETRY = make_policy(max_generate_retries=0, max_validate_retries=0)


def _edits(*pairs: tuple[str, str], path: str = TARGET) -> str:
    return json.dumps({"schema": "candidate.1", "file_path": path, "rationale": "clamp",
                       "edits": [{"search": s, "replace": r} for s, r in pairs]})


FIX = _edits(("    return x\n", "    return max(lo, min(x, hi))\n"))


def _path(chain: dict) -> list[str]:
    return [t["to_phase"] for t in chain["transitions"]]


@pytest.mark.slow
async def test_an_edit_that_matches_nothing_is_told_to_the_next_attempt_whose_edit_lands(
        repo, short_tmp):
    wrong = _edits(("  return  x\n", "  return 0\n"))
    provider = ReplayProvider([ReplayTurn(purpose="generate", text=t) for t in (wrong, FIX)])
    end, chain = await run_op(repo, short_tmp / "l.db", TARGET, provider=provider,
                              policy=make_policy(max_generate_retries=1, max_validate_retries=0))
    assert end is Phase.COMPLETE, chain["transitions"][-1]["reason"]
    refused = next(t for t in chain["transitions"] if t["to_phase"] == "GENERATE_RETRY")
    assert "matches nothing in the file" in refused["reason"]
    told = provider.prompts[1]
    assert "## The previous attempt failed" in told and "matches nothing" in told
    assert "'    return x'" in told  # the closest line, to copy exactly
    assert '"edits": [{"search"' in provider.prompts[0]  # the contract offers edits
    # the whole file the second attempt's edit made landed, proven
    assert (repo / TARGET).read_text() == OPS_FIXED
    assert "GATE" in _path(chain) and "APPLY" in _path(chain)
    assert "Evidence: proven" in git(repo, "log", "-1", "--format=%B")


@pytest.mark.slow
async def test_a_copy_of_a_shortened_view_is_refused_as_what_it_is(repo, short_tmp):
    copy = json.dumps({"file_path": TARGET, "full_content": OPS_PY + "\n... (your changes "
                       "here) ...\n"})
    end, chain = await run_op(repo, short_tmp / "l.db", TARGET, copy, policy=NO_RETRY)
    assert end is Phase.POSTMORTEM
    assert "holds a placeholder, not code" in chain["transitions"][-1]["reason"]
    assert (repo / TARGET).read_text() == OPS_PY


@pytest.mark.slow
async def test_l2_repairs_with_edits_of_the_change_so_far(repo, short_tmp):
    """The first draft breaks add; L2's first edit matches nothing (one turn, told why), its
    second edits the draft (not the live file, where `a - b` is not) and lands."""
    draft = json.dumps({"file_path": TARGET, "full_content": OPS_FIXED.replace(
        "return a + b", "return a - b"), "rationale": "clamp"})
    turns = [ReplayTurn(purpose="generate", text=draft),
             ReplayTurn(purpose="generate", text=_edits(("return a * b", "return a + b")),
                        match="L2 self-repair, iteration 1 "),
             ReplayTurn(purpose="generate", text=_edits(("return a - b", "return a + b")),
                        match="L2 self-repair, iteration 2 ")]
    provider = ReplayProvider(turns)
    end, chain = await run_op(repo, short_tmp / "l.db", TARGET, provider=provider,
                              policy=NO_RETRY)
    assert end is Phase.COMPLETE, chain["transitions"][-1]["reason"]
    assert (repo / TARGET).read_text() == OPS_FIXED
    first = next(t for t in chain["thoughts"] if t["msg"] == "L2 iteration 1: retry")
    assert first["data"]["failure_class"] == "unusable"
    second = provider.prompts[2]
    assert "matches nothing in the file" in second
    assert "-    return a + b\n+    return a - b" in second  # the change so far, as a diff


@pytest.mark.slow
async def test_qwen_style_tool_calls_then_edits_of_the_sandbox_land(repo, short_tmp):
    """Through Venom's tool loop: the calls in Qwen's <tool_call> blocks (as llama.cpp's
    server leaves them in the content) run, and the final answer's edits apply to the
    sandbox's copy."""
    from tests.helpers import venom_config
    from tools.venom import Venom

    calls = ('I will read the file first.\n<tool_call>\n{"name": "read_file", "arguments": '
             '{"path": "calc/ops.py"}}\n</tool_call>\n<tool_call>\n{"name": "list_dir", '
             '"arguments": {"path": "."}}\n</tool_call>')
    provider = ReplayProvider([ReplayTurn(purpose="generate", text=t) for t in (calls, FIX)])
    venom = Venom(venom_config(), "tests run no jailed command here", short_tmp / "home")
    end, chain = await run_op(repo, short_tmp / "l.db", TARGET, provider=provider,
                              tools=venom, policy=NO_RETRY)
    assert end is Phase.COMPLETE, chain["transitions"][-1]["reason"]
    assert (repo / TARGET).read_text() == OPS_FIXED
    assert [c["tool"] for c in chain["tool_calls"]] == ["read_file", "list_dir"]
    assert "def clamp(x, lo, hi):" in provider.prompts[1]  # the read's result came back
