"""The intake router's rules, as a synchronous engine: priority, file locks, coalescing,
capacity. Pure bookkeeping over envelopes and a clock; the daemon's queue (sensors.queue)
owns the WAL, the ledger records and the event loop around it.

Priority (seed §50, lower runs first):
    base[source] - urgency (critical 3, high 1) + files (0 for <= 1, 1 for <= 4, else 2)
    - 1 if confidence >= 0.9 - min(envelopes queued behind its files, 3)
At the same priority, work never tried runs before a retry of work that failed (`retries`:
the key's failures in a row, from sensors.work_memory; fewer first), then the earlier one.

File locks (seed §46): a dispatched op holds its files; an envelope that needs any busy file
waits behind that op (all of its files, even the free ones: it re-plans from the new state)
and is offered again, with its priority recomputed, when the op is released. An op holds its
files for as long as it lives, however long that is (a local model, an approval wait, an L2
repair). A lock older than the TTL (300 s) whose op is gone (its task ended without a
release: the caller's `alive` predicate says so) is force-released and reported, so a
crashed op never starves the queue; the TTL only leaves the dispatcher time to start an op.

Coalescing (seed §52.8): an envelope for the same files as a queued one from the same
session, within the window (30 s), merges into it: one op with several goals. HIGH and
CRITICAL envelopes never wait for that and never merge; envelopes from different sessions
never merge.

Causes (sensors.failure_causes): an envelope whose evidence names causes (`causes`) that a
queued or waiting envelope also names joins it: one op, their targets and tests united,
its key among the merged keys. One that a running op's causes name is parked with that op
(`parked`, one envelope per op, all such arrivals joined; keyed `parked_key(op key)`, which
the queue writes to its WAL, so a restart offers it again): when the op ends, the queue
settles it by how the op ended (sensors.parked_failures). An envelope whose key is known is
a duplicate unless it brings tests the envelope holding that key lacks: then it joins it
(a sensor's next run of one cause names one more failing test under the same key). A
test_failure envelope is HIGH or CRITICAL, so it never coalesces by files; a cause is what
joins it.

Capacity (16): queued and waiting envelopes together; when full, the lowest-priority queued
envelope is evicted (it may be the newcomer), and a newcomer that would wait is evicted;
each eviction is reported to the caller for the ledger. The bound also keeps every rule
cheap: ranking looks at the other envelopes, never more than the capacity.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from governance.schemas import MAX_FOCUS_LINES, SignalEnvelope, Source, Urgency
from sensors.failure_causes import causes_in, join

BASE: Mapping[str, int] = {  # seed §50.2 gives test_failure, opportunity_miner, doc_staleness
    Source.HUMAN: 1, Source.TEST_FAILURE: 2, Source.GITHUB_ISSUE: 3, Source.PERF_REGRESSION: 3,
    Source.BACKLOG: 4, Source.SCHEDULED: 4, Source.OPPORTUNITY: 5, Source.TODO: 5,
    Source.DOC_STALENESS: 6}
UNKNOWN_BASE = 99
URGENCY: Mapping[Urgency, int] = {Urgency.CRITICAL: 3, Urgency.HIGH: 1}
BYPASS_COALESCING = frozenset({Urgency.HIGH, Urgency.CRITICAL})
MAX_DEP_CREDIT = 3


def file_penalty(n: int) -> int:
    return 0 if n <= 1 else 1 if n <= 4 else 2


def priority(env: SignalEnvelope, behind: int = 0) -> int:
    """The seed's formula; `behind` is how many envelopes wait on this one's files."""
    return (BASE.get(env.source, UNKNOWN_BASE) - URGENCY.get(env.urgency, 0)
            + file_penalty(len(env.target_files)) - (1 if env.confidence >= 0.9 else 0)
            - min(behind, MAX_DEP_CREDIT))


class Outcome(StrEnum):
    QUEUED = "queued"
    DUPLICATE = "duplicate"  # its dedup key is queued, waiting or running
    COALESCED = "coalesced"  # merged into a queued envelope for the same files
    JOINED = "joined"  # merged into a queued or waiting envelope of the same cause
    PARKED = "parked"  # a running op holds its cause: settled when that op ends
    WAITING = "waiting"  # queued behind a running op that holds one of its files
    EVICTED = "evicted"  # the queue is full and it ranks lowest


@dataclass(frozen=True)
class Offer:
    outcome: Outcome
    key: str  # the dedup key it is now known by (the merged one when coalesced)
    evicted: tuple[SignalEnvelope, ...] = ()  # others pushed out to make room


@dataclass
class _Queued:
    env: SignalEnvelope
    since: float  # when it was first queued (the coalescing window counts from here)
    seq: int


@dataclass
class _Lock:
    owner: str  # the running op's dedup key
    since: float


@dataclass
class IntakeRouter:
    capacity: int
    coalesce_window_s: float
    lock_ttl_s: float
    clock: Callable[[], float] = time.monotonic
    retries: Callable[[str], int] = lambda _key: 0  # key -> its work's failures in a row
    queued: dict[str, _Queued] = field(default_factory=dict)
    running: dict[str, SignalEnvelope] = field(default_factory=dict)
    locks: dict[str, _Lock] = field(default_factory=dict)  # file -> the op holding it
    behind: dict[str, list[SignalEnvelope]] = field(default_factory=dict)  # op -> waiting
    parked: dict[str, SignalEnvelope] = field(default_factory=dict)  # op -> of its cause
    _seq: int = 0

    def known(self, key: str) -> bool:
        """Queued (itself or merged into another), running, waiting behind an op or parked
        with one."""
        return self._holding(key) is not None

    def _holding(self, key: str) -> SignalEnvelope | None:
        """The envelope that holds `key`: itself, or the one it was merged into."""
        if key in self.queued:
            return self.queued[key].env
        if key in self.running:
            return self.running[key]
        held = [q.env for q in self.queued.values()] + list(self.parked.values()) + [
            e for w in self.behind.values() for e in w]
        return next((e for e in held if e.dedup_key == key
                     or key in e.evidence.get("merged_keys", ())), None)

    def news(self, env: SignalEnvelope) -> bool:
        """Whether offering `env` can change anything: its key is unknown, or it names
        failing tests the envelope holding its key does not."""
        holder = self._holding(env.dedup_key)
        if holder is None:
            return True
        known = set(tests_of(holder))
        if (owner := self.cause_holder(env)) is not None:  # the op's, and what it parked
            known.update(tests_of(self.running[owner]))
            known.update(tests_of(self.parked[owner]) if owner in self.parked else ())
        return not set(tests_of(env)) <= known

    def parked_form(self, env: SignalEnvelope) -> SignalEnvelope:
        """`env` as it is parked when a running op holds its cause (the queue writes this
        form to its WAL), else `env` itself."""
        owner = self.cause_holder(env)
        if owner is None or env.dedup_key == parked_key(owner):
            return env
        merged = list(env.evidence.get("merged_keys", []))
        if env.dedup_key != owner:  # its own key stays known (a sensor firing it again)
            merged.append(env.dedup_key)
        return env.model_copy(update={"dedup_key": parked_key(owner), "evidence": {
            **env.evidence, "held_by": owner, "merged_keys": merged}})

    def offer(self, env: SignalEnvelope) -> Offer:
        """Queue, merge, park or evict `env`; see the module docstring for the rules."""
        if not self.news(env):
            return Offer(Outcome.DUPLICATE, env.dedup_key)
        if (owner := self.cause_holder(env)) is not None:
            env = self.parked_form(env)
            self.parked[owner] = join(self.parked[owner], env) if owner in self.parked else env
            return Offer(Outcome.PARKED, env.dedup_key)
        if (joined := self._join(env)) is not None:
            return Offer(Outcome.JOINED, joined)
        owner = self._holder(env)
        if owner is not None:
            if self._waiting() + len(self.queued) >= self.capacity:
                return Offer(Outcome.EVICTED, env.dedup_key)  # waiting counts as queued
            self.behind.setdefault(owner, []).append(env)
            return Offer(Outcome.WAITING, env.dedup_key)
        into = self._coalescible(env)
        if into is not None:
            into.env = merge(into.env, env)
            return Offer(Outcome.COALESCED, into.env.dedup_key)
        self._seq += 1
        self.queued[env.dedup_key] = _Queued(env, self.clock(), self._seq)
        evicted = self._fit()
        if any(e.dedup_key == env.dedup_key for e in evicted):
            return Offer(Outcome.EVICTED, env.dedup_key, tuple(
                e for e in evicted if e.dedup_key != env.dedup_key))
        return Offer(Outcome.QUEUED, env.dedup_key, evicted)

    def cause_holder(self, env: SignalEnvelope) -> str | None:
        """The key of the running op that holds one of `env`'s causes, if any."""
        causes = causes_in(env)
        if not causes:
            return None
        return next((key for key, running in self.running.items()
                     if not causes.isdisjoint(causes_in(running))), None)

    def _join(self, env: SignalEnvelope) -> str | None:
        """Merge `env` into a queued or waiting envelope of the same cause; its key."""
        causes = causes_in(env)
        if not causes:
            return None
        for q in self.queued.values():
            if not causes.isdisjoint(causes_in(q.env)):
                q.env = join(q.env, env)
                return q.env.dedup_key
        for waiting in self.behind.values():
            for i, other in enumerate(waiting):
                if not causes.isdisjoint(causes_in(other)):
                    waiting[i] = join(other, env)
                    return other.dedup_key
        return None

    def _waiting(self) -> int:
        return sum(len(w) for w in self.behind.values())

    def rank(self, key: str) -> int:
        return self.orders()[key][0]

    def orders(self) -> dict[str, tuple[int, int, int]]:
        """(rank, retries, arrival) of every queued envelope, in one pass. The dependency credit
        counts the envelopes that need one of its files: waiting behind a running op, or
        queued (once it runs they wait for it) (seed §52.2)."""
        needs = [set(e.target_files) for w in self.behind.values() for e in w]
        queued = [(k, q, set(q.env.target_files)) for k, q in self.queued.items()]
        needs += [files for _, _, files in queued]
        out = {}
        for key, q, files in queued:
            behind = sum(1 for other in needs if files & other) - 1  # itself
            out[key] = (priority(q.env, behind), self.retries(key), q.seq)
        return out

    def _fit(self) -> list[SignalEnvelope]:
        out = []
        while len(self.queued) > self.capacity:
            orders = self.orders()
            worst = max(orders, key=orders.__getitem__)
            out.append(self.queued.pop(worst).env)
        return out

    def _coalescible(self, env: SignalEnvelope) -> _Queued | None:
        if env.urgency in BYPASS_COALESCING:
            return None
        now, files = self.clock(), set(env.target_files)
        for q in self.queued.values():
            if (q.env.session_id == env.session_id and set(q.env.target_files) == files
                    and q.env.urgency not in BYPASS_COALESCING
                    and now - q.since <= self.coalesce_window_s):
                return q
        return None

    def _holder(self, env: SignalEnvelope) -> str | None:
        for f in env.target_files:
            lock = self.locks.get(f)
            if lock is not None:
                return lock.owner
        return None

    def expire_locks(self, alive: Callable[[str], bool]
                     ) -> list[tuple[str, list[SignalEnvelope]]]:
        """Force-release every op whose locks passed the TTL and that `alive` (by op key)
        says is gone: [(op key, re-offered)]. A live op's locks never expire."""
        now = self.clock()
        stale = {lock.owner for lock in self.locks.values()
                 if now - lock.since > self.lock_ttl_s}
        return [(key, self.release(key)) for key in sorted(stale) if not alive(key)]

    def next_ready(self) -> SignalEnvelope | None:
        """The best queued envelope; its files are locked for it until release()."""
        if not self.queued:
            return None
        orders = self.orders()
        key = min(orders, key=orders.__getitem__)
        env = self.queued.pop(key).env
        self.running[key] = env
        now = self.clock()
        for f in env.target_files:
            self.locks[f] = _Lock(key, now)
        return env

    def take_parked(self, key: str) -> SignalEnvelope | None:
        """What arrived of op `key`'s cause while it ran, for the queue to settle."""
        return self.parked.pop(key, None)

    def release(self, key: str) -> list[SignalEnvelope]:
        """The op ended: free its files and offer again what waited behind it (each with its
        priority recomputed) and what was parked with it and not taken (a gone op's);
        returns those envelopes."""
        self.running.pop(key, None)
        for f in [f for f, lock in self.locks.items() if lock.owner == key]:
            del self.locks[f]
        waiting = self.behind.pop(key, [])
        if (parked := self.parked.pop(key, None)) is not None:
            waiting.append(parked)
        for env in waiting:
            self.offer(env)
        return waiting


