"""Archive segments: old ledger rows kept in compressed files beside the database.

Retention (ledger.retention) moves whole old rows of the bulky tables out of the database
into segment files, `<state>/ledger-archive/segment-<n>.jsonl.gz`: gzip over JSON lines, one
line per row, `[table, rowid, *values]` (values in ledger.chain's COLUMNS order), each
table's rows in rowid order, after a header line `{"format": FORMAT, "segment": <name>}`.
The hashes are not in the file: they are recomputed from the values.

The chained `archives` table holds one row per segment: its file's name, SHA-256 and size,
its row count, `ranges` ({table: [first rowid, last rowid, prev_hash of the first row,
row_hash of the last]}) and `ops` (the op ids of its rows). So a segment is anchored twice:
the file must hash to its row's `sha256`, and its rows, chained again from `prev`, must end
at `head`, the very hash the next row of the table (in the next segment or in the table)
links to. That row is chained and covered by every later `Ledger-Head` anchor like any
other, so a segment cannot be altered, swapped or dropped without a check failing.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ledger.chain import COLUMNS, row_hash
from ledger.errors import LedgerError

ARCHIVE_DIR = "ledger-archive"
FORMAT = "ouroboros-ledger-segment-1"
# Tables whose rowid is spelled `id` (INTEGER PRIMARY KEY): `SELECT *` shows it, so an
# archived row read back shows it too. operations and transitions have a hidden rowid.
ID_TABLES = frozenset({"tool_calls", "model_calls", "thoughts", "intake_wal", "outcomes",
                       "work_records"})
Crash = Callable[[str], None]  # governance.crashpoints.crashpoint, or nothing


class SegmentError(LedgerError):
    """A segment file is missing, altered or unreadable."""


@dataclass(frozen=True)
class Range:
    """One table's rows in a segment, and the chain hashes on either side of them."""

    first: int
    last: int
    prev: str  # the prev_hash of row `first`
    head: str  # the row_hash of row `last`


@dataclass(frozen=True)
class Segment:
    """One `archives` row."""

    rowid: int
    name: str
    sha256: str
    bytes: int
    rows: int
    ranges: dict[str, Range]
    ops: tuple[str, ...]


def name_of(number: int) -> str:
    return f"segment-{number:06d}.jsonl.gz"


def archive_dir(db_path: Path) -> Path:
    return db_path.parent / ARCHIVE_DIR


def db_file(db: sqlite3.Connection) -> Path:
    """The file behind a connection's main database (its archive lives beside it)."""
    for _, name, file in db.execute("PRAGMA database_list"):
        if name == "main" and file:
            return Path(file)
    raise SegmentError("the ledger has no file: no archive to read")


def segments(db: sqlite3.Connection) -> list[Segment]:
    """Every `archives` row, oldest first ([] before migration 7). SegmentError for a row
    whose ranges or ops are not what a segment row holds."""
    try:
        found = db.execute("SELECT rowid, name, sha256, bytes, rows, ranges, ops "
                           "FROM archives ORDER BY rowid").fetchall()
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):
            return []
        raise
    return [_segment(*row) for row in found]


def _segment(rowid: int, name: Any, sha: Any, size: Any, count: Any, ranges: Any,
             ops: Any) -> Segment:
    try:
        spans = {t: Range(int(r[0]), int(r[1]), str(r[2]), str(r[3]))
                 for t, r in json.loads(ranges).items() if t in COLUMNS}
        return Segment(rowid, str(name), str(sha), int(size), int(count), spans,
                       tuple(str(o) for o in json.loads(ops)))
    except (TypeError, ValueError, IndexError, AttributeError) as exc:
        raise SegmentError(f"archives row {rowid} is malformed: {exc}") from None


def write_segment(directory: Path, name: str, rows: Iterable[tuple[str, int, tuple]],
                  crash: Crash) -> tuple[str, int]:
    """Write rows to `directory/name` durably (temp file, fsync, rename, fsync of the
    directory); return the file's SHA-256 and size. A kill leaves at most an unnamed
    temp file or a complete file no `archives` row names: retention.sweep removes both."""
    directory.mkdir(mode=0o700, exist_ok=True)
    if directory.is_symlink():  # the state dir is the daemon's own: nothing in it points out
        raise SegmentError(f"{directory} is a symlink: no segment is written through it")
    final, temp = directory / name, directory / f".{name}.tmp"
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "wb") as raw:
        # mtime=0: the same rows give the same bytes
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as out:
            out.write(_line({"format": FORMAT, "segment": name}))
            for table, rowid, values in rows:
                out.write(_line([table, rowid, *values]))
        raw.flush()
        os.fsync(raw.fileno())
    crash("archive_temp_written")
    digest, size = file_digest(temp)
    os.replace(temp, final)
    _fsync_dir(directory)
    crash("archive_file_named")
    return digest, size


