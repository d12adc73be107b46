"""The control socket against a garbage client: every malformed line gets one error line,
no traceback is written, and the daemon keeps answering `status` after each."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import resource
import signal
import socket
import subprocess
import sys
import time

import pytest
from structlog.testing import capture_logs

from daemon.config.settings import Settings
from daemon.control.client import ControlClient
from daemon.control.request import parse_request
from daemon.control.server import MAX_LINE
from tests.helpers import (
    add_todo_and_commit,
    running_daemon,
    settings_for,
    wait_for,
    wait_sync,
)


def _obj(**fields: object) -> bytes:
    return json.dumps(fields).encode() + b"\n"


def _padded(prefix: bytes, suffix: bytes, total: int, fill: bytes = b"a") -> bytes:
    """A line of exactly `total` bytes, newline included."""
    return prefix + fill * (total - len(prefix) - len(suffix) - 1) + suffix + b"\n"


DEEP = 30_000  # deep, yet inside one 64 KiB line: reaches the parser, not the length check
# (name, line, a fragment the error must contain or None)
GARBAGE: list[tuple[str, bytes, str | None]] = [
    ("arrays 10^5 deep", b"[" * 100_000 + b"]" * 100_000 + b"\n", "longer than"),
    ("objects 10^5 deep", b'{"a":' * 100_000 + b"1" + b"}" * 100_000 + b"\n", "longer than"),
    ("arrays 3*10^4 deep", b"[" * DEEP + b"]" * DEEP + b"\n", "nests deeper"),
    ("unclosed arrays", b"[" * 60_000 + b"\n", "nests deeper"),
    ("objects 10^4 deep", b'{"a":' * 10_000 + b"1" + b"}" * 10_000 + b"\n", "nests deeper"),
    ("deep reason", b'{"cmd":"status","reason":' + b"[" * 20_000 + b"]" * 20_000 + b"}\n",
     "nests deeper"),
    ("deep escaped quotes", b'["\\"' + b"[" * 9000 + b"\n", "not JSON"),
    ("int of 5000 digits", b'{"cmd":"status","op":' + b"9" * 5000 + b"}\n", "acceptable JSON"),
    ("top-level int 4301 digits", b"1" * 4301 + b"\n", "acceptable JSON"),
    ("negative huge int", b"-" + b"7" * 50_000 + b"\n", "acceptable JSON"),
    ("huge exponent float", b'{"cmd":1e999999}\n', None),
    ("float 10^4 digits", b"0." + b"1" * 10_000 + b"\n", "acceptable JSON"),
    ("NaN field", b'{"cmd":"status","reason":NaN}\n', "NaN is not JSON"),
    ("Infinity", b"Infinity\n", "Infinity is not JSON"),
    ("-Infinity", b"-Infinity\n", "Infinity is not JSON"),
    ("duplicate cmd", b'{"cmd":"status","cmd":"pause"}\n', "duplicate key"),
    ("duplicate op", b'{"cmd":"cancel","op":"a","op":"b"}\n', "duplicate key"),
    ("lone surrogate cmd", b'{"cmd":"\\ud800"}\n', "cmd"),
    ("lone surrogate op", b'{"cmd":"cancel","op":"\\udfff"}\n', "op"),
    ("lone surrogate reason", b'{"cmd":"answer","op":"x","reason":"\\ud800"}\n', "reason"),
    ("surrogate as raw UTF-8", b'{"cmd":"\xed\xa0\x80"}\n', "not UTF-8"),
    ("invalid UTF-8", b"\xff\xfe\xfa\n", "not UTF-8"),
    ("invalid UTF-8 inside a string", b'{"cmd":"stat\xc3us"}\n', "not UTF-8"),
    ("overlong UTF-8 slash", b'{"cmd":"\xc0\xaf"}\n', "not UTF-8"),
    ("BOM", b'\xef\xbb\xbf{"cmd":"status"}\n', "not JSON"),
    ("NUL alone", b"\x00\n", "not JSON"),
    ("raw NUL in string", b'{"cmd":"status\x00"}\n', "not JSON"),
    ("escaped NUL in cmd", b'{"cmd":"status\\u0000"}\n', "cmd"),
    ("NUL after object", b'{"cmd":"status"}\x00\n', "not JSON"),
    ("extra field", _obj(cmd="status", extra=1), "extra"),
    ("dunder field", b'{"cmd":"status","__class__":{}}\n', "__class__"),
    ("60K-char key", b'{"' + b"k" * 60_000 + b'":1}\n', "bad request"),
    ("cmd null", _obj(cmd=None), "cmd"),
    ("cmd int", _obj(cmd=1), "cmd"),
    ("cmd bool", _obj(cmd=True), "cmd"),
    ("cmd list", _obj(cmd=["status"]), "cmd"),
    ("cmd object", _obj(cmd={"cmd": "status"}), "cmd"),
    ("cmd upper case", _obj(cmd="STATUS"), "cmd"),
    ("op int", _obj(cmd="cancel", op=7), "op"),
    ("op bool", _obj(cmd="cancel", op=True), "op"),
    ("op list", _obj(cmd="cancel", op=["a"]), "op"),
    ("op object", _obj(cmd="cancel", op={}), "op"),
    ("op float", _obj(cmd="cancel", op=1.5), "op"),
    ("reason int", _obj(cmd="status", reason=1), "reason"),
    ("reason null", _obj(cmd="status", reason=None), "reason"),
    ("reason list", _obj(cmd="status", reason=["x"]), "reason"),
    ("reason bool", _obj(cmd="status", reason=False), "reason"),
    ("missing cmd", _obj(op="x"), "cmd"),
    ("unknown verb", _obj(cmd="explode"), "cmd"),
    ("verb with space", _obj(cmd="status "), "cmd"),
    ("empty verb", _obj(cmd=""), "cmd"),
    ("shutdown verb", _obj(cmd="shutdown"), "cmd"),
    ("empty line", b"\n", "empty request"),
    ("CRLF only", b"\r\n", "empty request"),
    ("only whitespace", b" \t  \t \n", "empty request"),
    ("line of exactly 64 KiB",
     _padded(b'{"cmd":"status","reason":"', b'"}', MAX_LINE), "reason"),
    ("line of 64 KiB + 1", _padded(b'{"cmd":"status","reason":"', b'"}', MAX_LINE + 1),
     "longer than"),
    ("binary garbage", bytes(range(256)).replace(b"\n", b"") + b"\n", "not UTF-8"),
    ("top-level array", b'["cmd","status"]\n', "JSON object"),
    ("top-level string", b'"status"\n', "JSON object"),
    ("top-level number", b"42\n", "JSON object"),
    ("top-level true", b"true\n", "JSON object"),
    ("top-level null", b"null\n", "JSON object"),
    ("trailing comma", b'{"cmd":"status",}\n', "not JSON"),
    ("single quotes", b"{'cmd':'status'}\n", "not JSON"),
    ("two objects on a line", b'{"cmd":"status"}{"cmd":"pause"}\n', "not JSON"),
    ("trailing garbage", b'{"cmd":"status"} x\n', "not JSON"),
    ("unterminated string", b'{"cmd":"status\n', "not JSON"),
    ("op path traversal", _obj(cmd="cancel", op="../../etc/passwd"), "op"),
    ("op with slash", _obj(cmd="accept", op="op-abc/../x"), "op"),
    ("op RTL override", _obj(cmd="cancel", op="op-\u202eabc"), "op"),
    ("op one-dot leader", _obj(cmd="cancel", op="op\u2024abc"), "op"),
    ("op fullwidth", _obj(cmd="cancel", op="\uff2f\uff30"), "op"),
    ("op trailing newline", _obj(cmd="cancel", op="op-abc\n"), "op"),
    ("op leading dash", _obj(cmd="cancel", op="-rf"), "op"),
    ("op of 65 chars", _obj(cmd="cancel", op="a" * 65), "op"),
    ("op empty", _obj(cmd="reject", op=""), "op"),
    ("cancel without op", _obj(cmd="cancel"), "needs an op id"),
    ("answer without op", _obj(cmd="answer", reason="yes"), "needs an op id"),
    ("unknown op", _obj(cmd="cancel", op="op-doesnotexist"), "no in-flight op"),
    ("unknown review", _obj(cmd="accept", op="op-doesnotexist"), "no review(s) match"),
    ("approve is gone", _obj(cmd="approve", op="op-abc"), "unknown verb"),
    ("accept without op", _obj(cmd="accept"), "needs an op id"),
    ("reason of 2001 chars", _obj(cmd="reject", op="x", reason="r" * 2001), "reason"),
    ("reason with terminal escape", _obj(cmd="reject", op="x", reason="\x1b[31mred"), "U+001B"),
    ("reason with NUL", _obj(cmd="reject", op="x", reason="a\x00b"), "U+0000"),
    ("reason with C1 control", _obj(cmd="reject", op="x", reason="a\x9bb"), "U+009B"),
]
# Lines that look odd but are valid: the table above is not "everything is an error".
VALID = [
    _obj(cmd="status"),
    _obj(cmd="status", op=None),
    b'  {"cmd":"status"}  \r\n',
    _obj(cmd="status", reason="[[[[[[[[[[{{{{{{ not nesting, a string"),
    _obj(cmd="status", reason="caf\u00e9\tline\nline"),
    _padded(b'{"cmd":"status"', b"}", MAX_LINE, fill=b" "),
]


def _exchange(path, data: bytes, *, shut: bool = True, timeout: float = 10.0) -> bytes:
    """Send `data`, optionally half-close, and read until the daemon closes or goes quiet."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        s.connect(str(path))
        try:
            s.sendall(data)
            if shut:
                s.shutdown(socket.SHUT_WR)
        except BrokenPipeError:
            pass  # the daemon refused the line before reading all of it; its reply waits
        out = b""
        while chunk := s.recv(65536):
            out += chunk
    return out


