"""Many writers at once: every await returns after its own rows are committed, (op_id, seq)
stays gapless per op, nothing is lost, one bad event fails alone, and the chains verify."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest

from ledger import Ledger, LedgerError
from ledger.db import Database
from ledger.verify import verify_file

OPS, STEPS = 12, 40


@pytest.fixture
def batches(monkeypatch):
    """The size of every group transaction, as the writer ran them."""
    sizes: list[int] = []
    real = Database._commit

    def counting(self, fns):
        sizes.append(len(fns))
        return real(self, fns)

    monkeypatch.setattr(Database, "_commit", counting)
    return sizes


def _committed(path, op_id: str, seq: int) -> bool:
    """Seen by another connection: committed, not merely written."""
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        return db.execute("SELECT 1 FROM transitions WHERE op_id = ? AND seq = ?",
                          (op_id, seq)).fetchone() is not None


async def test_concurrent_ops_are_gapless_committed_and_chained(tmp_path, batches):
    path = tmp_path / "l.sqlite3"
    ledger = await Ledger.open(path)
    ops = [f"op-{i:02d}" for i in range(OPS)]
    for op in ops:
        await ledger.record_operation(op, source="s", goal="g", session_id="x", envelope={})

    async def worker(op: str) -> list[int]:
        seqs = []
        for step in range(STEPS):
            seq = await ledger.append_transition(op, from_phase="A", to_phase="B",
                                                 reason=f"{op} step {step}",
                                                 payload={"step": step})
            assert _committed(path, op, seq), f"{op} seq {seq} returned before its COMMIT"
            seqs.append(seq)
            await ledger.record_thought(op, "B", f"thought {step}")
        return seqs

    results = await asyncio.gather(*(worker(op) for op in ops))
    assert results == [list(range(STEPS))] * OPS  # each op's own order, no gap, no repeat
    assert max(batches) > 1, "the writers never shared a commit: group commit untested"
    await ledger.close()
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT op_id, seq FROM transitions ORDER BY rowid").fetchall()
        assert sorted(rows) == sorted((op, s) for op in ops for s in range(STEPS))
        assert db.execute("SELECT COUNT(*) FROM thoughts").fetchone()[0] == OPS * STEPS
    report = verify_file(path)
    assert report.ok, report.problems
    assert report.rows["transitions"] == OPS * STEPS


async def test_one_op_appended_from_many_tasks_at_once(tmp_path, batches):
    ledger = await Ledger.open(tmp_path / "l.sqlite3")
    await ledger.record_operation("op-1", source="s", goal="g", session_id="x", envelope={})
    seqs = await asyncio.gather(*(ledger.append_transition(
        "op-1", from_phase=None, to_phase="B", reason=str(i)) for i in range(100)))
    chain = await ledger.chain("op-1")
    await ledger.close()
    assert sorted(seqs) == list(range(100))
    assert [t["seq"] for t in chain["transitions"]] == list(range(100))
    # each caller got the seq of its own row
    assert {t["reason"]: t["seq"] for t in chain["transitions"]} == {
        str(i): s for i, s in enumerate(seqs)}
    assert max(batches) > 1


async def test_a_bad_event_fails_alone_inside_a_shared_commit(tmp_path, batches):
    ledger = await Ledger.open(tmp_path / "l.sqlite3")
    await ledger.record_operation("op-1", source="s", goal="g", session_id="x", envelope={})

    def good(i: int):
        return ledger.append_transition("op-1", from_phase=None, to_phase="B", reason=str(i))

    bad = [ledger.append_transition("op-missing", from_phase=None, to_phase="B", reason="x"),
           ledger.record_operation("op-1", source="s", goal="dup", session_id="x",
                                   envelope={})]
    out = await asyncio.gather(good(0), good(1), *bad, good(2), good(3),
                               return_exceptions=True)
    assert out[:2] == [0, 1] and out[4:] == [2, 3]
    assert all(isinstance(e, sqlite3.IntegrityError) for e in out[2:4]), out
    assert max(batches) > 1
    await ledger.close()
    report = verify_file(tmp_path / "l.sqlite3")  # the rolled-back rows left no hole
    assert report.ok, report.problems
    assert report.rows["transitions"] == 4 and report.rows["operations"] == 1


async def test_two_writers_on_one_file_do_not_fork_a_chain(tmp_path):
    """A second connection (another Ledger on the file) commits between our writes: the
    writer notices (PRAGMA data_version) and links to the row it wrote."""
    path = tmp_path / "l.sqlite3"
    a, b = await Ledger.open(path), await Ledger.open(path)
    for i in range(6):
        await (a if i % 2 else b).record_thought(None, "P", f"t{i}")
    await a.close()
    await b.close()
    report = verify_file(path)
    assert report.ok, report.problems
    assert report.rows["thoughts"] == 6


async def test_close_waits_for_queued_writes(tmp_path):
    ledger = await Ledger.open(tmp_path / "l.sqlite3")
    tasks = [asyncio.create_task(ledger.record_thought(None, "P", f"t{i}")) for i in range(30)]
    await asyncio.sleep(0)  # queued, not yet answered
    await ledger.close()
    await asyncio.gather(*tasks)
    assert verify_file(tmp_path / "l.sqlite3").rows["thoughts"] == 30


async def test_a_closed_ledger_refuses_at_once_instead_of_hanging(tmp_path):
    ledger = await Ledger.open(tmp_path / "l.sqlite3")
    await ledger.close()
    for attempt in (ledger.record_thought(None, "P", "late"), ledger.operations()):
        with pytest.raises(LedgerError, match="closed"):
            await asyncio.wait_for(attempt, 5)
    await ledger.close()  # twice is fine