def _line(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=True, separators=(",", ":"),
                      allow_nan=True).encode("ascii") + b"\n"


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def file_digest(path: Path) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def read_segment(directory: Path, seg: Segment) -> Iterator[tuple[str, int, tuple]]:
    """(table, rowid, values) of every row of a segment, after its file has been checked
    against the segment's SHA-256 and size (SegmentError says what is wrong)."""
    path = directory / seg.name
    try:
        digest, size = file_digest(path)
    except FileNotFoundError:
        raise SegmentError(f"segment file {seg.name} is missing") from None
    except OSError as exc:
        raise SegmentError(f"segment file {seg.name} is unreadable: {exc}") from None
    if (digest, size) != (seg.sha256, seg.bytes):
        raise SegmentError(f"segment file {seg.name} was altered: it hashes to "
                           f"{digest[:16]} ({size} B), not {seg.sha256[:16]} ({seg.bytes} B)")
    return _rows(path, seg)


def _rows(path: Path, seg: Segment) -> Iterator[tuple[str, int, tuple]]:
    try:
        with gzip.open(path, "rb") as f:
            header = json.loads(f.readline())
            if header != {"format": FORMAT, "segment": seg.name}:
                raise SegmentError(f"segment file {seg.name} has a foreign header")
            for line in f:
                table, rowid, *values = json.loads(line)
                if table not in seg.ranges or len(values) != len(COLUMNS[table]):
                    raise SegmentError(f"segment file {seg.name}: a {table} row that the "
                                       "segment does not declare")
                yield table, rowid, tuple(values)
    except (OSError, EOFError, ValueError, TypeError) as exc:
        raise SegmentError(f"segment file {seg.name} is unreadable: {exc}") from None


def archived_hash(db: sqlite3.Connection, table: str, rowid: int) -> str | None:
    """The row_hash an archived row had (None: no segment holds it), recomputed from the
    segment's values and checked against its head. SegmentError when it cannot be."""
    for seg in segments(db):
        span = seg.ranges.get(table)
        if span is None or not span.first <= rowid <= span.last:
            continue
        found, prev = None, span.prev
        for t, at, values in read_segment(archive_dir(db_file(db)), seg):
            if t == table:
                prev = row_hash(table, at, prev, values)
                found = prev if at == rowid else found
        if prev != span.head:
            raise SegmentError(f"segment {seg.name}: its {table} rows do not hash to the "
                               "head it declares")
        return found
    return None


def ops_matching(db: sqlite3.Connection, like: str) -> list[str]:
    """Archived op ids matching a LIKE pattern (escaped with '\\'), at most 6."""
    try:
        return [r[0] for r in db.execute(
            "SELECT DISTINCT j.value FROM archives a, json_each(a.ops) j "
            "WHERE j.value LIKE ? ESCAPE '\\' LIMIT 6", (like,))]
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):
            return []
        raise


def archived_rows(db: sqlite3.Connection, op_id: str) -> Iterator[tuple[str, int, dict]]:
    """(table, rowid, {column: value}) of every archived row of one op, oldest first."""
    for seg in segments(db):
        if op_id not in seg.ops:
            continue
        for table, rowid, values in read_segment(archive_dir(db_file(db)), seg):
            row = dict(zip((n for n, _ in COLUMNS[table]), values, strict=True))
            if row.get("op_id") == op_id:
                yield table, rowid, row


def op_rows(db: sqlite3.Connection, op_id: str) -> dict[str, list[dict[str, Any]]]:
    """Every archived row of one op, by table, as `SELECT *` shows a row (hashes aside);
    {} when no segment holds it."""
    out: dict[str, list[dict[str, Any]]] = {}
    for table, rowid, row in archived_rows(db, op_id):
        out.setdefault(table, []).append({"id": rowid, **row} if table in ID_TABLES else row)
    return out