def _one_reply(raw: bytes) -> dict:
    lines = raw.splitlines()
    assert len(lines) == 1, raw[:300]
    return json.loads(lines[0])


async def _status_ok(sock) -> None:
    reply = _one_reply(await asyncio.to_thread(_exchange, sock, _obj(cmd="status")))
    assert reply["ok"] is True and reply["data"]["state"] == "DEGRADED"


def _no_tracebacks(events: list[dict], records: list[logging.LogRecord]) -> None:
    loud = [e for e in events if e.get("log_level") in ("error", "critical") or "exc_info" in e]
    assert loud == []
    assert [r.getMessage() for r in records if r.levelno >= logging.ERROR] == []


def test_table_is_big_enough():
    assert len(GARBAGE) >= 50 and len({name for name, _, _ in GARBAGE}) == len(GARBAGE)


@pytest.mark.slow
async def test_every_garbage_line_gets_an_error_and_status_still_answers(repo, caplog):
    caplog.set_level(logging.ERROR)
    async with running_daemon(repo, settings_for(None)) as daemon:
        sock = daemon.state_dir / "control.sock"
        with capture_logs() as events:
            for name, line, fragment in GARBAGE:
                reply = _one_reply(await asyncio.to_thread(_exchange, sock, line))
                assert reply["ok"] is False and reply["error"], name
                assert fragment is None or fragment in reply["error"], (name, reply)
                await _status_ok(sock)
            for line in VALID:
                assert _one_reply(await asyncio.to_thread(_exchange, sock, line))["ok"], line
        assert not daemon.paused  # the duplicate-key 'pause' never ran
        _no_tracebacks(events, caplog.records)


