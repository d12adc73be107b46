"""Brain outages against real third-party servers, with the daemon's own probe schedule
(issue 44): how long work waits for a brain that comes back, and how it ends.

    .venv/bin/python bench/brain_outage.py [--legs llamacpp,litellm-openai,litellm-anthropic]
        [--kill-delay S] [--probe-s S] [--json PATH]

Each leg is one real daemon (in this process) on a fresh repository with a committed TODO,
whose only brain is llama.cpp's server (`python -m llama_cpp.server`, the embedded SmolLM2
GGUF; `make bench-setup`), directly or through LiteLLM's proxy as an OpenAI- or an
Anthropic-format gateway (LITELLM_BIN; tests/litellm_proxy.py). The server is down when the
daemon starts and comes up a few seconds later; once the op has its first answer, the
server is SIGKILLed `--kill-delay` seconds into the op's next call (mid-prefill or
mid-reply) and started again at once. Measured: the failure mode each outage was recorded
as, seconds from the server answering again to the daemon's probe passing and to the op's
next answer, and how the work ended (terminal phase, failed calls, failed-work records,
work held back). `--probe-s` replaces the probe schedule (default: the daemon's own, 60 s
far from a backoff's end), as the tests do.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import secrets
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from governance.brains import failback
from kernel.plain import embedded_model_path
from ledger.store import TERMINAL_PHASES
from tests import litellm_proxy
from tests.helpers import (
    add_todo_and_commit,
    make_repo,
    running_daemon,
    settings_for,
    wait_for,
)
from tests.llamacpp_server import ALIAS, LlamaServer, free_port, missing

BRAIN = "llamacpp"
LEGS = ("llamacpp", "litellm-openai", "litellm-anthropic")
WAIT_S = 900.0  # the longest any one step may take (a CONNECTION backoff's cap)


@contextlib.contextmanager
def brain_entry(leg: str, server: LlamaServer, root: Path) -> Iterator[dict[str, Any]]:
    """The daemon's [[provider.http]] entry for `leg`, its gateway running meanwhile."""
    common = {"name": BRAIN, "model": ALIAS, "max_tokens": 96,
              "context_tokens": server.n_ctx}
    if leg == "llamacpp":
        yield {"kind": "openai", "base_url": server.base_url, **common}
        return
    key = "sk-" + secrets.token_hex(16)
    with contextlib.ExitStack() as stack:
        stack.enter_context(_env(litellm_proxy.KEY_ENV, key))
        proxy = stack.enter_context(litellm_proxy.LiteLLMProxy(
            server, free_port(), root / "litellm.log", key))
        proxy.start()
        kind = leg.removeprefix("litellm-")
        url = f"{proxy.base_url}/v1" if kind == "openai" else proxy.base_url
        yield {"kind": kind, "base_url": url, "api_key_env": litellm_proxy.KEY_ENV, **common}


@contextlib.contextmanager
def _env(name: str, value: str) -> Iterator[None]:
    before = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = before


def settings(entry: dict[str, Any], probe_s: float | None = None):
    """As tests/daemon/brains/test_llamacpp_server.py: the TODO the only work, two
    generation attempts, two tool rounds."""
    return settings_for(None, provider={"name": "none", "http": [entry],
                                        "probe_interval_s": probe_s},
                        governance={"max_generate_retries": 1, "max_validate_retries": 0},
                        tools={"max_rounds": 2, "max_exploration_rounds": 1},
                        intake={"test_failure": False, "opportunity_miner": False,
                                "doc_staleness": False})


async def rows(daemon, table: str) -> list[dict[str, Any]]:
    """Every op's rows of `table` (model_calls, thoughts), oldest first."""
    out: list[dict[str, Any]] = []
    for op in await daemon.ledger.operations():
        out += (await daemon.ledger.chain(op["op_id"]))[table]
    return sorted(out, key=lambda r: r["id"])


async def until(probe) -> Any:
    """The first truthy value of the coroutine function `probe`, polled."""
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        if value := await probe():
            return value
        await asyncio.sleep(0.05)
    raise TimeoutError(f"nothing within {WAIT_S:.0f}s")


