"""A brain outage is not the work's failure (issue 44, items 1 and 4), with a real daemon
and a real OpenAI-compatible HTTP server as its only brain (tests.replay_http: the replay
stand-in behind a real socket, stopped and started by the test on the same port).

- The server is down when the daemon starts: the start-up says which brain and what to
  start, `status` says it is down and since when, no op ends POSTMORTEM and no failed-work
  record is written; the server starts: the TODO's op starts within one probe interval and
  lands.
- The server is killed in the middle of a reply, twice: the op waits for a brain (the
  ledger's "waiting for a brain since ...", `status` counts it), resumes when the server
  is back, and lands; the work earned no failed-work record and no backoff.

The probe schedule is shortened (`[provider] probe_interval_s`) so the test waits fractions
of a second where the daemon's adaptive schedule waits up to a minute."""

from __future__ import annotations

import asyncio
import contextlib
import time
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from daemon.doctor_brains import brains_down, down_checks
from daemon.status.text import status_text
from kernel.replay import ReplayProvider, load_script
from ledger import Ledger
from tests.helpers import (
    add_todo_and_commit,
    explore_turn,
    running_daemon,
    script_turn,
    settings_for,
    todo_script,
    tool_call,
    wait_for,
    wait_terminal,
    write_script,
)
from tests.local_http import serving
from tests.replay_http import HANG, MODEL, ReplayServer

pytestmark = pytest.mark.slow

PROBE_S = 0.3


def _free_port() -> int:
    with serving(ReplayServer(ReplayProvider([])).app()) as url:
        return int(url.rsplit(":", 1)[1])


def _settings(port: int, model: str = MODEL, **daemon: float):
    return settings_for(None, provider={"http": [{
        "kind": "openai", "base_url": f"http://127.0.0.1:{port}/v1", "model": model,
        "name": "llamacpp"}], "probe_interval_s": PROBE_S}, governance={"plan_trials": 0},
        daemon=daemon)


async def _work_records(daemon) -> list[dict]:
    """The work records once every op's bookkeeping has ended: an op is terminal in the
    ledger a moment before its work record is written (daemon.dispatch.run_op)."""
    await wait_for(lambda: not daemon.ops and daemon.quiet.running == 0,
                   what="the ops' bookkeeping ended")
    return await daemon.ledger.latest_work()


async def test_a_daemon_started_before_its_brain_loses_nothing(repo: Path, short_tmp: Path,
                                                               caplog):
    port = _free_port()
    server = ReplayServer(ReplayProvider(load_script(todo_script(short_tmp / "s.jsonl"))))
    add_todo_and_commit(repo)  # found by the start-up scan, while the brain is down
    async with running_daemon(repo, _settings(port)) as daemon:
        assert daemon.provider.queue_only  # known down at start: no op started to fail
        assert daemon.state.value == "ACTIVE"  # not a DEGRADED that would outlive the outage
        text = status_text(await daemon.status())
        assert "brain llamacpp down since" in text, text
        assert f"nothing answers at http://127.0.0.1:{port}/v1: start your server" in text
        said = await asyncio.to_thread(brains_down, repo, None, {})  # `doctor`'s question
        [(name, status, detail, fix)] = down_checks(said)
        assert (name, status) == ("brain llamacpp", "warn") and "0 op(s) wait" in detail
        assert fix == f"nothing answers at http://127.0.0.1:{port}/v1: start your server"
        await wait_for(lambda: len(daemon.queue) == 1, what="the TODO queued")
        assert "0 op(s) wait for it, 1 queued" in status_text(await daemon.status())
        await asyncio.sleep(5 * PROBE_S)  # several probes find nothing: still nothing runs
        assert await daemon.ledger.operations() == []
        with serving(server.app(), port):
            answered = time.monotonic()
            [op] = await wait_terminal(daemon, timeout=60)
            first_call = server.requests[0] - answered
        assert op["phase"] == "COMPLETE", await daemon.ledger.chain(op["op_id"])
        assert [r["event"] for r in await _work_records(daemon)] == ["completed"]
    # one probe interval and the op's way to its first model call (0.4 s on an idle
    # machine, seconds at a load of 5 on 2 cores); the backoff alone would wait 120 s
    assert first_call < PROBE_S + 15.0, first_call


async def test_a_server_that_does_not_list_the_model_is_asked_not_waited_for(
        repo: Path, short_tmp: Path):
    """The entry names a model the server does not list (llama.cpp's server lists its
    --model_alias): the server answers, so its first probe passes and the op is asked
    through it (it lands), and `status` says the configuration error once."""
    port = _free_port()
    server = ReplayServer(ReplayProvider(load_script(todo_script(short_tmp / "s.jsonl"))))
    add_todo_and_commit(repo)
    async with running_daemon(repo, _settings(port, model="smollm2")) as daemon:
        assert daemon.provider.queue_only  # down at start
        with serving(server.app(), port):
            answered = time.monotonic()
            [op] = await wait_terminal(daemon, timeout=60)
            first_call = server.requests[0] - answered
        assert op["phase"] == "COMPLETE", await daemon.ledger.chain(op["op_id"])
        lines = [ln for ln in status_text(await daemon.status()).splitlines()
                 if ln.startswith("model:")]
        assert len(lines) == 1 and "does not list model 'smollm2'" in lines[0], lines
        assert "down:" not in status_text(await daemon.status())
    assert first_call < PROBE_S + 15.0, first_call  # not the 120 s backoff


