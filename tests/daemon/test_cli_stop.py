"""`ouroboros stop`: a real daemon in a subprocess, asked by the real CLI in another, stops
as SIGTERM stops it (its op in flight ends or is cancelled after the grace, the process
exits 0), with the drain said as it goes; `--timeout` gives up waiting, not stopping; no
daemon is exit 3; under systemd it refuses and names `systemctl`; the socket's owner rule
holds for `stop` as for every verb."""

from __future__ import annotations

import asyncio
import json
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from daemon.cli.stop import Drain, EventStream
from daemon.control.client import ControlClient
from daemon.control.stop import SystemdUnit, systemd_unit
from tests.daemon_process import start, terminal_rows, terminate, wait_ready
from tests.helpers import (
    OPS_FIXED,
    candidate_turn,
    running_daemon,
    settings_for,
    wait_sync,
    write_script,
)

ROOT = Path(__file__).resolve().parents[2]
NOBODY = 65534
STATE = ".ouroboros"


def _cli(repo: Path, *argv: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "daemon.cli", *argv, "--repo", str(repo)],
                          capture_output=True, text=True, stdin=subprocess.DEVNULL,
                          timeout=120, cwd=ROOT)


def _daemon(tmp: Path, repo: Path, *, grace_s: float, delay_s: float,
            env: dict[str, str] | None = None) -> tuple[subprocess.Popen, Path]:
    """A daemon whose one model turn takes `delay_s`, with `grace_s` to drain; serving."""
    slow = {**json.loads(candidate_turn("calc/ops.py", OPS_FIXED)), "delay_s": delay_s}
    script = write_script(tmp / "s.jsonl", json.dumps(slow))
    config = tmp / "ouroboros.toml"
    config.write_text(f'[provider]\nname = "replay"\nreplay_script = "{script}"\n'
                      f'[daemon]\nshutdown_grace_s = {grace_s}\n[tools]\nenabled = false\n'
                      '[intake]\ndebounce_s = 0.1\n')
    log = tmp / "daemon.log"
    proc = start(repo, config, log, env)
    wait_ready(proc, log)
    return proc, config


def _op_in_flight(repo: Path, config: Path) -> str:
    """File work with `signal` and wait until its op is in flight; its id."""
    said = _cli(repo, "signal", "--goal", "clamp x into [lo, hi]", "--file", "calc/ops.py",
                "--urgency", "high", "--config", str(config))
    assert said.returncode == 0, said.stderr
    client = ControlClient(repo / STATE / "control.sock")

    def in_flight() -> list:
        return client.request("status")["data"]["in_flight"]
    return wait_sync(in_flight, 60, "an op in flight", interval=0.05)[0]["op_id"]


@pytest.mark.slow
def test_stop_waits_for_the_op_in_flight_and_then_for_the_exit(short_tmp, repo):
    proc, config = _daemon(short_tmp, repo, grace_s=30, delay_s=1.5)
    try:
        op_id = _op_in_flight(repo, config)
        stop = _cli(repo, "stop", "--config", str(config))
        code = proc.wait(timeout=10)  # stop returned: the process is gone already
    finally:
        terminate(proc)
    assert stop.returncode == 0 and code == 0, stop.stderr
    said = stop.stderr.splitlines()
    assert re.fullmatch(rf"stopping: waiting for {op_id} \(\w+\) to end; after the grace of "
                        r"30s it is cancelled at its next safe point", said[0]), said
    [ended] = [line for line in said if line.startswith(f"stopping: {op_id} ended ")]
    assert not ended.endswith("CANCELLED")  # it had the grace to end on its own
    assert "grace" not in "".join(said[1:])
    assert re.fullmatch(rf"stopped: pid {proc.pid} exited after [\d.]+s\n", stop.stdout)
    assert len(terminal_rows(repo / STATE)[op_id]) == 1


@pytest.mark.slow
def test_past_the_grace_the_op_is_cancelled_and_timeout_gives_up_waiting_only(short_tmp,
                                                                              repo):
    proc, config = _daemon(short_tmp, repo, grace_s=2, delay_s=120)
    try:
        op_id = _op_in_flight(repo, config)
        early = _cli(repo, "stop", "--timeout", "0.5", "--config", str(config))
        still = proc.poll()
        again = _cli(repo, "stop", "--config", str(config))  # asked twice: the same drain
        code = proc.wait(timeout=10)
    finally:
        terminate(proc)
    assert early.returncode == 1 and still is None, early.stderr
    assert re.fullmatch(rf"ouroboros: the daemon \(pid {proc.pid}\) is still stopping after "
                        rf"[\d.]+s \(waiting for {op_id}\); it goes on: `ouroboros status` "
                        "shows it", early.stderr.splitlines()[-1]), early.stderr
    assert again.returncode == 0 and code == 0, again.stderr
    assert f"stopping: {op_id} ended CANCELLED" in again.stderr.splitlines()
    assert terminal_rows(repo / STATE)[op_id] == ["CANCELLED"]


