"""The control socket under garbage, the CLI without a daemon, and the REPL."""

from __future__ import annotations

import asyncio
import os
import socket
import stat
import subprocess
import sys

import pytest

from daemon.cli import main as cli_main
from daemon.control.client import ControlClient
from daemon.status.model import Status, wire
from tests.helpers import running_daemon, settings_for

GARBAGE = [
    b"not json\n",
    b"\xff\xfe\xfa\n",
    b"[1, 2]\n",
    b"42\n",
    b'{"cmd": "explode"}\n',
    b'{"cmd": "cancel"}\n',
    b'{"cmd": "accept", "op": ""}\n',
    b'{"cmd": "approve", "op": "op-abc"}\n',
    b'{"cmd": "status", "extra": 1}\n',
    b'{"cmd": "cancel", "op": "nope"}\n',
    b'{"cmd": "accept", "op": "op-doesnotexist"}\n',
    b'{"cmd": "reject", "op": "op-doesnotexist"}\n',
    b'{"cmd": "review", "op": "op-doesnotexist"}\n',
    b'{"cmd": null}\n',
    b'{"cmd": "reject", "op": "x", "reason": ' + b'"' + b"a" * 3000 + b'"}\n',
    b'{"cmd": "status"' + b"\x00" + b"}\n",
]


def _raw(path, data: bytes) -> bytes:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(5)
        s.connect(str(path))
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)
        out = b""
        while chunk := s.recv(65536):
            out += chunk
    return out


@pytest.mark.slow
async def test_garbage_gets_errors_and_the_daemon_keeps_answering(repo):
    async with running_daemon(repo, settings_for(None)) as daemon:
        sock = daemon.state_dir / "control.sock"
        assert stat.S_IMODE(os.stat(sock).st_mode) == 0o600
        client = ControlClient(sock)
        for data in GARBAGE:
            reply = await asyncio.to_thread(client.send_raw, data)
            assert reply["ok"] is False and reply["error"], data
        too_long = await asyncio.to_thread(_raw, sock, b"x" * (200 * 1024) + b"\n")
        assert b"longer than" in too_long
        assert await asyncio.to_thread(_raw, sock, b"") == b""  # connect and hang up
        status = await asyncio.to_thread(client.request, "status")
        assert status["ok"] and status["data"]["state"] == "DEGRADED"
        assert "provider.name = 'none'" in status["data"]["degraded_reason"]
        assert wire(Status.model_validate(status["data"])) == status["data"]
        paused = await asyncio.to_thread(client.request, "pause")
        assert paused["data"]["paused"] is True and daemon.paused
        await asyncio.to_thread(client.request, "resume")
        assert not daemon.paused


@pytest.mark.slow
async def test_status_cli_renders_degraded_plainly(repo, capsys):
    async with running_daemon(repo, settings_for(None)):
        code = await asyncio.to_thread(cli_main, ["status", "--repo", str(repo)])
    out = capsys.readouterr().out
    assert code == 0
    assert "state:    DEGRADED - no provider configured" in out


