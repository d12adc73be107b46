"""The HTTP providers end to end against a real `ouroboros serve` (a tiny Ouro checkpoint),
and against a stand-in server, clearly named, for what the real one never sends (429, an
echoed key, broken or endless streams)."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from daemon.config.provider import OLLAMA_CONTEXT
from governance.brains.failback import FailureMode
from governance.brains.provider import CandidateProvider, Steering, asks_in_parallel
from governance.brains.provider_chain import classify
from governance.phases.route_brains import context_window
from kernel.http.apis import http_provider
from kernel.http.providers import HttpProviderConfig, ProviderFailure
from kernel.provider import SYSTEM
from tests.daemon.serve.serve_helpers import running, serving, tiny_chat_checkpoint, tiny_engine
from tests.helpers import http_config

KINDS = ["ollama", "openai", "anthropic"]
FINISH = {"ollama": "length", "openai": "length", "anthropic": "max_tokens"}
PROMPT = "Name one prime number."
LONG = 3500  # tokens: a reply that is still running when it is given up (see engine)
KEY = "sk-test-0123456789abcdef"


def _config(kind: str, url: str, **changes) -> HttpProviderConfig:
    base = f"{url}/v1" if kind == "openai" else url
    return http_config(**{"kind": kind, "base_url": base, "model": "ouroboros",
                          "max_tokens": 8, **changes})


def _deadline(seconds: float = 60) -> float:
    return time.monotonic() + seconds


@pytest.fixture(scope="module")
def engine():
    # 4,096 positions: a reply of LONG tokens outlasts a 1 s deadline however fast the CPU
    # (400 of the default 512 took 0.74 s on a Zen 5 EPYC, inside it).
    return tiny_engine(tiny_chat_checkpoint(max_position_embeddings=4096))


@pytest.fixture(scope="module")
def served(engine):
    with running(engine, max_waiting=0) as (url, model):
        yield url, model


@pytest.fixture(scope="module")
def direct(engine):
    """The same conversation through Engine.chat: what every provider must bring back."""
    return engine.chat([{"role": "system", "content": SYSTEM},
                        {"role": "user", "content": PROMPT}])


@pytest.mark.slow
@pytest.mark.parametrize("kind", KINDS)
async def test_a_reply_through_serve(served, direct, kind):
    url, _ = served
    provider = http_provider(_config(kind, url, usd_per_mtok_in=2.0, usd_per_mtok_out=10.0))
    try:
        assert isinstance(provider, CandidateProvider)
        reply = await provider.generate(PROMPT, deadline=_deadline())
        assert reply.text == direct.text
        u = reply.usage
        assert (u.prompt_tokens, u.completion_tokens) == (direct.prompt_tokens, 8)
        assert u.cost_usd == pytest.approx((u.prompt_tokens * 2 + 8 * 10) / 1e6)
        assert u.provider == f"{kind}:ouroboros" and u.latency_ms > 0
        assert reply.telemetry["finish_reason"] == FINISH[kind]
        assert reply.telemetry["ouroboros"]["exit_reason"] == "length"
        assert reply.collapse.source == "text" and 0 <= reply.collapse.proximity <= 1
        planned = await provider.plan(PROMPT, deadline=_deadline())
        assert planned.text == direct.text
        steered = await provider.generate(PROMPT, deadline=_deadline(),
                                          steer=Steering(token_scale=0.5))
        assert steered.usage.completion_tokens == 4 and direct.text.startswith(steered.text)
        health = await provider.health()
        assert health.healthy, health.detail
    finally:
        await provider.aclose()


@pytest.mark.slow
@pytest.mark.parametrize("kind", KINDS)
async def test_failures_are_classified(served, kind):
    url, model = served
    unknown = http_provider(_config(kind, url, model="llama-70b"))
    with pytest.raises(ProviderFailure) as err:
        await unknown.generate(PROMPT, deadline=_deadline())
    assert (err.value.mode, err.value.status) == ("CONTENT", 404)
    health = await unknown.health()
    # the server answers: not down, the model is the config's to fix (said, not waited on)
    assert health.healthy and health.model_unlisted and "does not list" in health.detail
    await unknown.aclose()

    slow = http_provider(_config(kind, url, max_tokens=LONG))
    cancelled = model.outcomes["cancelled"]
    with pytest.raises(ProviderFailure) as err:
        await slow.generate(PROMPT, deadline=_deadline(1.0))
    assert err.value.mode == "TIMEOUT"
    # The provider's closed connection cancels the generation inside serve.
    deadline = time.monotonic() + 20
    while model.outcomes["cancelled"] == cancelled:
        assert time.monotonic() < deadline, "serve kept generating for a provider that left"
        time.sleep(0.05)
    await slow.aclose()


@pytest.mark.slow
async def test_a_full_queue_and_a_dead_server(served):
    url, model = served
    holder = http_provider(_config("ollama", url, max_tokens=LONG))
    running_op = asyncio.ensure_future(holder.generate(PROMPT, deadline=_deadline(30)))
    async with asyncio.timeout(20):
        while model.queue.depth == 0:  # noqa: ASYNC110  (serve's thread: no event to await)
            await asyncio.sleep(0.02)
    for kind in KINDS:  # serve's queue holds one: the second request is refused at once
        busy = http_provider(_config(kind, url))
        with pytest.raises(ProviderFailure) as err:
            await busy.generate(PROMPT, deadline=_deadline())
        assert err.value.mode == "SERVER_ERROR" and err.value.retry_after_s == 1.0
        assert err.value.status == (529 if kind == "anthropic" else 503)
        await busy.aclose()
    running_op.cancel()
    await holder.aclose()
    dead = http_provider(_config("openai", "http://127.0.0.1:9"))  # nothing listens there
    with pytest.raises(ProviderFailure) as err:
        await dead.generate(PROMPT, deadline=_deadline())
    assert err.value.mode == "CONNECTION"
    assert not (await dead.health()).healthy
    await dead.aclose()


class StandInServer:
    """Not `serve`: answers every route with `self.script` (status, headers, body chunks)
    and records each request's headers, for what a real server sends and ours never does."""

    PATHS = ("/api/chat", "/v1/chat/completions", "/v1/messages")

    def __init__(self):
        self.script: tuple[int, dict[str, str], list[bytes]] = (200, {}, [])
        self.seen: list[dict[str, str]] = []

    def app(self) -> Starlette:
        return Starlette(routes=[Route(p, self.answer, methods=["POST"]) for p in self.PATHS])

    async def answer(self, request: Request) -> Response:
        self.seen.append(dict(request.headers))
        status, headers, chunks = self.script

        async def body():
            for chunk in chunks:
                yield chunk

        return StreamingResponse(body(), status_code=status, headers=headers)


