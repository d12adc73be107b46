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

CHAINED_SINCE = 4  # the schema version that added the hash columns


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
    for table in TABLES:
        try:
            _walk(db, table, report)
        except sqlite3.Error as exc:  # a dropped table or column is tampering too
            report.problems.append(Problem(table, 0, f"unreadable: {exc}"))
    return report


def verify_file(path: Path) -> Report:
    db = open_readonly(path)
    try:
        return verify_db(db)
    finally:
        db.close()


def _walk(db: sqlite3.Connection, table: str, report: Report) -> None:
    expected, before, count = GENESIS, 0, 0
    last_seq: dict[str, int] = {}
    for rowid, *values, prev, stored in rows(db, table):
        count += 1
        if prev != expected:
            report.problems.append(Problem(table, rowid, _broken_link(before, rowid)))
        if row_hash(table, rowid, prev, tuple(values)) != stored:
            report.problems.append(Problem(table, rowid, "content does not match its hash "
                                           "(edited in place)"))
        if table == "transitions":
            op_id, seq = values[0], values[1]
            if seq != last_seq.get(op_id, -1) + 1:
                report.problems.append(Problem(table, rowid, f"{op_id} seq {seq} follows seq "
                                               f"{last_seq.get(op_id)} (out of order or a "
                                               "transition is missing)"))
            last_seq[op_id] = seq
        expected, before = stored, rowid
    report.rows[table] = count
    report.heads[table] = Head(before, expected)


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
    for table in TABLES:
        if table in report.heads:
            h = report.heads[table]
            lines.append(f"  {table:<12} {report.rows[table]:>7} rows  head row {h.rowid} "
                         f"{h.hash[:16]}")
    return "\n".join(lines)
