"""Retention: old rows leave the database for archive segments, and the record stays whole.

What stays inline (Retention): every row of an op among the newest `keep_ops`, of an op
that ended less than `keep_days` ago, or of one that has not ended; rows tied to no op
(the daemon's own thoughts, the intake WAL) while they are newer than the horizon (the
older of `keep_days` ago and the oldest op kept), and a WAL envelope still pending
whatever its age. What may go is the longest prefix, in rowid order, of each archived
table (ledger.migrations.ARCHIVED_TABLES) made of other rows, narrowed until every op is
either wholly archived or wholly inline: its operations row, transitions, calls and
thoughts together, so a reader finds an op in one place. The two memories' tables follow
(ledger.compaction): an outcome row goes once its op has gone and the grounding memory's
window (`outcome_days`) no longer holds it; a work record goes once superseded, the ones
still in force in the prefix written again. A table's last row always stays: it is the
head new rows link to.

A pass is `sweep`, `prepare`, then `commit`:
1. sweep: temp files, and segment files no `archives` row names, are removed (a pass
   killed before its commit left them; nothing refers to them);
2. prepare (in a thread, on its own read-only connection, one snapshot): plan the
   prefixes; stop when fewer than `min_rows` rows would go; check their chain once more
   (a broken chain stays in place, for `ledger --verify` to show); write the segment
   durably (ledger.segments.write_segment);
3. commit (the ledger's writer, one transaction): check each prefix is still the table's
   first rows with the same head, insert the `archives` row, write again the work records
   of the prefix still in force and the counts of its outcome rows (`outcome_tallies`),
   delete the rows (the triggers let go only rows the newest segment holds).
A kill anywhere before 3's COMMIT leaves the database as it was (and perhaps a file for
the next sweep); after it, the rows are in the file and named by a chained row. Either
way every check of ledger.verify passes.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from ledger import compaction
from ledger.chain import COLUMNS, row_hash
from ledger.compaction import Tally
from ledger.db import Tx
from ledger.errors import LedgerError
from ledger.migrations import ARCHIVED_TABLES
from ledger.phases import TERMINAL_PHASES
from ledger.segments import (
    Crash,
    Range,
    SegmentError,
    archive_dir,
    name_of,
    segments,
    write_segment,
)
from ledger.verify import open_readonly

# Ops per segment: a pass's memory and its one write transaction stay small (~7,000 rows of
# real ops, ~0.1 s of the writer's time on the 2-core box: docs/observability.md#retention).
MAX_OPS = 200
MAX_ROWS = 100_000  # rows per table per segment (a long-idle daemon's own thoughts)
OP_TABLES = ("transitions", "tool_calls", "model_calls", "thoughts")  # rows with an op_id
_NEVER = 2**63 - 1
# Where each table of an op's own rows keeps its op id among its values (ledger.chain.
# COLUMNS): a segment's `ops`. (An outcome or a work record names an op, but the memories'
# rows are not read as part of it, and may leave later than its own.)
_OP_AT = {t: i for t in ("operations", *OP_TABLES)
          for i, (name, _) in enumerate(COLUMNS[t]) if name == "op_id"}


def _no_crash(_point: str) -> None:
    pass


@dataclass(frozen=True)
class Retention:
    """[ledger]'s retention knobs (daemon.config_ledger)."""

    keep_days: float  # an op stays inline this long after it ended
    keep_ops: int  # the newest ops stay inline however old
    min_rows: int  # fewer archivable rows than this wait for the next pass
    outcome_days: float = 0.0  # an outcome row (and its op) stays while this young


@dataclass(frozen=True)
class Prepared:
    """A segment written and not yet committed."""

    number: int  # the `archives` rowid it becomes
    name: str
    sha256: str
    bytes: int
    ranges: dict[str, Range]
    ops: tuple[str, ...]
    tallies: tuple[Tally, ...] = ()  # the counts of its outcome rows (ledger.compaction)

    @property
    def rows(self) -> int:
        return sum(r.last - r.first + 1 for r in self.ranges.values())


def sweep(directory: Path, named: set[str]) -> list[str]:
    """Remove what a pass killed before its commit left: temp files, unnamed segments."""
    if directory.is_symlink() or not directory.is_dir():
        return []
    gone = []
    for entry in sorted(directory.iterdir()):
        orphan = (entry.name.startswith(".") and entry.name.endswith(".tmp")) or \
            (entry.name.startswith("segment-") and entry.name not in named)
        if orphan and entry.is_file() and not entry.is_symlink():
            entry.unlink()
            gone.append(entry.name)
    return gone


