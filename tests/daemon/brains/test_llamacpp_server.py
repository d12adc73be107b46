"""A real third-party brain (issue 44, item 2): llama.cpp's own OpenAI-compatible server
(`python -m llama_cpp.server` from `llama-cpp-python[server]`, serving the embedded
SmolLM2 GGUF) as the only `[[provider.http]]` brain of a real daemon on a real repository
with a committed TODO: an op goes through it end to end; the server is down when the daemon
starts, then killed mid-op (SIGKILL) and started again on the same port, and the work
resumes and ends honestly: no op ended POSTMORTEM by the outage, no failed-work record or
backoff earned from it.

The model is real, so what it writes cannot be scripted: the tests assert how the work
ends, never that a fix landed. "Honest" is read from the ledger's rows, not from wording:
an op may end POSTMORTEM only after its brain answered (its last model call is ok: an
unusable reply is the work's), never straight after a call that reached no server.

The outage test runs again through LiteLLM's proxy (tests/litellm_proxy.py) as an OpenAI-
and as an Anthropic-format gateway in front of the same server, the server behind it killed
and restarted while the gateway stays up.

Skipped where llama.cpp's server is not installed (CI; `make bench-setup` installs it), the
gateway legs where LiteLLM is not (LITELLM_BIN). bench/brain_outage.py measures the same with
the daemon's own probe schedule.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from dataclasses import dataclass

import pytest

from daemon.service import Daemon
from governance.brains.failback import Health
from kernel.http.apis import http_provider
from kernel.plain import embedded_model_path
from ledger.store import TERMINAL_PHASES
from tests import litellm_proxy
from tests.helpers import (
    add_todo_and_commit,
    http_config,
    running_daemon,
    settings_for,
    wait_for,
    wait_terminal,
)
from tests.llamacpp_server import ALIAS, LlamaServer, free_port, missing

pytestmark = [pytest.mark.slow, pytest.mark.skipif(missing() is not None,
                                                   reason=missing() or "")]

BRAIN = "llamacpp"
PROBE_S = 1.0  # the probe schedule in these tests (the daemon's: 60 s down to 5 s)
OP_S = 420.0  # one op of the real model on two busy cores, with room


@pytest.fixture
def server(short_tmp):
    with LlamaServer(embedded_model_path(), free_port(), short_tmp / "llama.log") as s:
        yield s


@dataclass(frozen=True)
class Brain:
    """The daemon's one [[provider.http]] entry, and what `status` should say of it."""

    entry: dict
    url: str  # where it should answer (the entry's base_url)
    # Behind a gateway the brain's health check passes while its backend is down (LiteLLM
    # keeps listing the model), so a waiting op asks again at every probe and is counted
    # as waiting only between those asks.
    gateway: bool = False


def _entry(kind: str, base_url: str, **more: object) -> dict:
    return {"kind": kind, "name": BRAIN, "base_url": base_url, "model": ALIAS,
            "max_tokens": 96, "context_tokens": LlamaServer.n_ctx_default, **more}


@pytest.fixture(params=["llamacpp", "litellm-openai", "litellm-anthropic"])
def brain(request, server, short_tmp, monkeypatch):
    """llama.cpp's server itself, or LiteLLM's proxy in front of it in either format."""
    if request.param == "llamacpp":
        yield Brain(_entry("openai", server.base_url), server.base_url)
        return
    if why := litellm_proxy.missing():
        pytest.skip(why)
    key = "sk-" + secrets.token_hex(16)
    monkeypatch.setenv(litellm_proxy.KEY_ENV, key)
    with litellm_proxy.LiteLLMProxy(server, free_port(), short_tmp / "litellm.log",
                                    key) as proxy:
        proxy.start()
        url = f"{proxy.base_url}/v1" if request.param.endswith("openai") else proxy.base_url
        kind = request.param.removeprefix("litellm-")
        yield Brain(_entry(kind, url, api_key_env=litellm_proxy.KEY_ENV), url, gateway=True)


def _settings(brain: Brain, attempts: int = 1):
    """`brain` as the daemon's only brain, the TODO its only work (the start-up suite run
    would make the TODO's failing test a second op); a short op: `attempts` generation
    attempts, two tool rounds, replies of at most 96 tokens (the window: the server's)."""
    return settings_for(None, provider={"name": "none", "http": [brain.entry],
                                        "probe_interval_s": PROBE_S},
                        governance={"max_generate_retries": attempts - 1,
                                    "max_validate_retries": 0},
                        tools={"max_rounds": 2, "max_exploration_rounds": 1},
                        intake={"test_failure": False, "opportunity_miner": False,
                                "doc_staleness": False})


async def _calls(daemon: Daemon) -> list[dict]:
    """Every model call of every op, oldest first."""
    assert daemon.ledger is not None
    rows = []
    for op in await daemon.ledger.operations():
        rows += (await daemon.ledger.chain(op["op_id"]))["model_calls"]
    return sorted(rows, key=lambda r: r["id"])


async def _ended_honestly(daemon: Daemon) -> list[dict]:
    """Every op has ended, and each for a reason of the work's: an op that ended POSTMORTEM
    had its brain's answer last. The ops."""
    assert daemon.ledger is not None
    ops = await daemon.ledger.operations()
    assert ops and all(o["phase"] in TERMINAL_PHASES for o in ops), ops
    for op in ops:
        chain = await daemon.ledger.chain(op["op_id"])
        calls = chain["model_calls"]
        if op["phase"] == "POSTMORTEM":
            assert calls and calls[-1]["ok"], (
                f"{op['op_id']} ended POSTMORTEM after a call that reached no brain: "
                f"{chain['transitions'][-1]['reason']}")
    return ops