async def test_a_server_killed_mid_reply_twice_leaves_the_op_waiting_not_failed(
        repo: Path, short_tmp: Path):
    port = _free_port()
    explore, *fix = load_script(todo_script(short_tmp / "s.jsonl"))
    hang = explore.model_copy(update={"text": HANG})
    # each attempt explores afresh: the one cut short, and the one asked again
    server = ReplayServer(ReplayProvider([explore, hang, explore, hang, explore, *fix]))
    with capture_logs() as seen:
        op = await _killed_twice(repo, port, server, seen)
    # a wait is no attempt: the attempt cut short is asked again as the same attempt
    asked = [t["data"] for t in op["thoughts"] if t["msg"].startswith("generating candidate")]
    assert [(a["attempt"], a["asked_again"]) for a in asked] == [
        (1, False), (1, True), (1, True)], asked


async def _killed_twice(repo: Path, port: int, server: ReplayServer, seen: list[dict]) -> dict:
    """The op's chain, after its server was killed under its reply twice and came back."""
    async with running_daemon(repo, _settings(port, heartbeat_s=0.2)) as daemon:
        for kill in range(2):
            with contextlib.ExitStack() as up:
                up.enter_context(serving(server.app(), port))
                if kill == 0:
                    add_todo_and_commit(repo)
                assert await asyncio.to_thread(server.hanging.wait, 60), "no reply began"
                server.hanging.clear()
                # leaving the block stops the server under the hanging reply
            [op] = await daemon.ledger.operations()
            op_id = op["op_id"]
            await wait_for(lambda: op_id in daemon.provider.waiters, what="the wait")  # noqa: B023
            chain = await daemon.ledger.chain(op_id)
            assert [t["msg"] for t in chain["thoughts"]
                    if t["data"].get("waiting_for_brain")][-1].startswith(
                        "waiting for a brain since ")
            text = status_text(await daemon.status())
            assert "1 op(s) wait for it" in text, text
            assert f"{op_id} GENERATE" in text and "waiting for a brain since " in text, text
            assert [o["phase"] for o in await daemon.ledger.operations()] != ["POSTMORTEM"]
            # the heartbeat says the op waits for a brain, not that it is working
            waiting = ("waiting for a brain", op_id)
            [beat, *_] = await wait_for(lambda: [
                e for e in seen if (e["event"], e.get("op_id")) == waiting  # noqa: B023
            ], what="the heartbeat's waiting line")
            assert beat["brains"] == "llamacpp" and beat["phase"] == "GENERATE", beat
        with serving(server.app(), port):
            [op] = await wait_terminal(daemon, timeout=90)
        chain = await daemon.ledger.chain(op["op_id"])
        assert op["phase"] == "COMPLETE", chain["transitions"][-1]
        waits = [t["msg"] for t in chain["thoughts"] if t["data"].get("waiting_for_brain")]
        assert len(waits) == 2, waits
        assert [r["event"] for r in await _work_records(daemon)] == ["completed"]
        assert (await daemon.status()).held_back == []
        return chain



async def test_an_op_waiting_for_its_brain_holds_no_worker(repo: Path, short_tmp: Path):
    """One worker; the TODO's route asks only the HTTP brain, which is down; a human's
    signal on another file goes to the in-process replay brain and ends meanwhile."""
    port = _free_port()
    script = write_script(short_tmp / "replay.jsonl", explore_turn("notes.txt"), script_turn(
        tool_call("edit_file", path="notes.txt", old="notes\n", new="notes, edited\n")),
        script_turn("Edited the notes."))
    settings = settings_for(script, provider={"http": [{
        "kind": "openai", "base_url": f"http://127.0.0.1:{port}/v1", "model": MODEL,
        "name": "llamacpp"}], "probe_interval_s": PROBE_S}, governance={"plan_trials": 0},
        daemon={"workers": 1},
        routes={"background": {"brains": ["llamacpp"], "timeout_s": 180, "budget_s": 900}})
    add_todo_and_commit(repo)
    async with running_daemon(repo, settings) as daemon:
        [todo] = await wait_for(lambda: list(daemon.provider.waiters), what="the TODO waits")
        await daemon.signal("say the notes were edited", ["notes.txt"], "normal")
        [other] = await wait_terminal(daemon, timeout=60)
        assert other["op_id"] != todo and todo in daemon.provider.waiters
    ledger = await Ledger.open(repo / ".ouroboros" / "ledger.sqlite3")
    try:  # the daemon stopped under the waiting op: nothing said about its work
        assert [(r["op_id"], r["event"]) for r in await ledger.latest_work()] == [
            (other["op_id"], "proposed")]
    finally:
        await ledger.close()
