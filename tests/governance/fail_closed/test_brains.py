"""A brain that fails one prompt is the work's failure after a bounded wait (issue 49, item
1, path 6): a real OpenAI-compatible server that is up (it lists its model, so every probe
passes) but answers each chat call with a 503. Before, the op waited, was told the brain was
back, asked again and waited again, forever, its targets locked; now the step fails after
MAX_ASKS_AFTER_5XX waits, said in the ledger. A server nothing reaches stays an outage."""

from __future__ import annotations

import asyncio
import time

import pytest
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

from governance.brains.failback import ProbeSchedule
from governance.brains.outage import BrainFailsTheWork, BrainsUnreachable, Down
from governance.brains.provider_chain import ProviderChain
from governance.phase import Phase
from governance.phases import brain_wait
from governance.phases.brain_wait import wait_for_brain
from kernel.http.apis import http_provider
from ledger import Ledger
from tests.helpers import commit_files, http_config, op_context, pipeline_deps
from tests.local_http import serving
from tests.replay_http import MODEL


def _failing_server() -> Starlette:
    async def models(_request):
        return JSONResponse({"object": "list", "data": [{"id": MODEL, "object": "model"}]})

    async def chat(_request):
        return JSONResponse({"error": {"message": "the prompt broke the server"}},
                            status_code=503)
    return Starlette(routes=[Route("/v1/models", models),
                             Route("/v1/chat/completions", chat, methods=["POST"])])


async def test_a_server_that_fails_every_call_of_one_prompt_fails_the_work(tmp_path):
    ledger = await Ledger.open(tmp_path / "ledger.sqlite3")
    ctx = op_context("calc/ops.py")
    await ledger.record_operation(ctx.op_id, source="human", goal="g", session_id="s",
                                  envelope={})
    d = pipeline_deps(commit_files(tmp_path / "repo", {"a.py": ""}), ledger, None)
    asks = 0
    with serving(_failing_server()) as url:
        chain = ProviderChain([http_provider(http_config(
            kind="openai", base_url=f"{url}/v1", model=MODEL, max_tokens=8))],
            probes=ProbeSchedule.every(0.05))
        prober = asyncio.create_task(chain.probe_forever())
        try:
            async with asyncio.timeout(60):  # before: never ended
                while True:  # how GENERATE asks and waits (governance.phases.generate)
                    try:
                        asks += 1
                        await chain.generate("the prompt", deadline=time.monotonic() + 10)
                    except BrainsUnreachable as exc:
                        await wait_for_brain(ctx, d, Phase.GENERATE, exc)
        except BrainFailsTheWork as failed:
            why = str(failed)
        finally:
            prober.cancel()
    thoughts = (await ledger.chain(ctx.op_id))["thoughts"]
    await ledger.close()
    assert asks == brain_wait.MAX_ASKS_AFTER_5XX + 1, asks
    assert "answered this step with a server error 4 times" in why, why
    assert "fails this work, not an outage" in why
    assert thoughts[-1]["data"] == {"waiting_for_brain": False, "gave_up": True}
    assert chain.waiters == {}  # nothing left waiting


@pytest.mark.parametrize(("mode", "bounded"), [("CONNECTION", False), ("TIMEOUT", False),
                                              ("RATE_LIMIT", False), ("SERVER_ERROR", True)])
async def test_only_a_server_that_answers_with_5xx_is_bounded(tmp_path, mode, bounded):
    """A connection refused, a connect timeout or a rate limit is the infrastructure's
    however often (issue 44): each wait ends when the brain may be asked, here at once."""
    ledger = await Ledger.open(tmp_path / "ledger.sqlite3")
    ctx = op_context("calc/ops.py")
    await ledger.record_operation(ctx.op_id, source="human", goal="g", session_id="s",
                                  envelope={})
    d = pipeline_deps(commit_files(tmp_path / "repo", {"a.py": ""}), ledger, None)

    async def at_once(_who: str) -> float:
        return 0.0
    down = [Down("openai:m", mode, "http://127.0.0.1:9/v1")]
    waits = 0
    try:
        for _ in range(brain_wait.MAX_ASKS_AFTER_5XX + 2):
            await wait_for_brain(ctx, d, Phase.GENERATE,
                                 BrainsUnreachable("down", down=down, wait=at_once))
            waits += 1
    except BrainFailsTheWork:
        pass
    finally:
        await ledger.close()
    assert waits == (brain_wait.MAX_ASKS_AFTER_5XX if bounded
                     else brain_wait.MAX_ASKS_AFTER_5XX + 2)


async def test_generate_ends_the_op_as_the_works_failure_past_the_bound(tmp_path, monkeypatch):
    """Through GENERATE itself: past the bound the op ends POSTMORTEM, a failure of this work
    (a lesson), not an infrastructure end, and not an exception out of the phase."""
    from governance.phases.generate import generate_in
    from tests.helpers import make_repo

    monkeypatch.setattr(brain_wait, "MAX_ASKS_AFTER_5XX", 1)
    ledger = await Ledger.open(tmp_path / "ledger.sqlite3")
    ctx = op_context("calc/ops.py")
    await ledger.record_operation(ctx.op_id, source="human", goal="g", session_id="s",
                                  envelope={})
    with serving(_failing_server()) as url:
        chain = ProviderChain([http_provider(http_config(
            kind="openai", base_url=f"{url}/v1", model=MODEL, max_tokens=8))],
            probes=ProbeSchedule.every(0.05))
        prober = asyncio.create_task(chain.probe_forever())
        try:
            d = pipeline_deps(make_repo(tmp_path), ledger, chain)
            async with asyncio.timeout(60):
                t = await generate_in(ctx, d, Phase.GENERATE, Phase.GENERATE)
        finally:
            prober.cancel()
    await ledger.close()
    assert t.to is Phase.POSTMORTEM, t
    assert not t.infra
    assert "fails this work, not an outage" in t.reason
