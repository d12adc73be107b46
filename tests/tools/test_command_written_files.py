"""Host content from jailed commands never reaches a candidate.

A jailed command can write anything it can read into the sandbox (`cat /etc/os-release >
calc/host_info.txt`); the candidate Venom proposes holds only what a file tool (or the
final answer) wrote. A file a command created or changed is left out with a note, unless
its content is again exactly what a file tool last wrote.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from governance.git.gitops import GitOps
from tests.helpers import (
    OPS_PY,
    git,
    loop_limits,
    no_retry_policy,
    replay,
    run_op,
    tool_call,
    tool_env,
    tool_loop,
    venom_config,
)
from tools.builtin import TOOLS
from tools.env import ToolEnv
from tools.jail import bwrap_available
from tools.policy import PolicyContext
from tools.venom import Venom, VenomSession
from tools.workspace import Workspace

needs_bwrap = pytest.mark.skipif(bwrap_available() is not None, reason="bubblewrap missing")
FIXED = OPS_PY.replace("    return x\n", "    return max(lo, min(x, hi))\n")


@pytest.fixture
def sandbox(repo: Path) -> tuple[Workspace, ToolEnv]:
    ws = Workspace.create(repo, repo / ".ouroboros" / "sandboxes" / "cmd", ["calc/ops.py"],
                          ".ouroboros")
    return ws, tool_env(workspace=ws, git=GitOps(repo), state_rel=".ouroboros", hidden=[])


async def _tool(env: ToolEnv, name: str, **arguments: object) -> str:
    spec = TOOLS[name]
    return await spec.handler(spec.args.model_validate(arguments), env)


def _paths(ws: Workspace) -> dict[str, str]:
    found = ws.candidate("x", only_written=True)
    return {} if found is None else {f.file_path: f.action for f in found.files}


def _command_writes(ws: Workspace, rel: str, text: str) -> None:
    """What a jailed command does to the sandbox, played on the host."""
    (ws.root / rel).parent.mkdir(parents=True, exist_ok=True)
    (ws.root / rel).write_text(text)


@pytest.mark.slow
async def test_a_file_only_a_command_created_is_left_out(sandbox):
    ws, env = sandbox
    await _tool(env, "write_file", path="calc/util.py", content="X = 1\n")
    _command_writes(ws, "calc/host_info.txt", "NAME=Debian\n")
    assert _paths(ws) == {"calc/util.py": "write"}
    assert ws.left_out == ["calc/host_info.txt: created by a command, not written by a file "
                           "tool; left out of the candidate"]


@pytest.mark.slow
async def test_an_existing_file_only_a_command_changed_is_left_out(sandbox):
    ws, _ = sandbox
    _command_writes(ws, "calc/ops.py", FIXED)
    assert _paths(ws) == {}
    assert ws.candidate("x", only_written=True) is None
    assert [n.split(":")[0] for n in ws.left_out] == ["calc/ops.py"]
    assert "changed by a command" in ws.left_out[0]


@pytest.mark.slow
@pytest.mark.parametrize("tool", ["write_file", "edit_file"])
async def test_file_tool_writes_are_kept(sandbox, tool):
    ws, env = sandbox
    if tool == "write_file":
        await _tool(env, "write_file", path="calc/ops.py", content=FIXED)
    else:
        await _tool(env, "edit_file", path="calc/ops.py", old="    return x\n",
                    new="    return max(lo, min(x, hi))\n")
    found = ws.candidate("x", only_written=True)
    assert found is not None and [f.full_content for f in found.files] == [FIXED]
    assert ws.left_out == []


@pytest.mark.slow
async def test_a_command_changing_a_tool_written_file_leaves_it_out(sandbox):
    ws, env = sandbox
    await _tool(env, "write_file", path="calc/ops.py", content=FIXED)
    _command_writes(ws, "calc/ops.py", FIXED + "HOST = open('/etc/hostname').read()\n")
    assert _paths(ws) == {}
    assert "calc/ops.py: changed by a command" in ws.left_out[0]


@pytest.mark.slow
async def test_a_command_that_reverts_its_change_leaves_the_tool_write_in(sandbox):
    ws, env = sandbox
    await _tool(env, "write_file", path="calc/ops.py", content=FIXED)
    _command_writes(ws, "calc/ops.py", "garbage\n")
    _command_writes(ws, "calc/ops.py", FIXED)
    assert _paths(ws) == {"calc/ops.py": "write"} and ws.left_out == []


@pytest.mark.slow
async def test_a_whole_file_write_takes_a_command_change_back_in(sandbox):
    ws, env = sandbox
    _command_writes(ws, "calc/ops.py", "garbage\n")
    await _tool(env, "write_file", path="calc/ops.py", content="VALUE = 2\n")
    assert _paths(ws) == {"calc/ops.py": "write"}


async def test_an_edit_of_command_content_does_not_launder_it(sandbox):
    """`cat /etc/passwd > x.py`, then a one-word edit_file: the bulk of the file is still
    the command's, so it stays out."""
    ws, env = sandbox
    _command_writes(ws, "calc/leak.py", "root:x:0:0:root:/root:/bin/bash\n")
    await _tool(env, "edit_file", path="calc/leak.py", old="root:x", new="ROOT = 'x")
    await _tool(env, "edit_file", path="calc/ops.py", old="    return x\n",
                new="    return max(lo, min(x, hi))\n")
    assert _paths(ws) == {"calc/ops.py": "write"}
    assert ws.left_out[0].startswith("calc/leak.py: created by a command")


