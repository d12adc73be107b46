"""Memory of a running daemon with the embedded model: RSS after 1, 20 and 40 ops.

The daemon runs in this process (its RSS is this process's) on a real git repository with
real tests. Each op goes through the whole pipeline with the tool loop on; the replies are
scripted (kernel/replay.py), so every op lands the same way, but each model call first runs
the real kernel on the real prompt (prefill plus a few decoded tokens, through
KernelProvider), so the kernel's memory behaves exactly as with a live model. Target: RSS
after 20 ops <= 700 MiB and flat across the next 20 (growth <= 5%).

Run: .venv/bin/python bench/kernel_memory.py [--ops 40] [--tokens 16]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import structlog

_HERE = Path(__file__).resolve().parent
# Run as a script, bench/ comes first on sys.path and bench/kernel.py would shadow the
# `kernel` package; the repository root must be there for `tests.helpers` (also when
# bench/kernel.py loads this file by path).
sys.path[:] = [str(_HERE.parent), *(p for p in sys.path
                                    if Path(p or ".").resolve() not in (_HERE, _HERE.parent))]

from daemon.service import Daemon  # noqa: E402
from governance.brains.provider import ModelReply, ProviderHealth, Steering  # noqa: E402
from kernel.replay import ReplayProvider, ReplayTurn  # noqa: E402
from tests.helpers import (  # noqa: E402
    OPS_PY,
    explore_calls,
    make_repo,
    running_daemon,
    settings_for,
    terminal_ops,
    wait_terminal,
)

MIB = 1 << 20
CHECKPOINTS = (1, 20, 40)


def rss() -> tuple[int, int]:
    """(VmRSS, VmHWM) of this process in bytes."""
    fields = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text()
                  .splitlines() if ":" in line)
    return (int(fields["VmRSS"].split()[0]) * 1024, int(fields["VmHWM"].split()[0]) * 1024)


class KernelThenScript:
    """Runs the real kernel on every prompt, then answers with the scripted reply."""

    name = "replay"

    def __init__(self, kernel: Any, script: ReplayProvider):
        self.kernel, self.script = kernel, script
        self.calls = 0
        self.prompt_tokens = 0

    async def _real(self, prompt: str, deadline: float, steer: Steering | None) -> None:
        reply = await self.kernel.generate(prompt, deadline=deadline, steer=steer)
        self.calls += 1
        self.prompt_tokens += reply.usage.prompt_tokens

    async def generate(self, prompt: str, *, deadline: float,
                       steer: Steering | None = None) -> ModelReply:
        await self._real(prompt, deadline, steer)
        return await self.script.generate(prompt, deadline=deadline, steer=steer)

    async def plan(self, prompt: str, *, deadline: float) -> ModelReply:
        await self._real(prompt, deadline, None)
        return await self.script.plan(prompt, deadline=deadline)

    async def health(self) -> ProviderHealth:
        return ProviderHealth(healthy=True, detail="kernel + replay script (bench)")


def op_turns(i: int) -> list[ReplayTurn]:
    """One op's replies: explore with tools, then a candidate (a new revision each op, so
    each lands as a commit)."""
    content = OPS_PY.replace('"""Small arithmetic helpers."""',
                             f'"""Small arithmetic helpers (revision {i})."""')
    candidate = json.dumps({"schema": "candidate.1", "file_path": "calc/ops.py",
                            "full_content": content, "rationale": f"revision {i}"})
    return [ReplayTurn(purpose="generate", text=explore_calls()),
            ReplayTurn(purpose="generate", text=candidate)]


async def run_ops(root: Path, ops: int, tokens: int) -> list[tuple[int, int, int, float]]:
    from kernel.canary import CanaryConfig
    from kernel.decode import GenerationConfig
    from kernel.engine import Engine, EngineConfig
    from kernel.provider import KernelProvider

    gen = GenerationConfig(max_new_tokens=tokens, canary=CanaryConfig(mode="observe"))
    engine = await asyncio.to_thread(Engine.load, EngineConfig(generation=gen))
    script = ReplayProvider([])
    provider = KernelThenScript(KernelProvider(engine), script)
    repo = make_repo(root)
    settings = settings_for(None, governance={"max_generate_retries": 0})
    points = []
    async with running_daemon(repo, settings, Daemon(repo, settings, provider)) as daemon:
        for i in range(1, ops + 1):
            script._turns += op_turns(i)
            start = time.perf_counter()
            await daemon.signal(f"revision {i} of the helpers' docstring", ["calc/ops.py"],
                                "normal")
            await wait_terminal(daemon, count=i, timeout=900)
            if i in CHECKPOINTS or i == ops:
                now, peak = rss()
                points.append((i, now, peak, time.perf_counter() - start))
                print(f"  after op {i:3d}: RSS {now / MIB:7.1f} MiB (peak {peak / MIB:7.1f}), "
                      f"{provider.calls} kernel calls, {provider.prompt_tokens} prompt tokens",
                      flush=True)
        done = await terminal_ops(daemon)
    phases = {o["phase"] for o in done}
    if phases != {"COMPLETE"}:
        print(f"  (op ends: {sorted(phases)})")
    return points


def section(args: argparse.Namespace) -> None:
    ops = max(getattr(args, "ops", 40), 1)
    tokens = getattr(args, "memory_tokens", 16)
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    root = Path(tempfile.mkdtemp(prefix="ob-mem-", dir="/tmp"))
    print(f"daemon memory, embedded model, {ops} replay-scripted tool-loop ops on the real "
          "kernel:")
    try:
        points = asyncio.run(run_ops(root, ops, tokens))
    finally:
        shutil.rmtree(root, ignore_errors=True)
    by_op = {i: now for i, now, _, _ in points}
    if 20 in by_op:
        print(f"  RSS after 20 ops: {by_op[20] / MIB:.0f} MiB  (target <= 700 MiB)")
    if 20 in by_op and 40 in by_op:
        print(f"  growth from op 20 to op 40: {by_op[40] / by_op[20]:.3f}x  (target <= 1.05x)")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--ops", type=int, default=40)
    p.add_argument("--tokens", dest="memory_tokens", type=int, default=16)
    section(p.parse_args())


if __name__ == "__main__":
    main()
