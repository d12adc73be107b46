"""Which failures are an outage (the infrastructure's) and which the work's, on the typed
failure alone (governance.brains.outage), and the failback chain raising BrainsUnreachable
only when every brain it asked was down, with real HTTP servers (tests.local_http)."""

from __future__ import annotations

import asyncio
import contextlib
import time

import pytest
from starlette.applications import Starlette
from starlette.responses import JSONResponse, StreamingResponse
from starlette.routing import Route

from governance.brains.failback import FailureMode, ProbeSchedule
from governance.brains.outage import BrainsUnreachable, is_outage
from governance.brains.provider_chain import ProviderChain
from governance.errors import DeadlineMissed, ProviderError
from kernel.http.apis import http_provider
from kernel.http.providers import ProviderFailure
from kernel.replay import ReplayProvider, ReplayTurn, ScriptedFailure
from tests.helpers import http_config, wait_for
from tests.local_http import serving
from tests.replay_http import DIE, MODEL, ReplayServer

CASES = {
    "refused": (ProviderFailure("x", "CONNECTION"), True),
    "429": (ProviderFailure("x", "RATE_LIMIT", status=429, retry_after_s=3), True),
    "503": (ProviderFailure("x", "SERVER_ERROR", status=503), True),
    "broken stream": (ProviderFailure("x", "SERVER_ERROR"), False),
    "connect timeout": (ProviderFailure("x", "TIMEOUT"), True),
    "504 from a gateway": (ProviderFailure("x", "TIMEOUT", status=504), True),
    "deadline used": (ProviderFailure("x", "TIMEOUT", deadline_missed=True), False),
    "timeout after a token": (ProviderFailure("x", "TIMEOUT", completion_tokens=3), False),
    "kernel deadline": (DeadlineMissed("x"), False),
    "400": (ProviderFailure("x", "CONTENT", status=400), False),
}


@pytest.mark.parametrize("name", CASES)
def test_an_outage_is_told_by_the_failure_s_kind_not_its_message(name):
    exc, outage = CASES[name]
    mode = FailureMode(exc.mode)
    assert is_outage(mode, exc) is outage
    exc.args = ("connection refused: the server is down",)  # the words change nothing
    assert is_outage(mode, exc) is outage


def _brain(url: str, model: str = MODEL):
    return http_provider(http_config(kind="openai", base_url=f"{url}/v1", model=model,
                                     max_tokens=8))


def _port() -> int:
    with serving(Starlette()) as url:
        return int(url.rsplit(":", 1)[1])


async def test_every_brain_down_raises_brains_unreachable_with_what_to_start():
    port = _port()
    url = f"http://127.0.0.1:{port}"
    chain = ProviderChain([_brain(url)])
    with pytest.raises(BrainsUnreachable) as caught:
        await chain.generate("hi", deadline=time.monotonic() + 30)
    assert caught.value.fix == f"nothing answers at {url}/v1: start your server"
    assert [(d.name, d.mode) for d in caught.value.down] == [(f"openai:{MODEL}", "CONNECTION")]
    # now in backoff: asked again at once, the chain names the brain it waits for
    with pytest.raises(BrainsUnreachable) as again:
        await chain.generate("hi", deadline=time.monotonic() + 30)
    assert again.value.fix == caught.value.fix


async def test_a_brain_that_answers_wrong_is_the_work_s_failure():
    async def refused(request):
        return JSONResponse({"error": "prompt too long"}, status_code=400)

    app = Starlette(routes=[Route("/v1/chat/completions", refused, methods=["POST"])])
    with serving(app) as url:
        chain = ProviderChain([_brain(url)])
        with pytest.raises(ProviderError) as caught:
            await chain.generate("hi", deadline=time.monotonic() + 30)
    assert not isinstance(caught.value, BrainsUnreachable)


async def test_one_brain_down_and_one_failing_for_the_work_is_the_work_s_failure():
    broken = ReplayProvider([ReplayTurn(purpose="generate", text="", error=ScriptedFailure(
        message="a reply that breaks the protocol", mode="SERVER_ERROR"))])
    chain = ProviderChain([_brain(f"http://127.0.0.1:{_port()}"), broken])
    with pytest.raises(ProviderError) as caught:
        await chain.generate("hi", deadline=time.monotonic() + 30)
    assert not isinstance(caught.value, BrainsUnreachable), caught.value


