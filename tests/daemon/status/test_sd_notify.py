"""sd_notify against a real AF_UNIX datagram socket standing in for systemd's: a running
daemon says READY, keeps the watchdog fed from its event loop (a blocked loop sends nothing),
reports its queue and in-flight ops in STATUS=, and says STOPPING; hostile environments and
a manager that never reads cannot hang or crash it."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import threading
import time
from pathlib import Path

import pytest

from daemon.status import sd_notify
from governance.schemas import SignalEnvelope
from tests.helpers import OPS_FIXED, running_daemon, settings_for, wait_for, write_script


class Receiver:
    """systemd's end: a bound datagram socket; `messages` is everything received."""

    def __init__(self, path: Path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(path))
        self.sock.setblocking(False)
        self.path = path
        self.messages: list[str] = []

    def drain(self) -> list[str]:
        new = []
        while True:
            try:
                new.append(self.sock.recv(65536).decode())
            except BlockingIOError:
                break
        self.messages += new
        return new

    def assignments(self) -> list[str]:
        self.drain()
        return [line for m in self.messages for line in m.split("\n")]

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def receiver(short_tmp):
    r = Receiver(short_tmp / "notify.sock")
    yield r
    r.close()


def _envelope(target: str, key: str) -> SignalEnvelope:
    return SignalEnvelope(source="todo_scanner", target_files=(target,), goal=f"fix {target}",
                          dedup_key=key, session_id="s-test")


@pytest.mark.slow
async def test_a_running_daemon_feeds_the_watchdog_from_its_loop_and_reports_its_work(
        repo, short_tmp, receiver, monkeypatch):
    slow = json.dumps({"purpose": "generate", "delay_s": 120, "text": json.dumps(
        {"file_path": "calc/ops.py", "full_content": OPS_FIXED})})
    script = write_script(short_tmp / "slow.jsonl", slow, slow)
    monkeypatch.setenv("NOTIFY_SOCKET", str(receiver.path))
    monkeypatch.setenv("WATCHDOG_USEC", "200000")  # a ping every 0.1 s
    monkeypatch.setenv("WATCHDOG_PID", str(os.getpid()))
    settings = settings_for(script, daemon={"workers": 1}, intake={"todo_scanner": False})
    async with running_daemon(repo, settings) as daemon:
        assert "READY=1" in receiver.assignments()
        await daemon.submit(_envelope("calc/ops.py", "k1"))
        await daemon.submit(_envelope("README.md", "k2"))

        def busy_status():
            return [a for a in receiver.assignments() if a.startswith("STATUS=")
                    and "queue: 1 waiting" in a and "in flight: 1 (op-" in a
                    and "GENERATE" in a]

        [line, *_] = await wait_for(busy_status, what="STATUS with one queued, one in flight")
        assert line.startswith("STATUS=ACTIVE; ") or line.startswith("STATUS=DEGRADED; ")
        await wait_for(lambda: receiver.assignments().count("WATCHDOG=1") >= 3,
                       what="watchdog pings")
        # The pings come from the event loop: while it is blocked nothing at all is sent.
        receiver.drain()
        time.sleep(1.0)  # blocks this loop, the daemon's, for ten ping intervals
        assert receiver.drain() == []
        before = receiver.assignments().count("WATCHDOG=1")
        await wait_for(lambda: receiver.assignments().count("WATCHDOG=1") > before,
                       what="pings to resume once the loop runs again")
    assert "STOPPING=1" in receiver.assignments()


async def test_no_notify_socket_means_no_messages_and_no_keepalive(monkeypatch):
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    assert sd_notify.notify("READY=1") is False
    assert sd_notify.watchdog_period() is None
    calls = []
    await asyncio.wait_for(sd_notify.keepalive(lambda: calls.append(1) or "x"), 30)
    assert calls == []  # it returned at once, never asked for a status


@pytest.mark.parametrize("usec, pid, expected", [
    ("200000", None, 0.1), ("200000", "self", 0.1), ("", None, None), ("abc", None, None),
    ("0", None, None), ("-5", None, None), ("1e6", None, None), ("200000", "1", None),
    ("200000", "not-a-pid", None), ("200000", "", None)])
def test_watchdog_period_only_for_a_watchdog_meant_for_this_process(usec, pid, expected):
    env = {"NOTIFY_SOCKET": "/run/x", "WATCHDOG_USEC": usec}
    if pid is not None:
        env["WATCHDOG_PID"] = str(os.getpid()) if pid == "self" else pid
    assert sd_notify.watchdog_period(env) == expected


