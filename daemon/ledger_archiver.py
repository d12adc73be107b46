"""The ledger's retention, in the background: old ops' rows move to archive segments.

Every `ledger.archive_interval_s` (and once soon after start) a pass runs
(ledger.retention): the planning, the chain check and the compressed file are written on
a thread of their own at the lowest CPU priority (nice 19, this thread only), never on
the event loop; the one short transaction that names the segment and deletes its rows
goes through the ledger's writer like any other event. A backlog (a first start after an
upgrade) is worked off a segment at a time, each pass after the one before.

A pass is skipped while the state dir is full (daemon.host.state_gate): a segment needs room
to be written. Whatever a pass raises is logged and tried again at the next interval; a
kill at any point loses nothing (ledger.retention).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import structlog

from daemon.config.state import LedgerSection
from governance.crashpoints import crashpoint
from ledger import Ledger
from ledger.retention import Retention, prepare

log = structlog.get_logger("daemon.ledger_archiver")

FIRST_LOOK_S = 60.0  # after start: recovery and the first ops come first
BETWEEN_SEGMENTS_S = 1.0  # a backlog yields the writer between its segments
LOWEST_NICE = 19


def retention_of(section: LedgerSection, outcome_days: float = 0.0) -> Retention:
    """`outcome_days`: the grounding memory's window, which keeps outcome rows inline."""
    return Retention(keep_days=section.keep_days, keep_ops=section.keep_ops,
                     min_rows=section.segment_min_rows, outcome_days=outcome_days)


def _lowest_priority() -> None:
    """The archive thread's own nice value (Linux keeps one per thread); a seccomp filter
    that refuses it (the systemd unit's) leaves the daemon's."""
    with contextlib.suppress(OSError, AttributeError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), LOWEST_NICE)


async def archive_once(ledger: Ledger, retention: Retention, pool: ThreadPoolExecutor, *,
                       now: datetime | None = None,
                       crash: Callable[[str], None] = crashpoint) -> int | None:
    """One segment, if enough may go: its number, or None."""
    loop = asyncio.get_running_loop()
    prepared = await loop.run_in_executor(
        pool, functools.partial(prepare, ledger.path, retention, now, crash))
    if prepared is None:
        return None
    number = await ledger.commit_segment(prepared, crash)
    log.info("ledger rows archived", segment=prepared.name, ops=len(prepared.ops),
             rows=prepared.rows, bytes=prepared.bytes)
    await ledger.record_thought(None, "LEDGER", f"archived {prepared.rows} rows of "
                                f"{len(prepared.ops)} op(s) to {prepared.name}",
                                {"segment": prepared.name, "rows": prepared.rows,
                                 "ops": len(prepared.ops), "bytes": prepared.bytes})
    return number


async def archive_forever(ledger: Ledger, section: LedgerSection,
                          paused: Callable[[], bool] = lambda: False,
                          outcome_days: float = 0.0) -> None:
    """Passes until cancelled (the daemon's task group owns it)."""
    if not section.retention:
        return
    retention = retention_of(section, outcome_days)
    pool = ThreadPoolExecutor(1, thread_name_prefix="ledger-archive",
                              initializer=_lowest_priority)
    try:
        await asyncio.sleep(min(FIRST_LOOK_S, section.archive_interval_s))
        while True:
            more = not paused() and await _pass(ledger, retention, pool)
            # a backlog goes a segment at a time, the writer free between them
            await asyncio.sleep(BETWEEN_SEGMENTS_S if more else section.archive_interval_s)
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


async def _pass(ledger: Ledger, retention: Retention, pool: ThreadPoolExecutor) -> bool:
    """One pass; True when it made a segment (there may be more)."""
    try:
        return await archive_once(ledger, retention, pool) is not None
    except Exception:  # a full disk, a chain that does not verify: the next interval retries
        log.exception("ledger archive pass failed; retried at the next interval")
        return False
