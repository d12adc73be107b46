"""A running op yields to its host (daemon.host.gate) at its next model call or jailed test
run: while the machine is its human's (busy, on battery, hot), the op waits there rather
than making the call or the run. The wait is off the op's clock: its ceiling is extended by
it and a step's deadline starts after it (governance.phases.deps.PhaseDeps.yield_to_host,
governance.phases.orchestrator). `status` shows which op waits and for what (its
`OpHandle.waits`); the start and end of each wait are ledger thoughts on the op. The wait is
bounded as the dispatcher's is (daemon.host.overdue): a waiting op may take the bound's pass
and go ahead at idle priority; the op on the pass never waits again."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol

from daemon.host.gate import HostGate
from governance.phases.deps import HostYield

Note = Callable[[str, str, dict[str, Any]], Awaitable[None]]  # op_id, message, data


class Waiting(Protocol):
    waits: str | None  # what the op waits for, and why (None: it does not)


def host_yield(host: HostGate, ops: Mapping[str, Waiting], note: Note) -> HostYield:
    """The daemon's HostYield: returns at once while the host is free."""
    async def wait(op_id: str, what: str) -> None:
        if not host.waiting or host.bound.holder == op_id:
            return
        handle, started = ops.get(op_id), time.monotonic()
        reasons = list(host.reasons.values())
        if handle is not None:
            handle.waits = f"{what}: {'; '.join(reasons)}"
        await note(op_id, f"waits for the host before {what}", {"reasons": reasons})
        try:
            await host.clear_for(op_id)
        finally:
            if handle is not None:
                handle.waits = None
        ahead = (f"the host gate's bound: {what} goes ahead at idle priority"
                 if host.bound.holder == op_id else f"the host is free: {what} goes ahead")
        await note(op_id, ahead, {"waited_s": round(time.monotonic() - started, 1)})
    return wait
