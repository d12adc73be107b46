"""What the pipeline sees of its host's load: a Protocol the daemon's host gate is adapted
to (daemon.host.slow_runs), so governance never imports the daemon (tests/test_layering.py).

A test run that timed out while the host was loaded says how busy the machine was, not
what the candidate is: governance.phases.slow_host runs it again once the host is quiet,
within SlowHostRetry's bounds, without spending the op's VALIDATE retries.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class SlowHostRetry:
    """[health]'s bounds on running a timed-out VALIDATE again, per op."""

    tries: int  # runs again at most this many times (0: a timeout is always the work's)
    within_s: float  # waiting for a quiet host at most this long in all


class HostLoad(Protocol):
    retry: SlowHostRetry

    def loaded_since(self, since: float) -> tuple[str, ...]:
        """Why the host gate held heavy work at any moment since `since` (a time.monotonic()
        value), one reason per cause ("load 6.2 > 1.6 = 0.8 x 2 cores"); (): quiet
        throughout, or no gate that judges the host."""
        ...

    async def quiet(self, op_id: str, why: str) -> None:
        """Return once the host gate is open (a pass on its bound does not count); `status`
        says meanwhile that `op_id` waits, and `why`."""
        ...
