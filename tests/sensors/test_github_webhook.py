"""GitHubIssueSensor over a real socket: a real HTTP client (http.client) or raw bytes on a
TCP connection to the endpoint on 127.0.0.1, a real repository, a real secret file.

The attacks: no signature, a wrong one (each scheme), a replayed delivery (same id; same
body under a new id), an old timestamp (Standard Webhooks' header; GitHub's signed
issue.updated_at), bodies over the cap (announced and chunked), a slow-loris, malformed
HTTP, JSON and payloads, JSON nested past the recursion limit, paths that leave the
repository, and secret files that must not be used.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import http.client
import json
import os
import socket
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import structlog

from governance.schemas import SignalEnvelope
from sensors.github_webhook import GitHubIssueSensor, named_files
from sensors.webhook_auth import github_signature, load_secret, standard_key, standard_signature
from tests.helpers import running_daemon, settings_for, wait_for

KEY = os.urandom(24)
SECRET = b"whsec_" + base64.b64encode(KEY)


# -- known answers from the two specifications ---------------------------------------------

def test_github_s_documented_example_signature():
    assert github_signature(b"It's a Secret to Everybody", b"Hello, World!") == (
        "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17")


def test_standard_webhooks_documented_example_signature():
    key = standard_key(b"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
    assert key is not None
    assert standard_signature(key, "msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330",
                              b'{"test": 2432232314}') == (
        "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")


# -- signing as the senders do (written here independently of the module) -----------------

def _now_iso(offset_s: float = 0.0) -> str:
    return (datetime.now(UTC) + timedelta(seconds=offset_s)).isoformat().replace("+00:00", "Z")


def issue_payload(action: str = "opened", labels=("ouroboros",), body: str | None = None,
                  label: str | None = None, updated_offset_s: float = 0.0) -> dict:
    payload = {"action": action, "issue": {
        "number": 42, "title": "clamp does not clamp",
        "body": "clamp() in `calc/ops.py` returns x unchanged." if body is None else body,
        "labels": [{"name": n} for n in labels], "updated_at": _now_iso(updated_offset_s)},
        "repository": {"full_name": "me/calc"}}
    if label is not None:
        payload["label"] = {"name": label}
    return payload


def github_headers(body: bytes, event: str = "issues", secret: bytes = SECRET,
                   delivery: str | None = None) -> dict[str, str]:
    mac = hmac.new(secret, body, hashlib.sha256).hexdigest()
    return {"X-GitHub-Event": event, "X-GitHub-Delivery": delivery or str(uuid.uuid4()),
            "X-Hub-Signature-256": f"sha256={mac}", "Content-Type": "application/json"}


def standard_headers(body: bytes, ts: int | None = None, msg_id: str | None = None,
                     key: bytes = KEY) -> dict[str, str]:
    msg_id = msg_id or f"msg_{uuid.uuid4().hex}"
    ts_text = str(int(time.time()) if ts is None else ts)
    mac = hmac.new(key, f"{msg_id}.{ts_text}.".encode() + body, hashlib.sha256).digest()
    return {"webhook-id": msg_id, "webhook-timestamp": ts_text,
            "webhook-signature": "v1," + base64.b64encode(mac).decode(),
            "Content-Type": "application/json"}


def post(port: int, body: bytes, headers: dict[str, str]) -> tuple[int, dict]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("POST", "/", body=body, headers=headers)
        resp = conn.getresponse()
        return resp.status, json.loads(resp.read())
    finally:
        conn.close()


def raw(port: int, data: bytes, then_wait: bool = True) -> bytes:
    """Send bytes, then read the reply until the server closes (10 s at most)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        with contextlib.suppress(OSError):  # the server may answer and close mid-send
            sock.sendall(data)
        reply = b""
        while then_wait:
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            reply += chunk
        return reply


# -- the endpoint ---------------------------------------------------------------------------

@pytest.fixture
def secret_file(short_tmp: Path) -> Path:
    path = short_tmp / "webhook.secret"
    path.write_bytes(SECRET + b"\n")
    path.chmod(0o600)
    return path


class Endpoint:
    def __init__(self, sensor: GitHubIssueSensor, got: list[SignalEnvelope]):
        self.sensor, self.got = sensor, got

    @property
    def port(self) -> int:
        return self.sensor.port

    async def post(self, body: bytes, headers: dict[str, str]) -> tuple[int, dict]:
        return await asyncio.to_thread(post, self.port, body, headers)


