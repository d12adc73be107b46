"""Work memory: what became of each piece of work (a dedup key), kept across restarts.

The start-up scan finds the same TODO, the same tangled function, the same failing test at
every start, and a sensor finds it again after every event. Without a memory that outlives
the process, every reboot, upgrade or crash spends a full attempt again on work that already
failed, and proposes again a change that already waits on a review branch. The ledger's
`work_records` table keeps, per dedup key, how its last op ended and in what context; what
a record holds back (`WorkMemory.held_back`):

- **completed**: while the target files hold what they held when its op began or ended (an
  op that landed and left its marker in place must not loop, and a `git revert` of its
  commit must not be undone by the same op again).
- **proposed**: while its review branch is still open and the target files are unchanged:
  one open review per piece of work, until the human accepts, rejects or edits the code.
- **refused** (the brain answered and the proof refused its candidate) and **rejected**
  (the human rejected its review): until the context changes: the code (the target files'
  bytes) or its tests (the failing tests' files), the brain (its name) or the settings that
  shape an op. No timer asks the same brain the same question again (issue 51, item 4: five
  extra ops once kept asking a brain that had already answered); a human's `ouroboros
  signal` is new work and is taken.
- **failed** otherwise (no usable answer, a deadline, a budget, a run cut short): until a
  backoff has passed, growing with each failure in the same context and capped at the
  schedule's last step (`[intake] retry_backoff_s`), or sooner once the context changed.
- **retried**: once a failure's backoff has passed, its work is queued again, but behind
  work never tried at the same priority (`retries`, read by sensors.router): on a loaded
  box one op runs a bound, and a retry must not take it from work that never had a turn.
  A retry in the context its work failed in asks otherwise (`failed_before` counts the
  failures, the op carries them, governance.phases.repeats.variation): a greedy brain given
  the same prompt gives the same answer, and a daemon's first hour with Qwen2.5-Coder paid
  25 minutes twice for one failure.
- **futile**: a brain whose finished ops of one source (`[intake] futile_after` of them at
  least) never gave a usable candidate (landed or proposed) gets no more of that source's
  work, and a ledger thought says so once a run.

An op cut short by the daemon's own shutdown leaves no record (it says nothing about the
work); one BLOCKED on a dirty file backs off in this process only, as the file's commit is
what it waits for. A brain outage makes no record either: the op waits for the brain
instead of ending (governance.phases.brain_wait), and only how it finally ends is kept.
"""

from __future__ import annotations

import asyncio
import errno
import hashlib
import os
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

import structlog

from governance.schemas import SignalEnvelope
from ledger import Ledger
from sensors.failure_causes import causes_in

log = structlog.get_logger("sensors.work_memory")

WATCHED_TESTS = 64  # failing tests' files a work record's context hashes, at most
READ_CAP = 8 << 20  # bytes of one target file hashed; past it the size stands for the rest


class Event(StrEnum):
    FAILED = "failed"
    PROPOSED = "proposed"
    COMPLETED = "completed"
    REJECTED = "rejected"
    REFUSED = "refused"  # the op's brain answered, and its candidates were refused


# An op's terminal phase -> what its work became. Absent: nothing to remember across
# restarts (BLOCKED backs off in-process; a shutdown's CANCELLED is not recorded at all).
ENDS: dict[str, Event] = {"COMPLETE": Event.COMPLETED, "PROPOSED": Event.PROPOSED,
                          "POSTMORTEM": Event.FAILED, "FAILED_PERMANENT": Event.FAILED,
                          "CANCELLED": Event.FAILED}
FAILURES = frozenset({Event.FAILED, Event.REJECTED, Event.REFUSED})  # ranks as a retry
UNTIL_CHANGED = frozenset({Event.REJECTED, Event.REFUSED})  # no timer: a change, or nothing


@dataclass(frozen=True)
class Context:
    """What an attempt ran against: a change in any part makes a retry worth its cost."""

    code: str  # digest of the target files' and the failing tests' bytes when it began
    brain: str  # the brain's name (an HTTP brain's names its model)
    settings: str  # digest of the settings that shape an op
    after: str = ""  # the same digest when the op ended (what a landed change left)

    def changed(self, other: Context) -> list[str]:
        return [part for part in ("code", "brain", "settings")
                if getattr(self, part) != getattr(other, part)]


