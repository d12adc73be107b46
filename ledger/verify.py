"""Verify a ledger file's hash chains, read-only: no daemon, no migration, no write.

`verify_file(path)` opens the SQLite file with `mode=ro` and walks every table chain
(ledger.chain) in rowid order. Each problem names its table, its rowid and what is wrong:

- "content does not match its hash": the row was edited in place;
- "does not link to row N": a row before it was deleted, rows were swapped or renumbered,
  or row N was edited with its own hash recomputed (the chain cannot tell which of these);
- for transitions, a sequence number that does not follow the op's previous one.

What a chain cannot show on its own: its last rows cut off, or its last row rewritten with
the hash recomputed. Only an anchor can (ledger.anchor; `ouroboros verify` and
`ouroboros ledger --verify` check the Ledger-Head trailer of the daemon's signed commits).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from ledger.chain import GENESIS, TABLES, Head, row_hash, rows
from ledger.segments import (
    Range,
    SegmentError,
    archive_dir,
    archived_rows,
    db_file,
    read_segment,
    segments,
)

CHAINED_SINCE = 4  # the schema version that added the hash columns
# Tables born chained, after CHAINED_SINCE: the schema version that added each.
TABLE_SINCE = {"outcomes": 5, "work_records": 6, "archives": 7, "eval_records": 8,
               "outcome_tallies": 9}


@dataclass(frozen=True)
class Problem:
    table: str
    rowid: int
    what: str

    def __str__(self) -> str:
        return f"{self.table} row {self.rowid}: {self.what}"


@dataclass
class Report:
    schema_version: int
    rows: dict[str, int] = field(default_factory=dict)
    heads: dict[str, Head] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    archived: dict[str, int] = field(default_factory=dict)  # rows read from segments
    segments: int = 0

    @property
    def ok(self) -> bool:
        return self.schema_version >= CHAINED_SINCE and not self.problems


class LedgerUnreadable(Exception):
    pass


def open_readonly(path: Path) -> sqlite3.Connection:
    """The ledger opened read-only (works while the daemon runs, and when it does not)."""
    if not path.is_file():
        raise LedgerUnreadable(f"no ledger at {path}")
    try:
        db = sqlite3.connect(f"file:{quote(str(path.resolve()))}?mode=ro", uri=True,
                             timeout=5)
        db.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
    except sqlite3.Error as exc:
        raise LedgerUnreadable(f"cannot read {path}: {exc}") from None
    return db


def verify_db(db: sqlite3.Connection) -> Report:
    try:
        version = db.execute("SELECT MAX(version) FROM schema_migrations").fetchone()[0] or 0
    except sqlite3.Error as exc:
        raise LedgerUnreadable(f"not an ouroboros ledger: {exc}") from None
    report = Report(version)
    if version < CHAINED_SINCE:
        return report  # predates the chain: the daemon's next start migrates and chains it
    walks = {table: _Walk(table, report) for table in TABLES}
    try:  # archived rows first: each table's chain starts in its oldest segment
        _archived(db, walks, report)
    except (sqlite3.Error, SegmentError) as exc:
        report.problems.append(Problem("archives", 0, f"unreadable: {exc}"))
    for table in TABLES:
        if version < TABLE_SINCE.get(table, 0):
            continue  # the migration that adds it has not run yet
        try:
            for rowid, *values, prev, stored in rows(db, table):
                walks[table].row(rowid, tuple(values), prev, stored)
        except sqlite3.Error as exc:  # a dropped table or column is tampering too
            report.problems.append(Problem(table, 0, f"unreadable: {exc}"))
        walks[table].close()
    return report


def verify_file(path: Path) -> Report:
    db = open_readonly(path)
    try:
        return verify_db(db)
    finally:
        db.close()


def transitions_of(db: sqlite3.Connection, op_id: str) -> list[tuple[int, str, str]]:
    """(rowid, to_phase, payload) of one op's transitions, from its table or, once
    retention moved the op, its archive segment (SegmentError if that cannot be read)."""
    found = db.execute("SELECT rowid, to_phase, payload FROM transitions WHERE op_id = ? "
                       "ORDER BY seq", (op_id,)).fetchall()
    if found:
        return found
    return [(rowid, row["to_phase"], row["payload"])
            for table, rowid, row in archived_rows(db, op_id) if table == "transitions"]


class _Walk:
    """One table's chain, row by row: archived rows (hashed again from their values),
    then the table's own."""

    def __init__(self, table: str, report: Report):
        self.table, self.report = table, report
        self.expected, self.before, self.count = GENESIS, 0, 0
        self.last_seq: dict[str, int] = {}

    def problem(self, rowid: int, what: str) -> None:
        self.report.problems.append(Problem(self.table, rowid, what))

    def row(self, rowid: int, values: tuple, prev: str, stored: str) -> None:
        self.count += 1
        if prev != self.expected:
            self.problem(rowid, _broken_link(self.before, rowid))
        if row_hash(self.table, rowid, prev, values) != stored:
            self.problem(rowid, "content does not match its hash (edited in place)")
        if self.table == "transitions":
            op_id, seq = values[0], values[1]
            if seq != self.last_seq.get(op_id, -1) + 1:
                self.problem(rowid, f"{op_id} seq {seq} follows seq "
                             f"{self.last_seq.get(op_id)} (out of order or a transition "
                             "is missing)")
            self.last_seq[op_id] = seq
        self.expected, self.before = stored, rowid

    def archived(self, rowid: int, values: tuple) -> None:
        """An archived row: its hash is what its values give, linked to the row before."""
        if rowid != self.before + 1:
            self.problem(rowid, f"archived after row {self.before}: rows are missing from "
                         "its segment")
        self.row(rowid, values, self.expected, row_hash(self.table, rowid, self.expected,
                                                         values))
        self.report.archived[self.table] = self.report.archived.get(self.table, 0) + 1

    def skip(self, span: Range) -> None:
        """A segment that cannot be read: its declared head stands in for its rows."""
        self.expected, self.before = span.head, span.last

    def close(self) -> None:
        self.report.rows[self.table] = self.count
        self.report.heads[self.table] = Head(self.before, self.expected)


