"""`serve` against hostile clients over real sockets, and its per-request bounds: each of the
shared HTTP limits (sensors.http_limits) answered with its status in the API's own shape on
all three APIs, oversized lists refused with the limit named, the token budget capped, and
the generation slot's lease (a long generation is cut for a waiting request)."""

from __future__ import annotations

import json
import socket
import time
import urllib.error
import urllib.request
from dataclasses import replace

import anthropic
import httpx
import openai
import pytest

from daemon.serve.app import LIMITS
from daemon.serve.common import MAX_BODY_BYTES, MAX_MESSAGES, MAX_TOOLS
from tests.daemon.serve.serve_helpers import running, tiny_chat_checkpoint, tiny_engine
from tests.daemon.serve.test_serve_errors import VALID, _shape
from tests.daemon.serve.test_serve_queue import LONG, PROMPT, _in_thread, _until
from tests.sensors.test_http_limits import exchange

pytestmark = pytest.mark.slow  # a served model per module

APIS = list(VALID)
QUICK = replace(LIMITS, request_timeout_s=0.5, max_connections=4)


@pytest.fixture(scope="module")
def engine():
    return tiny_engine(tiny_chat_checkpoint(max_position_embeddings=8192), max_new_tokens=2)


@pytest.fixture(scope="module")
def served(engine):
    with running(engine, limits=QUICK, max_tokens=5, max_share_s=0.5) as (url, model):
        yield url, model


def raw(url: str, data: bytes) -> bytes:
    """Send bytes (the server may answer and stop reading before the end), then read the
    reply until the server closes; a reset instead of a reply fails the test."""
    return exchange(int(url.rsplit(":", 1)[1]), data)


