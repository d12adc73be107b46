"""The whole path in a real git repo: TODO -> watchdog -> queue -> 11 phases -> commit."""

from __future__ import annotations

import asyncio
import hashlib
import subprocess
from pathlib import Path

import pytest

from daemon.cli import main as cli_main
from daemon.cli.render import chain_text
from daemon.control.client import ControlClient
from tests.helpers import (
    OPS_BROKEN,
    OPS_FIXED,
    add_todo_and_commit,
    candidate_turn,
    explore_turn,
    git,
    run_todo,
    running_daemon,
    settings_for,
    tree_bytes,
    wait_for,
    wait_terminal,
    write_script,
)

pytestmark = pytest.mark.slow

ALL_PHASES = ["CLASSIFY", "ROUTE", "CONTEXT_EXPANSION", "PLAN", "GENERATE", "VALIDATE", "GATE",
              "APPROVE", "APPLY", "VERIFY", "COMPLETE"]


def _trailers(repo: Path) -> dict[str, str]:
    message = git(repo, "log", "-1", "--format=%B")
    parsed = subprocess.run(["git", "interpret-trailers", "--parse"], input=message,
                            capture_output=True, text=True, check=True).stdout
    return dict(line.split(": ", 1) for line in parsed.strip().splitlines())


async def test_todo_becomes_a_governed_commit(repo: Path, short_tmp: Path, capsys) -> None:
    script = write_script(short_tmp / "script.jsonl", explore_turn(),
                          candidate_turn("calc/ops.py", OPS_FIXED))
    (repo / "notes.txt").write_text("staged by the human\n")
    git(repo, "add", "notes.txt")
    (repo / "README.md").write_text("# calc\nunstaged human edit\n")
    staged_before = git(repo, "diff", "--cached")
    unstaged_before = git(repo, "diff")
    head_before = git(repo, "rev-parse", "HEAD").strip()

    run = await run_todo(repo, settings_for(script))
    op, todo_head = run.op, run.head.strip()

    assert op["phase"] == "COMPLETE", op
    assert git(repo, "rev-parse", "HEAD~1").strip() == todo_head != head_before
    assert git(repo, "show", "--name-only", "--format=", "HEAD").split() == ["calc/ops.py"]
    assert (repo / "calc" / "ops.py").read_text() == OPS_FIXED
    assert git(repo, "log", "-1", "--format=%an <%ae>") == "Ouroboros <ouroboros@localhost>\n"
    subject = git(repo, "log", "-1", "--format=%s").strip()
    assert subject.startswith("refactor(calc): ")
    trailers = _trailers(repo)
    assert trailers["Op-Id"] == op["op_id"]
    assert trailers["Signal"] == "todo_scanner"
    assert trailers["Risk"] == "SAFE_AUTO"
    assert trailers["Provider"] == "replay"
    assert trailers["Generated-By"] == "Ouroboros + Venom"  # it explored with tools first
    assert trailers["Signed-off-by"] == "Ouroboros <ouroboros@localhost>"
    diff = subprocess.run(["git", "diff-tree", "-p", "--no-color", "--full-index", "--binary",
                           "HEAD~1^{tree}", "HEAD^{tree}"], cwd=repo, capture_output=True,
                          check=True).stdout
    assert trailers["Integrity"] == "sha256:" + hashlib.sha256(diff).hexdigest()
    # The human's work is exactly as it was: still staged, still unstaged.
    assert git(repo, "diff", "--cached") == staged_before
    assert git(repo, "diff") == unstaged_before
    status = git(repo, "status", "--porcelain")
    assert "M  notes.txt" in status and " M README.md" in status
    assert "calc/ops.py" not in status

    argv = ["ledger", op["op_id"][3:10], "--repo", str(repo)]
    assert await asyncio.to_thread(cli_main, argv) == 0
    out = capsys.readouterr().out
    for phase in ALL_PHASES:
        assert f"-> {phase}" in out, phase