@pytest.mark.slow
async def test_pipelined_requests_are_answered_in_order_on_one_connection(repo):
    # Every garbage line that does not end the connection, each followed by a status, twice.
    garbage = [line for _, line, fragment in GARBAGE if fragment != "longer than"]
    lines = [ln for g in garbage * 2 for ln in (g, _obj(cmd="status"))]
    async with running_daemon(repo, settings_for(None)) as daemon:
        sock = daemon.state_dir / "control.sock"
        raw = await asyncio.to_thread(_exchange, sock, b"".join(lines))
        replies = [json.loads(r) for r in raw.splitlines()]
        assert [r["ok"] for r in replies] == [False, True] * len(garbage) * 2
        await _status_ok(sock)


@pytest.mark.slow
async def test_truncated_requests_are_never_executed(repo, caplog):
    caplog.set_level(logging.ERROR)
    async with running_daemon(repo, settings_for(None)) as daemon:
        sock = daemon.state_dir / "control.sock"
        with capture_logs() as events:
            # No newline, then end of input: answered with an error, not executed.
            reply = _one_reply(await asyncio.to_thread(_exchange, sock, b'{"cmd":"pause"}'))
            assert "without a newline" in reply["error"] and not daemon.paused
            # Half a line, then a full disconnect: nothing to answer, nothing breaks.
            for half in (b'{"cmd":"pau', b"[" * 50_000, b"\xff" * 10):
                with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
                    s.connect(str(sock))
                    s.sendall(half)
                await _status_ok(sock)
            assert not daemon.paused
        _no_tracebacks(events, caplog.records)


