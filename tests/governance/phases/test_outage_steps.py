"""The model steps other than GENERATE wait out an outage too (issue 44): an L2 repair turn
whose only brain's server is killed mid-reply, and a PLAN whose brain's server is not up
yet, wait for the brain and go on once it is back. Real git, the real pipeline and jailed
pytest, the brain a real OpenAI-compatible server (tests.replay_http: the replay stand-in
behind a socket), stopped and started again on its port by the test."""

from __future__ import annotations

import asyncio
import contextlib

import pytest

from governance.brains.failback import ProbeSchedule
from governance.brains.provider_chain import ProviderChain
from governance.phase import Phase
from kernel.http.apis import http_provider
from kernel.replay import ReplayProvider
from tests.governance.phases.test_l2_e2e import (
    ADD_BROKEN,
    FIXED_CLAMP,
    MATH,
    NO_RETRY,
    TARGET,
    TESTS,
    _repair,
    _thoughts,
    _turn,
)
from tests.helpers import commit_files, http_config, run_op, wait_for
from tests.local_http import serving
from tests.replay_http import HANG, MODEL, ReplayServer


@pytest.fixture
def l2_repo(short_tmp):
    return commit_files(short_tmp / "repo", {
        "calc/__init__.py": "", TARGET: MATH, "tests/test_math.py": TESTS})


def _chain(url: str) -> ProviderChain:
    return ProviderChain([http_provider(http_config(
        kind="openai", base_url=f"{url}/v1", model=MODEL, max_tokens=4096))],
        probes=ProbeSchedule.every(0.3))


@pytest.mark.slow
async def test_a_plan_waits_for_a_brain_not_up_yet(l2_repo, short_tmp, monkeypatch):
    with serving(ReplayServer(ReplayProvider([])).app()) as url:
        port = int(url.rsplit(":", 1)[1])
    server = ReplayServer(ReplayProvider([_turn("no plan here"), _turn(FIXED_CLAMP)]))
    chain = _chain(url)
    prober = asyncio.create_task(chain.probe_forever())
    op = asyncio.create_task(run_op(l2_repo, short_tmp / "l.db", TARGET, provider=chain,
                                    policy=NO_RETRY, goal="clamp x into [lo, hi] " * 20))
    try:
        await wait_for(lambda: chain.waiters, timeout=60, what="the plan waiting")
        with serving(server.app(), port):
            end, rows = await asyncio.wait_for(op, 120)
    finally:
        prober.cancel()
    assert end is Phase.COMPLETE, rows["transitions"][-1]["reason"]
    [waited] = _thoughts(rows, "waiting for a brain since ")
    assert waited["phase"] == "PLAN"
    assert [t["to_phase"] for t in rows["transitions"]][:5] == [
        "CLASSIFY", "ROUTE", "CONTEXT_EXPANSION", "PLAN", "GENERATE"]


@pytest.mark.slow
async def test_an_l2_turn_waits_out_its_brain_s_outage_and_repairs(l2_repo, short_tmp,
                                                                   monkeypatch):
    hang = _repair(1, FIXED_CLAMP).model_copy(update={"text": HANG})
    server = ReplayServer(ReplayProvider([_turn(ADD_BROKEN), hang, _repair(1, FIXED_CLAMP)]))
    up = contextlib.ExitStack()
    url = up.enter_context(serving(server.app()))
    port = int(url.rsplit(":", 1)[1])
    chain = _chain(url)
    prober = asyncio.create_task(chain.probe_forever())
    op = asyncio.create_task(run_op(l2_repo, short_tmp / "l.db", TARGET, provider=chain,
                                    policy=NO_RETRY))
    try:
        assert await asyncio.to_thread(server.hanging.wait, 120), "the L2 turn never began"
        await asyncio.to_thread(up.close)  # the server stopped under the repair turn's reply
        await wait_for(lambda: chain.waiters, timeout=60, what="the L2 turn waiting")
        with serving(server.app(), port):
            end, chain_rows = await asyncio.wait_for(op, 120)
    finally:
        prober.cancel()
        up.close()
    assert end is Phase.COMPLETE, chain_rows["transitions"][-1]["reason"]
    assert (l2_repo / TARGET).read_text() == FIXED_CLAMP
    [waited] = _thoughts(chain_rows, "waiting for a brain since ")
    assert waited["phase"] == "L2_REPAIR"
    [it] = _thoughts(chain_rows, "L2 iteration")  # the outage spent no iteration
    assert it["data"]["decision"] == "converged" and it["msg"].startswith("L2 iteration 1")
