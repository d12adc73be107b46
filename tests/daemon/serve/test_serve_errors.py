"""Hostile and malformed requests against a real `serve`: every one gets its API's own
error shape and status code, none a traceback or a crash, and the server answers normally
afterwards. Also the loopback guard (Host and Origin) and API-shaped 404/405."""

from __future__ import annotations

import json

import httpx
import pytest

from daemon.serve.common import MAX_BODY_BYTES
from tests.daemon.serve.serve_helpers import running, tiny_chat_checkpoint, tiny_engine

pytestmark = pytest.mark.slow  # a served model per module

HI = [{"role": "user", "content": "hi"}]
VALID = {
    "ollama": ("/api/chat", {"model": "ouroboros", "messages": HI, "stream": False}),
    "openai": ("/v1/chat/completions", {"model": "ouroboros", "messages": HI, "max_tokens": 2}),
    "anthropic": ("/v1/messages", {"model": "ouroboros", "max_tokens": 2, "messages": HI}),
}
LONG = "lorem ipsum dolor sit amet " * 200  # ~1000 tokens: over the tiny model's 512


def _shape(api: str, response: httpx.Response) -> str:
    """The error's message, after checking the body is exactly the API's error shape."""
    body = response.json()
    if api == "ollama":
        assert set(body) == {"error"} and isinstance(body["error"], str)
        return body["error"]
    if api == "openai":
        assert set(body) == {"error"}
        assert set(body["error"]) == {"message", "type", "param", "code"}
        return body["error"]["message"]
    assert body["type"] == "error" and set(body["error"]) == {"type", "message"}
    return body["error"]["message"]


def _with(api: str, **changes) -> bytes:
    body = dict(VALID[api][1])
    body.update(changes)
    return json.dumps(body).encode()


def _message(api: str, **fields) -> bytes:
    return _with(api, messages=[{"role": "user", "content": "hi", **fields}])


# (api, case, body, status): every API gets the shared attacks, then its own.
COMMON = [
    ("malformed", lambda api: b'{"model": "ouroboros", "messages": [', 400),
    ("not an object", lambda api: b"[1, 2, 3]", 400),
    ("empty body", lambda api: b"", 400),
    ("NaN", lambda api: _with(api).replace(b'"model"', b'"temperature": NaN, "model"'), 400),
    ("nested 100k deep", lambda api: b"[" * 100_000, 400),
    ("bad UTF-8", lambda api: b'{"model": "\xff\xfe"}', 400),
    ("unknown model", lambda api: _with(api, model="gpt-5"), 404),
    ("model not a string", lambda api: _with(api, model=["ouroboros"]), 400),
    ("model name 5000 chars", lambda api: _with(api, model="m" * 5000), 400),
    ("messages a string", lambda api: _with(api, messages="hi"), 400),
    ("stream a string", lambda api: _with(api, stream="yes"), 400),
    ("content a number", lambda api: _message(api, content=5), 400),
    ("role unknown", lambda api: _with(api, messages=[{"role": "wizard", "content": "x"}]), 400),
    ("lone surrogate", lambda api: _message(api, content="\ud800"), 400),
    ("tools", lambda api: _with(api, tools=[{"type": "function", "name": "f"}]), 400),
    ("context overflow", lambda api: _message(api, content=LONG), 400),
]
OWN = [
    ("ollama", "num_predict -3", _with("ollama", options={"num_predict": -3}), 400),
    ("ollama", "temperature a string", _with("ollama", options={"temperature": "hot"}), 400),
    ("ollama", "num_predict true", _with("ollama", options={"num_predict": True}), 400),
    ("ollama", "images", _message("ollama", images=["aGk="]), 400),
    ("ollama", "format json", _with("ollama", format="json"), 400),
    ("ollama", "17 stop strings", _with("ollama", options={"stop": ["x"] * 17}), 400),
    ("openai", "max_tokens 0", _with("openai", max_tokens=0), 400),
    ("openai", "max_tokens 5.0", _with("openai", max_tokens=5.0), 400),
    ("openai", "temperature 3", _with("openai", temperature=3), 400),
    ("openai", "n 2", _with("openai", n=2), 400),
    ("openai", "image part", _message("openai", content=[{"type": "image_url"}]), 400),
    ("openai", "empty messages", _with("openai", messages=[]), 400),
    ("openai", "stop of 100 chars", _with("openai", stop="s" * 100), 400),
    ("openai", "json response_format", _with("openai", response_format={"type": "json_object"}),
     400),
    ("anthropic", "no max_tokens", json.dumps({"model": "ouroboros", "messages": HI}).encode(),
     400),
    ("anthropic", "temperature 1.5", _with("anthropic", temperature=1.5), 400),
    ("anthropic", "system role in messages",
     _with("anthropic", messages=[{"role": "system", "content": "x"}]), 400),
    ("anthropic", "tool_result block",
     _message("anthropic", content=[{"type": "tool_result", "tool_use_id": "x"}]), 400),
    ("anthropic", "thinking", _with("anthropic", thinking={"type": "enabled"}), 400),
]
CASES = [(api, name, make(api), status) for api in VALID for name, make, status in COMMON]
CASES += OWN
ANTHROPIC_TYPE = {400: "invalid_request_error", 404: "not_found_error",
                  413: "request_too_large"}


