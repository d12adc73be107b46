"""The hash chain against an attacker who edits the SQLite file directly with sqlite3:
each tampering is found and named (table, rowid, what), except where a chain cannot see it
(its tail), which an anchor taken earlier then shows."""

from __future__ import annotations

import hashlib
import os
import sqlite3

import pytest

from ledger import Ledger
from ledger.anchor import check_anchor, format_anchor, parse_anchor
from ledger.chain import COLUMNS, TABLES, canonical, row_hash
from ledger.migrations import MIGRATIONS
from ledger.verify import open_readonly, report_text, verify_file


async def _filled(path) -> str:
    """A ledger with rows in every table; returns the anchor taken at the end."""
    ledger = await Ledger.open(path)
    await ledger.record_operation("op-1", source="s", goal="g", session_id="x",
                                  envelope={"k": 1})
    for i in range(5):
        await ledger.append_transition("op-1", from_phase="A", to_phase="B",
                                       reason=f"step {i}", cost_delta=i, payload={"i": i})
    await ledger.record_model_call("op-1", phase="GENERATE", provider="p", cost_usd=1,
                                   latency_ms=3, reply_text="hi")
    await ledger.record_tool_call("op-1", round=1, tool="read_file", arguments={"p": 1},
                                  verdict="allowed", duration_ms=2)
    await ledger.record_thought(None, "P", "t")
    await ledger.wal_append("enqueued", dedup_key="k", session_id="x")
    anchor = ledger.anchor()
    await ledger.close()
    return anchor


def _tamper(path, *sql: str, params=()) -> None:
    with sqlite3.connect(path) as db:
        for table in TABLES:
            db.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")
            db.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")
        for statement in sql:
            db.execute(statement, params)
    os.sync()


def _rehash(path, table: str, rowid: int) -> None:
    """What a careful attacker does after an edit: recompute the row's own hash."""
    with sqlite3.connect(path) as db:
        names = [n for n, _ in COLUMNS[table]]
        row = db.execute(f"SELECT {', '.join(names)}, prev_hash FROM {table} "
                         "WHERE rowid = ?", (rowid,)).fetchone()
        digest = row_hash(table, rowid, row[-1], tuple(row[:-1]))
        db.execute(f"UPDATE {table} SET row_hash = ? WHERE rowid = ?", (digest, rowid))


def _problems(path) -> list[tuple[str, int, str]]:
    return [(p.table, p.rowid, p.what) for p in verify_file(path).problems]


async def test_an_untouched_ledger_verifies_and_verification_writes_nothing(tmp_path):
    path = tmp_path / "l.sqlite3"
    await _filled(path)
    before = path.read_bytes()
    report = verify_file(path)
    assert report.ok and report.problems == []
    assert report.rows == {"operations": 1, "transitions": 5, "tool_calls": 1,
                           "model_calls": 1, "thoughts": 1, "intake_wal": 1,
                           "outcomes": 0, "work_records": 0, "archives": 0,
                           "eval_records": 0, "outcome_tallies": 0}
    assert "hash chains intact" in report_text(report)
    assert path.read_bytes() == before  # (SQLite may add its -shm/-wal side files)


async def test_a_row_edited_in_place_is_named(tmp_path):
    path = tmp_path / "l.sqlite3"
    await _filled(path)
    _tamper(path, "UPDATE transitions SET reason = 'nothing happened' WHERE seq = 2")
    assert _problems(path) == [("transitions", 3, "content does not match its hash "
                                "(edited in place)")]


async def test_a_row_edited_with_its_hash_recomputed_breaks_the_next_link(tmp_path):
    path = tmp_path / "l.sqlite3"
    await _filled(path)
    _tamper(path, "UPDATE model_calls SET cost_usd = 0")  # hide what was spent
    _rehash(path, "model_calls", 1)
    assert _problems(path) == []  # the last row of its chain: only an anchor sees this
    _tamper(path, "UPDATE transitions SET cost_delta = 0 WHERE seq = 1")
    _rehash(path, "transitions", 2)
    (table, rowid, what), = _problems(path)
    assert (table, rowid) == ("transitions", 3)
    assert what.startswith("does not link to row 2 before it")


@pytest.mark.parametrize("rowid, expect", [(3, (4, "rowid 3 is missing")),
                                           (1, (2, "does not link to the start"))])
async def test_a_deleted_row_is_named(tmp_path, rowid, expect):
    path = tmp_path / "l.sqlite3"
    await _filled(path)
    _tamper(path, "DELETE FROM transitions WHERE rowid = ?", params=(rowid,))
    problems = _problems(path)
    assert problems[0][:2] == ("transitions", expect[0]) and expect[1] in problems[0][2]
    assert any("seq" in what for _, _, what in problems)  # the op's seq has a hole too


