"""Exploration first, for every op: through the real pipeline (Orchestrator, phase table,
Venom's tool loop in a real sandbox, the oracle in real pytest), the model scripted.

A tools-on candidate is accepted only after at least 2 exploration calls including a
read_file of each target, and of each file it changes, in a reply before the change; a
trivial op skips only the diversity floors. Failing that, GENERATE_RETRY with feedback
naming what is missing; never COMPLETE.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from governance.phase import Phase
from tests.helpers import (
    OPS_FIXED,
    OPS_PY,
    candidate_turn,
    explore_calls,
    no_retry_policy,
    replay,
    run_op,
    tool_call,
    venom_config,
)
from tools.exploration import ExplorationLedger
from tools.venom import Venom

TARGET = "calc/ops.py"
FIX = tool_call("edit_file", path=TARGET, old="    return x\n",
                new="    return max(lo, min(x, hi))\n")
BARE = json.loads(candidate_turn(TARGET, OPS_FIXED))["text"]  # a candidate, no tool call
NO_OP = json.dumps({"schema": "candidate.1", "no_op": True, "rationale": "already right"})
READ = tool_call("read_file", path=TARGET)
LOOK = tool_call("list_dir", path=".")


async def _op(repo: Path, *texts: str, retries: bool = False, **deps: object):
    """One trivial tools-on op on calc/ops.py; returns (end, chain, prompts)."""
    provider = replay(*texts)
    venom = Venom(venom_config(), "tests run no jailed command here", repo.parent / "home")
    policy = {} if retries else {"policy": no_retry_policy()}
    end, chain = await run_op(repo, repo.parent / "ledger.sqlite3", TARGET,
                              provider=provider, tools=venom, **policy, **deps)
    return end, chain, provider.prompts


def _scored(chain: dict) -> list[dict]:
    return [t["data"] for t in chain["thoughts"] if t["msg"] == "exploration scored"]


def _refusal(chain: dict) -> str:
    return " | ".join(t["reason"] for t in chain["transitions"]
                      if t["to_phase"] in ("GENERATE_RETRY", "POSTMORTEM"))


def _phases(chain: dict) -> list[str]:
    return [t["to_phase"] for t in chain["transitions"]]


@pytest.mark.slow
async def test_zero_tool_calls_retries_with_the_missing_reads_and_never_completes(repo):
    end, chain, prompts = await _op(repo, BARE, BARE, BARE, BARE, retries=True)
    assert end is Phase.POSTMORTEM and "COMPLETE" not in _phases(chain)
    assert "VALIDATE" not in _phases(chain)  # refused before any test ran on it
    assert _phases(chain).count("GENERATE_RETRY") >= 1
    why = _refusal(chain)
    assert "0 exploration call(s) < 2" in why
    assert f"read {TARGET} (read_file) before changing it" in why
    assert (repo / TARGET).read_text() == OPS_PY
    assert f"read {TARGET} (read_file) before changing it" in prompts[1]  # the feedback


@pytest.mark.slow
async def test_a_first_draft_without_reading_then_a_read_and_edit_lands(repo):
    end, chain, prompts = await _op(repo, BARE, explore_calls(TARGET), FIX, "clamped",
                                    retries=True)
    assert end is Phase.COMPLETE, chain["transitions"][-1]
    assert _phases(chain)[:6] == ["CLASSIFY", "ROUTE", "CONTEXT_EXPANSION", "PLAN",
                                  "GENERATE", "GENERATE_RETRY"]
    assert (repo / TARGET).read_text() == OPS_FIXED
    assert "## Exploration protocol" in prompts[0]
    assert prompts[0].index("## Exploration protocol") < prompts[0].index("## Output")
    assert f"read_file first: {TARGET}" in prompts[0]


@pytest.mark.slow
async def test_reading_the_target_then_editing_lands_on_a_trivial_op(repo):
    end, chain, _ = await _op(repo, "\n".join([READ, LOOK]), FIX, "clamped")
    assert end is Phase.COMPLETE, chain["transitions"][-1]
    assert (repo / TARGET).read_text() == OPS_FIXED
    [scored] = _scored(chain)
    assert scored["complexity"] == "trivial" and scored["passed"] is True
    assert scored["read"] == [TARGET]


@pytest.mark.slow
@pytest.mark.parametrize("turns,missing", [
    # Edits the target without ever reading it (two other exploration calls).
    ([LOOK + "\n" + tool_call("search_code", pattern="clamp"), FIX, "done"],
     f"read {TARGET} (read_file) before changing it"),
    # Reads and edits in the same reply: the edit was written without seeing the file.
    ([READ + "\n" + LOOK + "\n" + FIX, "done"],
     f"read {TARGET} (read_file) in a reply before the one that changes it"),
    # Reads the target, then also rewrites a file it never read.
    ([READ + "\n" + LOOK, FIX + "\n" + tool_call(
        "write_file", path="tests/test_ops.py", content="def test_x():\n    pass\n"), "done"],
     "read tests/test_ops.py (read_file) before changing it"),
    # A trivial op still makes 2 exploration calls: one read is not enough.
    ([READ, FIX, "done"], "1 exploration call(s) < 2"),
    # Explores twice but never reads the target, and states the change in its answer.
    ([LOOK + "\n" + tool_call("glob_files", pattern="*.py"), BARE],
     f"read {TARGET} (read_file) before changing it"),
    # A no-op claim about a target it never read.
    ([LOOK + "\n" + tool_call("glob_files", pattern="*.py"), NO_OP],
     f"read the target {TARGET} (read_file) before answering"),
])
async def test_an_edit_without_reading_first_retries_with_feedback(repo, turns, missing):
    end, chain, _ = await _op(repo, *turns)
    assert end is Phase.POSTMORTEM and "COMPLETE" not in _phases(chain)
    assert missing in _refusal(chain), _refusal(chain)
    assert (repo / TARGET).read_text() == OPS_PY
    assert not (repo / "tests" / "test_ops.py").read_text().startswith("def test_x")


@pytest.mark.slow
async def test_a_no_op_after_reading_the_target_completes_without_change(repo):
    end, chain, _ = await _op(repo, "\n".join([READ, LOOK]), NO_OP)
    assert end is Phase.COMPLETE and "VALIDATE" not in _phases(chain)
    assert (repo / TARGET).read_text() == OPS_PY


@pytest.mark.slow
async def test_tools_off_generation_is_the_operators_choice_and_is_not_gated(repo):
    """Single-turn generation cannot call tools: the prompt shows the targets instead,
    carries no exploration protocol, and the gate does not apply."""
    provider = replay(BARE)
    end, chain = await run_op(repo, repo.parent / "ledger.sqlite3", TARGET,
                              provider=provider, policy=no_retry_policy())
    assert end is Phase.COMPLETE, chain["transitions"][-1]
    assert "## Exploration protocol" not in provider.prompts[0]
    assert "def clamp" in provider.prompts[0] and not _scored(chain)


# The ledger's order rule on its own: (calls as (round, tool, path, ok)), the files the
# candidate changed that existed before, those the final answer stated, what is missing.
ORDER_TABLE = [
    ([(1, "read_file", "a.py", True), (2, "edit_file", "a.py", True)], ["a.py"], [], []),
    ([(1, "read_file", "./a.py", True), (2, "edit_file", "a.py", True)], ["a.py"], [], []),
    ([(1, "read_file", "a.py", False), (2, "edit_file", "a.py", True)], ["a.py"], [],
     ["read a.py (read_file) before changing it"]),  # a failed read saw nothing
    ([(1, "edit_file", "a.py", True), (2, "read_file", "a.py", True),
      (3, "edit_file", "a.py", True)], ["a.py"], [], ["read a.py (read_file) in a reply"]),
    ([(1, "edit_file", "a.py", False), (2, "read_file", "a.py", True),
      (3, "edit_file", "a.py", True)], ["a.py"], [], []),  # the failed edit changed nothing
    ([(1, "bash", None, True), (2, "read_file", "a.py", True)], ["a.py"], [],
     ["read a.py (read_file) in a reply"]),  # a command may have changed it unseen
    ([(1, "read_file", "a.py", True), (2, "bash", None, True)], ["a.py"], [], []),
    ([(1, "read_file", "a.py", True)], ["a.py"], ["a.py"], []),  # stated at the end
    ([(1, "read_file", "../a.py", True)], ["a.py"], ["a.py"],
     ["read a.py (read_file) before changing it"]),  # a climbing path names no file
    ([(1, "read_file", "b.py", True)], [], [], ["read the target a.py"]),
]


@pytest.mark.parametrize("calls,edited,stated,missing", ORDER_TABLE)
def test_the_read_before_change_order(calls, edited, stated, missing):
    ledger = ExplorationLedger(min_calls=0)
    for rnd, tool, path, ok in calls:
        ledger.record(tool, {"path": path} if path else {"command": "x"}, ok, round=rnd)
    lines = ledger.unread(["a.py"], edited, stated)
    assert len(lines) == len(missing), lines
    for line, want in zip(lines, missing, strict=True):
        assert line.startswith(want), lines
