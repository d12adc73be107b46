"""The dispatcher: queued work becomes running ops while every gate admits one (not paused,
the host free or its bound's pass, room in the state dir, a brain up, a worker free, no quiet
point held, money left), and each op's end is settled: its console line, its work record,
its files freed.

Functions over the daemon's parts (`Dispatcher`, which daemon.service.Daemon honours), as
the other background tasks are, so the service module keeps only the lifecycle.
"""

from __future__ import annotations

import asyncio
from typing import Any, Protocol

import structlog

from daemon import heap
from daemon.brains.workers import busy
from daemon.console import brief
from daemon.host.state_gate import storage_error
from daemon.op_handle import OpHandle, ServiceState
from daemon.phase_deps import Dispatching, deps_for
from daemon.quiet_point import QuietPoints
from governance.phase import Phase
from governance.phases.orchestrator import Orchestrator
from governance.phases.pipeline import PHASES
from governance.schemas import OperationContext
from sensors.queue import IntakeQueue

log = structlog.get_logger("daemon")


class Dispatcher(Dispatching, Protocol):
    """What dispatching reads and sets of the daemon (daemon.service.Daemon)."""

    state: ServiceState
    paused: bool
    storage: Any  # daemon.host.state_gate.StateGate
    quiet: QuietPoints
    queue: IntakeQueue | None
    op_done: asyncio.Event  # set each time an op ends (drain waits on it)

    async def budget_left(self) -> bool: ...

    def on_phase(self, op_id: str, phase: Phase) -> None: ...


def _admits(d: Dispatcher, now: float) -> bool:
    """Every gate but money, which needs the ledger: cheap, checked first."""
    return (not d.paused and d.host.admits() and not d.storage.waiting
            and d.provider is not None
            and not getattr(d.provider, "queue_only", False)  # failback: all down
            and busy(d.ops, d.provider) < d.settings.daemon.workers
            and not d.quiet.holds(now))


async def dispatch_forever(d: Dispatcher, tg: asyncio.TaskGroup) -> None:
    """Start queued ops as the gates admit them, each a task of `tg`."""
    assert d.queue is not None
    orchestrator = Orchestrator(PHASES, deps_for(d), d.on_phase)
    loop = asyncio.get_running_loop()
    while True:
        await d.quiet.wait(d.queue.changed, loop.time())
        while _admits(d, loop.time()) and await d.budget_left():
            try:  # the router holds its files until done
                env = await d.queue.pop_ready()
            except Exception as exc:  # its WAL row refused: it stays queued
                if not storage_error(exc):
                    raise
                await d.storage.next_look()  # which closes the gate, or finds room
                env = None
            if env is None:
                break
            d.quiet.began()
            handle = OpHandle(OperationContext(
                envelope=env, failed_before=d.queue.work.failed_before(env.dedup_key)))
            d.ops[handle.ctx.op_id] = handle
            if d.host.waiting:  # it runs on the host gate's bound (daemon.host.overdue)
                await d.host.take(handle.ctx.op_id)
            handle.task = tg.create_task(run_op(d, orchestrator, handle),
                                         name=handle.ctx.op_id)


def op_alive(d: Dispatcher, key: str) -> bool:
    """Whether the op dispatched for dedup key `key` still runs: the router keeps its
    files locked past the TTL while it does, and frees them once its task is gone."""
    return any(h.ctx.envelope.dedup_key == key and h.task is not None
               and not h.task.done() for h in d.ops.values())


async def run_op(d: Dispatcher, orchestrator: Orchestrator, handle: OpHandle) -> None:
    op_id = handle.ctx.op_id
    terminal: str | None = Phase.POSTMORTEM.value  # what a crash outside it counts as
    try:
        phase = await orchestrator.run(handle.ctx, handle.cancel)
        # An op the daemon's own shutdown cut short says nothing about its work.
        stopping = phase is Phase.CANCELLED and d.state is ServiceState.STOPPING
        terminal = None if stopping else phase.value
        _finished_line(d, handle, phase)
    except Exception as exc:
        log.exception("op crashed outside the orchestrator", op_id=op_id)
        # its rows could not be written: that says nothing about its work
        if d.storage.waiting or storage_error(exc):
            terminal = None
    finally:
        d.ops.pop(op_id, None)
        d.host.release(op_id)  # the bound's clock starts again if it ran on it
        d.op_done.set()
        try:
            if d.queue is not None:  # its work record, then its files are freed
                # an op that joined another's review waits on that review's decision; one
                # whose brain answered and was refused waits for a change of its context
                await d.queue.finished(handle.ctx.envelope, handle.ctx.review_of or op_id,
                                       terminal, handle.ctx.last_failure or "",
                                       refused=bool(handle.ctx.refused))
        finally:
            d.quiet.ended()  # its last row is written: a quiet point may follow
        await asyncio.to_thread(heap.give_back)  # the op's freed buffers, to the system


def _finished_line(d: Dispatcher, handle: OpHandle, phase: Phase) -> None:
    """The console's line for an op's end: every end but a commit says why."""
    ctx = handle.ctx
    why = d.ledger.ending(ctx.op_id) if d.ledger is not None else ""
    log.info("op finished", op_id=ctx.op_id, terminal=phase.value,
             cost_usd=round(ctx.cost_usd, 6), nominal_usd=round(ctx.nominal_usd, 6),
             commit=ctx.commit_sha, why=None if phase is Phase.COMPLETE else brief(why))
