from __future__ import annotations

import sqlite3

import pytest

from ledger import Ledger, MigrationError, UnknownOperation
from ledger.migrations import MIGRATIONS


async def _ledger(tmp_path) -> Ledger:
    return await Ledger.open(tmp_path / "l.sqlite3")


async def test_wal_mode_and_migrations_are_recorded(tmp_path):
    ledger = await _ledger(tmp_path)
    assert await ledger.schema_version() == MIGRATIONS[-1][0]
    await ledger.close()
    ledger = await _ledger(tmp_path)  # reopening applies nothing twice
    assert await ledger.schema_version() == MIGRATIONS[-1][0]
    await ledger.close()
    with sqlite3.connect(tmp_path / "l.sqlite3") as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("SELECT COUNT(*) FROM schema_migrations").fetchone()[0] == len(
            MIGRATIONS)


async def test_a_newer_schema_is_refused(tmp_path):
    await (await _ledger(tmp_path)).close()
    with sqlite3.connect(tmp_path / "l.sqlite3") as db:
        db.execute("INSERT INTO schema_migrations VALUES (999, 'future', 'x')")
    with pytest.raises(MigrationError, match="newer than this build"):
        await _ledger(tmp_path)


async def test_transitions_are_sequenced_and_append_only(tmp_path):
    ledger = await _ledger(tmp_path)
    await ledger.record_operation("op-abc", source="s", goal="g", session_id="x", envelope={})
    seqs = [await ledger.append_transition("op-abc", from_phase=None, to_phase=p, reason="r")
            for p in ("CLASSIFY", "ROUTE", "BLOCKED")]
    assert seqs == [0, 1, 2]
    await ledger.record_model_call("op-abc", phase="GENERATE", provider="replay", cost_usd=1)
    await ledger.close()
    with sqlite3.connect(tmp_path / "l.sqlite3") as db:
        for sql in ("UPDATE transitions SET reason = 'rewritten'", "DELETE FROM transitions",
                    "DELETE FROM operations", "UPDATE model_calls SET cost_usd = 0"):
            with pytest.raises(sqlite3.IntegrityError, match="append-only"):
                db.execute(sql)
        with pytest.raises(sqlite3.IntegrityError):
            db.execute("INSERT INTO transitions (op_id, seq, ts, to_phase, reason) "
                       "VALUES ('op-abc', 1, 't', 'X', 'dup')")


async def test_prefix_resolution_and_chain(tmp_path):
    ledger = await _ledger(tmp_path)
    for op in ("op-aa11", "op-aa22", "op-bb33"):
        await ledger.record_operation(op, source="s", goal="g", session_id="x", envelope={})
    assert await ledger.resolve_op("bb") == "op-bb33"
    assert await ledger.resolve_op("op-aa1") == "op-aa11"
    with pytest.raises(UnknownOperation, match="2 operations"):
        await ledger.resolve_op("aa")
    with pytest.raises(UnknownOperation, match="no operation matches 'zz'"):
        await ledger.resolve_op("zz")
    for spelled in ("op", "op-", "o"):  # the id's own prefix, not "op-op"
        with pytest.raises(UnknownOperation, match=f"3 operations match '{spelled}'"):
            await ledger.resolve_op(spelled)
    with pytest.raises(UnknownOperation):
        await ledger.resolve_op("%")  # LIKE wildcards are literal
    await ledger.record_model_call("op-aa11", phase="GENERATE", provider="replay", cost_usd=0.5)
    await ledger.record_tool_call("op-aa11", round=1, tool="read_file", arguments={"p": 1},
                                  verdict="allowed")
    await ledger.record_thought("op-aa11", "GENERATE", "thinking", {"k": 1})
    chain = await ledger.chain("op-aa11")
    assert chain["model_calls"][0]["cost_usd"] == 0.5
    assert chain["tool_calls"][0]["arguments"] == {"p": 1}
    assert chain["thoughts"][0]["data"] == {"k": 1}
    assert await ledger.cost_since("2000-01-01") == 0.5
    await ledger.close()


async def test_intake_wal_pending(tmp_path):
    ledger = await _ledger(tmp_path)
    for key in ("a", "b", "c"):
        await ledger.wal_append("enqueued", dedup_key=key, session_id="s", envelope={"k": key})
    await ledger.wal_append("dispatched", dedup_key="a", session_id="s")
    await ledger.wal_append("dropped", dedup_key="c", session_id="s")
    assert await ledger.wal_pending() == [{"k": "b"}]
    await ledger.close()