@pytest.mark.slow
@pytest.mark.parametrize("depth", [10**5, 10**6])
def test_parser_is_total_on_depths_no_socket_allows(depth):
    for text in (b"[" * depth + b"]" * depth, b'{"a":' * depth + b"0" + b"}" * depth,
                 b'{"cmd":"status","x":' + b"[" * depth):
        reply = parse_request(text)
        assert isinstance(reply, dict) and "nests deeper" in reply["error"]


# -- connection bounds: a cap with eviction of the longest-idle, idle and write timeouts -----

def _limits(cap: int, idle: float, request: float):
    return settings_for(None, daemon={"control_max_connections": cap,
                                      "control_idle_timeout_s": idle,
                                      "control_request_timeout_s": request})


def _connect_many(path, n: int) -> list[socket.socket]:
    socks = []
    for i in range(n):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(str(path))  # blocking: a full backlog waits for the daemon to accept
        s.settimeout(10)
        if i % 2:
            s.sendall(b'{"cmd": "sta')  # half a request, never finished
        socks.append(s)
    return socks


def _drain_reply(s: socket.socket) -> bytes:
    out = b""
    try:
        while chunk := s.recv(65536):
            out += chunk
    except (ConnectionResetError, TimeoutError):
        pass
    return out


@pytest.mark.slow
async def test_hundreds_of_idle_connections_cannot_starve_status(repo):
    cap, idle_clients = 32, 300
    async with running_daemon(repo, _limits(cap, 30.0, 5.0)) as daemon:
        sock, control = daemon.state_dir / "control.sock", daemon.control
        socks = await asyncio.to_thread(_connect_many, sock, idle_clients)
        try:
            await wait_for(lambda: control.evictions >= idle_clients - cap, 20, "evictions")
            started = time.monotonic()
            await _status_ok(sock)
            assert time.monotonic() - started < 2.0
            assert control.connections <= cap
            evicted = socks[: idle_clients - cap]  # the oldest idle ones made room
            replies = await asyncio.to_thread(lambda: [_drain_reply(s) for s in evicted])
            for raw in replies:
                assert "this one was idle longest" in _one_reply(raw)["error"]
        finally:
            for s in socks:
                s.close()
        await wait_for(lambda: control.connections == 0, 10, "idle connections to close")
        assert (await asyncio.to_thread(_exchange, sock, _obj(cmd="pause")))
        assert daemon.paused  # still fully working, not just answering status


def _slow_loris(path, interval: float, limit: float) -> tuple[bytes, float]:
    """Write one byte per `interval` of a line that never ends; (what came back, seconds)."""
    line = b'{"cmd":"status","reason":"' + b"a" * 1000
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.connect(str(path))
        s.setblocking(False)
        started = time.monotonic()
        for byte in line:
            if time.monotonic() - started > limit:
                break
            try:
                s.send(bytes([byte]))
                reply = s.recv(65536)
                return reply, time.monotonic() - started
            except BlockingIOError:
                time.sleep(interval)
            except (BrokenPipeError, ConnectionResetError):
                return b"", time.monotonic() - started
    return b"", time.monotonic() - started


@pytest.mark.slow
async def test_slow_loris_and_silent_clients_are_closed(repo):
    async with running_daemon(repo, _limits(32, 1.0, 5.0)) as daemon:
        sock = daemon.state_dir / "control.sock"
        silent = await asyncio.to_thread(_connect_many, sock, 1)
        reply, took = await asyncio.to_thread(_slow_loris, sock, 0.1, 8.0)
        assert "no complete request line within 1s" in _one_reply(reply)["error"]
        assert 0.9 < took < 4.0
        raw = await asyncio.to_thread(_drain_reply, silent[0])
        assert "no complete request line" in _one_reply(raw)["error"]
        silent[0].close()
        await _status_ok(sock)
        assert daemon.control.connections == 0


def _flood_without_reading(path, n: int) -> list[socket.socket]:
    """Connections that pipeline status requests and never read the replies."""
    socks = []
    for _ in range(n):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(str(path))
        s.setblocking(False)
        with contextlib.suppress(BlockingIOError):
            s.send(_obj(cmd="status") * 3800)
        socks.append(s)
    return socks


