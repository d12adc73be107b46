"""Where the live events come from: the ledger, and the daemon's own picture of itself.

Everything governance decides already passes through the ledger's record methods, so
`LiveLedger` (a Ledger) publishes an event after each record that succeeded: an op's intent
(record_operation), phase changes, commits, verify results and postmortems
(append_transition), model and tool calls, NOTIFY_APPLY countdowns and approval requests
(the APPROVE phase's thoughts), and queue changes (the intake WAL). A record that raises
publishes nothing; a publish never raises (daemon.live.events). Text is redacted as the ledger
redacts it (ledger.redact) and capped, so an event never carries more than the ledger
keeps, nor much of it.

`snapshot_of(daemon)` is the picture a new watcher starts from: service state, in-flight
ops, the queue, how many changes wait for review (`Watched` names what it reads). It is
synchronous, so nothing happens between a subscription and it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Awaitable, Callable, Mapping
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from daemon.live import events as ev
from daemon.status.model import LiveSnapshot
from ledger import Ledger
from ledger.db import Database
from ledger.redact import redact, redact_data
from ledger.store import TERMINAL_PHASES

if TYPE_CHECKING:
    from daemon.op_handle import OpHandle
    from governance.git.review import ReviewBranches
    from sensors.queue import IntakeQueue

ARGS_CAP = 300  # characters of a tool call's arguments, as one line
QUEUE_CAP = 50  # queued envelopes listed in an event or a snapshot
ENDINGS_CAP = 256  # terminal reasons held for "op finished" lines (many more than workers)
REVIEW_CHANGES = ("PROPOSED", "COMPLETE")  # phases after which the reviews are counted again


def _text(value: Any, limit: int = ev.TEXT_CAP) -> str:
    return ev.cap(redact(ev.cap(value, limit * 2)), limit)


class LiveLedger(Ledger):
    """A Ledger that tells `bus` what it recorded. Open with `await LiveLedger.open(path)`,
    then `attach` the bus (and what lists the queue, and the NOTIFY_APPLY delay)."""

    bus: ev.EventBus | None = None
    queue_view: Callable[[], list[dict[str, Any]]] = list
    notify_delay_s: float = 0.0
    # (count, {kind: n}) of the reviews, read from git (daemon.reviews.read_kinds): after a
    # record that makes or closes a review, a watcher gets a `reviews` event
    review_kinds: Callable[[], Awaitable[tuple[int, dict[str, int]]]] | None = None

    def __init__(self, db: Database, path: Path):
        super().__init__(db, path)
        # op -> the reason its terminal row gave, until the service's "op finished" line
        # takes it (`ending`): the console says why an op ended from the row's own field.
        self._endings: dict[str, str] = {}

    def ending(self, op_id: str) -> str:
        """The reason recorded with `op_id`'s terminal transition ('' if none), once."""
        return self._endings.pop(op_id, "")

    def attach(self, bus: ev.EventBus, *, queue_view: Callable[[], list[dict[str, Any]]],
               notify_delay_s: float,
               review_kinds: Callable[[], Awaitable[tuple[int, dict[str, int]]]] | None = None,
               ) -> None:
        self.bus, self.queue_view, self.notify_delay_s = bus, queue_view, notify_delay_s
        self.review_kinds = review_kinds
        self._goals: dict[str, str] = {}  # op -> goal, until its terminal row
        self._queue_due: list[tuple[str, str]] = []
        # the one read of the reviews' kinds under way, and whether another is due after it
        self._kinds_task: asyncio.Task[None] | None = None
        self._kinds_due = False

    def _emit(self, make: Callable[[], ev.Event | list[ev.Event] | None],
              always: bool = False) -> None:
        """Build and publish, swallowing any failure: the record already succeeded. With
        nobody watching nothing is built (redaction costs 15-65 us a text), except what a
        later watcher's snapshot needs (`always`: commits)."""
        if self.bus is None or not (always or self.bus.subscribers):
            return
        try:
            made = make()
        except Exception:
            self.bus.errors += 1
            ev.log.exception("event not built")
            return
        for event in made if isinstance(made, list) else [made] if made else []:
            self.bus.publish(event)

    async def record_operation(self, op_id: str, **kw: Any) -> None:
        await super().record_operation(op_id, **kw)
        self._emit(lambda: self._intent(op_id, kw), always=True)  # commits name the goal

    def _intent(self, op_id: str, kw: dict[str, Any]) -> ev.Event:
        goal = _text(kw.get("goal", ""))
        if len(self._goals) < 1024:  # bounded whatever happens to terminal rows
            self._goals[op_id] = goal
        files = (kw.get("envelope") or {}).get("target_files") or []
        return ev.OpIntent(op_id=op_id, source=_text(kw.get("source", ""), 100), goal=goal,
                           files=[_text(f, 300) for f in list(files)[:16]])

    async def append_transition(self, op_id: str, **kw: Any) -> int:
        seq = await super().append_transition(op_id, **kw)
        if kw.get("to_phase") in TERMINAL_PHASES:
            if len(self._endings) >= ENDINGS_CAP:  # ops ended by recovery: never taken
                self._endings.pop(next(iter(self._endings)))
            self._endings[op_id] = _text(kw.get("reason", ""), 1000)
        self._emit(lambda: self._transition(op_id, kw), always=kw.get("to_phase") == "COMPLETE")
        if self.bus is not None and kw.get("to_phase") in TERMINAL_PHASES:
            self._goals.pop(op_id, None)
        if kw.get("to_phase") in REVIEW_CHANGES:  # a review made, or one landed
            self._count_reviews()
        return seq

    async def close(self) -> None:
        """The read of the reviews' kinds under way ends first: it is this ledger's task."""
        task = getattr(self, "_kinds_task", None)
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await super().close()

    def _count_reviews(self) -> None:
        """Read the reviews' kinds again (git, in a thread) and publish them, when someone
        watches; one read at a time, the next right after it when more changed meanwhile."""
        if self.bus is None or self.review_kinds is None or not self.bus.subscribers:
            return
        if self._kinds_task is not None and not self._kinds_task.done():
            self._kinds_due = True
            return
        self._kinds_task = asyncio.get_running_loop().create_task(self._publish_kinds())

    async def _publish_kinds(self) -> None:
        assert self.review_kinds is not None
        while True:
            self._kinds_due = False
            try:
                count, kinds = await self.review_kinds()
            except Exception:  # a git hiccup: the next change reads them again
                ev.log.warning("review kinds not read", exc_info=True)
                return
            self._emit(lambda c=count, k=kinds: ev.ReviewCounts(count=c, kinds=dict(k)))
            if not self._kinds_due:
                return

    def _transition(self, op_id: str, kw: dict[str, Any]) -> list[ev.Event]:
        frm, to = kw.get("from_phase"), str(kw.get("to_phase"))
        reason, payload = _text(kw.get("reason", "")), kw.get("payload") or {}
        out: list[ev.Event] = []
        if frm == "VERIFY":  # the result first, then the move it caused
            out.append(ev.VerifyResult(
                op_id=op_id, passed=to == "COMPLETE", summary=_text(payload.get("summary", "")),
                counts=redact_data(dict(payload.get("counts") or {})),
                regressions=[_text(r, 300) for r in list(payload.get("regressions") or [])[:20]],
                duration_s=payload.get("duration_s")))
        out.append(ev.PhaseChange(op_id=op_id, frm=frm, to=to, reason=reason,
                                  cost_delta=float(kw.get("cost_delta") or 0.0)))
        if to == "COMPLETE" and payload.get("commit"):
            out.append(ev.Commit(op_id=op_id, sha=str(payload["commit"])[:64],
                                 goal=self._goals.get(op_id, "")))
        elif to == "PROPOSED" and not payload.get("review_of"):  # a join is no new review
            out.append(ev.ReviewWaiting(
                op_id=op_id, branch=_text(payload.get("branch", ""), 200),
                evidence=_text(payload.get("evidence", ""), 400),
                accept=_text(payload.get("accept", "")), reject=_text(payload.get("reject", ""))))
        elif to == "POSTMORTEM":
            out.append(ev.Postmortem(op_id=op_id, phase=frm, reason=reason))
        return out

    async def record_model_call(self, op_id: str, **kw: Any) -> None:
        await super().record_model_call(op_id, **kw)
        self._emit(lambda: self._model(op_id, kw))

    @staticmethod
    def _model(op_id: str, kw: dict[str, Any]) -> ev.Event:
        telemetry = kw.get("telemetry") or {}
        collapse = telemetry.get("collapse") or {}
        proximity = collapse.get("proximity", telemetry.get("collapse_proximity"))
        return ev.ModelCall(
            op_id=op_id, phase=str(kw.get("phase", "")), provider=_text(kw.get("provider"), 80),
            model=_text(kw.get("model", ""), 120),
            prompt_tokens=int(kw.get("prompt_tokens") or 0),
            completion_tokens=int(kw.get("completion_tokens") or 0),
            cost_usd=float(kw.get("cost_usd") or 0.0),
            latency_ms=round(float(kw.get("latency_ms") or 0.0), 1), ok=bool(kw.get("ok", True)),
            error=_text(kw.get("error", ""), 500),
            proximity=None if proximity is None else round(float(proximity), 4),
            exit_reason=_text(collapse.get("exit_reason") or telemetry.get("exit_reason", ""), 40))

    async def record_tool_call(self, op_id: str, **kw: Any) -> None:
        await super().record_tool_call(op_id, **kw)
        self._emit(lambda: ev.ToolCall(
            op_id=op_id, tool=_text(kw.get("tool"), 80), verdict=_text(kw.get("verdict"), 40),
            arguments=_text(json.dumps(redact_data(kw.get("arguments") or {}), default=str,
                                       ensure_ascii=False), ARGS_CAP),
            rule=_text(kw.get("rule", ""), 120), reason=_text(kw.get("reason", ""), 500),
            duration_ms=round(float(kw.get("duration_ms") or 0.0), 1)))

    async def record_thought(self, op_id: str | None, phase: str, msg: str,
                             data: dict[str, Any] | None = None) -> None:
        await super().record_thought(op_id, phase, msg, data)
        self._emit(lambda: self._thought(op_id, phase, msg, data or {}))
        if phase == "REVIEW":  # daemon.reviews: accepted, rejected, pruned, landed
            self._count_reviews()

    def _thought(self, op_id: str | None, phase: str, msg: str,
                 data: dict[str, Any]) -> ev.Event:
        diff = _text(data.get("diff", ""), ev.DIFF_CAP)
        if phase == "APPROVE" and "cancel" in data:
            return ev.NotifyCountdown(op_id=op_id, delay_s=self.notify_delay_s,
                                      apply_at=round(time.time() + self.notify_delay_s, 3),
                                      diff=diff, cancel=_text(data["cancel"]))
        return ev.Thought(op_id=op_id, phase=str(phase), msg=_text(msg))

    async def wal_append(self, event: str, **kw: Any) -> None:
        await super().wal_append(event, **kw)
        if self.bus is None:
            return
        if not self._queue_due:  # the router changes right after this await: list it then
            asyncio.get_running_loop().call_soon(self._publish_queue)
        self._queue_due.append((event, str(kw.get("dedup_key", ""))))

    def _publish_queue(self) -> None:
        due, self._queue_due = self._queue_due, []
        listed = queue_list(self.queue_view())
        for change, key in due:
            self._emit(lambda c=change, k=key: ev.QueueChange(
                change=c, dedup_key=_text(k, 200), queue=listed))