@contextlib.asynccontextmanager
async def serving(repo: Path, secret_file: Path, timeout_s: float):
    got: list[SignalEnvelope] = []

    async def emit(env: SignalEnvelope) -> bool:  # the daemon's submit takes this place
        got.append(env)
        return True

    sensor = GitHubIssueSensor(repo, "s-test", emit, port=0, secret_file=str(secret_file),
                               request_timeout_s=timeout_s)
    task = asyncio.create_task(sensor.serve())
    await asyncio.wait_for(sensor.listening.wait(), 10)
    try:
        yield Endpoint(sensor, got)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


@pytest.fixture
async def endpoint(repo, secret_file):
    async with serving(repo, secret_file, 10.0) as served:
        yield served


async def test_a_github_signed_issue_becomes_an_envelope(endpoint):
    body = json.dumps(issue_payload()).encode()
    status, reply = await endpoint.post(body, github_headers(body))
    assert (status, reply["queued"], reply["files"]) == (202, True, ["calc/ops.py"])
    [env] = endpoint.got
    assert (env.source, env.urgency.value, env.target_files) == (
        "github_issue", "normal", ("calc/ops.py",))
    assert env.goal.startswith("GitHub issue #42: clamp does not clamp\n\nclamp() in")
    assert endpoint.sensor.problem is None and endpoint.sensor.refused == 0


async def test_a_standard_webhooks_signed_issue_becomes_an_envelope(endpoint):
    body = json.dumps({"type": "issues", "timestamp": _now_iso(),
                       "data": issue_payload("labeled", labels=(), label="ouroboros")}).encode()
    status, reply = await endpoint.post(body, standard_headers(body))
    assert (status, reply["queued"]) == (202, True), reply
    assert [e.target_files for e in endpoint.got] == [("calc/ops.py",)]


def _wrong_github(body: bytes) -> dict[str, str]:
    return github_headers(body, secret=b"not the secret")


def _wrong_standard(body: bytes) -> dict[str, str]:
    return standard_headers(body, key=os.urandom(24))


def _standard_other_body(body: bytes) -> dict[str, str]:
    return standard_headers(body + b" ")  # signed a different body


def _standard_no_id(body: bytes) -> dict[str, str]:
    headers = standard_headers(body)
    del headers["webhook-id"]
    return headers


def _github_without_delivery(body: bytes) -> dict[str, str]:
    headers = github_headers(body)
    del headers["X-GitHub-Delivery"]
    return headers


def _github_uppercase_hex(body: bytes) -> dict[str, str]:
    headers = github_headers(body)
    headers["X-Hub-Signature-256"] = headers["X-Hub-Signature-256"].upper()
    return headers


REFUSED = [  # (name, headers(body), status, what the reply says)
    ("unsigned", lambda b: {"X-GitHub-Event": "issues"}, 401, "unsigned"),
    ("wrong GitHub signature", _wrong_github, 401, "wrong X-Hub-Signature-256"),
    ("GitHub signature in upper case", _github_uppercase_hex, 401, "wrong X-Hub-Signature-256"),
    ("GitHub signature without a delivery id", _github_without_delivery, 401,
     "X-GitHub-Delivery"),
    ("wrong Standard Webhooks key", _wrong_standard, 401, "wrong webhook-signature"),
    ("Standard Webhooks signature of another body", _standard_other_body, 401,
     "wrong webhook-signature"),
    ("Standard Webhooks without webhook-id", _standard_no_id, 401, "incomplete"),
    ("Standard Webhooks timestamp 6 minutes old",
     lambda b: standard_headers(b, ts=int(time.time()) - 360), 401, "outside the 300s window"),
    ("Standard Webhooks timestamp 6 minutes ahead",
     lambda b: standard_headers(b, ts=int(time.time()) + 360), 401, "outside the 300s window"),
]


@pytest.mark.parametrize("make_headers,status,fragment", [r[1:] for r in REFUSED],
                         ids=[r[0] for r in REFUSED])
async def test_unsigned_wrong_or_stale_requests_are_refused(endpoint, make_headers, status,
                                                            fragment):
    body = json.dumps(issue_payload()).encode()
    with structlog.testing.capture_logs() as logs:
        got_status, reply = await endpoint.post(body, make_headers(body))
    assert (got_status, endpoint.got) == (status, []), reply
    assert fragment in reply["error"]
    assert endpoint.sensor.refused == 1
    [warning] = [e for e in logs if e["event"] == "webhook request refused"]
    assert (warning["log_level"], warning["status"]) == ("warning", status)
    assert fragment in warning["why"] and warning["peer"][0] == "127.0.0.1"