async def test_breaking_candidate_ends_in_postmortem(repo: Path, short_tmp: Path) -> None:
    # The model keeps proposing a broken change, worded otherwise each time (the same one
    # again would be refused at once as a repeat: tests/governance/phases/test_repeats.py):
    # initial try + 2 retries, then two L2 repairs (single turns, no exploration) that
    # change nothing: no progress. (It keeps the TODO: removing it without resolving it
    # would be refused before any test ran.)
    broken = OPS_BROKEN.replace("def clamp(x, lo, hi):\n",
                                "def clamp(x, lo, hi):\n    # TODO: clamp x into [lo, hi]\n")
    tries = [candidate_turn("calc/ops.py", f"{broken}# try {k}\n") for k in range(3)]
    turn = tries[-1]
    script = write_script(short_tmp / "script.jsonl",
                          *[t for k in tries for t in (explore_turn(), k)], turn, turn)
    run = await run_todo(repo, settings_for(script))

    assert run.op["phase"] == "POSTMORTEM"
    last = run.chain["transitions"][-1]
    assert "tests/test_ops.py::test_add" in last["reason"]
    assert last["from_phase"] == "L2_REPAIR" and last["payload"]["stop"] == "no_progress"
    assert [t["to_phase"] for t in run.chain["transitions"]].count("VALIDATE_RETRY") == 2
    # Every refusal keeps what the failing test said: no re-run by hand to see why.
    retry = next(t for t in run.chain["transitions"] if t["to_phase"] == "VALIDATE_RETRY")
    for said in (retry["payload"]["failures"], last["payload"]["failures"]):
        add = next(f for f in said if f["test"] == "tests/test_ops.py::test_add")
        assert add["message"].startswith("assert -1 == 5"), said
        assert "tests/test_ops.py:5: AssertionError" in add["tail"]
    assert "FAILED tests/test_ops.py::test_add: assert -1 == 5" in chain_text(run.chain)
    assert tree_bytes(repo) == run.before
    assert git(repo, "rev-parse", "HEAD") == run.head


async def test_cancel_in_notify_window(repo: Path, short_tmp: Path) -> None:
    script = write_script(short_tmp / "script.jsonl", explore_turn(),
                          candidate_turn("calc/ops.py", OPS_FIXED))
    settings = settings_for(script, governance={"notify_globs": ["calc/*"],
                                                "notify_apply_delay_s": 60})
    async with running_daemon(repo, settings) as daemon:
        add_todo_and_commit(repo)
        before = tree_bytes(repo)
        head = git(repo, "rev-parse", "HEAD")
        await wait_for(lambda: any(h.phase.value == "APPROVE" for h in daemon.ops.values()),
                       what="op in the notify window")
        op_id = next(iter(daemon.ops))
        client = ControlClient(daemon.state_dir / "control.sock")
        reply = await asyncio.to_thread(client.request, "cancel", op_id[3:9], "not now")
        assert reply["ok"], reply
        [op] = await wait_terminal(daemon)
        chain = await daemon.ledger.chain(op_id)

    assert op["phase"] == "CANCELLED"
    assert "not now" in chain["transitions"][-1]["reason"]
    assert "APPLY" not in [t["to_phase"] for t in chain["transitions"]]
    assert tree_bytes(repo) == before
    assert git(repo, "rev-parse", "HEAD") == head