@pytest.fixture(scope="module")
def stand_in():
    server = StandInServer()
    with serving(server.app()) as url:
        yield server, url


AUTH_HEADER = {"ollama": ("authorization", f"Bearer {KEY}"),
               "openai": ("authorization", f"Bearer {KEY}"), "anthropic": ("x-api-key", KEY)}


@pytest.mark.parametrize("kind", KINDS)
async def test_keys_come_from_the_environment_and_never_leave_in_a_message(stand_in, kind):
    server, url = stand_in
    config = _config(kind, url, api_key_env="OURO_TEST_KEY")
    with pytest.raises(ValueError, match="OURO_TEST_KEY") as err:
        http_provider(config, environ={})
    assert KEY not in str(err.value)
    provider = http_provider(config, environ={"OURO_TEST_KEY": KEY})
    assert KEY not in repr(provider)
    server.script = (429, {"retry-after": "7"},
                     [b'{"error": {"message": "slow down, ' + KEY.encode() + b'"}}'])
    with pytest.raises(ProviderFailure) as err:
        await provider.generate(PROMPT, deadline=_deadline())
    assert (err.value.mode, err.value.retry_after_s) == ("RATE_LIMIT", 7.0)
    assert classify(err.value) is FailureMode.RATE_LIMIT  # as the failback chain reads it
    assert KEY not in str(err.value) and "[redacted]" in str(err.value)
    header, value = AUTH_HEADER[kind]
    assert server.seen[-1][header] == value
    server.script = (500, {}, [b"upstream exploded"])
    with pytest.raises(ProviderFailure) as err:
        await provider.generate(PROMPT, deadline=_deadline())
    assert err.value.mode == "SERVER_ERROR" and "upstream exploded" in str(err.value)
    await provider.aclose()