async def test_deletions_are_kept_whoever_made_them(sandbox):
    ws, env = sandbox
    await _tool(env, "delete_file", path="calc/ops.py")
    (ws.root / "tests" / "test_ops.py").unlink()  # a command's `rm`
    assert _paths(ws) == {"calc/ops.py": "delete", "tests/test_ops.py": "delete"}


@pytest.mark.slow
async def test_a_file_a_tool_deleted_and_a_command_recreated_is_left_out(sandbox):
    ws, env = sandbox
    await _tool(env, "delete_file", path="calc/ops.py")
    _command_writes(ws, "calc/ops.py", "import os\nprint(os.environ)\n")
    assert _paths(ws) == {}
    assert ws.left_out[0].startswith("calc/ops.py: changed by a command")


@pytest.mark.slow
async def test_tool_paths_are_recorded_in_their_canonical_form(sandbox):
    ws, env = sandbox
    await _tool(env, "write_file", path="./calc//new.py", content="Y = 1\n")
    assert _paths(ws) == {"calc/new.py": "write"}


async def test_the_unfiltered_diff_still_sees_everything(sandbox):
    """Workspace.candidate without `only_written` is the raw sandbox diff (kept for the
    callers that want it); Venom asks for the filtered one."""
    ws, _ = sandbox
    _command_writes(ws, "calc/host_info.txt", "NAME=Debian\n")
    found = ws.candidate("x")
    assert found is not None and [f.file_path for f in found.files] == ["calc/host_info.txt"]


def _session(ws: Workspace, env: ToolEnv) -> VenomSession:
    loop = tool_loop(env, PolicyContext(ws.root, ".ouroboros"),
                     loop_limits(max_rounds=4, tool_timeout_s=30))
    return VenomSession(ws, loop, ("calc/ops.py",))


async def test_a_stated_candidate_counts_as_written(sandbox):
    ws, env = sandbox
    session = _session(ws, env)
    _command_writes(ws, "calc/host_info.txt", "NAME=Debian\n")
    stated = json.dumps({"schema": "candidate.1", "file_path": "calc/ops.py",
                         "full_content": FIXED, "rationale": "clamp"})
    found = session.candidate(stated)
    assert found is not None and [f.file_path for f in found.files] == ["calc/ops.py"]
    assert session.stated == ["calc/ops.py"]
    _, _, summary = session.exploration("trivial")
    assert [n.split(":")[0] for n in summary["left_out"]] == ["calc/host_info.txt"]