async def test_a_waiting_op_resumes_when_a_probe_finds_the_server():
    port = _port()
    chain = ProviderChain([_brain(f"http://127.0.0.1:{port}")], probes=ProbeSchedule.every(0.2))
    assert [d.name for d in await chain.check_at_start()] == [f"openai:{MODEL}"]
    assert chain.queue_only
    with pytest.raises(BrainsUnreachable) as caught:
        await chain.generate("hi", deadline=time.monotonic() + 30)
    prober = asyncio.create_task(chain.probe_forever())
    waiting = asyncio.create_task(caught.value.wait("op-1"))
    try:
        await wait_for(lambda: "op-1" in chain.waiters, what="the op registered as waiting")
        assert chain.down()[0]["waiting"] == 1
        server = ReplayServer(ReplayProvider([ReplayTurn(purpose="generate", text="2")]))
        with serving(server.app(), port):
            waited = await asyncio.wait_for(waiting, 30)
            reply = await chain.generate("hi", deadline=time.monotonic() + 30)
        assert reply.text == "2" and waited > 0
        assert chain.down() == [] and chain.waiters == {}
    finally:
        prober.cancel()


async def test_a_server_that_answers_without_listing_the_model_is_not_down():
    """The entry's model is not among those the server lists (llama.cpp's server lists its
    --model_alias): the user's configuration error, said once, not an outage: the probe
    passes within its interval (not at the backoff's 120 s) and the brain is asked."""
    port, said = _port(), []

    async def record(msg: str, data: dict) -> None:
        said.append((msg, data))
    chain = ProviderChain([_brain(f"http://127.0.0.1:{port}", model="smollm2")],
                          probes=ProbeSchedule.every(0.2), record=record)
    assert len(await chain.check_at_start()) == 1  # nothing answers yet: down
    prober = asyncio.create_task(chain.probe_forever())
    server = ReplayServer(ReplayProvider([ReplayTurn(purpose="generate", text="2")]))
    try:
        with serving(server.app(), port):
            up = time.monotonic()
            await wait_for(lambda: not chain.queue_only, 10, what="the probe passing")
            assert time.monotonic() - up < 5.0  # the backoff alone: 120 s
            reply = await chain.generate("hi", deadline=time.monotonic() + 30)
            await chain.probe(0)  # asked again: said once all the same
    finally:
        prober.cancel()
    assert reply.text == "2" and chain.down() == []
    [note] = chain.snapshot()["unlisted"]
    assert "does not list model 'smollm2'" in note and "--model_alias" in note
    assert [m for m, d in said if d.get("model_unlisted")] == [f"failback: {note}"]


async def test_a_reply_cut_short_by_a_server_that_died_is_an_outage():
    """llama.cpp's server killed mid-reply ends its stream cleanly, unfinished: the chain
    asks the server at once, finds nothing answering, and calls it a CONNECTION failure."""
    server = ReplayServer(ReplayProvider([ReplayTurn(purpose="generate", text=DIE)]))
    up = contextlib.ExitStack()
    chain = ProviderChain([_brain(up.enter_context(serving(server.app())))])
    call = asyncio.create_task(chain.generate("hi", deadline=time.monotonic() + 60))
    try:
        assert await asyncio.to_thread(server.hanging.wait, 30)
        await asyncio.to_thread(up.close)
        with pytest.raises(BrainsUnreachable) as caught:
            await asyncio.wait_for(call, 30)
    finally:
        up.close()
    assert [d.mode for d in caught.value.down] == ["CONNECTION"]


async def test_a_reply_cut_short_by_a_server_still_up_is_the_work_s_failure():
    async def unfinished(request):
        async def frames():
            yield 'data: {"choices": [{"index": 0, "delta": {"content": "half"}}]}\n\n'
        return StreamingResponse(frames(), media_type="text/event-stream")

    app = Starlette(routes=[Route("/v1/chat/completions", unfinished, methods=["POST"]),
                            Route("/v1/models", lambda r: JSONResponse({"data": []}))])
    with serving(app) as url:  # a stand-in for a server that breaks the protocol
        chain = ProviderChain([_brain(url)])
        with pytest.raises(ProviderError) as caught:
            await chain.generate("hi", deadline=time.monotonic() + 30)
    assert not isinstance(caught.value, BrainsUnreachable)
    assert chain.records[0].mode is FailureMode.SERVER_ERROR
