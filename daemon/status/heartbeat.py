""""still working" lines: proof of life while an op sits in one long phase.

A GENERATE with the embedded model on two cores can hold one phase for minutes (a long
prefill, a tool round, a queue for the model); without a line the terminal looks hung.
Every op that has been in its current phase for `every_s` gets one line then, and one more
each further `every_s` while it stays: `still working op-… GENERATE for_s=60`. An op that
waits for a brain (governance.phases.brain_wait) is not working: its line says so instead,
`waiting for a brain op-… GENERATE for_s=60 waiting_s=41 brains=llamacpp`.

The loop sleeps exactly until the next line is due (or `every_s` when no op runs): an op
that starts meanwhile is due no earlier than `every_s` from now, and a phase change only
moves a due time later, so no line is ever late and nothing polls.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import structlog

if TYPE_CHECKING:
    from daemon.op_handle import OpHandle
    from governance.brains.model_gate import ModelGate

log = structlog.get_logger("daemon")


@dataclass(frozen=True)
class InPhase:
    """One op as the heartbeat sees it."""

    op_id: str
    phase: str
    since: float  # monotonic time it entered the phase
    waiting_for_model_s: float | None = None
    waiting_for_brain_s: float | None = None  # waiting out an outage of these brains
    brains: tuple[str, ...] = ()


class Heartbeat:
    """Which ops are due a line now, and when the next one is due."""

    def __init__(self, every_s: float):
        if every_s <= 0:
            raise ValueError(f"every_s must be positive, not {every_s}")
        self.every_s = every_s
        self._said: dict[tuple[str, float], int] = {}  # (op, phase entry) -> lines said

    def due(self, ops: Iterable[InPhase], now: float) -> list[tuple[InPhase, float]]:
        """(op, seconds in its phase) for each op owed a line; remembers that it got it."""
        out, seen = [], set()
        for op in ops:
            key = (op.op_id, op.since)
            seen.add(key)
            owed = int((now - op.since) // self.every_s)
            if owed > self._said.get(key, 0):
                self._said[key] = owed
                out.append((op, now - op.since))
        for key in set(self._said) - seen:  # finished ops, left phases
            del self._said[key]
        return out

    def next_due(self, ops: Iterable[InPhase], now: float) -> float:
        """Seconds until the next line is owed (at most every_s)."""
        waits = [op.since + self.every_s * (math.floor((now - op.since) / self.every_s) + 1)
                 - now for op in ops]
        return max(0.0, min([self.every_s, *waits]))


async def beat(ops: Callable[[], list[InPhase]], every_s: float,
               clock: Callable[[], float] = time.monotonic) -> None:
    """Log "still working" for each op owed a line, forever (cancel to stop)."""
    heart = Heartbeat(every_s)
    while True:
        await asyncio.sleep(heart.next_due(ops(), clock()))
        for op, age in heart.due(ops(), clock()):
            if op.waiting_for_brain_s is not None:
                log.info("waiting for a brain", op_id=op.op_id, phase=op.phase,
                         for_s=round(age), waiting_s=round(op.waiting_for_brain_s),
                         brains=",".join(op.brains))
                continue
            log.info("still working", op_id=op.op_id, phase=op.phase, for_s=round(age),
                     waiting_for_model_s=op.waiting_for_model_s)


class Working(Protocol):
    """What the heartbeat reads of the daemon (daemon.service.Daemon honours it)."""

    ops: Mapping[str, OpHandle]
    model_gate: ModelGate
    provider: object  # a failback chain's `waiters`: the ops waiting for a brain


def in_phase(d: Working) -> list[InPhase]:
    """The daemon's in-flight ops, with how long each has queued for the model, if it is,
    or waited for a brain."""
    now, waiters = time.monotonic(), getattr(d.provider, "waiters", None) or {}
    out = []
    for op_id, handle in d.ops.items():
        waited = d.model_gate.waited_s(op_id, now)
        since, brains = waiters.get(op_id, (None, ()))
        out.append(InPhase(op_id, handle.phase.value, handle.phase_started,
                           None if waited is None else round(waited, 1),
                           None if since is None else max(0.0, time.time() - since),
                           tuple(brains)))
    return out