async def test_a_stale_github_delivery_is_refused_by_the_signed_issue_time(endpoint):
    body = json.dumps(issue_payload(updated_offset_s=-3600)).encode()
    status, reply = await endpoint.post(body, github_headers(body))
    assert (status, endpoint.got) == (401, [])
    assert "stale delivery" in reply["error"]


async def test_replays_are_refused_within_the_window(endpoint):
    body = json.dumps(issue_payload()).encode()
    headers = github_headers(body)
    assert (await endpoint.post(body, headers))[0] == 202
    status, reply = await endpoint.post(body, headers)  # the same delivery again
    assert status == 409 and "replayed delivery" in reply["error"]
    status, reply = await endpoint.post(body, github_headers(body))  # a new id, same body
    assert status == 409 and "replayed delivery (sig:" in reply["error"]
    std = json.dumps({"type": "issues", "data": issue_payload(body="see README.md")}).encode()
    std_headers = standard_headers(std)
    assert (await endpoint.post(std, std_headers))[0] == 202
    assert (await endpoint.post(std, std_headers))[0] == 409
    assert [e.target_files for e in endpoint.got] == [("calc/ops.py",), ("README.md",)]


async def test_a_body_over_the_cap_is_refused_before_and_while_reading(endpoint):
    big = b"x" * ((1 << 20) + 1)
    status, reply = await endpoint.post(big, github_headers(big))
    assert status == 413 and "over the 1048576-byte limit" in reply["error"]
    chunks = b"".join(b"%x\r\n%s\r\n" % (65536, b"y" * 65536) for _ in range(17))
    head = (b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
            b"X-Hub-Signature-256: sha256=00\r\n\r\n")
    reply = await asyncio.to_thread(raw, endpoint.port, head + chunks + b"0\r\n\r\n")
    assert reply.startswith(b"HTTP/1.1 413 ")
    assert endpoint.got == [] and endpoint.sensor.refused == 2


@pytest.mark.slow  # a real daemon each
async def test_a_slow_loris_is_answered_408_and_closed(repo, secret_file):
    async with serving(repo, secret_file, 0.3) as endpoint:
        await _slow_loris(endpoint)


async def _slow_loris(endpoint: Endpoint) -> None:
    for partial in (b"POST / HTTP/1.1\r\nHost: x\r\n",  # headers never finish
                    b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"a\""):  # body
        reply = await asyncio.to_thread(raw, endpoint.port, partial)
        assert reply.startswith(b"HTTP/1.1 408 ") and b"no complete request within" in reply
    assert endpoint.got == []


def _post_expecting_100(port: int, body: bytes) -> bytes:
    head = "".join(f"{k}: {v}\r\n" for k, v in github_headers(body).items())
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(f"POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
                     f"Content-Length: {len(body)}\r\n{head}\r\n".encode())
        assert sock.recv(65536).startswith(b"HTTP/1.1 100 ")  # before any body byte
        sock.sendall(body)
        reply = b""
        while chunk := sock.recv(65536):
            reply += chunk
    return reply


async def test_expect_100_continue_is_honoured(endpoint):
    body = json.dumps(issue_payload()).encode()
    reply = await asyncio.to_thread(_post_expecting_100, endpoint.port, body)
    assert reply.startswith(b"HTTP/1.1 202 ") and len(endpoint.got) == 1


async def test_a_flood_of_idle_connections_is_capped_and_then_served(repo, secret_file):
    async with serving(repo, secret_file, 0.3) as endpoint:
        idle = [socket.create_connection(("127.0.0.1", endpoint.port)) for _ in range(16)]
        try:
            for sock in idle:
                sock.sendall(b"POST / HTTP/1.1\r\n")
            await wait_for(lambda: endpoint.sensor.connections == 16, 10, "16 connections")
            extra = await asyncio.to_thread(raw, endpoint.port, b"POST / HTTP/1.1\r\n")
            assert extra.startswith(b"HTTP/1.1 503 ")  # answered and closed at once: the cap
        finally:
            for sock in idle:
                sock.close()
        body = json.dumps(issue_payload()).encode()
        await wait_for(lambda: not endpoint.sensor.connections, 10, "the idle ones timed out")
        assert (await endpoint.post(body, github_headers(body)))[0] == 202