@dataclass(frozen=True)
class WorkRecord:
    key: str
    op_id: str
    event: Event
    source: str
    context: Context
    count: int  # failures in a row in this context
    not_before: datetime | None
    reason: str
    causes: frozenset[str] = frozenset()  # the failure causes its work was for
    files: tuple[str, ...] = ()  # its watched files (the code a cause's record is read on)


def code_digest(root: Path, files: Sequence[str]) -> str:
    """SHA-256 over each target file's path and bytes (never through a symlink: a link is
    hashed as its target text)."""
    h = hashlib.sha256()
    for rel in sorted(files):
        h.update(rel.encode("utf-8", "surrogateescape") + b"\0")
        h.update(_read(root / rel))
        h.update(b"\0")
    return h.hexdigest()


def _read(path: Path) -> bytes:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as exc:
        if exc.errno == errno.ELOOP:  # the path is a symlink
            try:
                return b"link:" + os.readlink(path).encode("utf-8", "surrogateescape")
            except OSError:
                return b"unreadable"
        return b"absent"
    try:
        st = os.fstat(fd)
        data = os.read(fd, READ_CAP) if st.st_size and os.path.isfile(path) else b""
        return data + (f"\0size={st.st_size}".encode() if st.st_size > READ_CAP else b"")
    except OSError:
        return b"unreadable"
    finally:
        os.close(fd)


def backoff(schedule: Sequence[float], count: int) -> float:
    """The wait after the `count`-th failure in a row: the schedule's step, its last one
    once the schedule is spent (the cap)."""
    return float(schedule[min(count, len(schedule)) - 1])