def post_head(path: str, extra: str = "", length: int | None = None) -> bytes:
    size = f"Content-Length: {length}\r\n" if length is not None else ""
    return (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Connection: close\r\n{size}{extra}\r\n").encode()


def status_and_body(reply: bytes) -> tuple[int, httpx.Response]:
    head, _, body = reply.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    return status, httpx.Response(status, content=body)


TWELVE_MB = b'{"model": "' + b"x" * (12 << 20) + b'"}'
CHUNKED = b"".join(b"%x\r\n%s\r\n" % (65536, b"y" * 65536)
                   for _ in range(MAX_BODY_BYTES // 65536 + 2)) + b"0\r\n\r\n"
HOSTILE = [  # (name, request bytes for the API's path, status)
    ("12 MB body, Connection: close", lambda p: post_head(p, length=len(TWELVE_MB)) + TWELVE_MB,
     413),
    ("chunked body past the cap", lambda p: post_head(p, "Transfer-Encoding: chunked\r\n")
     + CHUNKED, 413),
    ("a 20 KB header", lambda p: post_head(p, f"X-Big: {'a' * 20_000}\r\n", 2) + b"{}", 431),
    ("a head that never ends", lambda p: post_head(p)[:-2], 408),
    ("a body that never ends", lambda p: post_head(p, length=100) + b'{"model"', 408),
]


@pytest.mark.parametrize("api", APIS)
@pytest.mark.parametrize(("name", "make", "status"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_each_limit_is_answered_in_the_api_shape(served, api, name, make, status):
    url, model = served
    got, response = status_and_body(raw(url, make(VALID[api][0])))
    assert got == status, response.text
    assert "limit" in _shape(api, response) or "bytes" in _shape(api, response) or \
        "no complete request" in _shape(api, response)
    assert model.queue.depth == 0


def test_a_stdlib_client_reads_413_for_a_12_mb_body(served):
    """urllib sends Connection: close and writes the whole body before reading: the
    server used to close with the body unread, which resets the connection."""
    url, _ = served
    for api in APIS:
        request = urllib.request.Request(f"{url}{VALID[api][0]}", data=TWELVE_MB,
                                         headers={"Content-Type": "application/json"})
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(request, timeout=30)
        assert err.value.code == 413
        assert "4194304-byte limit" in _shape(api, httpx.Response(413,
                                                                  content=err.value.read()))


def test_malformed_http_and_a_connection_flood_get_statuses(served):
    url, _ = served
    status, response = status_and_body(raw(url, b"GARBAGE\r\n\r\n"))
    assert status == 400 and "malformed HTTP" in _shape("openai", response)
    port = int(url.rsplit(":", 1)[1])
    idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(QUICK.max_connections)]
    try:
        for sock in idle:
            sock.sendall(b"POST /api/chat HTTP/1.1\r\n")  # held open, request unfinished
        status, response = status_and_body(raw(url, post_head("/api/chat", length=2) + b"{}"))
        assert status == 503 and "connections are open" in _shape("openai", response)
    finally:
        for sock in idle:
            sock.close()


def _many(api: str, what: str, n: int) -> dict:
    body = dict(VALID[api][1])
    if what == "messages":
        body["messages"] = [{"role": "user", "content": "hi"}] * n
    elif api == "anthropic":
        body["tools"] = [{"name": f"t{i}", "input_schema": {"type": "object"}}
                         for i in range(n)]
    else:
        body["tools"] = [{"type": "function", "function": {"name": f"t{i}"}} for i in range(n)]
    return body


@pytest.mark.parametrize("api", APIS)
@pytest.mark.parametrize(("what", "n", "limit"), [("messages", 50_000, MAX_MESSAGES),
                                                  ("tools", 2_000, MAX_TOOLS)])
def test_too_many_messages_or_tools_is_a_400_naming_the_limit(served, api, what, n, limit):
    url, model = served
    response = httpx.post(f"{url}{VALID[api][0]}", json=_many(api, what, n), timeout=60)
    assert response.status_code == 400, response.text
    message = _shape(api, response)
    assert what in message and f"at most {limit} items" in message
    assert model.queue.depth == 0


@pytest.mark.parametrize(("api", "budget"), [
    ("ollama", {"options": {"num_predict": 10**12}}), ("ollama", {"options": {"num_predict": -1}}),
    ("openai", {"max_tokens": 10**12}), ("anthropic", {"max_tokens": 10**12})])
def test_a_huge_token_budget_is_capped(served, api, budget):
    url, _ = served
    path, body = VALID[api]
    response = httpx.post(f"{url}{path}", json={**body, **budget}, timeout=60)
    assert response.status_code == 200, response.text
    data = response.json()
    used = {"ollama": lambda: data["eval_count"],
            "openai": lambda: data["usage"]["completion_tokens"],
            "anthropic": lambda: data["usage"]["output_tokens"]}[api]()
    assert used <= 5  # serve.max_tokens of this server
    assert data["ouroboros"]["exit_reason"] in ("length", "stop")


def _long(api: str, url: str):
    """A LONG-token request (OpenAI streamed, Anthropic through the official clients): its
    finish as the API reports it, and the kernel's exit reason."""
    if api == "openai":
        client = openai.OpenAI(base_url=f"{url}/v1", api_key="unused", max_retries=0)
        last = list(client.chat.completions.create(model="ouroboros", messages=PROMPT,
                                                   stream=True, max_tokens=LONG))[-1]
        return last.choices[0].finish_reason, last.model_extra["ouroboros"]["exit_reason"]
    if api == "anthropic":
        client = anthropic.Anthropic(base_url=url, api_key="unused", max_retries=0)
        message = client.messages.create(model="ouroboros", max_tokens=LONG, messages=PROMPT)
        return message.stop_reason, message.model_extra["ouroboros"]["exit_reason"]
    reply = httpx.post(f"{url}/api/chat", timeout=120, json={  # raw: the telemetry too
        "model": "ouroboros", "messages": PROMPT, "stream": False,
        "options": {"num_predict": LONG}}).json()
    return reply["done_reason"], reply["ouroboros"]["exit_reason"]


CUT = {"openai": "length", "anthropic": "max_tokens", "ollama": "length"}


@pytest.mark.slow  # the share itself is a second
@pytest.mark.parametrize("api", APIS)
def test_a_long_generation_yields_the_model_to_a_waiting_request(engine, api):
    share = 1.0
    with running(engine, max_share_s=share) as (url, model):
        long, got = _in_thread(lambda: _long(api, url))
        _until(lambda: model.outcomes.total() == 0 and model.queue.depth == 1,
               "the long request to hold the model")
        asked = time.monotonic()
        short, out = _in_thread(lambda: httpx.post(f"{url}/api/chat", timeout=60, json={
            "model": "ouroboros", "messages": PROMPT, "stream": False}))
        short.join(timeout=60)
        long.join(timeout=60)
        assert got["response"] == (CUT[api], "preempted"), got
        assert out["response"].json()["ouroboros"]["exit_reason"] == "length"
        waited = out["at"] - asked
        assert waited < share + 5.0, waited  # the share, plus the short one's own answer
        _until(lambda: model.queue.depth == 0, "the queue to empty")
        assert dict(model.outcomes) == {"preempted": 1, "length": 1}
    cut = got["at"] - asked
    assert cut < share + 2.0, cut  # at most the share, plus a token or a prefill chunk
    print(f"\nfairness ({api}, max_share_s {share}): the long one was cut {cut:.2f}s after "
          f"the short one was asked, and reported {got['response']}; the short one was "
          f"answered {waited:.2f}s after it was asked")


@pytest.mark.slow
def test_alone_a_long_generation_is_not_cut(engine):
    with running(engine, max_share_s=0.2) as (url, _):
        response = httpx.post(f"{url}/v1/chat/completions", timeout=120, json={
            "model": "ouroboros", "messages": PROMPT, "max_tokens": 64})
    data = response.json()
    assert data["ouroboros"]["exit_reason"] == "length", data
    assert data["usage"]["completion_tokens"] == 64


def test_the_json_of_a_refusal_is_the_api_s(served):
    url, _ = served
    status, response = status_and_body(raw(url, post_head("/v1/messages", length=len(
        TWELVE_MB)) + TWELVE_MB))
    assert status == 413
    assert json.loads(response.content)["error"]["type"] == "request_too_large"
