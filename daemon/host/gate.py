"""The host gate: the daemon's heavy work waits while the machine is its human's.

Heavy work is what takes the machine's cores for seconds to minutes: an op (its model calls
and jailed test runs), and the sensors' own jailed runs (affected tests, benchmarks). It
waits while the host is busy (the 1-minute load average, less the daemon's own share, above
`health.max_load_share` of the cores), on battery power, or too hot (`health.max_temp_c`),
and resumes by itself. Where it waits:

- at dispatch: the dispatcher takes no new op while the gate is closed (daemon.service).
  Waiting before dispatch costs an op nothing: its clocks start when it is dispatched.
- in an op already running, at its next model call (PLAN, GENERATE) or jailed test run
  (VALIDATE, VERIFY, the differential and mutation checks) (daemon.host.pause): the wait
  is off the op's clock (its ceiling is extended by it, a step's deadline starts after
  it), and `status` names the op and what it waits for. A call or run already under way
  finishes; APPLY never waits halfway, and neither does L2 inside its own timebox.
- before a sensor's jailed run or benchmark (daemon.sensor_set) and the suite profile's run
  (daemon.suite_profile), in their `turn`: the changes that asked for it stay pending and
  run once the gate opens, or on the bound.

Nothing is dropped: queued envelopes stay queued (and in the WAL) however long it waits.

Whether it waits, from each reading, is the verdict (daemon.host.verdict): the load less the
daemon's own share, the battery and the heat, each with a resume mark below its pause mark.

The bound (daemon.host.overdue): a wait for the load alone ends for one op after
`health.max_wait_s`: that op runs at idle priority (the `idle` callable) unless memory is
short; battery and heat are not bounded. A machine busy for ever thus gets one op per bound.
Heavy work outside ops (a sensor's jailed run, the suite profile's run: `turn`) has a pass
of its own, due at half the bound (INTAKE_SHARE): it finds the work ops do, so what it finds
(a test already failing when the daemon started) is queued before the ops' pass is offered
and the pass goes to the most urgent work, not to whatever was queued first; and an op
never waits behind it.

Every start and end of a wait, a pass offered and taken, and a change in why the wait is
not bounded are logged once and recorded (the `note` callable: a ledger thought from phase
HOST, which the live view shows); `snapshot()` is what `status` says.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import itertools
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import structlog

from daemon.config.health import HealthSection
from daemon.host.health import HostReader, HostReading
from daemon.host.overdue import Bound
from daemon.host.priority import lower_to_idle
from daemon.host.verdict import Limits, judge, own_load

log = structlog.get_logger("daemon.host.gate")

# The intake's pass (`turn`) comes at this share of the bound: found at 600 s, a failing test
# lost the ops' pass to a TODO queued at start and waited a second bound (the first-hour
# transcript, docs/getting-started.md); a suite run takes seconds to minutes, not 300 s.
INTAKE_SHARE = 0.5

Note = Callable[[str, dict[str, Any]], Awaitable[None]]


class HostGate:
    """Heavy work awaits `clear()` (an op: `clear_for(op_id)`, which may take the bound's
    pass); `watch()`, owned by the daemon's task group, samples the host every poll_s and
    closes or opens the gate. Disabled, it is always open."""

    def __init__(self, reader: HostReader, limits: Limits, note: Note | None = None, *,
                 clock: Callable[[], float] = time.time,
                 monotonic: Callable[[], float] = time.monotonic,
                 idle: Callable[[], None] | None = None):
        self.reader, self.limits, self.note, self.idle = reader, limits, note, idle
        self.clock, self.monotonic = clock, monotonic  # wall time for `since`; intervals
        self.reasons: dict[str, str] = {}  # cause -> why, while waiting
        self.since: float | None = None  # wall-clock time the current wait began
        self.reading: HostReading | None = None
        self.own_load = 0.0
        self.bound = Bound(limits.max_wait_s, limits.min_free_memory_mb)  # ops'
        self.background = Bound(limits.max_wait_s * INTAKE_SHARE,  # turns'
                                limits.min_free_memory_mb)
        self.unbounded: str | None = None  # why no op may run on the bound now
        # the last wait's reasons and when it ended (monotonic): what held_since reports
        self.last_reasons: tuple[str, ...] = ()
        self.ended_at: float | None = None
        self._sampled_at: float | None = None  # monotonic
        self._open = asyncio.Event()
        self._open.set()
        self._stirred = asyncio.Event()  # set (and replaced) when it opens or offers a pass
        self._turns = itertools.count(1)

    @property
    def waiting(self) -> bool:
        return bool(self.reasons)

    def admits(self) -> bool:
        """Whether the dispatcher may start an op now: the host is free, or the bound's
        pass is offered (the op then takes it: `take`)."""
        return not self.waiting or self.bound.offered

    async def clear(self) -> None:
        """Return once the host is free for heavy work (at once when it is)."""
        await self._open.wait()

    async def clear_for(self, op_id: str, bound: Bound | None = None) -> None:
        """Return once `op_id` may do heavy work: the host is free, or it runs on the
        bound's pass (taken here when one is offered; `bound`: which, the ops' by default)."""
        bound = bound or self.bound
        while self.waiting and bound.holder != op_id:
            if bound.offered and await self.take(op_id, bound):
                return
            stirred = self._stirred
            await stirred.wait()

    @contextlib.asynccontextmanager
    async def turn(self, who: str) -> AsyncIterator[None]:
        """Heavy work outside an op (a sensor's jailed run, the suite profile's run) waits
        as an op does, and may run on the bound's pass, which it holds until it is done."""
        holder = f"{who} #{next(self._turns)}"  # two runs of one sensor: two holders
        await self.clear_for(holder, self.background)
        try:
            yield
        finally:
            self.release(holder)

    def _stir(self) -> None:
        self._stirred.set()
        self._stirred = asyncio.Event()

    async def watch(self) -> None:
        """Sample the host until cancelled. The load average has no change notification:
        the kernel itself updates it on a 5 s timer, so a timer is the honest reader."""
        if not self.limits.enabled:
            return
        while True:
            await asyncio.sleep(self.limits.poll_s)
            await self.sample()

    async def sample(self) -> None:
        """One reading (in a thread: it walks the process table) and its verdict."""
        if not self.limits.enabled:
            return
        try:
            reading = await asyncio.to_thread(self.reader.read)
        except Exception:  # a failed reading keeps the last verdict; the next one retries
            log.exception("host reading failed")
            return
        await self.update(reading)

    async def update(self, reading: HostReading) -> None:
        """Fold one reading into the own-load estimate and the verdict; a wait that begins
        or ends, and the bound's pass, are logged and noted."""
        now = self.monotonic()
        if self._sampled_at is not None:
            self.own_load = own_load(self.own_load, reading.own_runnable, now - self._sampled_at)
        self._sampled_at, self.reading = now, reading
        was = self.reasons
        self.reasons = judge(reading, self.own_load, self.limits, was)
        if not self.reasons:
            if was:
                await self._ended(was)
            return
        if not was:
            self.bound.begin(now)
            self.background.begin(now)
        await self._weigh_bound(now, fresh=not was)
        if not was:
            await self._began()

    async def _weigh_bound(self, now: float, fresh: bool) -> None:
        """Whether the bound may end this wait, and whether it has: a pass offered."""
        unbounded = self.bound.refused(self.reasons, self.reading) if self.bound.max_wait_s \
            else None
        if unbounded != self.unbounded:
            self.unbounded = unbounded
            if not fresh:  # a new wait says it in its own first line
                await self._say("the host gate's bound " + (f"is held: {unbounded}" if unbounded
                                                            else "applies again"))
        if unbounded:
            self.bound.offered = self.background.offered = False
            return
        if self.background.due_in(now) == 0 and not self.background.offered:
            self.background.offered = True
            self._stir()
        if self.bound.due_in(now) == 0 and not self.bound.offered:
            self.bound.offered = True
            self._stir()
            await self._say(f"heavy work has waited {self._since_pass(now)} for the host "
                            f"(health.max_wait_s = {self.bound.max_wait_s:g}): one op runs "
                            "at idle priority anyway")

    async def take(self, op_id: str, bound: Bound | None = None) -> bool:
        """`op_id` takes the bound's offered pass (`bound`: the ops' by default) and runs at
        idle priority; False when none is offered."""
        if not (bound or self.bound).take(op_id):
            return False
        if self.idle is not None:  # before the op's first model call or test run
            self.idle()
            self.idle = None  # for good (daemon.host.priority): once is enough, said once
        await self._say(f"{op_id} runs on the host gate's bound, at idle priority",
                        op_id=op_id)
        return True

    def release(self, op_id: str) -> None:
        """`op_id` ended; if it ran on the pass, the bound's clock starts again."""
        for bound in (self.bound, self.background):
            if bound.release(op_id, self.monotonic(), self.waiting):
                log.info("the work on the host gate's bound ended", holder=op_id,
                         next_pass_in_s=bound.max_wait_s if self.waiting else None)

    async def _say(self, msg: str, **extra: Any) -> None:
        log.info(msg, **extra)
        if self.note:
            await self.note(msg, {**self._data(), **extra})

    async def _began(self) -> None:
        self.since = self.clock()
        self._open.clear()
        why = "; ".join(self.reasons.values())
        bound = self.bound_line()
        log.info("heavy work waits for the host", why=why, since=_iso(self.since),
                 bound=bound, **self._measured())
        if self.note:
            await self.note(f"heavy work waits for the host: {why} ({bound})", self._data())

    def held_since(self, since: float) -> tuple[str, ...]:
        """Why heavy work was held at any moment since `since` (monotonic): the reasons of
        the wait now on, or of one that ended after `since`; () when the gate was open
        throughout (a VALIDATE run that timed out then timed out on its own:
        governance.phases.slow_host)."""
        if self.reasons:
            return tuple(self.reasons.values())
        if self.ended_at is not None and self.ended_at >= since:
            return self.last_reasons
        return ()

    async def _ended(self, was: dict[str, str]) -> None:
        self.last_reasons, self.ended_at = tuple(was.values()), self.monotonic()
        waited = self.clock() - (self.since or self.clock())
        self.since, self.unbounded = None, None
        self.bound.end()
        self.background.end()
        self._open.set()
        self._stir()
        log.info("the host is free again: heavy work resumes", waited_s=round(waited, 1))
        if self.note:
            await self.note("the host is free again: heavy work resumes",
                            {**self._data(), "waited_s": round(waited, 1)})

    def _waited_s(self) -> float:
        return 0.0 if self.since is None else self.clock() - self.since

    def _since_pass(self, now: float) -> str:
        """How long the ops' bound has run: from the wait's start, or from the end of the
        last op on its pass (then the whole wait too: "356s" alone read as an overrun of a
        120 s bound, getting-started §8)."""
        started, began = self.bound.started, self.bound.began
        if started is None or began is None or started == began:
            return f"{self._waited_s():.0f}s"
        return (f"{now - started:.0f}s since the last op on the bound ended "
                f"({now - began:.0f}s in all)")

    def _measured(self) -> dict[str, Any]:
        """The load the gate holds the work to: its measure, value and threshold."""
        r = self.reading
        if r is None or r.load1 is None or "load" not in self.reasons:
            return dict.fromkeys(("measure", "value", "threshold", "resumes_below"))
        others = max(0.0, r.load1 - self.own_load)
        return {"measure": "1-minute load average less the daemon's own",
                "value": round(others, 2),
                "threshold": round(self.limits.max_load_share * r.cores, 2),
                "resumes_below": round(self.limits.resume_load_share * r.cores, 2)}

    def runs_anyway_at(self) -> float | None:
        """Epoch seconds at which one op runs on the bound if the wait lasts; None: no
        bound now (none set, not bounded, or an op already runs on it)."""
        if self.unbounded or not self.waiting:
            return None
        due = self.bound.due_in(self.monotonic())
        return None if due is None else round(self.clock() + due, 1)

    def bound_line(self) -> str:
        """What the bound will do about this wait, in one phrase."""
        if not self.bound.max_wait_s:
            return "no bound: health.max_wait_s = 0"
        if self.unbounded:
            return f"no op runs on the bound while {self.unbounded}"
        if self.bound.holder is not None:
            return f"{self.bound.holder} runs on the bound at idle priority"
        if self.bound.offered:
            return "one op runs at idle priority anyway, now"
        at = self.runs_anyway_at()
        return "one op runs at idle priority anyway at " + (
            time.strftime("%H:%M:%S", time.localtime(round(at))) if at is not None else "?")

    def _data(self) -> dict[str, Any]:
        r = self.reading
        return {"reasons": list(self.reasons.values()),
                "load1": None if r is None else r.load1,
                "own_load": round(self.own_load, 2),
                "cores": None if r is None else r.cores,
                "on_battery": None if r is None else r.on_battery,
                "temp_c": None if r is None else r.temp_c,
                "zone": None if r is None else r.hot_zone or None,
                **self._measured()}

    def why(self) -> str:
        """One line for systemd's STATUS= ("" when not waiting)."""
        return f"waiting for the host: {'; '.join(self.reasons.values())}" if self.reasons \
            else ""

    def snapshot(self) -> dict[str, Any]:
        """What `status` says: whether heavy work waits, why and since when (epoch s), and
        what the bound will do about it."""
        now = self.clock()
        return {"enabled": self.limits.enabled, "waiting": self.waiting, "since": self.since,
                "waited_s": None if self.since is None else round(now - self.since, 1),
                **self._data(), "bound": self.bound_line() if self.waiting else "",
                "runs_anyway_at": self.runs_anyway_at(), "overdue_op": self.bound.holder}


def _iso(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(epoch))


def host_gate_for(health: HealthSection, note: Note | None = None,
                  reader: HostReader | None = None) -> HostGate:
    """The daemon's gate from its [health] settings (`reader`: a test's fake tree)."""
    return HostGate(reader or HostReader(), Limits.of(health), note,
                    idle=functools.partial(lower_to_idle, health.lower_priority))