class WorkMemory:
    def __init__(self, ledger: Ledger, root: Path, *, settings: str,
                 brain: Callable[[], str], backoff_s: Sequence[float], futile_after: int,
                 review_open: Callable[[str], Awaitable[bool]],
                 now: Callable[[], datetime] = lambda: datetime.now(UTC)):
        self.ledger, self.root = ledger, root
        self.settings, self.brain = settings, brain
        self.backoff_s, self.futile_after = tuple(backoff_s), futile_after
        self.review_open = review_open  # op id -> whether its review branch still exists
        self.now = now
        self.records: dict[str, WorkRecord] = {}
        self.local: dict[str, tuple[int, datetime]] = {}  # BLOCKED: (count, not before)
        self.begun: dict[str, Context] = {}  # dispatched keys: the context they began in
        self.futile: dict[str, str] = {}  # source -> why this brain gets none of it
        self._futile_said: set[str] = set()

    async def load(self) -> None:
        """The newest record of every key, and this brain's futile sources."""
        for row in await self.ledger.latest_work():
            try:
                self.records[row["dedup_key"]] = _record(row)
            except (KeyError, TypeError, ValueError):
                log.warning("unreadable work record skipped", key=row.get("dedup_key"))
        await self.refresh_futile()

    async def context(self, files: Sequence[str]) -> Context:
        code = await asyncio.to_thread(code_digest, self.root, files)
        return Context(code, self.brain(), self.settings)

    async def held_back(self, env: SignalEnvelope) -> str | None:
        """Why `env`'s work is not taken now, else None."""
        if why := self.futile.get(env.source):
            return why
        now = self.now()
        if (local := self.local.get(env.dedup_key)) and local[1] > now:
            return f"blocked {local[0]} time(s): retried after {_at(local[1])}"
        rec = self.records.get(env.dedup_key) or self._of_cause(env)
        if rec is None:
            return None
        ctx = await self.context(rec.files if rec.key != env.dedup_key and rec.files
                                 else watched(env))
        same_code = ctx.code in (rec.context.code, rec.context.after)
        if rec.event is Event.COMPLETED:
            return f"completed by {rec.op_id}; the code is unchanged" if same_code else None
        if rec.event is Event.PROPOSED:
            if same_code and await self.review_open(rec.op_id):
                return f"waits for review ({rec.op_id}); the code is unchanged"
            return None
        timed = rec.event not in UNTIL_CHANGED
        if rec.context.changed(ctx) or (timed and (rec.not_before is None
                                                  or rec.not_before <= now)):
            return None
        of = "" if rec.key == env.dedup_key else f" (its cause's work, {rec.key})"
        until = f"; retried after {_at(rec.not_before)} at the latest" if timed and \
            rec.not_before else "; the same brain is not asked again in the same context"
        return (f"{rec.event.value} {rec.count} time(s) in this context (last: {rec.op_id})"
                f"{of}: waits for a change of the code or its tests, the brain or the "
                f"settings, or a human's signal{until}")

    def _of_cause(self, env: SignalEnvelope) -> WorkRecord | None:
        """The newest record of other work for one of `env`'s failure causes that failed,
        was rejected or waits for review: one cause is one piece of work whatever key its
        failures came under (a group that gained a test is known by another anchor), so a
        brain's refused answer for it is not asked for again before something changes. A
        completed one holds nothing of a cause: a test of it still failing after the op
        landed is new work (sensors.parked_failures)."""
        causes = causes_in(env)
        if not causes:
            return None
        return next((r for r in reversed(self.records.values())
                     if r.key != env.dedup_key and r.event is not Event.COMPLETED
                     and not causes.isdisjoint(r.causes)), None)

    def retries(self, key: str) -> int:
        """How many times in a row `key`'s work failed or was rejected: 0 for work never
        tried, or whose last op completed or was proposed."""
        rec = self.records.get(key)
        return rec.count if rec is not None and rec.event in FAILURES else 0

    async def began(self, env: SignalEnvelope) -> None:
        """`env` was dispatched: the context its op starts from."""
        self.begun[env.dedup_key] = await self.context(watched(env))

    def failed_before(self, key: str) -> int:
        """How many ops of dispatched work `key` failed in a row in the context its op
        starts from (`began`): that op asks otherwise, since a greedy brain asked the same
        question gives the same answer."""
        rec, ctx = self.records.get(key), self.begun.get(key)
        same = rec is not None and ctx is not None and rec.event is Event.FAILED \
            and not rec.context.changed(ctx)
        return rec.count if same else 0

    async def ended(self, env: SignalEnvelope, op_id: str, terminal: str,
                    reason: str, *, refused: bool = False) -> WorkRecord | None:
        """Remember how `env`'s op ended (the ledger row first, then this process);
        `refused`: the op's brain answered and the proof refused its candidates."""
        key = env.dedup_key
        before = self.begun.pop(key, None)
        if terminal == "BLOCKED":
            count = self.local[key][0] + 1 if key in self.local else 1
            self.local[key] = (count, self.now() + timedelta(
                seconds=backoff(self.backoff_s, count)))
            return None
        self.local.pop(key, None)
        event = ENDS.get(terminal)
        if event is None:
            return None
        if event is Event.FAILED and refused and terminal != "CANCELLED":
            event = Event.REFUSED
        now = await self.context(watched(env))
        ctx = replace(before or now, after=now.code)
        return await self._write(env.dedup_key, env.source, op_id, event, reason, ctx, env)

    async def fixed(self, env: SignalEnvelope, commit: str, reason: str) -> WorkRecord:
        """`env`'s work was settled by a landed commit before an op opened: completed, by
        that commit, while the code is unchanged."""
        self.local.pop(env.dedup_key, None)
        now = await self.context(watched(env))
        return await self._write(env.dedup_key, env.source, f"commit {commit[:12]}",
                                 Event.COMPLETED, reason, replace(now, after=now.code), env)

    async def rejected(self, op_id: str, reason: str) -> WorkRecord | None:
        """The human rejected op `op_id`'s review: its work backs off like a failure, and so
        does the work of every op that joined that review (its record names `op_id`)."""
        out = None
        for rec in list(self.records.values()):
            if rec.op_id == op_id and rec.event is Event.PROPOSED:
                out = await self._write(rec.key, rec.source, op_id, Event.REJECTED,
                                        reason, rec.context, None, rec)
        return out

    async def _write(self, key: str, source: str, op_id: str, event: Event, reason: str,
                     ctx: Context, env: SignalEnvelope | None,
                     was: WorkRecord | None = None) -> WorkRecord:
        prev = self.records.get(key)
        failure = event in FAILURES
        count = 1
        if failure and prev is not None and prev.event in FAILURES \
                and not prev.context.changed(ctx):
            count = prev.count + 1
        not_before = self.now() + timedelta(seconds=backoff(self.backoff_s, count)) \
            if failure and event not in UNTIL_CHANGED else None
        causes = causes_in(env) if env is not None else was.causes if was else frozenset()
        files = watched(env) if env is not None else was.files if was else ()
        rec = WorkRecord(key, op_id, event, source, ctx, count, not_before, reason[:500],
                         causes, files)
        self.records.pop(key, None)  # the newest last: a cause's newest record is found first
        await self.ledger.record_work(
            key, op_id=op_id, event=event.value, source=source,
            context={**ctx.__dict__, "causes": sorted(causes)[:64], "files": list(files)},
            count=count, not_before=not_before.isoformat() if not_before else "",
            reason=rec.reason)
        self.records[key] = rec
        return rec

    async def refresh_futile(self) -> list[str]:
        """Recompute which sources this brain never gave a usable candidate for; return the
        ones newly held back (a ledger thought names each once a run)."""
        brain = self.brain()
        if self.futile_after <= 0 or not brain:
            self.futile = {}
            return []
        tally = await self.ledger.outcome_tally(brain)
        self.futile = {
            source: (f"brain {brain} gave no usable candidate in {n} finished {source} ops: "
                     "it gets no more of this work (a new brain, or [intake] futile_after, "
                     "changes that)")
            for source, (n, usable) in tally.items() if n >= self.futile_after and not usable}
        new = sorted(set(self.futile) - self._futile_said)
        for source in new:
            self._futile_said.add(source)
            await self.ledger.record_thought(None, "INTAKE", self.futile[source],
                                             {"source": source, "brain": brain,
                                              "finished": tally[source][0]})
        return new

    def snapshot(self) -> list[dict[str, Any]]:
        """What `status` shows: the work backing off now, with why and until when, and the
        futile sources (one waiting for review is in status' reviews)."""
        now = self.now()
        out = [{"key": k, "op_id": r.op_id, "event": r.event.value, "source": r.source,
                "until": r.not_before.isoformat() if r.not_before else None,
                "reason": r.reason[:200]}
               for k, r in self.records.items()
               if r.event in UNTIL_CHANGED or (r.not_before is not None and r.not_before > now)]
        out += [{"key": "*", "op_id": "", "event": "futile", "source": s, "until": None,
                 "reason": why} for s, why in sorted(self.futile.items())]
        return out[-50:]