BROKEN = {  # (kind, body chunks): each is a reply no provider may take
    "ollama not JSON": ("ollama", [b"{not json\n"]),
    "ollama ends early": ("ollama", [b'{"message": {"content": "hi"}, "done": false}\n']),
    "ollama in-stream error": ("ollama", [b'{"error": "model crashed"}\n']),
    "openai no finish": ("openai", [b'data: {"choices": [{"delta": {"content": "hi"}}]}\n\n']),
    "openai frame a list": ("openai", [b"data: [1, 2]\n\n"]),
    "anthropic no stop": ("anthropic", [b'event: ping\ndata: {"type": "ping"}\n\n']),
    "anthropic overloaded": ("anthropic", [
        b'event: error\ndata: {"type": "error", "error": {"type": "overloaded_error", '
        b'"message": "busy"}}\n\n']),
    "endless line": ("ollama", [b"x" * 65536] * 20),
    "gzip that is not": ("openai", [b"\x1f\x8b garbage, not gzip"]),
    "nested 100k deep": ("anthropic", [b"event: message_start\ndata: " + b"[" * 100_000
                                       + b"\n\n"]),
}
HEADERS = {"gzip that is not": {"content-encoding": "gzip"}}


@pytest.mark.parametrize("case", list(BROKEN))
async def test_broken_streams_are_server_errors(stand_in, case):
    server, url = stand_in
    kind, chunks = BROKEN[case]
    server.script = (200, HEADERS.get(case, {}), chunks)
    provider = http_provider(_config(kind, url))
    with pytest.raises(ProviderFailure) as err:
        await provider.generate(PROMPT, deadline=_deadline())
    assert err.value.mode == "SERVER_ERROR", str(err.value)
    await provider.aclose()


@pytest.mark.slow
async def test_a_hostile_final_frame_cannot_flood_the_ledger(stand_in):
    server, url = stand_in
    huge = {"junk": "x" * 100_000}
    done = {"message": {"content": ""}, "done": True, "done_reason": "r" * 10_000,
            "prompt_eval_count": 3, "eval_count": 1, "ouroboros": huge}
    server.script = (200, {}, [b'{"message": {"content": "ok"}, "done": false}\n',
                               json.dumps(done).encode() + b"\n"])
    provider = http_provider(_config("ollama", url))
    reply = await provider.generate(PROMPT, deadline=_deadline())
    assert reply.text == "ok" and reply.usage.completion_tokens == 1
    assert "ouroboros" not in reply.telemetry
    assert len(reply.telemetry["finish_reason"]) == 64
    await provider.aclose()