def prepare(path: Path, retention: Retention, now: datetime | None = None,
            crash: Crash = _no_crash) -> Prepared | None:
    """Sweep, plan and write the next segment; None when too little may go yet."""
    db = open_readonly(path)
    try:
        db.isolation_level = None
        db.execute("BEGIN")  # one snapshot: the plan and the rows written agree
        sweep(archive_dir(path), {s.name for s in segments(db)})
        spans = _plan(db, retention, (now or datetime.now(UTC)).astimezone(UTC))
        if spans is None or sum(b - a + 1 for a, b in spans[0].values()) < retention.min_rows:
            return None
        number = (db.execute("SELECT MAX(rowid) FROM archives").fetchone()[0] or 0) + 1
        ranges: dict[str, Range] = {}
        ops: dict[str, None] = {}  # every op id of its rows, in order (ledger.segments.op_rows)
        digest, size = write_segment(archive_dir(path), name_of(number),
                                     _checked_rows(db, spans[0], ranges, ops), crash)
        outcomes = spans[0].get("outcomes")
        tallies = compaction.tallies(db, *outcomes) if outcomes else ()
        return Prepared(number, name_of(number), digest, size, ranges, tuple(ops), tallies)
    finally:
        db.close()


def _plan(db: sqlite3.Connection, r: Retention,
          now: datetime) -> tuple[dict[str, tuple[int, int]], list[str]] | None:
    """Per table, the (first, last) rowids that may go, and the ops archived whole."""
    cutoff = (now - timedelta(days=r.keep_days)).isoformat(timespec="milliseconds")
    kept_from, oldest = db.execute(
        "SELECT MIN(rowid), MIN(created_at) FROM (SELECT rowid, created_at FROM operations "
        "ORDER BY rowid DESC LIMIT ?)", (r.keep_ops,)).fetchone()
    horizon = min(cutoff, oldest) if oldest else cutoff
    ops = _ended_ops(db, kept_from or _NEVER, cutoff)
    known = {row[0] for row in db.execute("SELECT op_id FROM operations")}
    while True:  # narrow until no archived op keeps a row inline
        ends = {t: _prefix_end(db, t, set(ops), known, horizon) for t in OP_TABLES}
        spilled = set()
        for table in OP_TABLES:
            spilled.update(row[0] for row in db.execute(
                f"SELECT DISTINCT op_id FROM {table} WHERE rowid > ? AND op_id IS NOT NULL",
                (ends[table],)))
        cut = min((ops.index(o) for o in spilled.intersection(ops)), default=None)
        if cut is None:
            break
        ops = ops[:cut]
    ends["intake_wal"] = _wal_end(db, horizon)
    window = (now - timedelta(days=r.outcome_days)).isoformat(timespec="milliseconds")
    ends["outcomes"] = _prefix_end(db, "outcomes", set(ops), known, window)
    ends["work_records"] = compaction.work_prefix_end(db, horizon, MAX_ROWS)
    ends["operations"] = db.execute("SELECT rowid FROM operations WHERE op_id = ?",
                                    (ops[-1],)).fetchone()[0] if ops else 0
    bounds = {}
    for table in ARCHIVED_TABLES:
        first = db.execute(f"SELECT MIN(rowid) FROM {table}").fetchone()[0]
        if first is not None and ends[table] >= first:
            bounds[table] = (first, ends[table])
    return (bounds, ops) if bounds else None


def _ended_ops(db: sqlite3.Connection, kept_from: int, cutoff: str) -> list[str]:
    """The oldest ops, in order, up to the first one kept, unended or ended after the
    cutoff (never the table's last row: it is the chain's head)."""
    head = db.execute("SELECT MAX(rowid) FROM operations").fetchone()[0] or 0
    found = db.execute(
        "SELECT o.rowid, o.op_id, t.to_phase, t.ts FROM operations o LEFT JOIN transitions t "
        "ON t.op_id = o.op_id AND t.seq = (SELECT MAX(seq) FROM transitions s "
        "WHERE s.op_id = o.op_id) WHERE o.rowid < ? ORDER BY o.rowid LIMIT ?",
        (min(kept_from, head), MAX_OPS))
    ops = []
    for _, op_id, phase, ts in found:
        if phase not in TERMINAL_PHASES or ts >= cutoff:
            break
        ops.append(op_id)
    return ops


