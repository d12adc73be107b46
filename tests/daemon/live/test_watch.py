"""`ouroboros watch` and the REPL's stream as real subprocesses against a real daemon; the
bus and the publishing ledger on their own; what a watcher's terminal can be sent."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys

import pytest

from daemon.cli.watch import LINES, render
from daemon.live.events import Commit, EventBus, OpIntent, PhaseChange, Thought
from daemon.live.sources import LiveLedger
from ledger.redact import redact
from tests.helpers import add_todo_and_commit, running_daemon, settings_for, todo_script

CLI = [sys.executable, "-m", "daemon.cli"]
# A terminal's foreground job gets Ctrl-C. A suite started in the background (`make test &`,
# some CI runners) has SIGINT ignored, and an ignored signal stays ignored across exec: the
# watcher would never see the Ctrl-C this test sends. So it starts as a foreground job would.
FOREGROUND = [sys.executable, "-c", "import runpy, signal, sys; "
              "signal.signal(signal.SIGINT, signal.default_int_handler); "
              "sys.argv[0] = 'ouroboros'; runpy.run_module('daemon.cli', run_name='__main__')"]


async def read_until(stream: asyncio.StreamReader, want: str, timeout: float = 60.0) -> str:
    seen = ""
    async with asyncio.timeout(timeout):
        while want not in seen:
            line = await stream.readline()
            assert line, f"output ended before {want!r}:\n{seen}"
            seen += line.decode()
    return seen


@pytest.mark.slow
async def test_watch_and_watch_json_follow_an_op_and_ctrl_c_exits_cleanly(repo, short_tmp):
    settings = settings_for(todo_script(short_tmp / "s.jsonl"))
    async with running_daemon(repo, settings):
        procs = [await asyncio.create_subprocess_exec(
            *FOREGROUND, "watch", *flags, "--repo", str(repo), stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE, env={**os.environ, "PYTHONFAULTHANDLER": "1"})
            for flags in ([], ["--json"])]
        human, raw = procs
        first = await read_until(human.stdout, "snapshot")
        add_todo_and_commit(repo)
        text = first + await read_until(human.stdout, " commit ")
        lines = (await read_until(raw.stdout, '"kind": "commit"')).splitlines()
        for proc in procs:
            proc.send_signal(signal.SIGINT)
        results = [await _ended(p) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], results
    assert all(not err for _, err in results), results  # no traceback on Ctrl-C
    assert "\x1b[" not in text  # not a TTY: no colours
    for needed in ("daemon ACTIVE", " intent ", "todo_scanner: Resolve the TODO",
                   "- -> CLASSIFY", " model ", " tool ",
                   "read_file", " verify ", "passed", "VERIFY -> COMPLETE", " commit "):
        assert needed in text, (needed, text)
    events = [json.loads(line) for line in lines]
    assert events[0]["kind"] == "snapshot" and events[-1]["kind"] == "commit"


async def _ended(proc: asyncio.subprocess.Process) -> tuple[bytes, bytes]:
    """What a watcher printed once Ctrl-C ended it; one still running after 30 s is a
    failure that shows what it printed and where each of its threads was (SIGABRT makes
    faulthandler print their stacks)."""
    try:
        return await asyncio.wait_for(proc.communicate(), 30)
    except TimeoutError:
        proc.send_signal(signal.SIGABRT)
        try:
            out, err = await asyncio.wait_for(proc.communicate(), 10)
        except TimeoutError:
            proc.kill()
            out, err = await proc.communicate()
        raise AssertionError(f"watch ignored Ctrl-C for 30 s; stdout tail {out[-2000:]!r}, "
                             f"stderr {err[-4000:]!r}") from None


@pytest.mark.slow
async def test_watch_without_a_daemon_says_so_and_exits_3(repo):
    proc = await asyncio.create_subprocess_exec(
        *CLI, "watch", "--repo", str(repo), stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 3 and not out
    assert b"daemon is not running" in err and b"Traceback" not in err


@pytest.mark.slow
async def test_the_repl_streams_events_while_its_verbs_keep_answering(repo, short_tmp):
    settings = settings_for(todo_script(short_tmp / "s.jsonl"))
    async with running_daemon(repo, settings):
        proc = await asyncio.create_subprocess_exec(
            *CLI, "repl", "--repo", str(repo), stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        seen = await read_until(proc.stdout, "snapshot")
        add_todo_and_commit(repo)
        seen += await read_until(proc.stdout, " commit ")
        proc.stdin.write(b"status\nsubscribe\n")  # a verb, then the stream verb itself
        await proc.stdin.drain()
        seen += await read_until(proc.stdout, "already following the event stream")
        proc.stdin.write(b"quit\n")
        await proc.stdin.drain()
        out, err = await asyncio.wait_for(proc.communicate(), 30)
    seen += out.decode()
    assert proc.returncode == 0, err
    assert " intent " in seen and " commit " in seen
    after_commit = seen.split(" commit ", 1)[1]
    assert "state:    ACTIVE" in after_commit and "dispatch: running" in after_commit


# -- the bus on its own -----------------------------------------------------------------------

async def take(sub, n: int) -> list[dict]:
    frames = sub.frames(heartbeat_s=5)
    return [json.loads((await anext(frames)).line) for _ in range(n)]


async def test_a_full_buffer_drops_the_oldest_then_says_so_and_resyncs():
    bus = EventBus(buffer=3)
    bus.state_of = lambda: {"state": "ACTIVE"}
    sub = bus.subscribe()
    for n in range(5):
        bus.publish(Thought(op_id=f"op-{n}", phase="X", msg=str(n)))
    got = await take(sub, 6)
    assert [e["kind"] for e in got] == ["snapshot", "dropped", "snapshot", "thought",
                                        "thought", "thought"]
    assert got[1]["count"] == 2 and got[2]["seq"] == 5  # the snapshot reflects seq 1..5
    assert [e["seq"] for e in got[3:]] == [3, 4, 5]  # the newest kept, in order


@pytest.mark.slow
async def test_publishing_never_raises_and_a_broken_snapshot_still_streams():
    bus = EventBus(max_subscribers=1)
    bus.state_of = lambda: 1 / 0
    sub = bus.subscribe()
    with pytest.raises(Exception, match="1 watchers already subscribed"):
        bus.subscribe()
    bus.publish(PhaseChange(op_id="op-1", frm=None, to="CLASSIFY", cost_delta=float("nan")))
    bus.publish(Commit(op_id="op-1", sha="abc", goal="g"))
    assert bus.errors == 1  # NaN is not JSON: counted, not raised, seq still moves on
    got = await take(sub, 2)
    assert got[0]["kind"] == "snapshot" and "snapshot failed" in got[0]["error"]
    assert got[1]["kind"] == "commit" and got[1]["seq"] == 2
    sub.close()
    assert not bus.subscribers


async def test_the_publishing_ledger_redacts_caps_and_stays_silent_when_a_record_fails(tmp_path):
    secret = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"
    assert redact(secret) != secret
    bus = EventBus()
    ledger = await LiveLedger.open(tmp_path / "l.sqlite3")
    ledger.attach(bus, queue_view=list, notify_delay_s=5.0)
    sub = bus.subscribe()
    await ledger.record_operation("op-1", source="human", goal=f"use {secret} " + "y" * 9000,
                                  session_id="s", envelope={"target_files": ["a.py"]})
    await ledger.record_tool_call("op-1", round=1, tool="bash", arguments={"cmd": secret},
                                  verdict="denied")
    await ledger.record_thought("op-1", "APPROVE", "applying in 5s unless cancelled",
                                {"cancel": "ouroboros cancel op-1", "diff": "+x\n" * 9000})
    await ledger.close()
    with pytest.raises(Exception):  # noqa: B017 - any failure: the record did not happen
        await ledger.append_transition("op-1", from_phase=None, to_phase="CLASSIFY", reason="")
    got = await take(sub, 4)
    assert [e["kind"] for e in got] == ["snapshot", "intent", "tool", "notify_apply"]
    wire = json.dumps(got)
    assert secret not in wire
    assert len(got[1]["goal"]) <= 2000 and len(got[3]["diff"]) <= 8000
    assert got[3]["delay_s"] == 5.0 and bus.seq == 3  # nothing for the failed record


@pytest.mark.parametrize("kind", sorted(LINES))
def test_every_kind_renders_as_one_line_that_cannot_drive_the_terminal(kind):
    hostile = "evil\x1b[2J\x1b]0;title\x07\r\nnext\u202eline"
    event = {"kind": kind, "ts": 0, "op_id": hostile, "goal": hostile, "files": [hostile],
             "reason": hostile, "msg": hostile, "tool": hostile, "arguments": hostile,
             "diff": hostile, "state": hostile, "in_flight": [{"op_id": hostile}],
             "sha": hostile, "frm": hostile, "to": hostile, "error": hostile}
    for colour in (False, True):
        line = render(event, colour)
        body = line.removeprefix("\x1b[").split("m", 1)[-1] if colour else line
        body = body.removesuffix("\x1b[0m")
        assert "\n" not in line and "\r" not in line and "\x07" not in line
        assert "\x1b" not in body and "\u202e" not in body, repr(line)


def test_an_unknown_kind_or_malformed_event_still_renders():
    assert render({"kind": "heartbeat"}) is None
    assert "surprise" in render({"kind": "surprise", "x": 1})
    assert render({"kind": "model", "ts": "garbage", "cost_usd": "lots"})
    assert render({"kind": "intent", "files": 3}) is not None
    assert OpIntent(op_id="o", source="s", goal="g").payload()["kind"] == "intent"

