"""Failures that arrived while a running op held their cause (sensors.router parks them with
that op), settled when the op ends, by how it ended:

- it committed (COMPLETE): its change may have fixed them too, so the parked tests it did
  not prove itself are run again (real pytest: the TestFailure sensor's jailed runner, on
  the live tree). Those that pass are recorded in the ledger as fixed by the op (a thought
  on the op); those still failing become work, one envelope of their cause with this run's
  messages. No runner (no jail), or a run that says nothing: queued as they are, and the
  op that takes them finds out.
- it went to review (PROPOSED): they join the review, as a later failure of a reviewed
  cause does (the review commit's trailers hold the cause); a thought on the op says so.
- it ended otherwise (failed, blocked, cancelled): queued as one envelope with the op's
  own (its key, its tests and theirs), so the op's retry backoff holds the cause as a
  whole; held back, the ledger says why and the sensor's next failing run brings them.

An op cut short by the daemon's own shutdown settles nothing: the parked envelope's WAL row
(`enqueued`, under the router's `parked_key`) stays pending, and the next start offers it
again. Settling writes `dispatched` for that row once its tests are accounted for, so a
kill -9 before that offers them again too.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import structlog

from governance.oracle.testrun import TestOutcome
from governance.schemas import SignalEnvelope
from ledger import Ledger
from sensors.failing_tests import TestFailureSensor
from sensors.failure_causes import Group, causes_in, join
from sensors.failure_envelope import group_envelope
from sensors.failure_streaks import FAILING, Failure
from sensors.router import tests_of
from sensors.run_results import from_outcome
from sensors.work_memory import WorkMemory

if TYPE_CHECKING:
    from sensors.hub import SensorHub

log = structlog.get_logger("sensors.parked_failures")

Rerun = Callable[[Sequence[str]], Awaitable[TestOutcome]]
PHASE = "INTAKE"  # the ledger phase of the thoughts recorded here


class IntakeQueue(Protocol):
    """What settling needs of sensors.queue.IntakeQueue (which calls `settle`: a Protocol,
    not an import, keeps the two modules out of a circle)."""

    ledger: Ledger
    work: WorkMemory

    async def put(self, env: SignalEnvelope) -> bool: ...


@dataclass(frozen=True)
class Settled:
    """What became of one op's parked failures."""

    how: str  # "rechecked", "queued", "joined review", "held back", "left for restart"
    fixed: tuple[str, ...] = ()  # passed when run again after the op's commit
    still: tuple[str, ...] = ()  # failed again: work
    queued: bool = False


async def settle(queue: IntakeQueue, runner: Callable[[], Rerun | None],
                 op_env: SignalEnvelope, parked: SignalEnvelope, op_id: str,
                 terminal: str | None) -> Settled:
    """Settle `parked` (what arrived of `op_env`'s cause while op `op_id` ran) by the
    op's `terminal` phase; see the module docstring. `runner` finds the jailed runner
    when it is needed (the daemon builds its sensors after its queue)."""
    if terminal is None:
        log.info("parked failures left for the next start", op_id=op_id,
                 tests=len(tests_of(parked)))
        return Settled("left for restart")
    if terminal == "COMPLETE":
        return await _recheck(queue, runner(), op_env, parked, op_id)
    await _resolved(queue, parked)
    if terminal == "PROPOSED":
        await _note(queue, op_id, "failing tests of its cause that arrived while it ran "
                    "join its review", parked, tests_of(parked))
        return Settled("joined review")
    return await _requeue(queue, op_env, parked, op_id, terminal)


async def _recheck(queue: IntakeQueue, rerun: Rerun | None, op_env: SignalEnvelope,
                   parked: SignalEnvelope, op_id: str) -> Settled:
    proven = set(tests_of(op_env))
    tests = [t for t in tests_of(parked) if t not in proven]
    if not tests:
        await _resolved(queue, parked)
        await _note(queue, op_id, "failing tests that arrived while it ran were all in its "
                    "proven set", parked, tests_of(parked))
        return Settled("rechecked")
    ran = await rerun(tests) if rerun is not None else None
    results = from_outcome(ran) if ran is not None and not ran.timed_out else {}
    await _resolved(queue, parked)  # before a put of the same key, which writes its own row
    if not results:  # nothing said: the work stays, the op that takes it finds out
        why = "no jailed runner" if rerun is None else (ran.describe() if ran else "no run")
        queued = await queue.put(parked.model_copy(update={"evidence": {
            **parked.evidence, "not_rechecked": why[:200]}}))
        return Settled("queued", queued=queued)
    fixed = tuple(t for t in tests if t in results and results[t].outcome not in FAILING)
    still = [Failure(t, results[t]) for t in tests if t in results
             and results[t].outcome in FAILING]
    if fixed:
        await _note(queue, op_id, f"fixed by this op: {len(fixed)} failing test(s) that "
                    "arrived while it ran pass after its commit", parked, fixed)
    if gone := [t for t in tests if t not in results]:
        await _note(queue, op_id, f"{len(gone)} failing test(s) that arrived while it ran "
                    "were not found when run again after its commit", parked, gone)
    queued = False
    if still:
        grouped = Group(tuple(f.test_id for f in still), causes_in(parked))
        env = group_envelope(grouped, still, parked.target_files, parked.session_id)
        env = env.model_copy(update={"dedup_key": parked.dedup_key,
                                     "evidence": {**env.evidence, "after": op_id}})
        if not (queued := await queue.put(env)):
            why = await queue.work.held_back(env) or "its cause's work is queued or running"
            await _note(queue, op_id, f"failing tests that arrived while it ran still fail "
                        f"after its commit, not queued: {why}", parked,
                        [f.test_id for f in still])
    log.info("parked failures run again after the op's commit", op_id=op_id,
             fixed=len(fixed), still_failing=len(still), queued=queued)
    return Settled("rechecked", fixed, tuple(f.test_id for f in still), queued)


async def _requeue(queue: IntakeQueue, op_env: SignalEnvelope, parked: SignalEnvelope,
                   op_id: str, terminal: str) -> Settled:
    whole = join(op_env, parked)
    if await queue.put(whole):
        return Settled("queued", still=tuple(tests_of(whole)), queued=True)
    why = await queue.work.held_back(whole) or "its work is queued or running already"
    await _note(queue, op_id, f"failing tests of its cause that arrived while it ran wait "
                f"with its work ({terminal}): {why}", parked, tests_of(parked))
    return Settled("held back", still=tuple(tests_of(whole)))


async def _note(queue: IntakeQueue, op_id: str, msg: str, parked: SignalEnvelope,
                tests: Sequence[str]) -> None:
    log.info(msg, op_id=op_id, tests=len(tests))
    await queue.ledger.record_thought(op_id, PHASE, msg, {
        "tests": list(tests)[:200], "parked_key": parked.dedup_key})


async def _resolved(queue: IntakeQueue, parked: SignalEnvelope) -> None:
    """The parked envelope's WAL row is accounted for; written before a put of the same
    key, whose own `enqueued` row must come after it to stay pending."""
    await queue.ledger.wal_append("dispatched", dedup_key=parked.dedup_key,
                                  session_id=parked.session_id)


def runner_of(hub: Callable[[], SensorHub]) -> Callable[[], Rerun | None]:
    """The daemon's `runner`: its TestFailure sensor's jailed runner, when it has one."""
    def find() -> Rerun | None:
        sensor = hub().sensors.get("test_failure")
        return sensor.runner if isinstance(sensor, TestFailureSensor) else None
    return find