@pytest.mark.parametrize("address", ["/nonexistent/dir/notify.sock", "relative.sock", "@",
                                     "/dev/null", "/tmp/a\0b", "x" * 300])
def test_a_garbage_notify_socket_is_a_failed_send_not_a_crash(address):
    assert sd_notify.notify("READY=1", {"NOTIFY_SOCKET": address}) is False


def test_a_stream_socket_is_refused(short_tmp):
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as stream:
        stream.bind(str(short_tmp / "stream.sock"))
        stream.listen()
        assert sd_notify.notify("READY=1", {"NOTIFY_SOCKET": str(short_tmp / "stream.sock")}) \
            is False


def test_abstract_namespace_socket(short_tmp):
    name = f"ob-test-{os.getpid()}-{short_tmp.name}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind("\0" + name)
        assert sd_notify.notify("STATUS=x", {"NOTIFY_SOCKET": "@" + name})
        assert sock.recv(100) == b"STATUS=x"


def test_a_manager_that_never_reads_never_blocks_the_sender(receiver):
    """A full receive queue drops messages; a blocking send would stall the event loop."""
    receiver.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
    env = {"NOTIFY_SOCKET": str(receiver.path)}
    results: list[bool] = []

    def flood():
        for _ in range(5000):
            results.append(sd_notify.notify("STATUS=" + "x" * 200, env))
            if not results[-1]:
                break

    worker = threading.Thread(target=flood, daemon=True)
    worker.start()
    worker.join(60)
    assert not worker.is_alive(), "notify blocked on a full queue"
    assert results[0] is True and results[-1] is False


@pytest.mark.parametrize("why", ["bad\nMAINPID=1\nREADY=1", "x\r\nWATCHDOG=trigger",
                                 "nul\0STOPPING=1", "tab\tand\x7fdel", "é" * 2000])
def test_status_is_one_bounded_line_whatever_the_reason_says(why):
    line = sd_notify.status_line("DEGRADED", why, 3, [("op-1", "GENERATE")])
    assert "\n" not in line and "\r" not in line and "\0" not in line and "\x7f" not in line
    assert len(line) <= sd_notify.MAX_STATUS_CHARS
    assert line.startswith("DEGRADED; queue: 3 waiting; in flight: 1 (op-1 GENERATE)")


def test_status_names_a_few_ops_and_counts_the_rest():
    ops = [(f"op-{i}", "VALIDATE") for i in range(7)]
    line = sd_notify.status_line("ACTIVE", "", 0, ops)
    assert line == ("ACTIVE; queue: 0 waiting; in flight: 7 (op-0 VALIDATE, op-1 VALIDATE, "
                    "op-2 VALIDATE, op-3 VALIDATE, +3 more)")


async def test_a_failing_status_does_not_stop_the_watchdog(receiver):
    env = {"NOTIFY_SOCKET": str(receiver.path), "WATCHDOG_USEC": "100000"}

    def broken() -> str:
        raise RuntimeError("boom")

    task = asyncio.create_task(sd_notify.keepalive(broken, env))
    try:
        await wait_for(lambda: receiver.assignments().count("WATCHDOG=1") >= 2,
                       what="pings despite a failing status")
    finally:
        task.cancel()
    assert "STATUS=status unavailable: RuntimeError" in receiver.assignments()
    assert not task.done() or task.cancelled()


@pytest.mark.slow
async def test_status_is_sent_only_when_it_changes(receiver, monkeypatch):
    monkeypatch.setattr(sd_notify, "STATUS_PERIOD_S", 0.05)
    env = {"NOTIFY_SOCKET": str(receiver.path)}  # no watchdog: status only
    state = {"line": "ACTIVE; queue: 0 waiting"}
    task = asyncio.create_task(sd_notify.keepalive(lambda: state["line"], env))
    try:
        await wait_for(lambda: receiver.assignments(), what="the first status")
        await asyncio.sleep(0.5)  # ten more ticks
        assert receiver.assignments() == ["STATUS=ACTIVE; queue: 0 waiting"]
        state["line"] = "ACTIVE; queue: 1 waiting"
        await wait_for(lambda: len(receiver.assignments()) == 2, what="the changed status")
    finally:
        task.cancel()
    assert receiver.assignments()[-1] == "STATUS=ACTIVE; queue: 1 waiting"
    assert "WATCHDOG=1" not in receiver.assignments()