async def _no_failure_from(daemon: Daemon, ops: list[dict]) -> None:
    """No failed-work record but an honest op's (at most one failure, none from the
    outage), and nothing held back for another."""
    assert daemon.ledger is not None
    honest = {o["op_id"] for o in ops}
    for rec in await daemon.ledger.latest_work():
        if rec["event"] == "failed":
            assert rec["op_id"] in honest and rec["count"] == 1, rec
    status = await daemon.status()
    assert {h.op_id for h in status.held_back if h.event == "failed"} <= honest


async def test_an_op_goes_through_llamacpps_server(repo, server):
    await asyncio.to_thread(server.start)
    add_todo_and_commit(repo)
    direct = Brain(_entry("openai", server.base_url), server.base_url)
    async with running_daemon(repo, _settings(direct)) as daemon:
        await wait_terminal(daemon, timeout=OP_S)
        calls = await _calls(daemon)
        [op] = await _ended_honestly(daemon)
    assert calls and all(c["ok"] and c["provider"] == BRAIN for c in calls), calls
    assert all(c["model"] == ALIAS and c["reply_text"].strip() for c in calls), calls
    assert {c["op_id"] for c in calls} == {op["op_id"]}
    # its streams carry no token counts: the ledger holds the daemon's estimate, marked so
    assert all(c["prompt_tokens"] > 0 and c["completion_tokens"] > 0
               and c["telemetry"]["tokens_estimated"] for c in calls), calls


async def test_a_model_the_server_does_not_list_is_asked_all_the_same(server):
    """An entry whose `model` is not the server's --model_alias: the server answers, so it
    is not down (the configuration's to fix, said by its health check), and it answers
    the call for whatever model is named."""
    await asyncio.to_thread(server.start)
    brain = http_provider(http_config(kind="openai", base_url=server.base_url,
                                      model="smollm2-typo", max_tokens=8))
    try:
        health = await brain.health()
        assert health.healthy and health.model_unlisted, health
        assert "--model_alias" in health.detail
        reply = await brain.generate("Say hi.", deadline=time.monotonic() + 120)
    finally:
        await brain.aclose()
    assert reply.text.strip() and reply.telemetry["tokens_estimated"], reply


async def _answered(daemon: Daemon, timeout: float = OP_S) -> dict:
    """The first model call a brain answered (its ledger row), once there is one."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ok := [c for c in await _calls(daemon) if c["ok"]]:
            return ok[0]
        await asyncio.sleep(0.05)
    raise AssertionError(f"no model call answered within {timeout:.0f}s")


async def _probed_while_down(rec: Health) -> None:
    """Wait until the daemon's prober has found the server down once more (its next probe
    moved on): the moment an outage used to have ended the op long before."""
    await wait_for(lambda: rec.failing, OP_S, "a call or the start-up check to fail")
    first = rec.next_probe
    await wait_for(lambda: rec.next_probe > first, 30, "a probe to find the server down")


async def _waits_for_the_brain(daemon: Daemon, brain: Brain, rec: Health,
                               in_flight: set[str]) -> None:
    """While the server is down: no op ended, the ops in flight still are, nothing failed,
    and `status` says which brain is down, where, and how many ops wait for it."""
    await _probed_while_down(rec)
    assert daemon.ledger is not None
    ops = await daemon.ledger.operations()
    assert not [o for o in ops if o["phase"] in TERMINAL_PHASES], ops
    assert in_flight <= set(daemon.ops)
    assert not [r for r in await daemon.ledger.latest_work() if r["event"] == "failed"]
    status = await daemon.status()
    assert not status.held_back, status.held_back
    assert status.failback is not None
    [down] = status.failback.down
    assert (down.name, down.url) == (BRAIN, brain.url)
    assert down.since is not None and down.since <= time.time()
    if not brain.gateway:
        assert down.waiting == len(in_flight)


async def test_an_outage_at_start_and_mid_op_loses_no_work(repo, server, brain):
    add_todo_and_commit(repo)  # found by the start-up scan, while the server is down
    async with running_daemon(repo, _settings(brain, attempts=2)) as daemon:
        rec = daemon.provider.records[0]
        await _waits_for_the_brain(daemon, brain, rec, set())
        await asyncio.to_thread(server.start)
        up = time.monotonic()
        await wait_for(lambda: not rec.failing or rec.probed_ok, 10 * PROBE_S,
                       "a probe to find the server back")
        assert time.monotonic() - up <= 3 * PROBE_S  # within a probe interval, and slack
        # The op through it: its first answer, then SIGKILL before the next call.
        answered = await _answered(daemon)
        assert answered["provider"] == BRAIN
        await asyncio.to_thread(server.kill)
        assert daemon.ops, "the op ended on its first answer: nothing was cut mid-op"
        await _waits_for_the_brain(daemon, brain, rec, {answered["op_id"]})
        await asyncio.to_thread(server.start)
        await wait_for(lambda: not daemon.ops and not len(daemon.queue), OP_S,
                       "the work to end once the server is back")
        ops = await _ended_honestly(daemon)
        await _no_failure_from(daemon, ops)
        after = [c for c in await _calls(daemon) if c["id"] > answered["id"] and c["ok"]]
        assert after and {c["provider"] for c in after} == {BRAIN}  # the work resumed on it