@pytest.mark.slow
async def test_full_slots_refuse_newcomers_and_stuck_readers_are_dropped(repo):
    cap = 4
    async with running_daemon(repo, _limits(cap, 30.0, 1.5)) as daemon:
        sock, control = daemon.state_dir / "control.sock", daemon.control
        flood = await asyncio.to_thread(_flood_without_reading, sock, cap)
        try:
            refused = None
            for _ in range(30):  # until every slot is stuck writing replies nobody reads
                reply = _one_reply(await asyncio.to_thread(_exchange, sock, _obj(cmd="status")))
                if not reply["ok"]:
                    refused = reply
                    break
                await asyncio.sleep(0.05)
            assert refused and "too many control connections (4), all busy" in refused["error"]
            # The reply write is bounded: the stuck readers are dropped and status is back.
            await wait_for(lambda: control.connections == 0, 10, "stuck readers to be dropped")
            await _status_ok(sock)
        finally:
            for s in flood:
                s.close()


@pytest.mark.slow
async def test_the_daemon_stops_promptly_with_clients_still_connected(repo):
    async with running_daemon(repo, _limits(8, 30.0, 5.0)) as daemon:
        socks = await asyncio.to_thread(_connect_many, daemon.state_dir / "control.sock", 6)
        await wait_for(lambda: daemon.control.connections == 6, 10, "connections")
        started = time.monotonic()
    try:
        assert time.monotonic() - started < 5.0
        assert await asyncio.to_thread(lambda: [_drain_reply(s) for s in socks]) == [b""] * 6
    finally:
        for s in socks:
            s.close()


@pytest.mark.parametrize("knob,value", [("control_max_connections", 0),
                                        ("control_max_connections", 5000),
                                        ("control_idle_timeout_s", 0),
                                        ("control_request_timeout_s", -1)])
def test_control_limits_are_validated(knob, value):
    with pytest.raises(ValueError, match=knob):
        Settings.model_validate({"daemon": {knob: value}})


# -- the reported failure, end to end: a real daemon process driven to fd exhaustion ------

def _queued(client: ControlClient) -> list[list[str]] | None:
    """The queued envelopes' files; None when status got no answer."""
    try:
        return [e["files"] for e in client.request("status")["data"]["queue"]]
    except Exception:  # evicted, or the daemon is out of descriptors this moment
        return None


@pytest.mark.slow
def test_fd_exhaustion_in_a_real_daemon_loses_no_committed_todo(repo, short_tmp):
    """The cap set far above the process's fd limit (a bad config, or the old code): idle
    clients exhaust the daemon's descriptors while a TODO is committed. The read error keeps
    the file pending; once descriptors are free again the next event queues it."""
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    env = {**os.environ, "OUROBOROS_PROVIDER__NAME": "none",
           "OUROBOROS_INTAKE__DEBOUNCE_S": "0.1", "OUROBOROS_DAEMON__SHUTDOWN_GRACE_S": "1",
           "OUROBOROS_DAEMON__CONTROL_MAX_CONNECTIONS": "1024",
           "OUROBOROS_DAEMON__CONTROL_IDLE_TIMEOUT_S": "600"}
    log_path = short_tmp / "daemon.log"  # a file, not a pipe nobody drains while we wait
    with open(log_path, "w") as log_file:
        proc = subprocess.Popen(
            [sys.executable, "-m", "daemon.cli", "run", "--repo", str(repo)], env=env,
            stdout=subprocess.DEVNULL, stderr=log_file,
            preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (96, hard)))
    sock = repo / ".ouroboros" / "control.sock"
    client = ControlClient(sock, timeout_s=5)
    socks: list[socket.socket] = []
    try:
        # Logged once every inotify watch is in place (sensors/watcher.py).
        wait_sync(lambda: '"watching"' in log_path.read_text(), what="the watcher")
        socks = _connect_many(sock, 150)  # far more than the 96 descriptors it may hold
        add_todo_and_commit(repo)
        wait_sync(lambda: "kept pending" in log_path.read_text(),  # retries all failed
                  what="the sensor to give up for now")
        for s in socks:
            s.close()
        wait_sync(lambda: _queued(client) is not None, what="descriptors to come back")
        (repo / "notes.txt").write_text("the next file event\n")  # if none came since
        wait_sync(lambda: _queued(client) == [["calc/ops.py"]], what="the TODO to be queued")
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
    finally:
        for s in socks:
            s.close()
        proc.kill()
        proc.wait(10)
        print("\n".join(ln for ln in log_path.read_text().splitlines() if ln.startswith("{")))
    err = log_path.read_text()
    assert proc.returncode == 0, err[-3000:]
    assert "todo file could not be read; kept pending" in err
    assert "Too many open files" in err
