"""Retention: old ops' rows move to archive segments, and every read and check still sees
them (ledger.retention, ledger.segments)."""

from __future__ import annotations

import asyncio
import gzip
import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ledger import Ledger
from ledger.anchor import check_anchor
from ledger.chain import COLUMNS, row_hash
from ledger.errors import LedgerError
from ledger.retention import Retention, prepare
from ledger.segments import ARCHIVE_DIR, segments
from ledger.verify import report_text, transitions_of, verify_file

LATER = datetime.now(UTC) + timedelta(days=400)  # every op ended long before
ALL_BUT = Retention(keep_days=30, keep_ops=2, min_rows=1)
OP_TABLES = ("operations", "transitions", "tool_calls", "model_calls", "thoughts")


def op_id(i: int) -> str:
    return f"op-{i:016x}"


async def one_op(ledger: Ledger, i: int, *, end: str | None = "COMPLETE") -> str:
    """An op with a row in every table, the way the pipeline writes them."""
    op = op_id(i)
    await ledger.record_operation(op, source="todo_scanner", goal=f"goal {i}", session_id="s",
                                  envelope={"i": i, "files": ["calc/ops.py"]})
    await ledger.wal_append("enqueued", dedup_key=f"k{i}", session_id="s")
    await ledger.wal_append("dispatched", dedup_key=f"k{i}", session_id="s")
    await ledger.append_transition(op, from_phase=None, to_phase="CLASSIFY", reason="signal")
    await ledger.record_model_call(op, phase="GENERATE", provider="replay", cost_usd=0.001,
                                   reply_text=f"reply {i} " + "x" * 300,
                                   telemetry={"exit_reason": "stop"})
    await ledger.record_tool_call(op, round=1, tool="read_file", arguments={"path": f"f{i}"},
                                  verdict="allowed", result_bytes=120, duration_ms=1.5)
    await ledger.record_thought(op, "GENERATE", "exploration scored", {"score": 2.0})
    await ledger.record_thought(None, "HOST", "the host is free again")
    if end:
        await ledger.append_transition(op, from_phase="CLASSIFY", to_phase=end,
                                       reason="verified", payload={"commit": f"{i:040x}"})
    return op


async def filled(path: Path, count: int) -> Ledger:
    ledger = await Ledger.open(path)
    for i in range(count):
        await one_op(ledger, i)
    return ledger


async def archive(ledger: Ledger, retention: Retention = ALL_BUT,
                  now: datetime = LATER) -> int | None:
    prepared = await asyncio.to_thread(prepare, ledger.path, retention, now)
    return None if prepared is None else await ledger.commit_segment(prepared)


def inline_ops(path: Path) -> list[str]:
    with sqlite3.connect(path) as db:
        return [r[0] for r in db.execute("SELECT op_id FROM operations ORDER BY rowid")]


async def test_archive_round_trip_every_op_reads_and_verifies_as_before(tmp_path):
    ledger = await filled(tmp_path / "ledger.sqlite3", 8)
    anchor = ledger.anchor()  # its heads are among the rows about to move
    ops = [op_id(i) for i in range(8)]
    before = {op: await ledger.chain(op) for op in ops}
    assert await archive(ledger) == 1
    for op in ops:
        assert await ledger.chain(op) == before[op], op  # read from the segment
        assert await ledger.resolve_op(op[3:]) == op
    assert inline_ops(ledger.path) == ops[-2:]  # keep_ops
    await ledger.close()

    report = verify_file(ledger.path)
    assert report.ok, report_text(report)
    assert report.segments == 1 and report.archived["operations"] == 6
    assert report.rows["operations"] == 8 and report.rows["transitions"] == 16
    assert "(6 in archive segments)" in report_text(report)
    with sqlite3.connect(ledger.path) as db:
        assert check_anchor(db, anchor) == []  # archived heads, hashed again
        [(rowid, _, payload)] = [t for t in transitions_of(db, ops[0])
                                 if t[1] == "COMPLETE"]
        assert json.loads(payload)["commit"] == f"{0:040x}" and rowid == 2
    assert (tmp_path / ARCHIVE_DIR / "segment-000001.jsonl.gz").is_file()


async def test_later_passes_continue_the_chain_in_new_segments(tmp_path):
    ledger = await filled(tmp_path / "ledger.sqlite3", 5)
    assert await archive(ledger) == 1
    assert await archive(ledger) is None  # nothing more may go yet
    for i in range(5, 9):
        await one_op(ledger, i)
    assert await archive(ledger) == 2
    assert inline_ops(ledger.path) == [op_id(7), op_id(8)]
    await ledger.close()
    report = verify_file(ledger.path)
    assert report.ok and report.segments == 2, report_text(report)


