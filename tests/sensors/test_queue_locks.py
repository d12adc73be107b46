"""File locks under live ops (issue 20 §5), on the real queue with its ledger: a lock past
the TTL is force-released only when its op is gone (its task ended without releasing); an
op still running keeps its files however long it runs, and what needs them waits."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sqlite3
from pathlib import Path

from governance.schemas import SignalEnvelope
from ledger import Ledger
from tests.helpers import intake_queue


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _env(key: str, *files: str) -> SignalEnvelope:
    return SignalEnvelope(source="todo_scanner", target_files=files or ("a.py",),
                          goal=f"goal {key}", dedup_key=key, session_id="s")


def _thoughts(ledger: Ledger) -> list[tuple[str, str, dict]]:
    with contextlib.closing(sqlite3.connect(ledger.path)) as db:
        rows = db.execute("SELECT phase, msg, data FROM thoughts").fetchall()
    return [(phase, msg, json.loads(data)) for phase, msg, data in rows]


async def test_a_live_op_keeps_its_files_past_the_ttl_and_a_gone_one_lets_go(tmp_path: Path):
    ledger = await Ledger.open(tmp_path / "l.sqlite3")
    clock = Clock()
    tasks: dict[str, asyncio.Task[None]] = {}  # the dispatcher's op tasks, by dedup key
    q = intake_queue(ledger, lock_ttl_s=300, clock=clock,
                     alive=lambda key: key in tasks and not tasks[key].done())
    assert await q.put(_env("first"))
    first = await q.pop_ready()
    ends = asyncio.Event()
    tasks[first.dedup_key] = asyncio.create_task(ends.wait())  # runs until told to end
    assert await q.put(_env("second"))
    clock.now += 3600  # twelve TTLs: an op on a local model, an approval wait, an L2 repair
    assert await q.pop_ready() is None
    assert q.router.locks["a.py"].owner == "first"
    assert [e.get("waiting_for") for e in q.snapshot()] == ["first"]
    assert _thoughts(ledger) == []
    ends.set()  # the op's task ends without a done(): a crash that skipped the release
    await tasks[first.dedup_key]
    assert (await q.pop_ready()).dedup_key == "second"
    [(phase, msg, data)] = _thoughts(ledger)
    assert phase == "INTAKE" and "force-released" in msg and "its op is gone" in msg
    assert data == {"dedup_key": "first", "reoffered": ["second"]}
    await ledger.close()
