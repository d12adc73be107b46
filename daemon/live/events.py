"""The live event bus: what the daemon is doing, as typed events, to whoever watches.

Publishers (daemon.live.sources' ledger, the service's state changes) call `EventBus.publish`, a
plain function: it never awaits, never raises into its caller (a failure is counted in
`errors` and logged) and costs one JSON encoding per event whatever the number of watchers;
the encoded line is shared by every subscriber.

Each subscriber has a bounded buffer (BUFFER events). When it is full the OLDEST event is
dropped: a live view wants the present, and an old event is the one most likely superseded
(a phase that has since changed). Drops are counted per subscriber; when the subscriber next
takes an event it first gets {"kind": "dropped", "count": N} and then a fresh snapshot, so a
view rebuilt from the stream is whole again.

Every published event carries `seq`, 1, 2, 3... in publish order; a subscriber receives its
events in that order, with gaps only where it dropped. A snapshot's `seq` is the last event
it already reflects: state events with a seq at or below it are history, not news. Stream
frames (snapshot, dropped, heartbeat) take no seq of their own.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field, fields
from typing import Any, ClassVar

import structlog

log = structlog.get_logger("daemon.live.events")

BUFFER = 256  # events held per subscriber before the oldest is dropped
MAX_SUBSCRIBERS = 64  # across the control socket and the HTTP endpoint together
COMMITS_KEPT = 10  # the last commits a snapshot shows
HEARTBEAT_S = 15.0  # a quiet stream still says it is alive this often
TEXT_CAP = 2000  # characters of a reason, goal or message in an event
DIFF_CAP = 8000  # characters of a diff in an event


# -- events ---------------------------------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class Event:
    """One thing that happened. `kind` names the type on the wire."""

    kind: ClassVar[str] = "event"
    op_id: str | None = None

    def payload(self) -> dict[str, Any]:
        # Shallow (dataclasses.asdict deep-copies): the event is encoded once, right away.
        return {"kind": self.kind, **{f.name: getattr(self, f.name) for f in fields(self)}}


@dataclass(frozen=True, kw_only=True)
class OpIntent(Event):
    """An op starts: what it is for, on which files, from which sensor."""

    kind: ClassVar[str] = "intent"
    source: str
    goal: str
    files: list[str] = field(default_factory=list)


@dataclass(frozen=True, kw_only=True)
class PhaseChange(Event):
    kind: ClassVar[str] = "phase"
    frm: str | None
    to: str
    reason: str = ""
    cost_delta: float = 0.0


@dataclass(frozen=True, kw_only=True)
class ToolCall(Event):
    kind: ClassVar[str] = "tool"
    tool: str
    verdict: str
    arguments: str = ""  # a capped one-line summary
    rule: str = ""
    reason: str = ""
    duration_ms: float = 0.0


@dataclass(frozen=True, kw_only=True)
class ModelCall(Event):
    kind: ClassVar[str] = "model"
    phase: str
    provider: str
    model: str = ""
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    latency_ms: float = 0.0
    ok: bool = True
    error: str = ""
    proximity: float | None = None  # collapse proximity in [0, 1]; None: not measured
    exit_reason: str = ""


@dataclass(frozen=True, kw_only=True)
class NotifyCountdown(Event):
    """A NOTIFY_APPLY op applies at `apply_at` (epoch seconds) unless cancelled."""

    kind: ClassVar[str] = "notify_apply"
    delay_s: float
    apply_at: float
    diff: str = ""
    cancel: str = ""


@dataclass(frozen=True, kw_only=True)
class ReviewWaiting(Event):
    """An op ended PROPOSED: its change waits on a review branch (governance.git.review)."""

    kind: ClassVar[str] = "review"
    branch: str = ""
    evidence: str = ""
    accept: str = ""
    reject: str = ""


@dataclass(frozen=True, kw_only=True)
class ReviewCounts(Event):
    """How many changes wait for review, and of each kind, cheapest decision first
    (governance.git.review_order's labels): read again after a review was made or closed."""

    kind: ClassVar[str] = "reviews"
    count: int
    kinds: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class VerifyResult(Event):
    kind: ClassVar[str] = "verify"
    passed: bool
    summary: str = ""
    counts: dict[str, Any] = field(default_factory=dict)
    regressions: list[str] = field(default_factory=list)
    duration_s: float | None = None


@dataclass(frozen=True, kw_only=True)
class Commit(Event):
    kind: ClassVar[str] = "commit"
    sha: str
    goal: str = ""


@dataclass(frozen=True, kw_only=True)
class Postmortem(Event):
    kind: ClassVar[str] = "postmortem"
    phase: str | None  # the phase the op was in when it failed
    reason: str


@dataclass(frozen=True, kw_only=True)
class QueueChange(Event):
    kind: ClassVar[str] = "queue"
    change: str  # enqueued | dispatched | dropped
    dedup_key: str
    queue: list[dict[str, Any]] = field(default_factory=list)  # the queue after the change


@dataclass(frozen=True, kw_only=True)
class Thought(Event):
    """Any other line of the thought log (re-grounds, exploration, intake notes)."""

    kind: ClassVar[str] = "thought"
    phase: str
    msg: str


@dataclass(frozen=True, kw_only=True)
class ServiceChange(Event):
    kind: ClassVar[str] = "service"
    state: str
    why: str = ""


def cap(text: Any, limit: int = TEXT_CAP) -> str:
    text = "" if text is None else str(text)
    return text if len(text) <= limit else text[:limit - 1] + "…"


def encode(payload: dict[str, Any]) -> bytes:
    """One JSON line's body (no newline): compact, never NaN, anything odd as a string."""
    return json.dumps(payload, separators=(",", ":"), default=str, allow_nan=False,
                      ensure_ascii=False).encode()


# -- the bus --------------------------------------------------------------------------------

class BusFull(Exception):
    """MAX_SUBSCRIBERS are already watching."""


@dataclass(frozen=True)
class Frame:
    seq: int  # 0 for stream frames (snapshot, dropped, heartbeat)
    kind: str
    line: bytes  # the JSON body, shared by every subscriber


class Subscription:
    """One watcher's bounded buffer. Iterate `frames()` from one task; `close()` ends it."""

    def __init__(self, bus: EventBus, size: int):
        self.bus = bus
        self.buffer: deque[Frame] = deque(maxlen=size)
        self.dropped = 0  # since the watcher last caught up
        self.dropped_total = 0
        self.closed = False
        self._wake = asyncio.Event()

    def offer(self, frame: Frame) -> None:
        if len(self.buffer) == self.buffer.maxlen:  # the append drops the oldest
            self.dropped += 1
            self.dropped_total += 1
        self.buffer.append(frame)
        self._wake.set()

    def close(self) -> None:
        self.closed = True
        self.bus.unsubscribe(self)
        self._wake.set()

    async def frames(self, heartbeat_s: float = HEARTBEAT_S) -> AsyncIterator[Frame]:
        """The initial snapshot, then events as they come; after drops, the notice and a
        fresh snapshot; a heartbeat when nothing happened for `heartbeat_s`."""
        yield self.bus.snapshot_frame()
        while not self.closed:
            if not self.buffer:
                self._wake.clear()
                try:
                    async with asyncio.timeout(heartbeat_s):
                        await self._wake.wait()
                except TimeoutError:
                    yield self.bus.stream_frame("heartbeat")
                continue
            if self.dropped:
                count, self.dropped = self.dropped, 0
                yield self.bus.stream_frame("dropped", count=count, total=self.dropped_total)
                yield self.bus.snapshot_frame()
            if self.buffer:
                yield self.buffer.popleft()


class EventBus:
    """Fan-out of events to bounded subscriber buffers; see the module docstring."""

    def __init__(self, *, buffer: int = BUFFER, max_subscribers: int = MAX_SUBSCRIBERS,
                 clock: Callable[[], float] = time.time):
        self.buffer = buffer
        self.max_subscribers = max_subscribers
        self.clock = clock
        self.seq = 0
        self.errors = 0  # publish or snapshot failures swallowed (a bug, never the caller's)
        self.subscribers: set[Subscription] = set()
        self.commits: deque[dict[str, Any]] = deque(maxlen=COMMITS_KEPT)
        self.state_of: Callable[[], dict[str, Any]] = dict  # the daemon's current picture

    def subscribe(self) -> Subscription:
        if len(self.subscribers) >= self.max_subscribers:
            raise BusFull(f"{self.max_subscribers} watchers already subscribed")
        sub = Subscription(self, self.buffer)
        self.subscribers.add(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        self.subscribers.discard(sub)

    def publish(self, event: Event) -> None:
        """Hand `event` to every subscriber. Never raises, never blocks."""
        try:
            self.seq += 1
            payload = {"seq": self.seq, "ts": round(self.clock(), 3), **event.payload()}
            frame = Frame(self.seq, event.kind, encode(payload))
            if isinstance(event, Commit):
                self.commits.append(payload)
            for sub in list(self.subscribers):
                sub.offer(frame)
        except Exception:  # a bad event must not reach governance; it is a bug to fix
            self.errors += 1
            log.exception("event not published", kind=getattr(event, "kind", "?"))

    def stream_frame(self, kind: str, **fields: Any) -> Frame:
        return Frame(0, kind, encode({"kind": kind, "ts": round(self.clock(), 3), **fields}))

    def snapshot_frame(self) -> Frame:
        """The daemon's picture now; its seq is the last event it already reflects."""
        try:
            state = self.state_of()
        except Exception as exc:  # a snapshot that cannot be built still says so
            self.errors += 1
            log.exception("snapshot failed")
            state = {"error": f"snapshot failed: {type(exc).__name__}"}
        return self.stream_frame("snapshot", seq=self.seq, commits=list(self.commits), **state)
