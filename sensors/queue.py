"""IntakeQueue: the intake router (sensors.router) on the event loop, with its write-ahead log
and retry memory. The dispatcher sees `put`, `pop_ready`, `done` and `changed`, and tells the
queue through `alive` (an op's dedup key -> whether its task still runs) which file locks
belong to live ops: only a gone op's lock is force-released past the TTL.

WAL (the ledger's intake_wal): an envelope is `enqueued` before the router sees it, and
`dispatched` (with every key merged into it) or `dropped` (evicted) afterwards; what is
neither is offered again at the next start, where it coalesces and waits exactly as before.

One piece of work per cause: an envelope whose cause (sensors.failure_causes) an open review
holds (`held`: the review commit's `Work-Key:`/`Cause:` trailers, governance.git.review_causes,
read from git so a kill -9 at any point of a proposal cannot hide it) joins that work: it is
not queued, and costs no WAL row. One whose cause a running op holds is parked with that op
(the router; its WAL row under the parked key) and settled when the op ends
(sensors.parked_failures). One whose cause a queued or waiting envelope names is merged
into it (the router). One whose failing tests a commit since the failure already makes
pass opens no op: it is settled "fixed by <commit>" when it comes up (sensors.settled).

Retries: what became of each key's last op, across restarts, is sensors.work_memory's:
work that failed backs off (or waits for a change of code, brain or settings), work that
waits for review or completed is not taken again while its code is unchanged. A changed
file makes a new key anyway (the TODO sensor's keys hash the markers). Work that failed and
comes back after its backoff ranks behind work never tried at the same priority (the
router's `retries`, the memory's count of failures in a row).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import structlog

from governance.crashpoints import crashpoint
from governance.schemas import SignalEnvelope
from ledger import Ledger
from sensors.fingerprint import FingerprintWindow
from sensors.parked_failures import Rerun, settle
from sensors.router import IntakeRouter, Outcome, tests_of
from sensors.settled import fixed_by
from sensors.work_memory import WorkMemory

log = structlog.get_logger("sensors.queue")

FINGERPRINT_WINDOW_S = 60.0  # seed §55.2: the event bus's SHA-256 fingerprint dedup
FINGERPRINT_LRU = 4096
SAID_CAP = 4096  # held-back reasons remembered as said (then said once more)


class IntakeQueue:
    def __init__(self, ledger: Ledger, *, capacity: int, coalesce_window_s: float,
                 lock_ttl_s: float, alive: Callable[[str], bool], work: WorkMemory,
                 held: Callable[[SignalEnvelope], Awaitable[str | None]] | None = None,
                 runner: Callable[[], Rerun | None] = lambda: None,
                 clock: Callable[[], float] = time.monotonic):
        # The knobs come from `[intake]` (daemon.service; tests: tests.helpers.intake_queue).
        self.ledger = ledger
        self.alive = alive  # the dispatcher's word on which ops still run
        self.router = IntakeRouter(capacity, coalesce_window_s, lock_ttl_s, clock,
                                   retries=work.retries)  # a retry after untried work
        self.clock = clock
        self.work = work  # what became of each key's last op, across restarts
        self.held = held  # envelope -> the op whose open review holds its work, if any
        self.runner = runner  # the jailed test runner parked failures are run again with
        self.changed = asyncio.Event()
        self.bus = FingerprintWindow(FINGERPRINT_WINDOW_S, FINGERPRINT_LRU, clock)
        self._said: set[tuple[str, str]] = set()  # (key, why) held back, said in the ledger

    def __len__(self) -> int:
        return len(self.router.queued)

    async def put(self, env: SignalEnvelope, *, from_wal: bool = False) -> bool:
        """Offer `env` to the router; False when it is a repeat within the fingerprint
        window, a duplicate, held back or evicted."""
        if not from_wal and not self.bus.admit(env):
            return False  # a storm's repeats: not even a WAL row
        env = self.router.parked_form(env)  # a running op holds its cause: its WAL key
        if not self.router.news(env):
            return False
        if why := await self._joins(env):
            log.info("signal joins the work that holds its cause", dedup_key=env.dedup_key,
                     why=why)
            return False
        if why := await self.work.held_back(env):
            log.info("signal held back", dedup_key=env.dedup_key, why=why)
            await self._waits(env, why)
            return False
        if not from_wal:  # a failed append raises before the router sees it: a retry can queue
            try:
                await self.ledger.wal_append("enqueued", dedup_key=env.dedup_key,
                                             session_id=env.session_id,
                                             envelope=env.model_dump(mode="json"))
            except BaseException:
                self.bus.forget(env)
                raise
        offer = self.router.offer(env)
        gone = list(offer.evicted) + ([env] if offer.outcome is Outcome.EVICTED else [])
        for lost in gone:
            self.bus.forget(lost)  # the sensor firing again re-ingests it (seed §56.1)
            await self.ledger.wal_append("dropped", dedup_key=lost.dedup_key,
                                         session_id=lost.session_id)
            log.warning("queue full: evicted", dedup_key=lost.dedup_key)
        if offer.outcome is Outcome.PARKED:
            log.info("signal waits for the running op that holds its cause",
                     dedup_key=env.dedup_key, op=env.evidence.get("held_by"))
        self.changed.set()
        return offer.outcome not in (Outcome.EVICTED, Outcome.DUPLICATE)

    async def _waits(self, env: SignalEnvelope, why: str) -> None:
        """The ledger says once what held-back work waits for (a sensor firing again on the
        same failure says nothing new)."""
        if (env.dedup_key, why) in self._said:
            return
        if len(self._said) >= SAID_CAP:
            self._said.clear()
        self._said.add((env.dedup_key, why))
        await self.ledger.record_thought(None, "INTAKE", f"work held back: {why}"[:1000], {
            "dedup_key": env.dedup_key, "source": env.source,
            "causes": sorted(env.evidence.get("causes") or ())[:16]})

    async def _joins(self, env: SignalEnvelope) -> str | None:
        """Why `env`'s work is someone else's: an open review holds it."""
        if self.held is not None and (op_id := await self.held(env)) is not None:
            return f"waits for review ({op_id})"
        return None

    async def pop_ready(self) -> SignalEnvelope | None:
        """The best envelope whose files are free (its files are then held until done())."""
        for owner, waited in self.router.expire_locks(self.alive):
            again = [e.dedup_key for e in waited]
            log.warning("file lock of a gone op force-released", op=owner, reoffered=again)
            await self.ledger.record_thought(
                None, "INTAKE", f"file lock of {owner} held past its "
                f"{self.router.lock_ttl_s:g}s TTL: force-released (its op is gone)",
                {"dedup_key": owner, "reoffered": again})
        while (env := self.router.next_ready()) is not None:
            if (commit := await self._fixed(env)) is None:
                break
            await self._settle_fixed(env, commit)
        if env is None:
            return None
        try:
            for key in [env.dedup_key, *env.evidence.get("merged_keys", [])]:
                await self.ledger.wal_append("dispatched", dedup_key=key,
                                             session_id=env.session_id)
        except BaseException:  # not dispatched (a full disk, a cancel): queued as it was
            self.router.release(env.dedup_key)
            self.router.offer(env)
            self.changed.set()  # the dispatcher tries again once it may
            raise
        await self.work.began(env)
        return env

    async def _fixed(self, env: SignalEnvelope) -> str | None:
        """The commit that already made `env`'s failing tests pass (sensors.settled); a
        check that cannot decide is no settlement: the op opens."""
        try:
            return await fixed_by(self.work.root, env, self.runner())
        except Exception:
            log.exception("settled check failed: the op opens", dedup_key=env.dedup_key)
            return None

    async def _settle_fixed(self, env: SignalEnvelope, commit: str) -> None:
        """No op for work a landed commit settled: its WAL rows are done, its work record
        says "fixed by <commit>" (holding it back while the code is unchanged), and the
        ledger says so."""
        self.router.release(env.dedup_key)
        for key in [env.dedup_key, *env.evidence.get("merged_keys", [])]:
            await self.ledger.wal_append("dispatched", dedup_key=key,
                                         session_id=env.session_id)
        why = (f"fixed by {commit[:12]}: its {len(tests_of(env))} failing test(s) pass at "
               "HEAD when run again; no op opened")
        await self.work.fixed(env, commit, why)
        await self.ledger.record_thought(None, "INTAKE", why, {
            "dedup_key": env.dedup_key, "fixed_by": commit, "tests": tests_of(env)[:200]})
        log.info("work settled before its op opened", dedup_key=env.dedup_key,
                 fixed_by=commit[:12])

    def done(self, key: str) -> None:
        """The op for `key` ended: release its files (what waited is offered again)."""
        self.router.release(key)
        self.changed.set()

    async def finished(self, env: SignalEnvelope, op_id: str, terminal: str | None,
                       reason: str, *, refused: bool = False) -> None:
        """`env`'s op ended in `terminal` (None: cut short by the daemon's shutdown, nothing
        to remember): its work record first, so a sensor firing in between cannot take
        the same work again, then its files are released. `op_id` is the op the record
        names: the one whose review it joined, for an op that joined another's review;
        `refused`: its brain answered and the proof refused its candidates."""
        try:
            if terminal is not None:
                crashpoint("before_work_record")
                await self.work.ended(env, op_id, terminal, reason, refused=refused)
                await self.work.refresh_futile()
        except Exception:  # the files are released all the same; the op's own rows stand
            log.exception("work record not written", op_id=op_id)
        finally:
            parked = self.router.take_parked(env.dedup_key)
            self.done(env.dedup_key)
        if parked is not None:  # what arrived of its cause while it ran
            await settle(self, self.runner, env, parked, op_id, terminal)

    async def rehydrate(self, ttl_s: float, now: datetime | None = None) -> int:
        """Offer again what a previous run enqueued but never dispatched or dropped, unless
        it is older than `ttl_s`: that is marked dropped (seed §56.2: stale WAL entries of
        crashed sessions are pruned by TTL; a start-up scan finds whatever is still real)."""
        cutoff = (now or datetime.now(UTC)) - timedelta(seconds=ttl_s)
        count, stale = 0, []
        for data in await self.ledger.wal_pending():
            try:
                env = SignalEnvelope.model_validate(data)
            except ValueError:
                log.warning("unreadable WAL entry skipped")
                continue
            if env.created_at < cutoff:
                stale.append(env)
                await self.ledger.wal_append("dropped", dedup_key=env.dedup_key,
                                             session_id=env.session_id)
                continue
            count += await self.put(env, from_wal=True)
        if stale:
            log.info("stale WAL entries pruned", count=len(stale), ttl_s=ttl_s)
            await self.ledger.record_thought(
                None, "INTAKE", f"{len(stale)} WAL entries older than {ttl_s:g}s dropped at "
                "start, not replayed", {"dedup_keys": [e.dedup_key for e in stale[:50]]})
        return count

    def snapshot(self) -> list[dict]:
        orders = self.router.orders()
        queued = [(self.router.queued[k].env, orders[k][0])
                  for k in sorted(orders, key=orders.__getitem__)]
        out = [{"goal": e.goal, "source": e.source, "files": list(e.target_files),
                "priority": rank} for e, rank in queued]
        out += [{"goal": e.goal, "source": e.source, "files": list(e.target_files),
                 "waiting_for": owner}
                for owner, waiting in self.router.behind.items() for e in waiting]
        out += [{"goal": e.goal, "source": e.source, "files": list(e.target_files),
                 "waiting_for": owner} for owner, e in self.router.parked.items()]
        return out