MALFORMED_HTTP = [
    b"GARBAGE\r\n\r\n",
    b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
    b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 7\r\n\r\n",
    b"POST / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n",
    b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + os.urandom(64),  # a TLS hello
]


@pytest.mark.parametrize("data", MALFORMED_HTTP, ids=range(len(MALFORMED_HTTP)))
async def test_malformed_http_is_a_400_and_touches_nothing(endpoint, data):
    reply = await asyncio.to_thread(raw, endpoint.port, data)
    assert reply.startswith(b"HTTP/1.1 400 "), reply[:200]
    assert endpoint.got == []


@pytest.mark.parametrize("head", [
    b"POST / HTTP/1.1\r\nHost: x\r\nX-Long: " + b"a" * 20000 + b"\r\n\r\n",  # whole
    b"POST / HTTP/1.1\r\nHost: x\r\nX-Long: " + b"a" * 40000,  # outgrowing the buffer
], ids=["complete", "incomplete"])
async def test_a_head_over_16_kib_is_a_431(endpoint, head):
    reply = await asyncio.to_thread(raw, endpoint.port, head)
    assert reply.startswith(b"HTTP/1.1 431 ") and b"request head over 16384 bytes" in reply
    assert endpoint.got == [] and endpoint.sensor.refused == 1