class Watched(Protocol):
    """What a snapshot reads of the daemon (daemon.service.Daemon honours it)."""

    state: Enum  # daemon.op_handle.ServiceState
    paused: bool
    ops: Mapping[str, OpHandle]
    queue: IntakeQueue | None
    reviews: ReviewBranches  # only its last count: git does not run here


def snapshot_of(daemon: Watched) -> LiveSnapshot:
    """The picture a new watcher starts from (synchronous: nothing happens in between), typed
    as daemon.status.model.LiveSnapshot: a part whose shape drifts fails here, not in the page."""
    now = time.monotonic()
    return LiveSnapshot.model_validate({
        "state": daemon.state.value, "paused": daemon.paused,
        "in_flight": [{"op_id": op_id, "phase": h.phase.value,
                       "goal": _text(h.ctx.envelope.goal, 500),
                       "files": [_text(f, 200) for f in h.ctx.envelope.target_files[:8]],
                       "source": h.ctx.envelope.source, "age_s": round(now - h.started, 1)}
                      for op_id, h in daemon.ops.items()],
        "queue": queue_list(daemon.queue.snapshot() if daemon.queue is not None else []),
        # governance.git.review's last count: git does not run here (this must not block)
        "reviews": daemon.reviews.count or 0,
        # per kind as daemon.reviews last read them, while they still add up to the count
        "review_kinds": kinds if sum((kinds := daemon.reviews.kinds).values()) == (
            daemon.reviews.count or 0) else {},
    })


def queue_list(queued: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The queue as events show it: at most QUEUE_CAP entries, goals capped, redacted."""
    return [{**redact_data({k: v for k, v in q.items() if k not in ("goal", "files")}),
             "goal": _text(q.get("goal", ""), 200),
             "files": [_text(f, 200) for f in list(q.get("files") or [])[:8]]}
            for q in queued[:QUEUE_CAP]]
