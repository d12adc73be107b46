"""Retention of the two memories' tables: outcomes and work records leave the database like
an op's other rows (ledger.retention), and what their readers need of them stays.

- **outcomes** (one row per finished op, governance.memory): the grounding memory reads
  only the rows of its window (`[governance] memory_ttl_h`), so a row goes with its op once
  it is older than that window too. What reads them all, `Ledger.outcome_tally` (per brain
  and source: finished ops, usable candidates; the work memory's "futile" rule), gets the
  counts of the rows that went from `outcome_tallies`: one chained row per (brain, source)
  per segment, written in the same transaction that deletes the rows it counts.
- **work records** (one row per end of a piece of work, sensors.work_memory): a record is
  in force while it is the newest of its dedup key; an older one is superseded and says
  nothing any more. The archived prefix is the longest run of old rows in which the
  superseded are at least as many as the rows in force; each row in force in it is
  written again at the table's end (the same record, its `ts` the pass's) before the
  prefix goes, so `latest_work` reads the same records after a pass as before, and the
  table holds about one row per piece of work rather than one per op.

Both run inside retention's plan (in its read snapshot) and its commit (in the writer's
transaction); nothing here writes on its own.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime

from ledger.db import Tx

# What `outcome_tally` counts, and which of those gave a usable candidate: one definition
# for the live rows and for the tallies of archived ones.
COUNTED = "failure_class NOT IN ('cancelled', 'blocked')"
USABLE = "result IN ('COMPLETE', 'PROPOSED')"
WORK_COLUMNS = ("dedup_key", "op_id", "event", "source", "context", "count", "not_before",
                "reason")


@dataclass(frozen=True)
class Tally:
    """Archived outcome rows of one brain and source: as `outcome_tally` counts them."""

    provider: str
    source: str
    finished: int
    usable: int


def tallies(db: sqlite3.Connection, first: int, last: int) -> tuple[Tally, ...]:
    """The counts of outcome rows `first`..`last` (those a segment is about to hold)."""
    return tuple(Tally(p, s, int(n), int(u or 0)) for p, s, n, u in db.execute(
        f"SELECT provider, source, COUNT(*), SUM({USABLE}) FROM outcomes WHERE rowid "
        f"BETWEEN ? AND ? AND {COUNTED} GROUP BY provider, source ORDER BY provider, source",
        (first, last)))


def record_tallies(tx: Tx, segment: str, found: tuple[Tally, ...]) -> None:
    ts = datetime.now(UTC).isoformat(timespec="milliseconds")
    for t in found:
        tx.insert("outcome_tallies", {"ts": ts, "segment": segment, "provider": t.provider,
                                      "source": t.source, "finished": t.finished,
                                      "usable": t.usable})


def work_prefix_end(db: sqlite3.Connection, horizon: str, max_rows: int) -> int:
    """The last rowid of the work records that may go (0: none): older than `horizon`,
    never the table's last row, and cut where the superseded rows in the prefix are
    still at least as many as the ones in force (each of those is written again)."""
    head = db.execute("SELECT MAX(id) FROM work_records").fetchone()[0] or 0
    balance, end = 0, 0
    for rowid, ts, newest in db.execute(
            "SELECT w.id, w.ts, w.id = (SELECT MAX(id) FROM work_records n "
            "WHERE n.dedup_key = w.dedup_key) FROM work_records w ORDER BY w.id LIMIT ?",
            (max_rows,)):
        if rowid >= head or ts >= horizon:
            break
        balance += -1 if newest else 1
        if balance >= 0:
            end = rowid
    return end


def carry(tx: Tx, first: int, last: int) -> int:
    """In the commit's transaction: write again, at the table's end, every record among
    rows `first`..`last` that is still the newest of its key; how many."""
    names = ", ".join(WORK_COLUMNS)
    kept = tx.db.execute(
        f"SELECT {names} FROM work_records w WHERE w.id BETWEEN ? AND ? AND NOT EXISTS "
        "(SELECT 1 FROM work_records n WHERE n.dedup_key = w.dedup_key AND n.id > w.id) "
        "ORDER BY w.id", (first, last)).fetchall()
    ts = datetime.now(UTC).isoformat(timespec="milliseconds")
    for values in kept:
        tx.insert("work_records", {"ts": ts, **dict(zip(WORK_COLUMNS, values, strict=True))})
    return len(kept)