@pytest.mark.slow
async def test_an_ollama_brain_asks_for_the_window_its_prompts_are_fitted_to(served):
    """Ollama's own default window (2,048-4,096 by version) drops the front of a longer
    prompt: an ollama entry declares OLLAMA_CONTEXT unless it says otherwise, asks the
    server for it as num_ctx, and governance fits its prompts to it. A hosted API's entry
    declares none unless set."""
    url, _ = served
    ollama = http_provider(http_config(kind="ollama", base_url=url, model="ouroboros",
                                       max_tokens=8))
    try:
        assert ollama.context_tokens == OLLAMA_CONTEXT == context_window(ollama)
        body = ollama.body([{"role": "user", "content": PROMPT}], 8, 0.0, [], False)
        assert body["options"]["num_ctx"] == OLLAMA_CONTEXT
        reply = await ollama.generate(PROMPT, deadline=_deadline())  # serve ignores num_ctx
        assert reply.usage.completion_tokens == 8
    finally:
        await ollama.aclose()
    wide = http_provider(http_config(kind="ollama", base_url=url, model="m",
                                     context_tokens=32768))
    assert wide.body([], 8, 0.0, [], False)["options"]["num_ctx"] == 32768
    await wide.aclose()
    hosted = http_provider(http_config(kind="openai", base_url=f"{url}/v1", model="m"))
    assert hosted.context_tokens is None and context_window(hosted) is None
    await hosted.aclose()


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["ollama", "openai"])
async def test_an_entry_without_a_window_takes_the_servers(served, kind):
    """A prompt past the server's window is refused (400) and the op has no answer: an
    entry that sets no window learns the model's from the server at its first healthy
    health check (Ollama's /api/show, the OpenAI model card's `max_model_len`), where it is
    smaller than an ollama entry's default, and says where the window came from. One the
    entry sets is kept as set; a server that tells none leaves it as it was."""
    url, model = served
    learnt = http_provider(_config(kind, url))
    try:
        assert learnt.context_tokens == (OLLAMA_CONTEXT if kind == "ollama" else None)
        health = await learnt.health()
        assert health.healthy and learnt.context_tokens == model.context == 4096
        assert "a 4,096-token window (server)" in health.detail
        assert context_window(learnt) == 4096
        if kind == "ollama":
            assert learnt.body([], 8, 0.0, [], False)["options"]["num_ctx"] == 4096
    finally:
        await learnt.aclose()
    kept = http_provider(_config(kind, url, context_tokens=2048))
    try:
        health = await kept.health()
        assert kept.context_tokens == 2048 and "(set)" in health.detail
    finally:
        await kept.aclose()


@pytest.mark.slow
async def test_the_daemons_http_brains_know_their_window_before_the_first_op(served, tmp_path):
    """The daemon's brains form a failback chain, whose health never asks each brain:
    build_provider asks each entry without a window for the server's, up front."""
    from daemon.brains.providers import build_provider
    from daemon.config.settings import Settings

    url, _ = served
    settings = Settings.model_validate({"provider": {"name": "none", "http": [
        {"kind": "ollama", "base_url": url, "model": "ouroboros"},
        {"kind": "openai", "base_url": f"{url}/v1", "model": "ouroboros", "name": "oai"}]}})
    chain, why = await build_provider(settings, tmp_path)
    try:
        assert why == "" and [p.context_tokens for p in chain.providers] == [4096, 4096]
        assert {p.window_from for p in chain.providers} == {"server"}
    finally:
        for p in chain.providers:
            await p.aclose()


def test_a_priced_brain_takes_samples_at_once_and_a_free_one_in_turn():
    """Best-of-N asks a hosted brain (it has a price) for its samples side by side; a free
    one is a local server sharing this machine's cores, asked one sample after another."""
    hosted = http_provider(_config("openai", "https://api.example.com", usd_per_mtok_in=0.15,
                                   usd_per_mtok_out=0.6, api_key_env=None))
    local = http_provider(_config("ollama", "http://127.0.0.1:11434"))
    assert asks_in_parallel(hosted) and not asks_in_parallel(local)


def test_a_hostile_servers_window_is_taken_only_when_plausible():
    """A server's window is a number it chooses: a bool, a string, a negative or an absurd
    one is no window (the entry's default stands), as a config entry could not set it."""
    from kernel.http.apis import _window

    assert [_window(v) for v in (True, "4096", -1, 0, 511, 10**12, 4.5e3, None)] == [None] * 8
    assert _window(4096) == 4096 and _window(512) == 512