def test_with_no_daemon_stop_says_so_in_one_line(repo):
    proc = _cli(repo, "stop")
    assert proc.returncode == 3 and proc.stdout == ""
    path = repo / STATE / "control.sock"
    assert proc.stderr == f"ouroboros: daemon is not running (no control socket at {path})\n"
    path.parent.mkdir()
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as dead:
        dead.bind(str(path))  # a killed daemon's socket: there, and nobody listens
    proc = _cli(repo, "stop")
    assert proc.returncode == 3 and proc.stderr == (
        f"ouroboros: daemon is not running (stale control socket at {path})\n")


@pytest.mark.slow
def test_under_systemd_stop_refuses_and_names_systemctl(short_tmp, repo):
    notify = short_tmp / "notify.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as manager:
        manager.bind(str(notify))  # systemd's end: READY=1 and the rest arrive here
        proc, config = _daemon(short_tmp, repo, grace_s=1, delay_s=0,
                               env={"NOTIFY_SOCKET": str(notify)})
        try:
            refused = _cli(repo, "stop", "--config", str(config))
            alive = proc.poll() is None
        finally:
            code = terminate(proc)
    assert refused.returncode == 1 and alive and code == 0
    assert refused.stderr.startswith("ouroboros: the daemon runs under systemd")
    assert "stop it with `systemctl " in refused.stderr and "stop " in refused.stderr


@pytest.mark.parametrize(("cgroup", "unit"), [
    ("0::/user.slice/user-1000.slice/user@1000.service/app.slice/"
     "ouroboros@-home-me-src-calc.service\n",
     SystemdUnit("ouroboros@-home-me-src-calc.service", user=True)),
    ("0::/system.slice/ouroboros@-srv-calc.service\n",
     SystemdUnit("ouroboros@-srv-calc.service", user=False)),
    ("12:pids:/\n1:name=systemd:/system.slice/obd.service\n0::/\n",  # cgroup v1
     SystemdUnit("obd.service", user=False)),
    ("0::/\n", SystemdUnit(None, user=False)),  # a container: systemd, its unit unknown
])
def test_the_unit_is_read_from_the_cgroup(tmp_path, cgroup, unit):
    path = tmp_path / "cgroup"
    path.write_text(cgroup)
    assert systemd_unit({"NOTIFY_SOCKET": "/run/x"}, path) == unit
    assert systemd_unit({}, path) is None  # not started by systemd: no NOTIFY_SOCKET
    assert unit.stop_command().startswith("systemctl --user stop " if unit.user
                                          else "systemctl stop ")


def _as_nobody(path: Path, line: bytes) -> bytes:
    """`line` sent to the socket by a process of another user: a fork that drops to
    NOBODY before it connects; what it was answered."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: socket calls only, then out
        try:
            os.close(read)
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
                sock.settimeout(10)
                sock.connect(str(path))
                sock.sendall(line)
                os.write(write, sock.recv(65536))
        except BaseException as exc:  # said to the parent, which fails the test
            os.write(write, f"child: {exc!r}".encode())
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as answer:
        said = answer.read()
    os.waitpid(pid, 0)
    return said


@pytest.mark.skipif(os.geteuid() != 0, reason="another user's process needs root")
async def test_another_user_cannot_stop_it_even_where_the_socket_lets_them_in(short_tmp,
                                                                              repo):
    async with running_daemon(repo, settings_for(None)) as daemon:
        sock = repo / STATE / "control.sock"
        assert sock.stat().st_mode & 0o777 == 0o600  # the first rule: others cannot connect
        refused = await asyncio.to_thread(_as_nobody, sock, b'{"cmd": "stop"}\n')
        assert b"Permission denied" in refused, refused
        for path in (short_tmp, repo, repo / STATE):  # the second: the peer's uid
            path.chmod(0o711)
        sock.chmod(0o666)
        reply = json.loads(await asyncio.to_thread(_as_nobody, sock, b'{"cmd": "stop"}\n'))
        assert reply == {"ok": False, "error": f"uid {NOBODY} may not control this daemon"}
        assert not daemon.stop_event.is_set()


def test_following_a_quiet_drain_waits_on_the_socket_and_says_the_grace_once(capsys):
    """No op in flight and no event: the client sleeps in select until its deadline (a few
    wake-ups, not a spin), past a grace of 0 too; with an op it says the grace once."""
    a, b = socket.socketpair()
    with a, b:
        calls = []

        class Counted(EventStream):
            def next(self, wait_s: float) -> dict | None:
                calls.append(wait_s)
                return super().next(wait_s)

        for waiting in ([], [{"op_id": "op-1", "phase": "GENERATE"}]):
            calls.clear()
            began = time.monotonic()
            drain = Drain({"pid": os.getpid(), "grace_s": 0, "in_flight": waiting,
                           "ends": ["CANCELLED"]}, began)
            drain.follow(Counted(a), began + 0.3)
            assert time.monotonic() - began >= 0.3 and len(calls) <= 3, calls
    said = capsys.readouterr().err.splitlines()
    assert said.count("stopping: the grace of 0s passed: cancelling op-1 at the next safe "
                      "point") == 1 and "stopping: no op in flight" in said
