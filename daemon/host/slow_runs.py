"""The host gate as governance sees it (governance.host_load.HostLoad): whether it held
heavy work while a VALIDATE run timed out, and a wait until it is open again. With
[health]'s bounds on running such a run again (governance.phases.slow_host)."""

from __future__ import annotations

from collections.abc import Mapping

from daemon.config.health import HealthSection
from daemon.host.gate import HostGate
from daemon.host.pause import Waiting
from governance.host_load import SlowHostRetry


class GateLoad:
    """HostLoad over the daemon's HostGate. A disabled gate holds nothing: every timeout
    is then the work's."""

    def __init__(self, gate: HostGate, health: HealthSection,
                 ops: Mapping[str, Waiting] | None = None):
        self.gate, self.ops = gate, ops or {}
        self.retry = SlowHostRetry(tries=health.timeout_runs_again,
                                   within_s=health.timeout_wait_h * 3600.0)

    def loaded_since(self, since: float) -> tuple[str, ...]:
        return self.gate.held_since(since)

    async def quiet(self, op_id: str, why: str) -> None:
        handle = self.ops.get(op_id)  # `status` names the op and what it waits for
        if handle is not None:
            handle.waits = why
        try:
            await self.gate.clear()
        finally:
            if handle is not None:
                handle.waits = None
