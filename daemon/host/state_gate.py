"""The state-dir gate: new ops wait while the state dir is full or read-only.

Everything an op writes outside the repository goes to the state dir: the ledger, the
rollback snapshots, the sandboxes. When that file system is full (ENOSPC), over quota
(EDQUOT) or read-only (EROFS), an op started now would fail halfway, so dispatch pauses,
like the host gate's (daemon.host.gate), with one line that says why:

    state dir full: 0.4 MB free, needs 64 MB (/home/me/repo/.ouroboros)

How it knows. Every `storage.poll_s` it reads statvfs (free space for an unprivileged
user, the read-only flag): below `storage.min_free_mb` it closes. A ledger write that
fails with SQLITE_FULL, SQLITE_READONLY or SQLITE_IOERR, or an OSError with one of those
errnos, makes it look at once, with a probe (a small file written, synced and removed),
which is what finds a quota or a refusing mount that statvfs does not show. While closed,
it probes at every poll; it opens when statvfs shows `storage.resume_free_mb` and a probe
succeeds.

What is lost: nothing. Queued envelopes stay queued; a signal whose WAL row could not be
written is found again by its sensor (the gate asks for a scan when it opens). An op in
flight when the space ran out ends as it can: its phases fail, and its rows may stop
short of a terminal one. So before the gate opens it waits until no op is in flight, then
runs recovery's repair (daemon.recovery): every op without a terminal row is closed
(COMPLETE if its commit landed, PROPOSED if its review branch exists, POSTMORTEM with its
applied files restored from the snapshot otherwise), exactly as after a kill, and the work
of each op so closed is offered to the queue again (no work record was written for it).
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import sqlite3
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import structlog

from daemon.config.state import StorageSection
from daemon.recovery import repair
from governance.schemas import SignalEnvelope

if TYPE_CHECKING:
    from daemon.config.settings import Settings
    from governance.git.gitops import GitOps
    from governance.git.review import ReviewBranches
    from ledger import Ledger
    from sensors.queue import IntakeQueue

log = structlog.get_logger("daemon.host.state_gate")

STORAGE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS})
# SQLite's primary result codes for a write the file system refused (SQLITE_IOERR covers
# a read-only remount under an open database; the probe tells that from a broken disk).
SQLITE_CODES = frozenset({13, 8, 10})  # SQLITE_FULL, SQLITE_READONLY, SQLITE_IOERR
PROBE_BYTES = 64 * 1024
PROBE_NAME = ".space-probe"
MB = 1024 * 1024

Note = Callable[[str, dict[str, Any]], Awaitable[None]]
Settle = Callable[[], Awaitable[None]]


def storage_error(exc: BaseException | None) -> bool:
    """Whether `exc` (or what caused it) is a write the state dir refused for room or mode."""
    seen = 0
    while exc is not None and seen < 8:
        if isinstance(exc, OSError) and exc.errno in STORAGE_ERRNOS:
            return True
        code = getattr(exc, "sqlite_errorcode", None)
        if isinstance(exc, sqlite3.Error) and code is not None and code & 0xFF in SQLITE_CODES:
            return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False


@dataclass(frozen=True)
class Room:
    """One reading of the state dir's file system."""

    free_mb: float
    read_only: bool
    refused: str | None = None  # why the probe write failed; None: it passed or was not tried


def read_room(state_dir: Path, probe: bool) -> Room:
    """statvfs of the state dir, and with `probe` a small synced write that must succeed."""
    st = os.statvfs(state_dir)
    room = Room(st.f_bavail * st.f_frsize / MB, bool(st.f_flag & os.ST_RDONLY))
    if not probe or room.read_only:
        return room
    path = state_dir / PROBE_NAME
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
        try:
            os.write(fd, b"\0" * PROBE_BYTES)
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError as exc:
        if exc.errno not in STORAGE_ERRNOS:
            raise
        return Room(room.free_mb, exc.errno == errno.EROFS, os.strerror(exc.errno))
    finally:
        with contextlib.suppress(OSError):
            path.unlink()
    return room


def judge(room: Room, limits: StorageSection, state_dir: Path, held: bool) -> str | None:
    """Why new ops must wait (None: they may run). `held`: already waiting, so it takes
    resume_free_mb and a write that succeeds to open."""
    if room.read_only:
        return f"state dir is read-only ({state_dir})"
    low = room.free_mb < (limits.resume_free_mb if held else limits.min_free_mb)
    if not low and not room.refused:
        return None
    mark = (f"resumes at {limits.resume_free_mb:g} MB" if held
            else f"needs {limits.min_free_mb:g} MB")
    failed = f"; a write failed: {room.refused}" if room.refused else ""
    return f"state dir full: {room.free_mb:.1f} MB free, {mark}{failed} ({state_dir})"