def watched(env: SignalEnvelope) -> tuple[str, ...]:
    """The files whose change makes `env`'s work worth asking for again: its target files
    and its failing tests' files (relative paths inside the tree only, no NUL, at most
    WATCHED_TESTS of them: a test id is what a repository's test run reported)."""
    tests = env.evidence.get("tests")
    found = {t.split("::", 1)[0] for t in tests if isinstance(t, str)} \
        if isinstance(tests, list) else set()
    inside = sorted(f for f in found - set(env.target_files) if f and "\0" not in f
                    and not f.startswith("/") and ".." not in f.split("/"))
    return tuple(dict.fromkeys([*env.target_files, *inside[:WATCHED_TESTS]]))


def _record(row: dict[str, Any]) -> WorkRecord:
    ctx = row["context"]
    nb = row["not_before"]
    return WorkRecord(row["dedup_key"], row["op_id"], Event(row["event"]), row["source"],
                      Context(str(ctx["code"]), str(ctx["brain"]), str(ctx["settings"]),
                              str(ctx.get("after", ""))),
                      int(row["count"]), datetime.fromisoformat(nb) if nb else None,
                      row["reason"], frozenset(map(str, ctx.get("causes") or ())),
                      tuple(map(str, ctx.get("files") or ())))


def _at(when: datetime) -> str:
    return when.isoformat(timespec="seconds")