async def test_only_post_is_served(endpoint):
    reply = await asyncio.to_thread(raw, endpoint.port, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    assert reply.startswith(b"HTTP/1.1 405 ")


# (body, status, reply fragment): each correctly signed. Built when the test runs, not at
# collection: issue.updated_at must be fresh (a full suite takes minutes to get here).
BAD_PAYLOADS = [
    lambda: (b"{not json", 400, "body is not JSON"),
    lambda: (b"[" * 100_000 + b"]" * 100_000, 400, "body is not JSON (RecursionError)"),
    lambda: (b'{"action": "opened"}', 400, "not an issues payload: issue"),
    lambda: (json.dumps({"action": "opened", "issue": {"number": "42", "title": 5}}).encode(),
             400, "not an issues payload"),
    lambda: (json.dumps(issue_payload(labels=())).encode(), 202,
             "opened without the 'ouroboros'"),
    lambda: (json.dumps(issue_payload("labeled", label="bug")).encode(), 202, "labeled, but not"),
    lambda: (json.dumps(issue_payload("closed")).encode(), 202, "action 'closed' is not opened"),
    lambda: (json.dumps(issue_payload(body="It crashes. Please fix.")).encode(), 422,
             "names no file of the repository"),
    lambda: (json.dumps(issue_payload(body="see /etc/passwd, ../../etc/passwd, .git/config, "
                                           "link.py and calc/")).encode(), 422, "names no file"),
]


@pytest.mark.parametrize("case", BAD_PAYLOADS, ids=range(len(BAD_PAYLOADS)))
async def test_signed_but_unusable_payloads_queue_nothing(endpoint, repo, case):
    body, status, fragment = case()
    (repo / "link.py").symlink_to("/etc/passwd")
    got_status, reply = await endpoint.post(body, github_headers(body))
    assert got_status == status and fragment in json.dumps(reply), reply
    assert endpoint.got == []


async def test_events_other_than_issues_are_ignored(endpoint):
    body = json.dumps({"zen": "Keep it logically awesome.", "hook_id": 1}).encode()
    status, reply = await endpoint.post(body, github_headers(body, event="ping"))
    assert (status, reply) == (202, {"ignored": "event 'ping' is not 'issues'"})
    assert endpoint.got == []


def test_named_files_are_repository_files_only(repo):
    (repo / "calc" / "sub").mkdir()
    body = ("Fix `calc/ops.py` and ./README.md. Also calc/ops.py again, notes.txt. "
            "Not /etc/passwd, ../repo/notes.txt, calc/sub, e.g. version 1.2.3 or "
            "calc/ops.py\u200b.")
    assert named_files(repo, body) == ("calc/ops.py", "README.md", "notes.txt")


# -- the secret file --------------------------------------------------------------------------

def _secret_cases(tmp: Path) -> list[tuple[str, str]]:
    (tmp / "empty").write_bytes(b" \n")
    (tmp / "empty").chmod(0o600)
    (tmp / "open").write_bytes(SECRET)
    (tmp / "open").chmod(0o644)
    (tmp / "group").write_bytes(SECRET)
    (tmp / "group").chmod(0o640)
    (tmp / "real").write_bytes(SECRET)
    (tmp / "real").chmod(0o600)
    (tmp / "link").symlink_to(tmp / "real")
    (tmp / "dir").mkdir(mode=0o700)
    return [(str(tmp / "missing"), "No such file"), (str(tmp / "empty"), "is empty"),
            (str(tmp / "open"), "mode 0644"), (str(tmp / "group"), "mode 0640"),
            (str(tmp / "link"), "Too many levels of symbolic links"),
            (str(tmp / "dir"), "not a regular file"), ("", "webhook_secret_file is not"),
            ("webhook.secret", "must be an absolute path"),
            (str(tmp / "repo" / "notes.txt"), "inside the repository"),
            (str(tmp / "repo" / "calc" / ".." / "secret"), "inside the repository")]


async def test_a_bad_secret_file_keeps_the_endpoint_closed(repo, short_tmp):
    for path, fragment in _secret_cases(short_tmp):
        sensor = GitHubIssueSensor(repo, "s", lambda env: None, port=0, secret_file=path)
        await asyncio.wait_for(sensor.serve(), 10)  # returns: it never listened
        assert not sensor.listening.is_set()
        assert sensor.problem is not None and fragment in sensor.problem, (path, sensor.problem)


def test_the_secret_file_must_belong_to_the_daemon_s_user(short_tmp):
    path = short_tmp / "theirs"
    path.write_bytes(SECRET)
    path.chmod(0o600)
    os.chown(path, 65534, 65534)  # we run as root in CI; a normal user cannot chown
    with pytest.raises(ValueError, match="belongs to uid 65534"):
        load_secret(path)


async def test_a_standard_signature_with_a_plain_secret_is_refused(repo, short_tmp):
    path = short_tmp / "plain"
    path.write_bytes(b"plain text secret")
    path.chmod(0o600)
    sensor = GitHubIssueSensor(repo, "s", lambda env: None, port=0, secret_file=str(path))
    task = asyncio.create_task(sensor.serve())
    await asyncio.wait_for(sensor.listening.wait(), 10)
    body = json.dumps({"type": "issues", "data": issue_payload()}).encode()
    status, reply = await asyncio.to_thread(post, sensor.port, body, standard_headers(body))
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert status == 401 and "not a whsec_<base64> secret" in reply["error"]


# -- in the daemon ----------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.slow  # a real daemon each
async def test_the_daemon_serves_the_endpoint_for_its_lifetime(repo, secret_file):
    port = _free_port()
    settings = settings_for(None, intake={"webhook_port": port,
                                          "webhook_secret_file": str(secret_file)})
    async with running_daemon(repo, settings) as daemon:
        sensor = daemon.sensors.sensors["github"]
        await asyncio.wait_for(sensor.listening.wait(), 10)
        assert sensor.address == ("127.0.0.1", port)  # loopback only
        body = json.dumps(issue_payload()).encode()
        status, reply = await asyncio.to_thread(post, port, body, github_headers(body))
        assert (status, reply["queued"]) == (202, True)
        # GitHub follows an issue opened with a label by a `labeled` delivery: one op
        body = json.dumps(issue_payload("labeled", label="ouroboros")).encode()
        status, reply = await asyncio.to_thread(post, port, body, github_headers(body))
        assert (status, reply["queued"]) == (202, False)
        assert [(q["source"], q["files"]) for q in daemon.queue.snapshot()] == [
            ("github_issue", ["calc/ops.py"])]
        assert _listens_here(port)
    assert not _listens_here(port)  # the task group closed it with the daemon


def _listens_here(port: int) -> bool:
    """Whether this process holds a socket listening on `port` (asked of /proc, not by
    connecting: another test's server may take the freed port at once, and did)."""
    mine = set()
    for fd in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):  # an fd closed meanwhile
            mine.add(os.readlink(f"/proc/self/fd/{fd}"))
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port \
                and f"socket:[{fields[9]}]" in mine:
            return True
    return False


@pytest.mark.slow  # a real daemon each
async def test_a_daemon_with_a_world_readable_secret_says_why_in_status(repo, secret_file):
    secret_file.chmod(0o644)
    settings = settings_for(None, intake={"webhook_port": _free_port(),
                                          "webhook_secret_file": str(secret_file)})
    async with running_daemon(repo, settings) as daemon:
        await wait_for(lambda: daemon.sensors.problems().get("github"), 10, "the problem")
        status = await daemon.status()
    assert "mode 0644" in status.sensor_problems["github"]
    assert status.state == "DEGRADED"  # no provider: the daemon itself still runs