@pytest.mark.slow
async def test_no_left_out_key_when_nothing_was_left_out(sandbox):
    ws, env = sandbox
    session = _session(ws, env)
    await _tool(env, "write_file", path="calc/ops.py", content=FIXED)
    assert session.candidate("done") is not None
    assert "left_out" not in session.exploration("trivial")[2]


@pytest.mark.slow
@needs_bwrap
async def test_host_content_from_a_jailed_command_is_left_out_of_the_session(sandbox):
    """Through the real tool loop and jail: the model edits with a file tool, copies a host
    file into the tree with bash and appends to another file it wrote; only the untouched
    tool edit is proposed, and the exploration summary (a ledger thought) says why."""
    ws, env = sandbox
    session = _session(ws, env)
    turns = [
        "\n".join([tool_call("read_file", path="calc/ops.py"),
                   tool_call("edit_file", path="calc/ops.py", old="    return x\n",
                             new="    return max(lo, min(x, hi))\n"),
                   tool_call("write_file", path="calc/notes.py", content="NOTE = 1\n")]),
        "\n".join([tool_call("bash", command="cat /etc/os-release > calc/host_info.txt || "
                                             "uname -a > calc/host_info.txt"),
                   tool_call("bash", command="echo 'HOST = 1' >> calc/notes.py")]),
        "Clamped x."]
    provider = replay(*turns)
    reply = await session.run(provider, "clamp x", deadline=time.monotonic() + 120)
    assert [r.verdict for r in reply.tool_records] == ["ok"] * 5, reply.tool_records
    assert (ws.root / "calc" / "host_info.txt").stat().st_size > 0
    found = session.candidate(reply.text)
    assert found is not None
    assert {f.file_path: f.full_content for f in found.files} == {"calc/ops.py": FIXED}
    _, _, summary = session.exploration("trivial")
    assert sorted(n.split(":")[0] for n in summary["left_out"]) == [
        "calc/host_info.txt", "calc/notes.py"]
    assert session.edited == ["calc/ops.py"]


@pytest.mark.slow
@needs_bwrap
async def test_a_target_edited_only_by_sed_is_no_candidate(sandbox):
    ws, env = sandbox
    session = _session(ws, env)
    provider = replay(tool_call("bash", command="sed -i 's/return x$/return lo/' calc/ops.py"),
                      "done")
    reply = await session.run(provider, "clamp x", deadline=time.monotonic() + 120)
    assert "return lo" in (ws.root / "calc" / "ops.py").read_text()
    assert session.candidate(reply.text) is None
    assert session.edited == []
    assert "calc/ops.py: changed by a command" in session.exploration("trivial")[2][
        "left_out"][0]


@pytest.mark.slow
@needs_bwrap
async def test_through_the_pipeline_the_host_file_never_lands_and_the_ledger_says_why(
        repo: Path):
    """The real Orchestrator, Venom and jail: the host file is in no commit, no branch and
    not in the live tree, and the op's "exploration scored" thought names it."""
    provider = replay(
        "\n".join([tool_call("read_file", path="calc/ops.py"),
                   tool_call("search_code", pattern="clamp"),
                   tool_call("bash", command="cat /etc/os-release > calc/host_info.txt || "
                                             "uname -a > calc/host_info.txt")]),
        tool_call("edit_file", path="calc/ops.py", old="    return x\n",
                  new="    return max(lo, min(x, hi))\n"),
        "Clamped x into [lo, hi].")
    venom = Venom(venom_config(), None, repo.parent / "home")
    end, chain = await run_op(repo, repo.parent / "ledger.sqlite3", "calc/ops.py",
                              provider=provider, tools=venom, policy=no_retry_policy())
    [scored] = [t["data"] for t in chain["thoughts"] if t["msg"] == "exploration scored"]
    assert scored["passed"] and [n.split(":")[0] for n in scored["left_out"]] == [
        "calc/host_info.txt"]
    assert "VALIDATE" in [t["to_phase"] for t in chain["transitions"]], end  # it went on
    assert not (repo / "calc" / "host_info.txt").exists()
    assert "host_info" not in git(repo, "log", "--all", "--name-only", "--format=")