async def test_what_stays_inline(tmp_path):
    """Unended ops, ops kept by age, pending WAL envelopes and each table's head stay;
    an op is wholly archived or wholly inline."""
    ledger = await Ledger.open(tmp_path / "ledger.sqlite3")
    await one_op(ledger, 0)
    await one_op(ledger, 1, end=None)  # still running: it and all after it stay
    await one_op(ledger, 2)
    await ledger.wal_append("enqueued", dedup_key="pending", session_id="s")
    await one_op(ledger, 3)
    await one_op(ledger, 4)
    assert await archive(ledger, now=datetime.now(UTC)) is None  # all ended minutes ago
    assert await archive(ledger, Retention(keep_days=30, keep_ops=0, min_rows=1)) == 1
    assert inline_ops(ledger.path) == [op_id(i) for i in range(1, 5)]
    with sqlite3.connect(ledger.path) as db:
        for table in OP_TABLES[1:]:
            found = {r[0] for r in db.execute(f"SELECT op_id FROM {table}")} - {None}
            assert op_id(0) not in found and op_id(1) in found, table
        assert db.execute("SELECT COUNT(*) FROM intake_wal WHERE dedup_key = 'pending'"
                          ).fetchone() == (1,)
    await ledger.close()


async def test_a_tables_last_row_stays_and_interleaved_ops_stay_whole(tmp_path):
    ledger = await Ledger.open(tmp_path / "ledger.sqlite3")
    await one_op(ledger, 0)
    # op 1's thought comes after op 2 started: op 1 cannot go without op 2's rows
    await ledger.record_operation(op_id(1), source="s", goal="g", session_id="s", envelope={})
    await ledger.append_transition(op_id(1), from_phase=None, to_phase="CLASSIFY", reason="r")
    await one_op(ledger, 2, end=None)
    await ledger.record_thought(op_id(1), "GENERATE", "late thought")
    await ledger.append_transition(op_id(1), from_phase="CLASSIFY", to_phase="POSTMORTEM",
                                   reason="r")
    await ledger.append_transition(op_id(2), from_phase="CLASSIFY", to_phase="COMPLETE",
                                   reason="r")
    await archive(ledger, Retention(keep_days=0, keep_ops=0, min_rows=1))
    # op 2 is the last operations row: it stays, so op 1 (interleaved with it) stays too
    assert inline_ops(ledger.path) == [op_id(1), op_id(2)]
    assert (await ledger.chain(op_id(1)))["thoughts"][0]["msg"] == "late thought"
    await ledger.close()
    assert verify_file(ledger.path).ok


async def test_too_few_rows_wait_for_a_later_pass(tmp_path):
    ledger = await filled(tmp_path / "ledger.sqlite3", 4)
    assert await archive(ledger, Retention(keep_days=30, keep_ops=2, min_rows=500)) is None
    assert len(inline_ops(ledger.path)) == 4
    await ledger.close()


async def test_only_rows_the_newest_segment_holds_may_be_deleted(tmp_path):
    ledger = await filled(tmp_path / "ledger.sqlite3", 4)
    await archive(ledger)
    await ledger.close()
    with sqlite3.connect(ledger.path) as db:
        last = db.execute("SELECT MAX(rowid) FROM transitions").fetchone()[0]
        with pytest.raises(sqlite3.IntegrityError, match="only archived rows may leave"):
            db.execute("DELETE FROM transitions WHERE rowid = ?", (last,))
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            db.execute("UPDATE archives SET sha256 = 'x'")


async def test_a_plan_the_table_moved_under_is_refused(tmp_path):
    ledger = await filled(tmp_path / "ledger.sqlite3", 5)
    first = await asyncio.to_thread(prepare, ledger.path, ALL_BUT, LATER)
    again = await asyncio.to_thread(prepare, ledger.path, ALL_BUT, LATER)  # same plan
    assert first is not None and again is not None
    await ledger.commit_segment(again)
    with pytest.raises(LedgerError, match="changed since it was planned"):
        await ledger.commit_segment(first)
    await ledger.close()
    assert verify_file(ledger.path).ok


