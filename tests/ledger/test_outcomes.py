"""Outcome records (migration 5): written and read back, hash-chained and append-only like
every table, and an anchor taken before the table existed still checks."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

import pytest

from ledger import Ledger
from ledger.anchor import check_anchor, format_anchor
from ledger.verify import verify_file


async def _ledger_with_outcomes(path: Path) -> tuple[Ledger, str]:
    ledger = await Ledger.open(path)
    await ledger.record_outcome("op-1", files=["b.py", "a.py"], source="todo_scanner",
                                route="standard", provider="replay", confidence=0.8,
                                result="COMPLETE")
    await ledger.record_outcome("op-2", files=["a.py"], source="human", route="standard",
                                provider="kernel", confidence=None, result="POSTMORTEM",
                                failure_class="test", evidence={"failed": ["t::x"]})
    old = format_anchor({t: h for t, h in ledger.heads().items() if t != "outcomes"})
    return ledger, old


async def test_outcomes_round_trip_in_order(tmp_path):
    ledger, _ = await _ledger_with_outcomes(tmp_path / "l.sqlite3")
    rows = await ledger.outcomes_since("2000-01-01")
    await ledger.close()
    assert [r["op_id"] for r in rows] == ["op-1", "op-2"]
    assert rows[0]["files"] == ["a.py", "b.py"] and rows[0]["confidence"] == 0.8
    assert rows[1]["confidence"] is None and rows[1]["evidence"] == {"failed": ["t::x"]}
    assert "row_hash" not in rows[0]
    assert await _since(tmp_path, "2999-01-01") == []


async def _since(tmp_path: Path, ts: str) -> list:
    ledger = await Ledger.open(tmp_path / "l.sqlite3")
    try:
        return await ledger.outcomes_since(ts)
    finally:
        await ledger.close()


async def test_outcomes_are_chained_append_only_and_tampering_shows(tmp_path):
    path = tmp_path / "l.sqlite3"
    ledger, old_anchor = await _ledger_with_outcomes(path)
    await ledger.close()
    assert verify_file(path).ok
    with contextlib.closing(sqlite3.connect(path)) as db:
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            db.execute("UPDATE outcomes SET result = 'COMPLETE'")
        assert check_anchor(db, old_anchor) == []  # taken before a table: still checks
        db.execute("DROP TRIGGER outcomes_no_update")
        db.execute("UPDATE outcomes SET result = 'COMPLETE' WHERE op_id = 'op-2'")
        db.commit()
    report = verify_file(path)
    assert not report.ok
    assert [(p.table, p.rowid) for p in report.problems] == [("outcomes", 2)]