async def test_a_change_for_a_human_waits_on_a_review_branch_and_accept_lands_it(
        repo: Path, short_tmp: Path) -> None:
    """Nothing waits in a worker: the op ends PROPOSED with a branch; `accept` lands the
    very same change through the pipeline (VALIDATE and VERIFY on today's HEAD), and the
    review branch goes."""
    script = write_script(short_tmp / "script.jsonl", explore_turn(),
                          candidate_turn("calc/ops.py", OPS_FIXED))
    settings = settings_for(script, governance={"approval_globs": ["calc/ops.py"]})
    async with running_daemon(repo, settings) as daemon:
        add_todo_and_commit(repo)
        head = git(repo, "rev-parse", "HEAD")
        [proposed] = await wait_terminal(daemon)
        assert proposed["phase"] == "PROPOSED"
        op_id = proposed["op_id"]
        assert git(repo, "rev-parse", "HEAD") == head
        branch = f"ouroboros/{op_id}"
        assert git(repo, "show", f"{branch}:calc/ops.py") == OPS_FIXED
        message = git(repo, "log", "-1", "--format=%B", branch)
        assert "Evidence: proven (new behaviour); needs a human: classified " \
            "APPROVAL_REQUIRED by rule configured_approval" in message, message
        client = ControlClient(daemon.state_dir / "control.sock")
        reply = await asyncio.to_thread(client.request, "accept", op_id, "looks right")
        assert reply["ok"], reply
        done = await wait_terminal(daemon, count=2)
    accepted = next(o for o in done if o["op_id"] != op_id)
    assert accepted["phase"] == "COMPLETE", accepted
    trailers = _trailers(repo)
    assert trailers["Signal"] == "review" and trailers["Risk"] == "APPROVAL_REQUIRED"
    assert trailers["Evidence"].startswith(f"accepted by a human (review of {op_id}")
    assert (repo / "calc" / "ops.py").read_text() == OPS_FIXED
    assert git(repo, "branch", "--list", branch) == ""


async def test_verify_failure_on_live_tree_rolls_back(repo: Path, short_tmp: Path) -> None:
    # An ignored local file exists only in the live tree, so the sandbox passes and the
    # live run fails: VERIFY must restore the file and commit nothing.
    (repo / ".gitignore").write_text("calc/local_settings.py\n")
    (repo / "calc" / "local_settings.py").write_text("STRICT = True\n")
    (repo / "tests" / "test_ops.py").write_text(
        (repo / "tests" / "test_ops.py").read_text()
        + "\n\ndef test_clamp_local():\n"
        "    import importlib.util\n"
        "    from calc.ops import clamp\n"
        "    if importlib.util.find_spec('calc.local_settings'):\n"
        "        assert clamp(5, 0, 3) == 5\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "local settings hook")
    # L2 repairs the VERIFY failure once; its repair (the same change) passes in the
    # sandbox, which cannot see the ignored file, goes through APPLY again and fails VERIFY
    # again: the op rolls back.
    script = write_script(short_tmp / "script.jsonl", explore_turn(),
                          candidate_turn("calc/ops.py", OPS_FIXED),
                          candidate_turn("calc/ops.py", OPS_FIXED))
    run = await run_todo(repo, settings_for(script))
    last = run.chain["transitions"][-1]
    assert run.op["phase"] == "POSTMORTEM"
    walk = [t["to_phase"] for t in run.chain["transitions"]]
    assert walk[walk.index("VERIFY"):] == ["VERIFY", "L2_REPAIR", "GATE", "APPROVE", "APPLY",
                                           "VERIFY", "POSTMORTEM"]
    assert last["from_phase"] == "VERIFY"
    assert "tests/test_ops.py::test_clamp_local" in last["reason"]
    assert last["payload"]["rolled_back"] == ["calc/ops.py"]
    assert tree_bytes(repo) == run.before
    assert git(repo, "rev-parse", "HEAD") == run.head
    assert not list((run.daemon.state_dir / "rollback").iterdir())


async def test_a_todo_committed_before_the_daemon_started_is_picked_up(repo: Path,
                                                                      short_tmp: Path) -> None:
    add_todo_and_commit(repo)  # no file event will ever announce it
    script = write_script(short_tmp / "script.jsonl", explore_turn(),
                          candidate_turn("calc/ops.py", OPS_FIXED))
    async with running_daemon(repo, settings_for(script)) as daemon:
        [op] = await wait_terminal(daemon, timeout=60)
    assert op["phase"] == "COMPLETE"
    assert (repo / "calc/ops.py").read_text() == OPS_FIXED
