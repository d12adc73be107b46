"""The host gate's bound: a wait for the load alone does not last for ever.

Why a bound. The gate (daemon.host.gate) holds heavy work while the 1-minute load, less the
daemon's own share, is above `health.max_load_share` x cores. A dev box with a long build,
an IDE indexing, or other people's work on a shared box can keep it there for hours; the
gate then starved the work for the whole run, saying only "heavy work waits for the host".
The daemon's work already runs after the human's (nice 10); at idle priority (nice 19:
daemon.host.priority.lower_to_idle) it takes little more than the cycles the human leaves,
so after `health.max_wait_s` of waiting one op runs anyway. docs/operations.md says how the
default was measured.

What the bound does not end (HARD): the causes that idle priority does not make harmless.
- memory: an op (its jailed test runs, the model's buffers) on a machine short of memory
  pushes the human's work into swap or the OOM killer, whatever its priority; while
  MemAvailable is below `health.min_free_memory_mb` no op runs on the bound.
- battery and heat: idle priority saves neither charge nor heat; those waits last as long
  as the machine is on battery or hot.
- disk: the state dir's own gate (daemon.host.state_gate) is checked by the dispatcher
  apart from this one and is never bypassed.

One at a time. The pass goes to one op: a queued one at dispatch, or a running one waiting
at its next model call or test run, whichever asks first. While it runs no other is
offered one; when it ends the bound's clock starts again, so on a machine busy for ever the
daemon does one op per `max_wait_s` plus that op's own time.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from daemon.host.health import HostReading

SOFT = frozenset({"load"})  # the causes the bound ends; the others hold as long as they last


@dataclass
class Bound:
    """The bound's state over one wait of the gate (monotonic seconds)."""

    max_wait_s: float  # 0: no bound
    min_free_mb: float
    started: float | None = None  # the wait began, or the last op on the pass ended
    began: float | None = None  # the wait began
    holder: str | None = None  # the op running on the pass
    offered: bool = False  # a pass waits to be taken

    def begin(self, now: float) -> None:
        self.started = self.began = now
        self.offered = False

    def end(self) -> None:
        """The gate opened: nothing is owed (an op on the pass runs on to its end)."""
        self.started = self.began = None
        self.offered = False

    def due_in(self, now: float) -> float | None:
        """Seconds until a pass is due (0: due), None without a bound or a wait."""
        if not self.max_wait_s or self.started is None or self.holder is not None:
            return None
        return max(0.0, self.started + self.max_wait_s - now)

    def refused(self, causes: Collection[str], reading: HostReading | None) -> str | None:
        """Why no op may run on the bound however long the wait ("" never: None means it
        may)."""
        hard = sorted(set(causes) - SOFT)
        if hard:
            return f"{' and '.join(hard)} {'is' if len(hard) == 1 else 'are'} not bounded"
        free = None if reading is None else reading.mem_available_mb
        if free is not None and free < self.min_free_mb:
            return (f"memory is short: {free:.0f} MiB available < "
                    f"{self.min_free_mb:g} MiB (health.min_free_memory_mb)")
        return None

    def take(self, op_id: str) -> bool:
        """`op_id` takes the offered pass; False when none is offered."""
        if not self.offered or self.holder is not None:
            return False
        self.holder, self.offered = op_id, False
        return True

    def release(self, op_id: str, now: float, waiting: bool) -> bool:
        """The op on the pass ended: the clock starts again if the gate still waits."""
        if self.holder != op_id:
            return False
        self.holder = None
        self.started = now if waiting else None
        return True