class StateGate:
    """Dispatch reads `waiting`; `watch()`, owned by the daemon's task group, reads the
    state dir every poll_s or at once after `failed(exc)`; `settle` (the daemon's) runs
    before the gate opens again."""

    def __init__(self, state_dir: Path, limits: StorageSection, note: Note | None = None,
                 settle: Settle | None = None, *, clock: Callable[[], float] = time.time):
        self.state_dir, self.limits, self.note, self.settle = state_dir, limits, note, settle
        self.clock = clock
        self.reason = ""  # why new ops wait ("" when they do not)
        self.since: float | None = None
        self.room: Room | None = None
        self._suspect = ""  # a refused write seen since the last look
        self._look = asyncio.Event()
        self._looked = asyncio.Event()  # set after every look

    @property
    def waiting(self) -> bool:
        return bool(self.reason)

    def failed(self, exc: BaseException) -> None:
        """A write failed (the ledger's listener): look now if it looks like room or mode."""
        if storage_error(exc):
            self._suspect = f"{type(exc).__name__}: {exc}"
            self._look.set()

    async def watch(self) -> None:
        """Look every poll_s, or at once when told, until cancelled."""
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.limits.poll_s):
                    await self._look.wait()
            self._look.clear()
            await self.sample()

    async def next_look(self) -> None:
        """Until the gate has looked again (at once after a refused write), at most two
        polls: a dispatcher whose write was refused waits for the verdict, not in a loop."""
        self._looked.clear()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(2 * self.limits.poll_s):
                await self._looked.wait()

    async def sample(self) -> None:
        """One look (in a thread: statvfs, and a probe write when in doubt)."""
        try:
            await self._sample()
        finally:
            self._looked.set()

    async def _sample(self) -> None:
        suspect, self._suspect = self._suspect, ""
        try:
            room = await asyncio.to_thread(read_room, self.state_dir,
                                           self.waiting or bool(suspect))
        except OSError:  # the state dir itself unreadable: keep the verdict, retry next time
            log.exception("state dir reading failed")
            return
        self.room = room
        why = judge(room, self.limits, self.state_dir, self.waiting)
        if why and not self.waiting:
            await self._began(why, suspect)
        elif why:
            self.reason = why
        elif self.waiting:
            await self._reopen()

    async def _began(self, why: str, suspect: str) -> None:
        self.reason, self.since = why, self.clock()
        log.warning("new ops wait: the state dir has no room", why=why, write_error=suspect)
        await self._tell(f"new ops wait: {why}", {"write_error": suspect or None})

    async def _reopen(self) -> None:
        """Room again: first close what the full state dir cut short (once no op runs)."""
        free = self.room.free_mb if self.room else 0.0
        self.reason = (f"state dir has room again ({free:.0f} MB free): closing the ops it "
                       "cut short once the ops in flight end")
        try:
            if self.settle is not None:
                await self.settle()
        except Exception as exc:  # still no room for the rows: the next look retries
            log.exception("settling after a full state dir failed")
            self.reason = f"state dir has room again, but closing cut-short ops failed: {exc}"
            return
        waited = self.clock() - (self.since or self.clock())
        self.reason, self.since = "", None
        log.info("the state dir has room again: new ops resume", waited_s=round(waited, 1))
        await self._tell("the state dir has room again: new ops resume",
                         {"waited_s": round(waited, 1)})

    async def _tell(self, msg: str, data: dict[str, Any]) -> None:
        if self.note is None:
            return
        try:  # the ledger may be the very thing that has no room
            await self.note(msg, {**data, "free_mb": None if self.room is None else
                                  round(self.room.free_mb, 1)})
        except Exception as exc:
            log.info("state gate line not recorded", why=str(exc))

    def why(self) -> str:
        """One line for systemd's STATUS= ("" when not waiting)."""
        return f"new ops wait: {self.reason}" if self.reason else ""

    def snapshot(self) -> dict[str, Any]:
        """What `status` says: whether new ops wait for room, why and since when."""
        return {"waiting": self.waiting, "reason": self.reason, "since": self.since,
                "waited_s": None if self.since is None else round(self.clock() - self.since, 1),
                "free_mb": None if self.room is None else round(self.room.free_mb, 1),
                "min_free_mb": self.limits.min_free_mb, "path": str(self.state_dir)}


class GateSource(Protocol):
    """What the gate reads of the daemon (daemon.service.Daemon honours it)."""

    state_dir: Path
    settings: Settings
    git: GitOps
    reviews: ReviewBranches
    ledger: Ledger | None
    queue: IntakeQueue | None
    ops: Mapping[str, Any]  # op id -> daemon.op_handle.OpHandle (its `task`)

    async def scan(self, only: str | None = None) -> dict[str, int]: ...


def gate_for(d: GateSource) -> StateGate:
    """The daemon's gate: its lines are ledger thoughts from phase STORAGE, and it settles
    by waiting for the ops in flight, repairing, and scanning again."""

    async def note(msg: str, data: dict[str, Any]) -> None:
        if d.ledger is not None:
            await d.ledger.record_thought(None, "STORAGE", msg, data)

    async def settle() -> None:
        while running := [h.task for h in d.ops.values() if h.task and not h.task.done()]:
            await asyncio.wait(running)  # never cancels them (the task group owns them)
        if d.ledger is None or d.queue is None:
            return
        cut_short = [op for op, _ in await d.ledger.unfinished_ops()]
        await repair(d.ledger, d.git, d.state_dir, d.reviews,
                     cause="the state dir had no room")
        for op_id in cut_short:  # work that did not land is offered again (no record of it)
            chain = await d.ledger.chain(op_id)
            if chain["transitions"][-1]["to_phase"] == "POSTMORTEM":
                env = SignalEnvelope.model_validate(chain["operation"]["envelope"])
                d.queue.bus.forget(env)
                await d.queue.put(env)
        await d.scan()  # what a sensor could not queue while full is found again
        d.queue.changed.set()

    return StateGate(d.state_dir, d.settings.storage, note, settle)