def _archived(tmp_path: Path) -> Path:
    async def build() -> None:
        ledger = await filled(tmp_path / "ledger.sqlite3", 6)
        await archive(ledger)
        await one_op(ledger, 6)
        await ledger.close()

    asyncio.run(build())
    return tmp_path / ARCHIVE_DIR / "segment-000001.jsonl.gz"


def _rewrite(segment: Path, edit) -> None:
    lines = gzip.decompress(segment.read_bytes()).decode().splitlines()
    segment.write_bytes(gzip.compress(("\n".join(edit(lines)) + "\n").encode(), mtime=0))


def _recompute_digest(db_path: Path, segment: Path) -> None:
    """A careful attacker: the archives row's sha256 and size fixed, its hash recomputed."""
    import hashlib

    data = segment.read_bytes()
    with sqlite3.connect(db_path) as db:
        db.execute("DROP TRIGGER archives_no_update")
        db.execute("UPDATE archives SET sha256 = ?, bytes = ? WHERE rowid = 1",
                   (hashlib.sha256(data).hexdigest(), len(data)))
        names = ", ".join(n for n, _ in COLUMNS["archives"])
        *values, prev = db.execute(f"SELECT {names}, prev_hash FROM archives "
                                   "WHERE rowid = 1").fetchone()
        db.execute("UPDATE archives SET row_hash = ? WHERE rowid = 1",
                   (row_hash("archives", 1, prev, tuple(values)),))


def _flip(path: Path, at: int) -> None:
    data = bytearray(path.read_bytes())
    data[at] ^= 0xFF
    path.write_bytes(bytes(data))


def _edit_reply(lines: list[str]) -> list[str]:
    return [line.replace("reply 2 ", "reply 9 ") for line in lines]


TAMPERING = [
    # (what the attacker does, what verify says)
    ("a byte of the file flipped", lambda seg, db: _flip(seg, 40),
     "segment file segment-000001.jsonl.gz was altered"),
    ("the file deleted", lambda seg, db: seg.unlink(), "segment-000001.jsonl.gz is missing"),
    ("a reply text edited", lambda seg, db: _rewrite(seg, _edit_reply),
     "was altered: it hashes to"),
    ("a reply edited and the archives row's digest recomputed",
     lambda seg, db: (_rewrite(seg, _edit_reply), _recompute_digest(db, seg)),
     "do not hash to the head it declares"),
    ("a row dropped from the file, the digest recomputed",
     lambda seg, db: (_rewrite(seg, lambda ls: [ls[0], *ls[2:]]), _recompute_digest(db, seg)),
     "rows are missing from its segment"),
]


@pytest.mark.parametrize(("attack", "expected"), [(t[1], t[2]) for t in TAMPERING],
                         ids=[t[0] for t in TAMPERING])
def test_tampering_with_an_archive_is_found(tmp_path, attack, expected):
    segment = _archived(tmp_path)
    db_path = tmp_path / "ledger.sqlite3"
    assert verify_file(db_path).ok
    attack(segment, db_path)
    report = verify_file(db_path)
    assert not report.ok
    assert any(expected in str(p) for p in report.problems), report_text(report)


def test_a_pass_killed_before_its_commit_leaves_an_orphan_the_next_pass_sweeps(tmp_path):
    async def run() -> None:
        ledger = await filled(tmp_path / "ledger.sqlite3", 5)
        orphan = await asyncio.to_thread(prepare, ledger.path, ALL_BUT, LATER)
        assert orphan is not None  # written, never committed: as if killed here
        (tmp_path / ARCHIVE_DIR / ".segment-000001.jsonl.gz.tmp").write_bytes(b"partial")
        assert verify_file(ledger.path).ok  # the ledger does not know the file
        assert await archive(ledger) == 1  # same name, written again, then named
        await ledger.close()

    asyncio.run(run())
    assert sorted(p.name for p in (tmp_path / ARCHIVE_DIR).iterdir()) == \
        ["segment-000001.jsonl.gz"]
    report = verify_file(tmp_path / "ledger.sqlite3")
    assert report.ok and report.segments == 1


async def test_segments_are_listed_with_their_ranges_and_ops(tmp_path):
    ledger = await filled(tmp_path / "ledger.sqlite3", 5)
    await archive(ledger)
    await ledger.close()
    with sqlite3.connect(ledger.path) as db:
        [seg] = segments(db)
    assert seg.ops == tuple(op_id(i) for i in range(3))
    assert (seg.ranges["operations"].first, seg.ranges["operations"].last) == (1, 3)
    assert seg.rows == sum(r.last - r.first + 1 for r in seg.ranges.values())