async def test_reordered_rows_are_named(tmp_path):
    path = tmp_path / "l.sqlite3"
    await _filled(path)
    _tamper(path, "UPDATE transitions SET rowid = 100 WHERE rowid = 2",
            "UPDATE transitions SET rowid = 2 WHERE rowid = 3",
            "UPDATE transitions SET rowid = 3 WHERE rowid = 100")
    found = {(t, r) for t, r, _ in _problems(path)}
    assert {("transitions", 2), ("transitions", 3)} <= found


async def test_the_tail_is_invisible_to_the_chain_but_not_to_an_anchor(tmp_path):
    path = tmp_path / "l.sqlite3"
    anchor = await _filled(path)
    _tamper(path, "DELETE FROM transitions WHERE rowid = 5")  # the last transition
    assert _problems(path) == []  # what a chain alone cannot see, said plainly in its doc
    db = open_readonly(path)
    try:
        (problem,) = check_anchor(db, anchor)
    finally:
        db.close()
    assert "transitions: row 5 named by the anchor is gone" in problem


async def test_a_rewritten_tail_with_recomputed_hash_fails_the_anchor(tmp_path):
    path = tmp_path / "l.sqlite3"
    anchor = await _filled(path)
    _tamper(path, "UPDATE intake_wal SET event = 'dropped'")
    _rehash(path, "intake_wal", 1)
    assert _problems(path) == []
    db = open_readonly(path)
    try:
        assert ["rewritten" in p for p in check_anchor(db, anchor)] == [True]
    finally:
        db.close()


@pytest.mark.parametrize("text", ["", "v1", "v2 " + "x:1 " * 6 + "sha256:" + "0" * 64,
                                  "v1 " + "operations:1 " * 6 + "sha256:" + "0" * 64,
                                  "v1 " + " ".join(f"{t}:-1" for t in TABLES) + " sha256:00",
                                  "v1 " + " ".join(f"{t}:1;DROP" for t in TABLES)
                                  + " sha256:" + "0" * 64])
def test_a_garbage_anchor_is_refused_with_a_reason(text):
    with pytest.raises(ValueError, match="not a Ledger-Head value"):
        parse_anchor(text)


async def test_an_anchor_round_trips(tmp_path):
    path = tmp_path / "l.sqlite3"
    anchor = await _filled(path)
    rowids, digest = parse_anchor(anchor)
    assert rowids["transitions"] == 5 and len(digest) == 64
    db = open_readonly(path)
    try:
        assert check_anchor(db, anchor) == []
    finally:
        db.close()
    assert anchor == format_anchor(verify_file(path).heads)


async def test_a_dropped_column_or_table_is_reported_not_a_crash(tmp_path):
    path = tmp_path / "l.sqlite3"
    await _filled(path)
    _tamper(path, "DROP TABLE thoughts")
    problems = _problems(path)
    assert problems[0][:2] == ("thoughts", 0) and "unreadable" in problems[0][2]


async def test_an_older_ledger_is_chained_at_migration(tmp_path):
    path = tmp_path / "l.sqlite3"
    with sqlite3.connect(path) as db:  # as the previous build (schema 3) left it
        db.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, "
                   "name TEXT NOT NULL, applied_at TEXT NOT NULL)")
        for version, name, sql in MIGRATIONS[:3]:
            db.executescript(sql)
            db.execute("INSERT INTO schema_migrations VALUES (?, ?, 'then')", (version, name))
        db.execute("INSERT INTO operations VALUES ('op-1', 't', 's', 'g', 'x', '{}')")
        for seq in range(3):
            db.execute("INSERT INTO transitions VALUES ('op-1', ?, 't', NULL, 'B', 'r', 0, "
                       "'{}')", (seq,))
    assert "predates the hash chain" in report_text(verify_file(path))
    ledger = await Ledger.open(path)
    assert await ledger.append_transition("op-1", from_phase="B", to_phase="C",
                                          reason="after") == 3
    await ledger.close()
    report = verify_file(path)
    assert report.ok, report.problems
    assert report.rows["transitions"] == 4
    with sqlite3.connect(path) as db, pytest.raises(sqlite3.IntegrityError,
                                                    match="append-only"):
        db.execute("UPDATE transitions SET reason = 'x'")  # the triggers came back


def test_values_are_stored_as_they_are_hashed():
    """An int given for a REAL column is stored as REAL by SQLite: canonical() casts first,
    so the writer's hash is over what verification will read back."""
    row = {"op_id": "o", "seq": 1, "ts": "t", "from_phase": None, "to_phase": "B",
           "reason": "r", "cost_delta": 1, "payload": "{}"}
    values = canonical("transitions", row)
    assert values[6] == 1.0 and isinstance(values[6], float) and values[3] is None
    expected = hashlib.sha256(
        ('["transitions",7,"' + "0" * 64 + '","o",1,"t",null,"B","r",1.0,"{}"]').encode()
    ).hexdigest()
    assert row_hash("transitions", 7, "0" * 64, values) == expected
