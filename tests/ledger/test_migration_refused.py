"""Migration 10 (ledger.migrations): work records learn 'refused'. SQLite cannot alter a
CHECK, so the table is rebuilt: a ledger written at version 9, its superseded work records
archived, comes through with every row, id and hash, verifies, reads the same, takes a
'refused' record, and stays append-only (only archived rows may leave)."""

from __future__ import annotations

import sqlite3

import pytest

import ledger.store as store
from ledger import Ledger
from ledger.migrations import MIGRATIONS
from ledger.verify import report_text, verify_file
from tests.ledger.test_compaction import EVERY_OP, _work
from tests.ledger.test_retention import archive, one_op


async def test_a_version_9_ledger_migrates_with_its_work_records_whole(tmp_path, monkeypatch):
    path = tmp_path / "ledger.sqlite3"
    with monkeypatch.context() as m:
        m.setattr(store, "MIGRATIONS", MIGRATIONS[:-1])
        old = await Ledger.open(path)
        assert await old.schema_version() == 9
        for i in range(4):
            await one_op(old, i)
            await _work(old, "a" if i < 3 else "b", f"op-{i}", count=i + 1)
        with pytest.raises(Exception, match="CHECK"):
            await _work(old, "c", "op-x", event="refused")
        assert await archive(old, EVERY_OP) == 1
        before = await old.latest_work()
        await old.close()
    with sqlite3.connect(path) as db:
        rows_before = db.execute("SELECT * FROM work_records ORDER BY id").fetchall()

    ledger = await Ledger.open(path)
    assert await ledger.schema_version() == MIGRATIONS[-1][0] == 10
    assert await ledger.latest_work() == before
    await _work(ledger, "c", "op-4", event="refused")
    report = verify_file(path)
    assert report.ok, report_text(report)
    await ledger.close()
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT * FROM work_records ORDER BY id").fetchall()[:-1] \
            == rows_before
        for sql in ("UPDATE work_records SET reason = 'x'",
                    "DELETE FROM work_records WHERE dedup_key = 'c'"):
            with pytest.raises(sqlite3.DatabaseError, match="append-only"):
                db.execute(sql)