def _prefix_end(db: sqlite3.Connection, table: str, ops: set[str], known: set[str],
                horizon: str) -> int:
    """The last rowid of the longest prefix of rows of archived ops, or tied to no op
    (an op_id not inline counts as none) and older than the horizon; 0 when none. An
    outcome row also stays while the horizon (the memory's window) holds it."""
    head = db.execute(f"SELECT MAX(rowid) FROM {table}").fetchone()[0] or 0
    last = 0
    for rowid, op_id, ts in db.execute(f"SELECT rowid, op_id, ts FROM {table} "
                                       "ORDER BY rowid LIMIT ?", (MAX_ROWS,)):
        goes = op_id in ops if op_id in known else ts < horizon
        if table == "outcomes":
            goes = goes and ts < horizon
        if rowid >= head or not goes:
            break
        last = rowid
    return last


def _wal_end(db: sqlite3.Connection, horizon: str) -> int:
    """The WAL's prefix older than the horizon, up to its first envelope still pending."""
    pending = db.execute(
        "SELECT MIN(w.id) FROM intake_wal w WHERE w.event = 'enqueued' AND NOT EXISTS ("
        "SELECT 1 FROM intake_wal later WHERE later.dedup_key = w.dedup_key "
        "AND later.id > w.id AND later.event IN ('dispatched', 'dropped'))").fetchone()[0]
    head = db.execute("SELECT MAX(id) FROM intake_wal").fetchone()[0] or 0
    young = db.execute("SELECT MIN(id) FROM intake_wal WHERE ts >= ?", (horizon,)).fetchone()[0]
    stop = min(x for x in (pending, young, head, _NEVER) if x is not None)
    first = db.execute("SELECT MIN(id) FROM intake_wal").fetchone()[0] or 0
    return min(stop - 1, first + MAX_ROWS - 1)


def _checked_rows(db: sqlite3.Connection, bounds: dict[str, tuple[int, int]],
                  ranges: dict[str, Range],
                  ops: dict[str, None]) -> Iterator[tuple[str, int, tuple]]:
    """The rows to archive, each checked against its hash and link as it is read; fills
    `ranges` and `ops`. SegmentError at the first broken link: nothing is archived."""
    for table, (first, last) in bounds.items():
        names = ", ".join(name for name, _ in COLUMNS[table])
        expected, start = None, ""
        for rowid, *values, prev, stored in db.execute(
                f"SELECT rowid, {names}, prev_hash, row_hash FROM {table} "
                "WHERE rowid BETWEEN ? AND ? ORDER BY rowid", (first, last)):
            if expected is None:
                expected = start = prev
            if prev != expected or row_hash(table, rowid, prev, tuple(values)) != stored:
                raise SegmentError(f"{table} row {rowid} does not verify: not archived "
                                   "(ouroboros ledger --verify says more)")
            expected = stored
            if table in _OP_AT and values[_OP_AT[table]] is not None:
                ops[values[_OP_AT[table]]] = None
            yield table, rowid, tuple(values)
        ranges[table] = Range(first, last, start, expected or "")


def commit(tx: Tx, p: Prepared, crash: Crash = _no_crash) -> int:
    """In the writer's transaction: name the segment in `archives`, then delete its rows.
    LedgerError (the transaction rolls back) if a table moved since the plan."""
    for table, span in p.ranges.items():
        first = tx.db.execute(f"SELECT MIN(rowid) FROM {table}").fetchone()[0]
        head = tx.db.execute(f"SELECT row_hash FROM {table} WHERE rowid = ?",
                             (span.last,)).fetchone()
        if first != span.first or head is None or head[0] != span.head:
            raise LedgerError(f"segment {p.name}: {table} changed since it was planned")
    ranges = {t: [r.first, r.last, r.prev, r.head] for t, r in p.ranges.items()}
    number = tx.insert("archives", {
        "ts": datetime.now(UTC).isoformat(timespec="milliseconds"), "name": p.name,
        "sha256": p.sha256, "bytes": p.bytes, "rows": p.rows,
        "ranges": json.dumps(ranges, sort_keys=True), "ops": json.dumps(list(p.ops))})
    if number != p.number:
        raise LedgerError(f"segment {p.name} would be archives row {number}, not {p.number}")
    if "work_records" in p.ranges:  # the records in force stay readable inline
        compaction.carry(tx, p.ranges["work_records"].first, p.ranges["work_records"].last)
    compaction.record_tallies(tx, p.name, p.tallies)
    for table in reversed(ARCHIVED_TABLES):  # operations last: transitions refer to it
        if table in p.ranges:
            tx.db.execute(f"DELETE FROM {table} WHERE rowid BETWEEN ? AND ?",
                          (p.ranges[table].first, p.ranges[table].last))
    crash("archive_rows_deleted")
    return number
