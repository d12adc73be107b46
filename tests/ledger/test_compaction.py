"""Retention of the memories' tables (ledger.compaction): outcome rows leave with their ops
and their counts stay, superseded work records leave and the ones in force stay readable,
and the ledger verifies before and after."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

from ledger import Ledger
from ledger.compaction import work_prefix_end
from ledger.retention import Retention
from ledger.segments import archive_dir, read_segment, segments
from ledger.verify import report_text, verify_file
from tests.ledger.test_retention import LATER, archive, one_op

EVERY_OP = Retention(keep_days=30, keep_ops=0, min_rows=1)  # all but each table's head


async def _outcome(ledger: Ledger, op: str, result: str, *, provider: str = "replay",
                   source: str = "todo_scanner", failure_class: str = "") -> None:
    await ledger.record_outcome(op, files=["calc/ops.py"], source=source, route="STANDARD",
                                provider=provider, confidence=0.8, result=result,
                                failure_class=failure_class)


async def _work(ledger: Ledger, key: str, op: str, event: str = "failed", count: int = 1):
    await ledger.record_work(key, op_id=op, event=event, source="todo_scanner",
                             context={"code": f"c-{op}", "brain": "replay", "settings": "s"},
                             count=count, not_before="2099-01-01T00:00:00+00:00",
                             reason=f"{event} in {op}")


def _rows(path: Path, table: str) -> int:
    with sqlite3.connect(path) as db:
        return db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]


def _archived(path: Path, table: str) -> list[tuple]:
    with sqlite3.connect(path) as db:
        return [v for seg in segments(db) for t, _, v in read_segment(archive_dir(path), seg)
                if t == table]


async def test_outcome_rows_leave_with_their_ops_and_the_tally_stays(tmp_path):
    ledger = await Ledger.open(tmp_path / "ledger.sqlite3")
    results = ["COMPLETE", "POSTMORTEM", "PROPOSED", "POSTMORTEM", "CANCELLED", "COMPLETE"]
    for i, result in enumerate(results):
        op = await one_op(ledger, i)
        await _outcome(ledger, op, result, provider="replay" if i % 2 else "kernel",
                       failure_class="cancelled" if result == "CANCELLED" else "")
    tally = {p: await ledger.outcome_tally(p) for p in ("replay", "kernel")}
    assert await archive(ledger) == 1
    assert _rows(ledger.path, "outcomes") == 2  # the two ops keep_ops holds
    assert len(_archived(ledger.path, "outcomes")) == 4
    assert {p: await ledger.outcome_tally(p) for p in tally} == tally  # counts kept
    with sqlite3.connect(ledger.path) as db:
        kept = db.execute("SELECT segment, provider, source, finished, usable FROM "
                          "outcome_tallies ORDER BY id").fetchall()
    assert kept == [("segment-000001.jsonl.gz", "kernel", "todo_scanner", 2, 2),
                    ("segment-000001.jsonl.gz", "replay", "todo_scanner", 2, 0)]
    report = verify_file(ledger.path)
    assert report.ok and report.archived["outcomes"] == 4, report_text(report)
    await ledger.close()


async def test_outcomes_the_memory_still_reads_stay_inline(tmp_path):
    ledger = await Ledger.open(tmp_path / "ledger.sqlite3")
    for i in range(4):
        await _outcome(ledger, await one_op(ledger, i), "COMPLETE")
    window = Retention(30, 1, 1, outcome_days=(LATER - LATER.replace(year=2000)).days)
    assert await archive(ledger, window) == 1
    assert _rows(ledger.path, "operations") == 1  # the ops went...
    assert _rows(ledger.path, "outcomes") == 4  # ...their outcomes are in the window
    assert verify_file(ledger.path).ok
    await ledger.close()


async def test_superseded_work_records_go_and_the_ones_in_force_read_the_same(tmp_path):
    ledger = await Ledger.open(tmp_path / "ledger.sqlite3")
    for i in range(6):  # key a fails five times, b once; c (in force) last
        await one_op(ledger, i)
        await _work(ledger, "a" if i < 5 else "b", f"op-{i}", count=i + 1)
    await _work(ledger, "c", "op-6", event="completed")
    latest = await ledger.latest_work()
    assert await archive(ledger, EVERY_OP) == 1
    # a's first four were superseded: archived. a's fifth and b's are in force: written
    # again at the end; c is the table's head and stays where it is.
    assert [r[1] for r in _archived(ledger.path, "work_records")] == ["a"] * 5 + ["b"]
    after = await ledger.latest_work()
    assert [{k: v for k, v in r.items() if k != "ts"} for r in after] == \
        [{k: v for k, v in r.items() if k != "ts"} for r in sorted(
            latest, key=lambda r: ["c", "a", "b"].index(r["dedup_key"]))]
    assert _rows(ledger.path, "work_records") == 3
    report = verify_file(ledger.path)
    assert report.ok and report.archived["work_records"] == 6, report_text(report)
    await ledger.close()


async def test_a_prefix_mostly_in_force_is_left_alone(tmp_path):
    """Writing records again must not cost more rows than it frees: a prefix is cut where
    the records in force outnumber the superseded ones."""
    ledger = await Ledger.open(tmp_path / "ledger.sqlite3")
    for key in ("b", "c", "a", "a", "d"):  # b, c in force before a's first, superseded
        await _work(ledger, key, "op-x")
    later = (LATER + timedelta(days=1)).isoformat()
    with sqlite3.connect(ledger.path) as db:
        assert work_prefix_end(db, later, 100) == 0
    await _work(ledger, "b", "op-y")
    await _work(ledger, "c", "op-y")
    with sqlite3.connect(ledger.path) as db:  # b, c, a superseded; a, d, b in force
        assert work_prefix_end(db, later, 100) == 6
    await ledger.close()


async def test_work_memory_reads_the_same_after_a_pass(tmp_path):
    from tests.helpers import work_memory  # the daemon's work memory, default settings

    ledger = await Ledger.open(tmp_path / "ledger.sqlite3")
    for i in range(5):
        await one_op(ledger, i)
        await _work(ledger, "todo:x", f"op-{i}", count=i + 1)
    await _work(ledger, "todo:y", "op-9", event="proposed")
    before = work_memory(ledger)
    await before.load()
    assert await archive(ledger, EVERY_OP) == 1
    assert len(_archived(ledger.path, "work_records")) == 5  # x's fifth written again
    after = work_memory(ledger)
    await after.load()
    assert after.records == before.records and after.records["todo:x"].count == 5
    await ledger.close()
