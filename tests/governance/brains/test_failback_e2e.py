"""Failback end to end: a real `ouroboros serve` (tiny Ouro checkpoint) as the primary brain
over HTTP and the replay provider (the named stand-in) as the fallback, through the real
pipeline. The server is stopped before the op: the op lands through the fallback instead of
ending in POSTMORTEM; the server is started again on the same port: a probe brings it back
and the next call goes to it. A server answering 500 is handed over the same way. And the
daemon builds the chain from [[provider.http]] with status showing its state."""

from __future__ import annotations

import json
import time

import pytest
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

from daemon.brains.providers import build_provider
from daemon.config.settings import Settings
from daemon.serve.app import build_app
from daemon.serve.model import ServedModel
from daemon.serve.queue import ModelQueue
from daemon.status.text import status_text
from governance.brains.failback import ChainState, FailureMode
from governance.brains.provider_chain import ProviderChain
from governance.phase import Phase
from kernel.http.apis import http_provider
from tests.daemon.serve.serve_helpers import serving, tiny_chat_checkpoint, tiny_engine
from tests.helpers import OPS_FIXED, candidate_turn, http_config, make_repo, replay, run_op
from tests.status_sample import sample_status


@pytest.fixture(scope="module")
def engine():
    return tiny_engine(tiny_chat_checkpoint())


def _candidate() -> str:
    return json.loads(candidate_turn("calc/ops.py", OPS_FIXED))["text"]


def _chain(url: str, events: list[str]) -> ProviderChain:
    primary = http_provider(http_config(kind="ollama", base_url=url, model="ouroboros",
                                        max_tokens=8))

    async def record(msg: str, data: dict) -> None:
        events.append(msg)

    return ProviderChain([primary, replay(_candidate())], record=record)


@pytest.mark.slow
async def test_a_stopped_server_fails_over_and_a_probe_brings_it_back(engine, tmp_path):
    model = ServedModel(engine, "ouroboros", ModelQueue(4))
    with serving(build_app(model), 0) as url:
        port = int(url.rsplit(":", 1)[1])
    events: list[str] = []
    chain = _chain(url, events)  # the server is gone: connection refused
    repo = make_repo(tmp_path)
    end, rows = await run_op(repo, tmp_path / "l.sqlite3", "calc/ops.py", provider=chain)
    assert end is Phase.COMPLETE, rows["transitions"][-1]["reason"]
    assert "ollama:ouroboros failed (CONNECTION)" in events[0]
    assert "PRIMARY_ACTIVE -> FALLBACK_ACTIVE" in events[0]
    assert [m["provider"] for m in rows["model_calls"]] == ["replay"]
    assert chain.state is ChainState.FALLBACK_ACTIVE
    assert not await chain.probe(0)  # still down
    with serving(build_app(model), port):  # the same server back on its port
        assert await chain.probe(0)
        assert chain.state is ChainState.DEGRADED
        reply = await chain.generate("Name one prime number.", deadline=time.monotonic() + 60)
        assert reply.usage.provider == "ollama:ouroboros"
        assert chain.state is ChainState.PRIMARY_ACTIVE
    model.queue.close()
    assert "ollama:ouroboros answered again; DEGRADED -> PRIMARY_ACTIVE" in events[-1]


@pytest.mark.slow
async def test_a_server_answering_500_is_handed_over_within_the_op(tmp_path):
    async def broken(request):
        return JSONResponse({"error": "model runner crashed"}, status_code=500)

    app = Starlette(routes=[Route("/api/chat", broken, methods=["POST"])])  # a stand-in
    events: list[str] = []
    with serving(app, 0) as url:
        chain = _chain(url, events)
        end, rows = await run_op(make_repo(tmp_path), tmp_path / "l.sqlite3", "calc/ops.py",
                                 provider=chain)
    assert end is Phase.COMPLETE, rows["transitions"][-1]["reason"]
    assert "failed (SERVER_ERROR)" in events[0] and "crashed" in events[0]
    assert chain.records[0].eta > time.monotonic() + 30  # 60 s backoff after a 500


async def test_the_daemon_builds_the_chain_and_status_shows_it(tmp_path, monkeypatch):
    script = tmp_path / "script.jsonl"
    script.write_text(json.dumps({"text": "x"}) + "\n")
    settings = Settings.model_validate({"provider": {
        "name": "replay", "replay_script": str(script),
        "http": [{"kind": "openai", "base_url": "http://127.0.0.1:9/v1", "model": "m",
                  "api_key_env": "OB_TEST_KEY"}]}})
    monkeypatch.delenv("OB_TEST_KEY", raising=False)
    provider, why = await build_provider(settings, tmp_path)
    assert provider is None and "OB_TEST_KEY" in why  # a key that is not set: said plainly
    monkeypatch.setenv("OB_TEST_KEY", "sk-secret-value")
    chain, why = await build_provider(settings, tmp_path)
    assert why == "" and isinstance(chain, ProviderChain)
    assert [p.name for p in chain.providers] == ["openai:m", "replay"]
    flipped = settings.model_copy(update={"provider": settings.provider.model_copy(
        update={"http_first": False})})
    assert [p.name for p in (await build_provider(flipped, tmp_path))[0].providers] == \
        ["replay", "openai:m"]
    chain.records[0].failed(FailureMode.CONNECTION, time.monotonic())
    text = status_text(sample_status(provider=chain.name, failback=chain.snapshot()))
    assert "provider: openai:m+replay (FALLBACK_ACTIVE, next probe in" in text
    assert "openai:m: CONNECTION x1" in text and "sk-secret" not in text