def _archived(db: sqlite3.Connection, walks: dict[str, _Walk], report: Report) -> None:
    """Every segment: its file against its archives row, its rows into the walks, and
    each table's rows ending at the head the segment declares."""
    directory = archive_dir(db_file(db)) if (found := segments(db)) else None
    for seg in found:
        report.segments += 1
        try:
            for table, span in seg.ranges.items():
                if walks[table].expected != span.prev:  # then checked from where it says
                    walks[table].problem(span.first, f"segment {seg.name} does not start "
                                         f"where row {walks[table].before} ends")
                    walks[table].expected = span.prev
            for table, rowid, values in read_segment(directory, seg):
                walks[table].archived(rowid, values)
        except SegmentError as exc:
            report.problems.append(Problem("archives", seg.rowid, str(exc)))
            for table, span in seg.ranges.items():
                walks[table].skip(span)
            continue
        for table, span in seg.ranges.items():
            w = walks[table]
            if (w.before, w.expected) != (span.last, span.head):
                w.problem(span.last, f"the rows of segment {seg.name} do not hash to the "
                          "head it declares (the segment was altered)")
                w.skip(span)


def _broken_link(before: int, rowid: int) -> str:
    if before == 0:
        return ("does not link to the start of the chain (the rows before it were deleted, "
                "or it was moved)")
    gap = (f"; rowid {before + 1} is missing" if rowid == before + 2 else
           f"; rowids {before + 1}..{rowid - 1} are missing" if rowid > before + 2 else "")
    return (f"does not link to row {before} before it (a row between was deleted, rows "
            f"were reordered, or row {before} was edited with its hash recomputed){gap}")


def report_text(report: Report) -> str:
    if report.schema_version < CHAINED_SINCE:
        return (f"ledger at schema version {report.schema_version} predates the hash chain "
                f"(version {CHAINED_SINCE}): nothing to verify until the daemon starts once "
                "and migrates it")
    lines = [f"{len(report.problems)} problem(s):" if report.problems else
             "hash chains intact: every row matches its hash and links to the one before"]
    lines += [f"  {p}" for p in report.problems[:200]]
    if len(report.problems) > 200:
        lines.append(f"  ... and {len(report.problems) - 200} more")
    width = max(map(len, TABLES))
    for table in TABLES:
        if table in report.heads:
            h = report.heads[table]
            moved = report.archived.get(table)
            lines.append(f"  {table:<{width}} {report.rows[table]:>7} rows  head row {h.rowid} "
                         f"{h.hash[:16]}" + (f"  ({moved} in archive segments)" if moved
                                             else ""))
    if report.segments:
        lines.append(f"  {report.segments} archive segment(s): each file matches its hash, "
                     "its rows their chain")
    return "\n".join(lines)
