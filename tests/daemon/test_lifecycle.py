"""Service lifecycle: SIGTERM drains a real daemon process; a crash is recovered at start."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
import time

import pytest

from daemon.control.client import ControlClient
from governance.fs.rollback import RollbackSnapshot
from ledger import Ledger
from tests.helpers import (
    OPS_FIXED,
    add_todo_and_commit,
    git,
    running_daemon,
    settings_for,
    wait_sync,
)

pytestmark = pytest.mark.slow


def _ready(client: ControlClient):
    """The daemon finished start-up (the socket exists earlier, while it is STARTING)."""
    try:
        return client.request("status")["data"]["state"] in ("ACTIVE", "DEGRADED")
    except Exception:
        return False


def _in_flight(client: ControlClient):
    try:
        ops = client.request("status")["data"]["in_flight"]
    except Exception:
        return None
    return ops if ops and ops[0]["phase"] == "GENERATE" else None


def test_sigterm_cancels_in_flight_ops_and_exits_zero(repo, short_tmp):
    slow = {"purpose": "generate", "delay_s": 120,
            "text": json.dumps({"file_path": "calc/ops.py", "full_content": OPS_FIXED})}
    (short_tmp / "slow.jsonl").write_text(json.dumps(slow) + "\n")
    (repo / "ouroboros.toml").write_text(
        f'[provider]\nname = "replay"\nreplay_script = "{short_tmp / "slow.jsonl"}"\n'
        '[daemon]\nshutdown_grace_s = 1.0\n[intake]\ndebounce_s = 0.1\n')
    git(repo, "add", "ouroboros.toml")
    git(repo, "commit", "-qm", "config")
    proc = subprocess.Popen([sys.executable, "-m", "daemon.cli", "run", "--repo", str(repo)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        sock = repo / ".ouroboros" / "control.sock"
        wait_sync(lambda: _ready(ControlClient(sock)), what="daemon ready")
        add_todo_and_commit(repo)
        [op] = wait_sync(lambda: _in_flight(ControlClient(sock)), 90, "op in GENERATE")
        proc.send_signal(signal.SIGTERM)
        time.sleep(0.2)  # (two pending SIGTERMs would merge into one)
        proc.send_signal(signal.SIGTERM)  # repeated SIGTERM must still drain, not force
        _, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    assert not sock.exists()
    states = [json.loads(line)["to"] for line in err.splitlines()
              if '"service state"' in line]
    assert states == ["STARTING", "ACTIVE", "STOPPING", "INACTIVE"]

    async def chain():
        ledger = await Ledger.open(repo / ".ouroboros" / "ledger.sqlite3")
        try:
            return await ledger.chain(op["op_id"])
        finally:
            await ledger.close()

    last = asyncio.run(chain())["transitions"][-1]
    assert (last["from_phase"], last["to_phase"]) == ("GENERATE", "CANCELLED")
    assert "daemon shutting down" in last["reason"]


def test_a_second_daemon_on_the_same_repo_is_refused_and_a_killed_one_lets_go(repo):
    """One daemon per state dir; kill -9 releases the lock with the process."""
    (repo / "ouroboros.toml").write_text('[provider]\nname = "none"\n')
    argv = [sys.executable, "-m", "daemon.cli", "run", "--repo", str(repo)]
    sock = repo / ".ouroboros" / "control.sock"
    first = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_sync(lambda: _ready(ControlClient(sock)), what="first daemon ready")
        second = subprocess.run(argv, capture_output=True, text=True, timeout=60)
        assert second.returncode == 3
        assert f"another daemon (pid {first.pid}) is already running" in second.stderr
        assert _ready(ControlClient(sock))  # the first one was not disturbed
        first.kill()
        first.wait(timeout=10)
        third = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 text=True)
        try:
            wait_sync(lambda: _ready(ControlClient(sock)), what="daemon after kill -9 ready")
        finally:
            third.send_signal(signal.SIGTERM)
            assert third.wait(timeout=30) == 0
    finally:
        first.kill()
        first.wait(timeout=10)


async def test_restart_restores_a_half_applied_op(repo):
    state = repo / ".ouroboros"
    live = repo / "calc" / "ops.py"
    original = live.read_bytes()
    # Simulate a crash between APPLY and VERIFY: ledger rows, snapshot, modified files.
    ledger = await Ledger.open(state / "ledger.sqlite3")
    await ledger.record_operation("op-crashed", source="todo_scanner", goal="g",
                                  session_id="old", envelope={})
    await ledger.append_transition("op-crashed", from_phase="APPROVE", to_phase="APPLY",
                                   reason="auto-approved")
    await ledger.close()
    RollbackSnapshot.capture(state, "op-crashed", repo, ["calc/ops.py", "calc/extra.py"])
    live.write_text("half written")
    (repo / "calc" / "extra.py").write_text("x = 1\n")

    async with running_daemon(repo, settings_for(None)) as daemon:
        chain = await daemon.ledger.chain("op-crashed")
    assert live.read_bytes() == original
    assert not (repo / "calc" / "extra.py").exists()
    last = chain["transitions"][-1]
    assert last["to_phase"] == "POSTMORTEM"
    assert "restored from the rollback snapshot" in last["reason"]
    assert not (state / "rollback" / "op-crashed").exists()
    assert git(repo, "status", "--porcelain") == ""


async def test_spent_daily_budget_keeps_ops_queued(repo, short_tmp):
    from tests.helpers import candidate_turn, wait_for, write_script

    script = write_script(short_tmp / "s.jsonl", candidate_turn("calc/ops.py", OPS_FIXED))
    settings = settings_for(script, cost={"daily_usd": 0.0})
    async with running_daemon(repo, settings) as daemon:
        add_todo_and_commit(repo)
        await wait_for(lambda: len(daemon.queue), what="a queued envelope")
        status = await daemon.status()
        await asyncio.sleep(0.5)  # a window in which an op would have started: the check
        assert daemon.ops == {} and len(daemon.queue) == 1
    assert status.budget_exhausted is True
    from daemon.status.text import status_text

    assert "daily budget spent" in status_text(status)


async def test_a_started_daemon_keeps_its_start_up_objects_out_of_the_collector(repo, short_tmp):
    """gc.freeze() once started: a full collection never walks the modules and the model
    again (it stalled the event loop ~100 ms every few ops)."""
    import gc

    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    async with running_daemon(repo, settings_for(None)) as daemon:
        assert daemon.ready.is_set() and gc.get_freeze_count() > 10_000
