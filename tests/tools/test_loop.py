"""ToolLoopCoordinator mechanics and the ExplorationLedger, driven by the replay provider."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from governance.errors import ProviderError
from governance.git.gitops import GitOps
from tests.helpers import git, loop_limits, replay, tool_call, tool_env, tool_loop
from tools.exploration import ExplorationLedger
from tools.loop import NUDGE, ToolLoopCoordinator
from tools.policy import PolicyContext
from tools.transcript import Chunk, cap, compact
from tools.workspace import Workspace


def _coordinator(repo: Path, **limits) -> tuple[ToolLoopCoordinator, list]:
    ws = Workspace.create(repo, repo / ".ouroboros" / "sandboxes" / "op-loop", ["calc/ops.py"],
                          ".ouroboros")
    env = tool_env(workspace=ws, git=GitOps(repo), state_rel=".ouroboros", hidden=[])
    events: list = []

    async def on_tool(e):
        events.append(e)

    policy = PolicyContext(ws.root, ".ouroboros")
    return tool_loop(env, policy, loop_limits(**limits), on_tool=on_tool), events


@pytest.mark.slow
async def test_rounds_until_an_answer_without_calls(repo):
    loop, events = _coordinator(repo)
    provider = replay(tool_call("read_file", path="calc/ops.py") + "\n" +
                      tool_call("list_symbols", path="calc/ops.py"),
                      "final answer")
    reply = await loop.run(provider, "goal", deadline=time.monotonic() + 30)
    assert reply.text == "final answer" and reply.telemetry["rounds"] == 2
    assert [(e.tool, e.verdict) for e in events] == [("read_file", "ok"), ("list_symbols", "ok")]
    assert "def clamp" in provider.prompts[1] and "add (line" in provider.prompts[1]
    assert [r.tool for r in reply.tool_records] == ["read_file", "list_symbols"]


async def test_max_rounds_with_the_nudge_and_ignored_late_calls(repo):
    loop, events = _coordinator(repo, max_rounds=3)
    calls = [tool_call("list_dir", path="."), tool_call("glob_files", pattern="*.py"),
             tool_call("read_file", path="README.md")]
    reply = await loop.run(replay(*calls), "goal", deadline=time.monotonic() + 30)
    assert reply.telemetry["rounds"] == 3
    assert len(events) == 2  # the third round's call came after the last round: not run


@pytest.mark.slow
async def test_exploration_only_rounds_bring_the_nudge(repo):
    loop, _ = _coordinator(repo, max_rounds=5, max_exploration_rounds=2)
    provider = replay(tool_call("list_dir", path="."), tool_call("glob_files", pattern="*"),
                      "done")
    await loop.run(provider, "goal", deadline=time.monotonic() + 30)
    assert NUDGE not in provider.prompts[1] and NUDGE in provider.prompts[2]


@pytest.mark.slow
async def test_malformed_calls_get_precise_errors(repo):
    loop, events = _coordinator(repo)
    provider = replay('{"tool": "read_file", "arguments": {"path": ', "ok")
    await loop.run(provider, "goal", deadline=time.monotonic() + 30)
    assert "[malformed tool call] invalid JSON" in provider.prompts[1]
    assert events == []


@pytest.mark.slow
async def test_edit_file_needs_one_exact_match(repo):
    loop, events = _coordinator(repo)
    provider = replay(tool_call("edit_file", path="calc/ops.py", old="return", new="yield"),
                      tool_call("edit_file", path="calc/ops.py", old="nothing like it", new="x"),
                      "done")
    await loop.run(provider, "goal", deadline=time.monotonic() + 30)
    assert "occurs 2 times" in provider.prompts[1]
    assert "was not found" in provider.prompts[2]
    assert [e.verdict for e in events] == ["failed", "failed"]


@pytest.mark.slow
async def test_results_are_capped_with_a_marker(repo):
    (repo / "big.txt").write_text("x" * 20000)
    import subprocess

    subprocess.run(["git", "add", "big.txt"], cwd=repo, check=True)
    subprocess.run(["git", "commit", "-qm", "big"], cwd=repo, check=True)
    loop, events = _coordinator(repo, output_cap_bytes=512)
    provider = replay(tool_call("read_file", path="big.txt"), "done")
    await loop.run(provider, "goal", deadline=time.monotonic() + 30)
    assert events[0].truncated and "[TRUNCATED:" in provider.prompts[1]


@pytest.mark.slow
async def test_concurrency_is_bounded(repo, monkeypatch):
    import tools.builtin as builtin

    running, peak = 0, 0

    async def slow_list(a, env):
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0.05)
        running -= 1
        return "ok"

    spec = builtin.TOOLS["list_dir"]
    monkeypatch.setitem(builtin.TOOLS, "list_dir",
                        builtin.ToolSpec(spec.name, spec.args, slow_list, spec.category,
                                         spec.description, spec.path_fields))
    loop, events = _coordinator(repo, max_concurrent=2)
    calls = "\n".join(tool_call("list_dir", path=p) for p in (".", "calc", "tests", "calc/", "./"))
    await loop.run(replay(calls, "done"), "goal", deadline=time.monotonic() + 30)
    assert peak == 2 and len(events) == 5


@pytest.mark.slow
async def test_per_tool_timeout_and_deadline(repo, monkeypatch):
    import tools.builtin as builtin

    async def hang(a, env):
        await asyncio.sleep(60)

    spec = builtin.TOOLS["list_dir"]
    monkeypatch.setitem(builtin.TOOLS, "list_dir", builtin.ToolSpec(
        spec.name, spec.args, hang, spec.category, spec.description, spec.path_fields))
    loop, events = _coordinator(repo, tool_timeout_s=0.2)
    provider = replay(tool_call("list_dir", path="."), "done")
    await loop.run(provider, "goal", deadline=time.monotonic() + 30)
    assert "timed out after 0.2s" in provider.prompts[1] and events[0].verdict == "failed"
    with pytest.raises(ProviderError, match="deadline"):
        await loop.run(replay("x"), "goal", deadline=time.monotonic() - 1)


def test_compaction_keeps_the_newest_results_and_counts_the_rest():
    chunks = [Chunk("assistant", "a" * 100)]
    chunks += [Chunk("result", f"r{i}" + "x" * 1000, tool=t)
               for i, t in enumerate(["read_file"] * 5 + ["search_code"] * 4 + ["bash"] * 3)]
    out, n = compact(chunks, budget=8000, preserve=6)
    assert n == 6
    summary = next(c for c in out if c.kind == "note").text
    assert "Compacted 6 earlier tool results" in summary
    assert "5 read_file, 1 search_code" in summary
    kept = [c.text[:3] for c in out if c.kind == "result"]
    assert kept == ["r6x", "r7x", "r8x", "r9x", "r10", "r11"]
    same, none = compact(chunks, budget=10**6, preserve=6)
    assert none == 0 and same == chunks


def test_cap_marks_truncation():
    text, cut = cap("é" * 5000, 100)
    assert cut and "[TRUNCATED: 10000 bytes" in text
    assert cap("short", 100) == ("short", False)


@pytest.mark.parametrize("calls,complexity,passes", [
    ([], "trivial", False),  # trivial skips the diversity floors, never the 2-call minimum
    ([("read_file", {"path": "a"}, True), ("list_dir", {"path": "."}, True)], "trivial", True),
    ([("read_file", {"path": "a"}, True)] * 4, "simple", False),  # duplicates earn nothing
    ([("read_file", {"path": p}, True) for p in "abcd"], "simple", False),  # one category
    ([("read_file", {"path": "a"}, True), ("read_file", {"path": "b"}, True),
      ("search_code", {"pattern": "x"}, True), ("list_dir", {"path": "."}, True)], "simple",
     True),
    ([("search_code", {"pattern": p}, False) for p in "abcdefgh"] +
     [("read_file", {"path": "a"}, True)], "moderate", False),  # failures: no coverage
    ([("read_file", {"path": "a"}, True), ("get_callers", {"name": "f"}, True),
      ("git_log", {}, True), ("list_dir", {"path": "."}, True),
      ("git_blame", {"path": "a"}, True), ("read_file", {"path": "b"}, True),
      ("get_callers", {"name": "g"}, True), ("search_code", {"pattern": "q"}, True),
      ("git_diff", {}, True), ("list_symbols", {"path": "a"}, True),
      ("glob_files", {"pattern": "*.py"}, True)], "architectural", True),  # 14.5
    ([("read_file", {"path": p}, True) for p in "abcdefghijklmnop"] +
     [("list_dir", {"path": p}, True) for p in "xyz"], "architectural", False),
])
def test_exploration_floors(calls, complexity, passes):
    ledger = ExplorationLedger()
    for tool, args, ok in calls:
        ledger.record(tool, args, ok)
    ok, feedback = ledger.verdict(complexity)
    assert ok is passes, feedback
    if not ok:
        assert "explore before editing" in feedback


def test_minimum_exploration_calls_is_enforced_when_configured_high():
    ledger = ExplorationLedger(min_calls=6)
    for tool, args in [("read_file", {"path": "a"}), ("read_file", {"path": "b"}),
                       ("search_code", {"pattern": "x"}), ("list_dir", {"path": "."})]:
        ledger.record(tool, args, ok=True)
    ok, feedback = ledger.verdict("simple")
    assert not ok and feedback.startswith("4 exploration call(s) < 6")
    ok, feedback = ledger.verdict("trivial")  # trivial ops skip only the diversity floors
    assert not ok and feedback.startswith("4 exploration call(s) < 6")


@pytest.mark.slow
async def test_a_secret_a_tool_reads_never_reaches_the_next_prompt(repo):
    """A token in an unprotected file (no telling name) is redacted in the tool result."""
    token = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"
    (repo / "settings.yml").write_text(f"github_token: {token}\n")
    loop, events = _coordinator(repo)
    (loop.env.workspace.root / "settings.yml").write_text(f"github_token: {token}\n")
    provider = replay(tool_call("read_file", path="settings.yml"), "done")
    await loop.run(provider, "goal", deadline=time.monotonic() + 30)
    assert events[0].verdict == "ok"
    assert token not in provider.prompts[1] and "[REDACTED:" in provider.prompts[1]


@pytest.mark.parametrize("window", [None, 1024])
async def test_a_declared_context_window_compacts_the_transcript_sooner(repo, window):
    """Four reads of a 1,600-char file: under the default budget (98,304 chars) nothing is
    compacted; a provider declaring a 1,024-token window leaves the transcript ~1,500 chars
    (governance.brains.window.transcript_chars), so all but the newest result are."""
    (repo / "calc" / "wide.py").write_text("".join(f"X{i} = {i}\n" for i in range(200)))
    git(repo, "add", "calc/wide.py")
    git(repo, "commit", "-qm", "a wide module")
    loop, _ = _coordinator(repo)
    reads = [tool_call("read_file", path="calc/wide.py", start_line=n) for n in range(1, 5)]
    provider = replay(*reads, "final answer")
    if window is not None:
        provider.context_tokens = window
    reply = await loop.run(provider, "goal", deadline=time.monotonic() + 30)
    assert reply.text == "final answer"
    assert (reply.telemetry["compactions"] > 0) is (window is not None)
    last = provider.prompts[-1]
    assert ("Compacted" in last) is (window is not None)
