"""Scheduled: `[[intake.schedules]]` entries (a cron expression, a goal, its files) become
envelopes when they come due.

    [[intake.schedules]]
    cron = "0 3 * * 1"            # minute hour day-of-month month day-of-week (local time)
    goal = "Refresh the vendored certificate bundle"
    files = ["pkg/certs.py"]

Cron is standard five-field cron, or one of @hourly @daily @midnight @weekly @monthly
@yearly @annually, read by `croniter` in the system's local time zone with its
daylight-saving rules (dateutil's tzlocal: a 03:00 job stays at 03:00 across a change).
A six- or seven-field line (seconds, year: Quartz's dialect, which croniter would read
differently) is refused. An expression croniter refuses, or one that never comes due
(`0 0 30 2 *`), is a configuration error naming the entry (`intake.schedules.N.cron`),
checked when the config is loaded.

Timing: the sensor's own timer task (`run`, started and cancelled with the daemon's other
tasks) wakes at the next fire time, or at least every MAX_SLEEP_S so a wall-clock jump or a
suspend is noticed; scan_once (start, the safety-net poll, `ouroboros scan scheduled`) also
fires what is due. The first fire time is the first one after the daemon started: times
missed while it was stopped are not caught up. Missed times while it ran (a suspend) fire
once, not once per missed time. The dedup key is over the entry's index and its fire time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Protocol

import structlog
from croniter import CroniterBadDateError, croniter
from dateutil import tz

from governance.schemas import SignalEnvelope, Source, Urgency

log = structlog.get_logger("sensors.scheduled")

SOURCE = Source.SCHEDULED
MAX_SLEEP_S = 60.0  # the timer re-reads the clock at least this often
MACROS = frozenset({"@hourly", "@daily", "@midnight", "@weekly", "@monthly", "@yearly",
                    "@annually"})
_PROBE_BASE = datetime(2000, 1, 1, tzinfo=tz.UTC)


class Schedule(Protocol):  # daemon.config.settings.ScheduleEntry
    cron: str
    goal: str
    files: list[str]


def cron_problem(expr: str) -> str | None:
    """Why `expr` is not a usable five-field cron expression, or None."""
    text = expr.strip()
    if text.startswith("@"):
        if text.lower() not in MACROS:
            return f"unknown macro {text!r} (one of {', '.join(sorted(MACROS))})"
    elif len(text.split()) != 5:
        return (f"{len(text.split())} fields; cron here has five: "
                "minute hour day-of-month month day-of-week")
    if not croniter.is_valid(text):
        return f"not a cron expression croniter accepts: {text!r}"
    try:
        croniter(text, _PROBE_BASE).get_next(datetime)
    except CroniterBadDateError:
        return f"{text!r} never comes due"
    return None


def local_now() -> datetime:
    """Now in the system's zone with its DST rules (`astimezone()` would fix today's offset,
    and a 03:00 job would run at 04:00 for the half-year after a change until a restart)."""
    return datetime.now(tz.tzlocal())


def envelope_for(index: int, entry: Schedule, fire: datetime, session_id: str
                 ) -> SignalEnvelope:
    when = fire.isoformat(timespec="minutes")
    return SignalEnvelope(
        source=SOURCE, urgency=Urgency.NORMAL, target_files=tuple(entry.files),
        goal=f"{entry.goal} (scheduled: {entry.cron.strip()}, due {when})",
        confidence=0.9, dedup_key=f"scheduled:{index}:{fire.isoformat()}",
        session_id=session_id, evidence={"schedule": index, "cron": entry.cron, "due": when})


class ScheduledSensor:
    def __init__(self, root: Path, session_id: str,
                 emit: Callable[[SignalEnvelope], Awaitable[bool]],
                 schedules: Sequence[Schedule], clock: Callable[[], datetime] = local_now):
        self.root = root
        self.session_id = session_id
        self.emit = emit
        self.schedules = list(schedules)
        self.clock = clock
        self.problem: str | None = None  # entries are validated with the config
        start = clock()
        self.next_fire = [self._after(e, start) for e in self.schedules]

    @staticmethod
    def _after(entry: Schedule, moment: datetime) -> datetime:
        return croniter(entry.cron.strip(), moment).get_next(datetime)

    async def on_paths(self, paths: Iterable[str]) -> None:
        """Schedules are about time, not files."""

    async def scan_once(self, files: Iterable[str] = ()) -> int:
        """Emit an envelope for each entry that is due; returns how many."""
        now = self.clock()
        due = []
        for i, entry in enumerate(self.schedules):
            if self.next_fire[i] <= now:
                due.append((i, self.next_fire[i]))
                self.next_fire[i] = self._after(entry, now)  # before any await: fires once
        for i, fire in due:
            log.info("schedule due", entry=i, cron=self.schedules[i].cron, due=fire.isoformat())
            await self.emit(envelope_for(i, self.schedules[i], fire, self.session_id))
        return len(due)

    def seconds_to_next(self) -> float:
        if not self.next_fire:
            return MAX_SLEEP_S
        wait = (min(self.next_fire) - self.clock()).total_seconds()
        return min(max(wait, 0.0), MAX_SLEEP_S)

    async def run(self) -> None:
        """The timer: sleep to the next fire time (at most MAX_SLEEP_S), fire what is due.
        Runs until cancelled; a failed emit is logged and the timer goes on."""
        while True:
            await asyncio.sleep(self.seconds_to_next())
            try:
                await self.scan_once()
            except Exception:
                log.exception("scheduled fire failed")