@pytest.fixture(scope="module")
def served():
    engine = tiny_engine(tiny_chat_checkpoint(),
                         max_new_tokens=2)
    with running(engine) as (url, model), httpx.Client(base_url=url, timeout=60) as client:
        yield client, model


@pytest.mark.parametrize(("api", "name", "body", "status"), CASES,
                         ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_bad_input_gets_the_api_error_shape(served, api, name, body, status):
    client, _ = served
    response = client.post(VALID[api][0], content=body,
                           headers={"content-type": "application/json"})
    assert response.status_code == status, response.text
    message = _shape(api, response)
    assert message and "Traceback" not in message
    if api == "anthropic":
        assert response.json()["error"]["type"] == ANTHROPIC_TYPE[status]


@pytest.mark.parametrize("api", list(VALID))
def test_context_overflow_names_the_numbers(served, api):
    client, _ = served
    response = client.post(VALID[api][0], content=_message(api, content=LONG))
    assert response.status_code == 400
    assert "context is 512 tokens" in _shape(api, response)
    if api == "openai":
        assert response.json()["error"]["code"] == "context_length_exceeded"


def test_a_megabyte_prompt_overflows_without_being_tokenized(served):
    client, _ = served
    response = client.post("/v1/chat/completions", content=_message("openai",
                                                                     content="x " * 500_000))
    assert response.status_code == 400
    assert "at least 12345 tokens" in _shape("openai", response)  # 1e6 chars / 81


@pytest.mark.parametrize("api", list(VALID))
@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_huge_bodies_are_refused_unread(served, api, chunked):
    client, _ = served
    big = b'{"model": "' + b"x" * (MAX_BODY_BYTES + 1) + b'"}'
    content = iter([big[i:i + 65536] for i in range(0, len(big), 65536)]) if chunked else big
    response = client.post(VALID[api][0], content=content)
    assert response.status_code == 413
    assert "limit" in _shape(api, response)


EXTREME = [  # valid values at the edges of float32 sampling: answered, never a 500
    ("ollama", {"options": {"temperature": 1e-300}}),
    ("ollama", {"options": {"temperature": 1.0, "top_p": 1e-300}}),
    ("ollama", {"options": {"temperature": 1e300}}),
    ("ollama", {"options": {"temperature": 1.0, "repeat_penalty": 0.1, "seed": 2**63 - 1}}),
    ("ollama", {"options": {"temperature": 1.0, "seed": -1}}),
    ("openai", {"temperature": 2, "top_p": 1e-300}),
    ("openai", {"temperature": 5e-324}),
    ("anthropic", {"temperature": 1e-300, "top_p": 1}),
]


@pytest.mark.parametrize(("api", "changes"), EXTREME, ids=[str(c) for _, c in EXTREME])
def test_extreme_but_valid_sampling_is_answered(served, api, changes):
    client, _ = served
    response = client.post(VALID[api][0], content=_with(api, **changes))
    assert response.status_code == 200, response.text


def test_the_server_still_answers_after_the_attacks(served):
    client, model = served
    for api, (path, body) in VALID.items():
        response = client.post(path, json=body)
        assert response.status_code == 200, (api, response.text)
    assert model.queue.depth == 0


@pytest.mark.parametrize(("path", "method", "headers", "api", "status"), [
    ("/api/nope", "GET", {}, "ollama", 404),
    ("/v1/nope", "GET", {}, "openai", 404),
    ("/v1/nope", "POST", {"anthropic-version": "2023-06-01"}, "anthropic", 404),
    ("/api/chat", "GET", {}, "ollama", 405),
    ("/v1/messages", "GET", {}, "anthropic", 405),
    ("/v1/models", "POST", {}, "openai", 405),
])
def test_unknown_paths_and_methods(served, path, method, headers, api, status):
    client, _ = served
    response = client.request(method, path, headers=headers)
    assert response.status_code == status
    _shape(api, response)


@pytest.mark.parametrize(("headers", "status"), [
    ({"host": "evil.example"}, 403),  # DNS rebinding: a page served as evil.example
    ({"host": "127.0.0.1.evil.example:11434"}, 403),
    ({"origin": "http://evil.example"}, 403),  # a web page's fetch()
    ({"origin": "null"}, 403),  # a sandboxed frame or a file:// page
    ({"origin": "http://localhost:5173"}, 200),
    ({"host": "localhost:11434", "origin": "http://127.0.0.1"}, 200),
    ({"host": "[::1]:11434"}, 200),
])
def test_loopback_guard(served, headers, status):
    client, _ = served
    for api, (path, body) in VALID.items():
        response = client.post(path, json=body, headers=headers)
        assert response.status_code == status, (api, response.text)
        if status == 403:
            assert "not" in _shape(api, response)


def test_allow_remote_accepts_other_hosts_but_never_web_pages(served):
    _, model = served
    with running(model.engine, allow_remote=True) as (url, _):
        tags = httpx.get(f"{url}/api/tags", headers={"host": "gpu-box.lan:11434"})
        assert tags.status_code == 200
        page = httpx.get(f"{url}/api/tags", headers={"origin": "http://evil.example"})
        assert page.status_code == 403
