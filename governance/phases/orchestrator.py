"""The orchestrator: a small loop that runs one op through the phase table to a terminal.

For each phase it runs the phase function, checks the returned transition against the
table, writes the ledger row, and only then enters the next phase. Guarantees:
- every op ends in exactly one terminal phase, whatever a phase raises;
- a cancel request interrupts any phase except APPLY (whose writes must finish so the
  snapshot stays meaningful) and ends the op CANCELLED;
- an op that outlives its wall-clock ceiling (Policy.op_ceiling_s) is reaped to POSTMORTEM
  at once, except inside APPLY, which finishes first (the ceiling is checked again after
  it); time in APPROVE, waiting for a person, is off the clock; entering L2_REPAIR widens
  the ceiling to hold L2's own fresh timebox (governance.phases.l2_repair);
- any ending other than COMPLETE after APPLY restores the rollback snapshot, and COMPLETE
  is entered only once the auto-commit exists;
- the rollback snapshot of a committed op is discarded only after the COMPLETE row is
  written, so a crash in between leaves recovery the evidence it needs (daemon/recovery.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import traceback
from collections.abc import Callable, Mapping
from pathlib import Path

import structlog

from governance.crashpoints import crashpoint
from governance.errors import IllegalTransition
from governance.fs.rollback import RollbackSnapshot
from governance.phase import INITIAL, Phase, Transition
from governance.phases import fsm
from governance.phases.autocommit import auto_commit
from governance.phases.deps import CancelToken, PhaseDeps, PhaseFn
from governance.phases.review import retire_review
from governance.schemas import OperationContext

log = structlog.get_logger("governance.phases.orchestrator")

UNINTERRUPTIBLE = frozenset({Phase.APPLY})
# Time spent waiting for a person (approval has its own timeout) does not count against
# the wall-clock ceiling, whose job is to reap a wedged op, not a patient one.
OFF_THE_CLOCK = frozenset({Phase.APPROVE})
# Time the op's ceiling keeps after L2's timebox for GATE, APPLY and VERIFY (whose test
# run is bounded by governance.verify_timeout_s, 60 s by default) once a repair converges.
L2_DOWNSTREAM_S = 90.0


class Orchestrator:
    def __init__(self, phases: Mapping[Phase, PhaseFn], deps: PhaseDeps,
                 on_phase: Callable[[str, Phase], None] | None = None):
        missing = [p for p in fsm.TRANSITIONS if not p.terminal and p not in phases]
        if missing:
            raise ValueError(f"no phase function for {missing}")
        self.phases = phases
        self.deps = deps
        self.on_phase = on_phase or (lambda op_id, phase: None)
        # Each op's own oracle memo (its scope, baseline and verdict, from VALIDATE to
        # VERIFY); concurrent ops share only the caches inside it.
        self._per_op: dict[str, PhaseDeps] = {}

    async def run(self, ctx: OperationContext, cancel: CancelToken | None = None) -> Phase:
        """Drive `ctx` to a terminal phase and return it."""
        cancel = cancel or CancelToken()
        ledger = self.deps.ledger
        env = ctx.envelope
        await ledger.record_operation(ctx.op_id, source=env.source, goal=env.goal,
                                      session_id=env.session_id,
                                      envelope=env.model_dump(mode="json"))
        await ledger.append_transition(ctx.op_id, from_phase=None, to_phase=INITIAL.value,
                                       reason=f"signal from {env.source}")
        current = INITIAL
        self._per_op[ctx.op_id] = self.deps.for_op(ctx.op_id)
        try:
            return await self._drive(ctx, cancel, current)
        finally:
            self._per_op.pop(ctx.op_id, None)

    async def _drive(self, ctx: OperationContext, cancel: CancelToken,
                     current: Phase) -> Phase:
        ceiling = self.deps.policy.op_ceiling_s
        until = None if ceiling is None else time.monotonic() + ceiling
        clock = self._per_op[ctx.op_id].clock  # waits for the host: off the op's clock
        while not current.terminal:
            self.on_phase(ctx.op_id, current)
            off_clock = current in OFF_THE_CLOCK
            began, paused = time.monotonic(), clock.paused_s
            try:
                t = await self._step(current, ctx, cancel, None if off_clock else until)
            except asyncio.CancelledError:
                await asyncio.shield(self._record(ctx, current, Transition(
                    Phase.CANCELLED, "daemon cancelled the op task")))
                raise
            if until is not None:
                until += time.monotonic() - began if off_clock else clock.paused_s - paused
            current = await self._record(ctx, current, t)
            if current is Phase.L2_REPAIR:
                until = await self._reconcile_l2(ctx, until)
        self.on_phase(ctx.op_id, current)
        return current

    async def _step(self, current: Phase, ctx: OperationContext,
                    cancel: CancelToken, until: float | None = None) -> Transition:
        try:
            t = await self._run_phase(current, ctx, cancel, until)
            fsm.check(current, t.to)
            return t
        except IllegalTransition as exc:
            return Transition(Phase.POSTMORTEM, f"bug: {exc}", infra=True)
        except Exception as exc:
            return Transition(Phase.POSTMORTEM, f"{type(exc).__name__} in {current}: {exc}",
                              {"traceback": traceback.format_exc(limit=8)}, infra=True)

    async def _reconcile_l2(self, ctx: OperationContext, until: float | None) -> float | None:
        """L2's timebox starts fresh when L2 starts, whatever the op's clock has left (a
        drained clock once handed L2 nothing); the ceiling widens to hold the timebox plus
        GATE, APPLY and VERIFY after it. One line names both clocks and the winner."""
        policy, now = self.deps.policy, time.monotonic()
        remaining = None if until is None else max(until - now, 0.0)
        fresh = policy.l2_timebox_s + L2_DOWNSTREAM_S
        winner = ("no_op_ceiling" if remaining is None else
                  "l2_timebox_fresh" if fresh > remaining else "pipeline_remaining")
        await self.deps.thought(
            ctx, Phase.L2_REPAIR, "L2 deadline reconciliation",
            pipeline_remaining_s=None if remaining is None else round(remaining, 1),
            l2_timebox_s=policy.l2_timebox_s, downstream_s=L2_DOWNSTREAM_S,
            effective_s=round(fresh if remaining is None else max(fresh, remaining), 1),
            winning_cap=winner)
        return None if until is None else max(until, now + fresh)

    def _reaped(self, phase: Phase, during: bool) -> Transition:
        return Transition(Phase.POSTMORTEM, f"op wall-clock ceiling of "
                          f"{self.deps.policy.op_ceiling_s:g}s passed "
                          f"({'during' if during else 'before'} {phase}); reaped",
                          {"reaped": True}, infra=True)

    async def _run_phase(self, phase: Phase, ctx: OperationContext,
                         cancel: CancelToken, until: float | None = None) -> Transition:
        if cancel.is_set():
            return Transition(Phase.CANCELLED, f"{cancel.reason} (before {phase})")
        left = None if until is None else until - time.monotonic()
        if left is not None and left <= 0:
            return self._reaped(phase, during=False)
        work = self.phases[phase](ctx, self._per_op.get(ctx.op_id, self.deps))
        if phase in UNINTERRUPTIBLE:
            return await work
        task = asyncio.ensure_future(work)
        waiter = asyncio.ensure_future(cancel.wait())
        try:
            done = await self._until_done(task, waiter, left, self._per_op.get(ctx.op_id))
        finally:
            waiter.cancel()
            if not task.done():  # the cancel's reason reaches the phase (propose_test says it)
                task.cancel(cancel.reason if cancel.is_set() else None)
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        if not done:  # neither finished nor was cancelled before the ceiling
            return self._reaped(phase, during=True)
        if task.cancelled():
            return Transition(Phase.CANCELLED, f"{cancel.reason} (during {phase})")
        return task.result()

    @staticmethod
    async def _until_done(task: asyncio.Future, waiter: asyncio.Future, left: float | None,
                          deps: PhaseDeps | None) -> set:
        """Wait for the phase or a cancel, at most `left` seconds plus whatever the op
        spends waiting for its host meanwhile (a wait still on keeps extending it)."""
        credited = deps.clock.paused(time.monotonic()) if deps else 0.0
        while True:
            done, _ = await asyncio.wait({task, waiter}, timeout=left,
                                         return_when=asyncio.FIRST_COMPLETED)
            extra = deps.clock.paused(time.monotonic()) - credited if deps else 0.0
            if done or left is None or extra <= 0:
                return done
            credited, left = credited + extra, extra

    async def _record(self, ctx: OperationContext, current: Phase, t: Transition) -> Phase:
        if t.to.terminal:
            t = await self._finish(ctx, t)
            crashpoint("before_terminal_row")
        await self.deps.ledger.append_transition(
            ctx.op_id, from_phase=current.value, to_phase=t.to.value, reason=t.reason,
            cost_delta=t.cost_delta, payload=t.payload)
        if t.to.terminal:
            await self._remember(ctx, t)
        if t.to is Phase.COMPLETE and ctx.commit_sha and ctx.rollback_dir:
            # Only now: a crash before this point finds the snapshot, sees the commit in
            # HEAD's history and records COMPLETE; the snapshot is never restored.
            crashpoint("after_terminal_row")
            RollbackSnapshot.load(Path(ctx.rollback_dir), self.deps.root).discard()
        return t.to

    async def _remember(self, ctx: OperationContext, t: Transition) -> None:
        """The outcome record (governance.memory.memory): after the terminal row, so a crash
        between them loses advice, never the op's own record."""
        if self.deps.memory is None:
            return
        try:
            await self.deps.memory.record(ctx, t, getattr(self.deps.provider, "name", "none"))
        except Exception:
            log.exception("outcome not recorded", op_id=ctx.op_id)

    async def _finish(self, ctx: OperationContext, t: Transition) -> Transition:
        """Terminal entry: commit on COMPLETE, restore the snapshot on anything else."""
        if t.to is Phase.COMPLETE and ctx.applied and ctx.commit_sha is None:
            try:
                result = await auto_commit(ctx, self._per_op.get(ctx.op_id, self.deps))
            except Exception as exc:
                t = Transition(Phase.POSTMORTEM, f"auto-commit failed: {exc}", t.payload,
                               infra=True)
            else:
                ctx.commit_sha = result.sha
                extra = {"commit": result.sha, "integrity": result.integrity,
                         **await retire_review(ctx, self._per_op.get(ctx.op_id, self.deps))}
                if result.parent != (ctx.base_head or ""):
                    extra["rebased_onto"] = result.parent
                if result.index_note:
                    extra["warning"] = result.index_note
                return Transition(t.to, t.reason, {**t.payload, **extra}, t.cost_delta)
        if t.to is not Phase.COMPLETE and ctx.applied and ctx.rollback_dir:
            snapshot = RollbackSnapshot.load(Path(ctx.rollback_dir), self.deps.root)
            try:
                restored = await asyncio.to_thread(snapshot.restore)
            except Exception as exc:  # left on disk: the next start retries the restore
                return Transition(t.to, f"{t.reason}; ROLLBACK FAILED: {exc}", t.payload,
                                  t.cost_delta)
            snapshot.discard()
            ctx.applied = False
            payload = {**t.payload, "rolled_back": [p for p in restored
                                                    if p not in snapshot.kept]}
            if snapshot.kept:
                payload["kept"] = snapshot.kept
            reason = f"{t.reason}; {snapshot.kept_note()}" if snapshot.kept else t.reason
            return Transition(t.to, reason, payload, t.cost_delta)
        return t