def parked_key(owner: str) -> str:
    """The key of what is parked with the op for `owner`: its own, so the op's work record
    (a completed op's holds its key while the code is unchanged) does not hold it back."""
    return f"test_failure:{hashlib.sha256(f'held by {owner}'.encode()).hexdigest()[:24]}"


def tests_of(env: SignalEnvelope) -> list[str]:
    tests = env.evidence.get("tests")
    return [t for t in tests if isinstance(t, str)] if isinstance(tests, list) else []


def merge(first: SignalEnvelope, later: SignalEnvelope) -> SignalEnvelope:
    """One op with both goals: the first's key and files, the later goal appended, the
    surer urgency and the lower confidence, and the merged keys in the evidence."""
    goals = list(first.evidence.get("goals") or [first.goal])
    goals.append(later.goal)
    merged_keys = [*first.evidence.get("merged_keys", []), later.dedup_key]
    urgency = max(first.urgency, later.urgency, key=list(Urgency).index)
    goal = "\n".join(f"- {g}" for g in goals)
    focus = first.focus_lines
    if later.target_files[0] == first.target_files[0]:  # both name lines of the same file
        focus = tuple(sorted({*focus, *later.focus_lines}))[:MAX_FOCUS_LINES]
    return first.model_copy(update={
        "goal": goal, "urgency": urgency, "confidence": min(first.confidence, later.confidence),
        "focus_lines": focus,
        "evidence": {**first.evidence, "goals": goals, "merged_keys": merged_keys}})
