"""Quiet points (daemon.quiet_point): after `quiet_every_ops` ops dispatch lets the ones in
flight end before it starts another, so retention has a place to cut even when ops
overlap back to back; a quiet point never waits longer than `quiet_wait_s`."""

from __future__ import annotations

import contextlib
import json
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from daemon.ledger_archiver import archive_once
from daemon.quiet_point import QuietPoints
from daemon.service import Daemon
from governance.schemas import SignalEnvelope
from ledger import Ledger
from ledger.retention import Retention
from ledger.segments import segments
from tests.helpers import OPS_FIXED, running_daemon, settings_for, wait_for, write_script

FILES = ("calc/ops.py", "README.md", "notes.txt")


def test_it_holds_after_every_ops_until_none_runs():
    q = QuietPoints(every=2, wait_s=10)
    q.began()
    assert not q.holds(0.0)
    q.began()
    assert q.holds(1.0) and q.wake_in(4.0) == 7.0  # due since 1.0, waits until 11.0
    q.ended()
    assert q.holds(2.0)  # one still runs
    q.ended()
    assert not q.holds(3.0) and q.since == 0 and q.wake_in(3.0) is None  # reached
    q.began()
    assert not q.holds(3.0)


def test_a_long_op_is_not_waited_for_past_wait_s():
    q = QuietPoints(every=1, wait_s=5)
    q.began()
    assert q.holds(100.0) and q.holds(104.9)
    assert not q.holds(105.0) and q.since == 0  # skipped: dispatch goes on
    q.began()
    assert q.holds(106.0)  # the next one is due again after `every` more


def test_never_when_off():
    q = QuietPoints(every=0, wait_s=5)
    for _ in range(100):
        q.began()
    assert not q.holds(0.0) and q.wake_in(0.0) is None


def _envelope(key: str, path: str) -> SignalEnvelope:
    return SignalEnvelope(source="todo_scanner", target_files=(path,), goal=f"fix {path}",
                          dedup_key=key, session_id="s-test")


def _last_rows(db: sqlite3.Connection, op_id: str) -> dict[str, int]:
    return {t: db.execute(f"SELECT MAX(rowid) FROM {t} WHERE op_id = ?", (op_id,)).fetchone()[0]
            for t in ("transitions", "thoughts", "model_calls", "tool_calls")}


@pytest.mark.slow
async def test_the_third_op_waits_for_the_first_two_and_retention_cuts_there(repo, short_tmp):
    slow = json.dumps({"purpose": "generate", "delay_s": 120, "text": json.dumps(
        {"file_path": "calc/ops.py", "full_content": OPS_FIXED})})
    settings = settings_for(write_script(short_tmp / "slow.jsonl", slow, slow, slow),
                            daemon={"workers": 3}, intake={"todo_scanner": False},
                            ledger={"quiet_every_ops": 2, "quiet_wait_s": 600})
    async with running_daemon(repo, settings) as daemon:
        checks: list[tuple[bool, bool]] = []  # (the third is queued, dispatch held)
        real = daemon.quiet.holds

        def recording(now: float) -> bool:
            held = real(now)
            checks.append((daemon.queue.router.known("c") is not None, held))
            return held

        daemon.quiet.holds = recording
        for key, path in zip("ab", FILES, strict=False):
            await daemon.submit(_envelope(key, path))
        first_two = await wait_for(lambda: _in_generate(daemon, "a", "b"), what="a, b running")
        await daemon.submit(_envelope("c", FILES[2]))
        await wait_for(lambda: (True, True) in checks, what="c held at dispatch")
        assert len(daemon.ops) == 2  # a worker is free: the quiet point holds c
        a, b = first_two
        daemon.ops[a].cancel.cancel("the test ends a")
        await wait_for(lambda: a not in daemon.ops and daemon.quiet.running == 1, what="a done")
        assert [h.ctx.envelope.dedup_key for h in daemon.ops.values()] == ["b"]
        daemon.ops[b].cancel.cancel("the test ends b")
        [c] = await wait_for(lambda: _in_generate(daemon, "c"), what="c dispatched")
        # c's own thought rows must follow a's and b's: retention never moves a table's
        # last row (the chain's head), so a c cancelled before its first thought would
        # leave b's thought there and keep both inline
        await wait_for(lambda: _thought_of(daemon, c), what="c's first thought")
        daemon.ops[c].cancel.cancel("the test ends c")
        await wait_for(lambda: not daemon.ops and daemon.quiet.running == 0, what="all ended")
    path = daemon.state_dir / "ledger.sqlite3"
    with contextlib.closing(sqlite3.connect(path)) as db:
        for op in (a, b):  # every row of a and b before c's first
            last = _last_rows(db, op)
            assert all(v is None or v < _first_row(db, c, t) for t, v in last.items()), last
    await _archived_all_but(daemon, path, c, {a, b})


def _thought_of(daemon: Daemon, op_id: str) -> bool:
    with contextlib.closing(sqlite3.connect(daemon.state_dir / "ledger.sqlite3")) as db:
        return db.execute("SELECT 1 FROM thoughts WHERE op_id = ?", (op_id,)).fetchone() is not None


def _first_row(db: sqlite3.Connection, op_id: str, table: str) -> int:
    return db.execute(f"SELECT MIN(rowid) FROM {table} WHERE op_id = ?",
                      (op_id,)).fetchone()[0] or 2**62


async def _archived_all_but(daemon: Daemon, path: Path, kept: str, gone: set[str]) -> None:
    """Retention, asked to keep only the newest op, moves the two before it: the quiet
    point before it is a place to cut."""
    ledger = await Ledger.open(path)
    try:
        with ThreadPoolExecutor(1) as pool:
            number = await archive_once(ledger, Retention(0, 1, 1), pool,
                                        now=datetime.now(UTC) + timedelta(days=1),
                                        crash=lambda _: None)
    finally:
        await ledger.close()
    assert number == 1
    with contextlib.closing(sqlite3.connect(path)) as db:
        [seg] = segments(db)
        assert gone <= set(seg.ops) and kept not in seg.ops
        assert {r[0] for r in db.execute("SELECT op_id FROM operations")} == {kept}


def _in_generate(daemon: Daemon, *keys: str) -> list[str] | None:
    found = {h.ctx.envelope.dedup_key: op_id for op_id, h in daemon.ops.items()
             if h.phase.value == "GENERATE"}
    return [found[k] for k in keys] if all(k in found for k in keys) else None
