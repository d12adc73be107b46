"""The event bus's 60 s SHA-256 fingerprint dedup (seed §55.2 layer 2), alone and in front
of the real queue and its WAL in a real SQLite ledger."""

from __future__ import annotations

import contextlib
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from governance.schemas import SignalEnvelope, Urgency
from ledger import Ledger
from sensors.fingerprint import FingerprintWindow, fingerprint
from sensors.queue import FINGERPRINT_WINDOW_S
from tests.helpers import intake_queue


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _env(goal: str = "fix it", *, key: str | None = None, files=("a.py",), session="s",
         urgency=Urgency.LOW, evidence=None, when: datetime | None = None) -> SignalEnvelope:
    extra = {"created_at": when} if when else {}
    return SignalEnvelope(source="todo_scanner", urgency=urgency, target_files=files, goal=goal,
                          dedup_key=key or goal, session_id=session, evidence=evidence or {},
                          **extra)


def test_fingerprint_ignores_time_and_session_but_not_the_work():
    now = datetime.now(UTC)
    base = _env(when=now)
    assert fingerprint(base) == fingerprint(_env(when=now + timedelta(seconds=5)))
    assert fingerprint(base) == fingerprint(_env(session="other"))
    for different in (_env("fix that"), _env(files=("b.py",)), _env(urgency=Urgency.HIGH),
                      _env(key="k2", goal="fix it"), _env(evidence={"line": 3})):
        assert fingerprint(different) != fingerprint(base)
    assert len(fingerprint(base)) == 64


def test_window_drops_repeats_until_it_expires():
    clock = Clock()
    bus = FingerprintWindow(60.0, 100, clock)
    assert bus.admit(_env())
    clock.now += 59.9
    assert not bus.admit(_env())  # a repeat does not refresh its entry...
    clock.now += 0.1
    assert bus.admit(_env())  # ...so the window is 60 s from the first sighting
    assert bus.dropped == 1


def test_window_memory_is_bounded_oldest_first():
    bus = FingerprintWindow(60.0, 3, Clock())
    for n in range(5):
        assert bus.admit(_env(f"goal {n}"))
    assert len(bus._seen) == 3
    assert bus.admit(_env("goal 0"))  # forgotten: admitted again
    assert not bus.admit(_env("goal 4"))


def test_a_zero_window_turns_the_layer_off():
    bus = FingerprintWindow(0.0, 10, Clock())
    assert bus.admit(_env()) and bus.admit(_env())


def _query(ledger: Ledger, sql: str) -> list[tuple]:
    """Read the ledger's file over a separate SQLite connection (what was committed)."""
    with contextlib.closing(sqlite3.connect(ledger.path)) as db:
        return db.execute(sql).fetchall()


async def _wal_rows(ledger: Ledger) -> int:
    return _query(ledger, "SELECT COUNT(*) FROM intake_wal")[0][0]


async def test_a_storm_of_identical_signals_costs_one_wal_row(tmp_path: Path):
    ledger = await Ledger.open(tmp_path / "l.sqlite3")
    clock = Clock()
    q = intake_queue(ledger, capacity=16, clock=clock)
    results = [await q.put(_env()) for _ in range(500)]
    assert results.count(True) == 1
    assert await _wal_rows(ledger) == 1
    assert q.bus.dropped == 499
    clock.now += FINGERPRINT_WINDOW_S
    assert not await q.put(_env())  # past the window the router's dedup key still holds it
    assert await _wal_rows(ledger) == 1
    await ledger.close()


async def test_an_evicted_envelope_is_forgotten_so_it_can_come_back(tmp_path: Path):
    ledger = await Ledger.open(tmp_path / "l.sqlite3")
    q = intake_queue(ledger, capacity=1, clock=Clock())
    assert await q.put(_env("urgent", files=("b.py",), urgency=Urgency.HIGH))
    assert not await q.put(_env("low"))  # evicted at once: the queue is full of better work
    assert (await q.pop_ready()).goal == "urgent"
    assert await q.put(_env("low"))  # the sensor fired again: re-ingested within 60 s
    await ledger.close()


async def test_a_failed_wal_append_does_not_blacklist_the_retry(tmp_path: Path):
    ledger = await Ledger.open(tmp_path / "l.sqlite3")
    q = intake_queue(ledger, capacity=4, clock=Clock())
    real = ledger.wal_append

    async def disk_full(*args, **kwargs):
        ledger.wal_append = real  # one failure, as a full disk would give
        raise sqlite3.OperationalError("database or disk is full")

    ledger.wal_append = disk_full
    with pytest.raises(sqlite3.OperationalError):
        await q.put(_env())
    assert await q.put(_env())  # the retry is not taken for a repeat
    assert await _wal_rows(ledger) == 1
    await ledger.close()


async def test_rehydration_bypasses_the_bus(tmp_path: Path):
    ledger = await Ledger.open(tmp_path / "l.sqlite3")
    first = intake_queue(ledger, capacity=4, clock=Clock())
    assert await first.put(_env())
    second = intake_queue(ledger, capacity=4, clock=Clock())
    second.bus.admit(_env())  # even a fingerprint already in the window
    assert await second.rehydrate(86400) == 1
    await ledger.close()


async def test_stale_wal_entries_are_dropped_at_start_not_replayed(tmp_path: Path):
    ledger = await Ledger.open(tmp_path / "l.sqlite3")
    first = intake_queue(ledger, capacity=4, clock=Clock())
    now = datetime.now(UTC)
    assert await first.put(_env("old", when=now - timedelta(days=2)))
    assert await first.put(_env("fresh", files=("b.py",), when=now - timedelta(hours=1)))
    second = intake_queue(ledger, capacity=4, clock=Clock())
    assert await second.rehydrate(86400, now=now) == 1
    assert [e["goal"] for e in second.snapshot()] == ["fresh"]
    third = intake_queue(ledger, capacity=4, clock=Clock())
    assert await third.rehydrate(86400, now=now) == 1  # "old" stays dropped: not seen again
    [(note,)] = _query(ledger, "SELECT msg FROM thoughts")
    assert "1 WAL entries older than 86400s dropped" in note
    await ledger.close()


async def test_a_lock_past_its_ttl_is_released_with_a_ledger_warning(tmp_path: Path):
    """Seen in review: the release was written as a WAL event the schema refuses, so the
    first expired lock raised out of pop_ready and stopped dispatching."""
    ledger = await Ledger.open(tmp_path / "l.sqlite3")
    clock = Clock()
    q = intake_queue(ledger, capacity=4, lock_ttl_s=300, clock=clock)
    assert await q.put(_env("first"))
    assert (await q.pop_ready()).goal == "first"  # holds a.py
    assert await q.put(_env("second"))  # waits behind the lock
    assert await q.pop_ready() is None
    clock.now += 301
    assert (await q.pop_ready()).goal == "second"
    [(phase, msg, data)] = _query(ledger, "SELECT phase, msg, data FROM thoughts")
    assert phase == "INTAKE" and "held past its 300s TTL: force-released" in msg
    assert "second" in data
    await ledger.close()