@pytest.mark.slow
@pytest.mark.parametrize("argv", [["status"], ["cancel", "abc"], ["pause"], ["accept", "x"]])
def test_cli_without_a_daemon_prints_one_line(repo, argv):  # `review` reads git instead
    proc = subprocess.run([sys.executable, "-m", "daemon.cli", *argv, "--repo", str(repo)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 3
    assert proc.stderr.strip().splitlines() == [
        f"ouroboros: daemon is not running (no control socket at "
        f"{repo / '.ouroboros' / 'control.sock'})"]
    assert "Traceback" not in proc.stderr


@pytest.mark.slow
def test_cli_reports_config_errors_without_traceback(repo):
    (repo / "ouroboros.toml").write_text("[daemon]\nworkers = -1\n")
    proc = subprocess.run([sys.executable, "-m", "daemon.cli", "run", "--repo", str(repo)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 3
    assert "daemon.workers = -1" in proc.stderr and "Traceback" not in proc.stderr


def test_ledger_cli_without_a_ledger(repo, capsys):
    assert cli_main(["ledger", "--list", "--repo", str(repo)]) == 3
    assert "no ledger at" in capsys.readouterr().err


@pytest.mark.slow
async def test_repl_drives_the_same_verbs(repo):
    async with running_daemon(repo, settings_for(None)) as daemon:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "daemon.cli", "repl", "--repo", str(repo),
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE)
        out, _ = await asyncio.wait_for(
            proc.communicate(b"status\npause\nbogus\ncancel\nstop\nquit\n"), 60)
        assert daemon.paused and daemon.stop_event.is_set()  # `stop`: it drains
    text = out.decode()
    assert f"stop: the daemon (pid {os.getpid()}) drains: no op in flight, 2s of grace; " \
        "this connection ends with it" in text
    assert "state:    DEGRADED" in text
    assert "pause: paused=True" in text
    assert "unknown verb 'bogus'" in text
    assert "cancel needs an op id" in text


@pytest.mark.slow
async def test_a_second_daemon_on_the_same_repo_is_refused(repo):
    from daemon.op_handle import ServiceState
    from daemon.service import Daemon

    async with running_daemon(repo, settings_for(None)):
        second = Daemon(repo, settings_for(None))
        with pytest.raises(OSError, match="another daemon is already serving"):
            await second.serve(asyncio.Event())
        assert second.state is ServiceState.FAILED
        # The refused daemon must not have removed the running one's socket.
        status = await asyncio.to_thread(
            ControlClient(repo / ".ouroboros" / "control.sock").request, "status")
        assert status["ok"]


async def test_the_verbs_read_only_what_control_host_names():
    """A plain object with ControlHost's members (ReviewHost's included) and nothing else
    answers every one-reply verb: execute never reaches past the Protocol into the daemon."""
    from types import SimpleNamespace as NS

    from daemon.control.request import parse_request
    from daemon.control.server import ControlHost, execute
    from daemon.control.stop import StopHost
    from daemon.reviews import ReviewHost
    from tests.status_sample import sample_status

    async def status():
        return sample_status()

    async def scan(only=None):
        return {only or "todo": 1}

    async def signal(goal, files, urgency):
        return {"queued": True, "files": files, "urgency": urgency}

    handle = NS(ctx=NS(op_id="op-1"), cancel=NS(cancel=lambda why: None),
                phase=NS(value="GENERATE"))
    host = NS(paused=False, questions=NS(answer=lambda op, text: text == "yes"),
              events=None, status=status, scan=scan, signal=signal, ops={"op-1": handle},
              set_paused=lambda paused: setattr(host, "paused", paused),
              reviews=NS(list=lambda: []), session_id="s-1", ledger=None,
              settings=NS(daemon=NS(shutdown_grace_s=3.0)), submit=None, review_rejected=None,
              stop_event=asyncio.Event())
    protocol = {*ControlHost.__annotations__, *ReviewHost.__annotations__,
                *StopHost.__annotations__, "submit",
                "review_rejected",
                "status", "scan", "signal", "set_paused"}
    assert set(vars(host)) == protocol  # the fake has exactly the Protocol's members

    async def ask(line: str) -> dict:
        return await execute(host, parse_request(line.encode() + b"\n"))

    assert (await ask('{"cmd": "status"}'))["data"]["state"] == "ACTIVE"
    assert (await ask('{"cmd": "scan", "reason": "todo"}'))["data"] == {"todo": 1}
    assert (await ask('{"cmd": "signal", "goal": "g", "files": ["a.py"]}'))["data"][
        "urgency"] == "normal"
    assert (await ask('{"cmd": "pause"}'))["data"] == {"paused": True} and host.paused
    assert (await ask('{"cmd": "review"}'))["data"] == {"reviews": []}
    assert (await ask('{"cmd": "cancel", "op": "op-1"}'))["data"] == {
        "op_id": "op-1", "phase": "GENERATE"}
    assert (await ask('{"cmd": "answer", "op": "op-1", "reason": "yes"}'))["ok"]
    assert "no open question" in (await ask('{"cmd": "answer", "op": "op-1", "reason": "no"}'))[
        "error"]
    assert "no in-flight op" in (await ask('{"cmd": "cancel", "op": "op-2"}'))["error"]
    assert "streams events" in (await ask('{"cmd": "subscribe"}'))["error"]
    stopping = await ask('{"cmd": "stop"}')
    assert stopping["data"]["in_flight"] == [{"op_id": "op-1", "phase": "GENERATE"}]
    assert stopping["data"]["grace_s"] == 3.0 and "CANCELLED" in stopping["data"]["ends"]
    assert host.stop_event.is_set()