def now_ts() -> str:
    """Now as the ledger writes its ts column (ISO, milliseconds, UTC): comparable."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")


async def next_answer(daemon, after_ts: str) -> dict[str, Any]:
    """The first model call answered after `after_ts`."""
    async def probe():
        return next((c for c in await rows(daemon, "model_calls")
                     if c["ok"] and c["ts"] > after_ts), None)
    return await until(probe)


async def outage(daemon, server: LlamaServer, rec: failback.Health,
                 kill_at: float | None) -> dict[str, Any]:
    """One outage: SIGKILL at `kill_at` (monotonic; None: it is down already), wait for the
    daemon to record it, start the server again; the mode and the seconds to recovery."""
    if kill_at is not None:
        await asyncio.sleep(max(0.0, kill_at - time.monotonic()))
        await asyncio.to_thread(server.kill)
    await wait_for(lambda: rec.failing, WAIT_S, "the outage to be recorded")
    mode = rec.mode.value if rec.mode else None
    server_s = await asyncio.to_thread(server.start)
    up, up_ts = time.monotonic(), now_ts()
    await wait_for(lambda: rec.probed_ok or not rec.failing, WAIT_S, "a probe to pass")
    probed = time.monotonic() - up
    answer = await next_answer(daemon, up_ts)
    return {"mode": mode, "server_start_s": round(server_s, 1),
            "probe_passed_s": round(probed, 1),
            "next_answer_s": round(time.monotonic() - up, 1), "answer_ts": answer["ts"]}


async def mid_call(daemon, after_ts: str, delay: float) -> float:
    """When to kill: `delay` seconds after the first model call that begins after
    `after_ts` (its deadline thought, written just before the call)."""
    async def probe():
        return next((t for t in await rows(daemon, "thoughts")
                     if "deadline_s" in (t["data"] or {}) and t["ts"] > after_ts), None)
    await until(probe)
    return time.monotonic() + delay


async def run_leg(leg: str, root: Path, kill_delay: float,
                  probe_s: float | None = None) -> dict[str, Any]:
    server = LlamaServer(embedded_model_path(), free_port(), root / "llama.log")
    repo = make_repo(root)
    add_todo_and_commit(repo)  # found by the start-up scan while the server is down
    began = time.monotonic()
    with server, brain_entry(leg, server, root) as entry:
        async with running_daemon(repo, settings(entry, probe_s)) as daemon:
            rec = daemon.provider.records[0]
            at_start = await outage(daemon, server, rec, None)
            kill_at = await mid_call(daemon, at_start["answer_ts"], kill_delay)
            mid_op = await outage(daemon, server, rec, kill_at)
            await wait_for(lambda: not daemon.ops and not len(daemon.queue), WAIT_S,
                           "the work to end")
            return {"leg": leg, "down_at_start": at_start, "killed_mid_op": mid_op,
                    **await ending(daemon), "wall_s": round(time.monotonic() - began, 1)}


async def ending(daemon) -> dict[str, Any]:
    """How the work ended, from the ledger: each op's end, and whether it was honest (an
    op that ended POSTMORTEM had its brain's answer last)."""
    ops, honest = await daemon.ledger.operations(), True
    ends = []
    for op in ops:
        calls = (await daemon.ledger.chain(op["op_id"]))["model_calls"]
        honest &= op["phase"] in TERMINAL_PHASES and (
            op["phase"] != "POSTMORTEM" or bool(calls and calls[-1]["ok"]))
        ends.append(op["phase"])
    calls = await rows(daemon, "model_calls")
    work = await daemon.ledger.latest_work()
    status = await daemon.status()
    return {"ends": ends, "honest": honest, "ok_calls": sum(c["ok"] for c in calls),
            "failed_calls": sum(not c["ok"] for c in calls),
            "failed_work": [(w["count"], w["reason"][:120]) for w in work
                            if w["event"] == "failed"],
            "held_back": len(status.held_back)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--legs", default=",".join(LEGS))
    ap.add_argument("--kill-delay", type=float, default=1.0)
    ap.add_argument("--probe-s", type=float, default=None)
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()
    if why := missing():
        sys.exit(why)
    results = []
    for leg in args.legs.split(","):
        if leg.startswith("litellm") and (why := litellm_proxy.missing()):
            results.append({"leg": leg, "skipped": why})
            continue
        with tempfile.TemporaryDirectory(prefix="ob-outage-") as tmp:
            results.append(asyncio.run(run_leg(leg, Path(tmp), args.kill_delay, args.probe_s)))
        print(json.dumps(results[-1]), flush=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
