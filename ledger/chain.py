"""The hash chain: every ledger row carries the SHA-256 of the row before it in its table.

Each table is its own chain, in rowid order. A row stores `prev_hash` (the previous row's
`row_hash`, or GENESIS for the first row) and `row_hash` = SHA-256 over the table name, the
rowid, `prev_hash` and the row's values in COLUMNS order (canonical JSON). So:

- a row edited in place no longer matches its own `row_hash`;
- a row edited with its `row_hash` recomputed breaks the next row's `prev_hash` link;
- a deleted row, or rows swapped or renumbered, break the link of the row after the gap
  (the rowid is hashed, so a row cannot be moved either);
- the LAST rows of a chain (the tail) can be removed, or the last row rewritten with its
  hash recomputed, without any break: only an anchor taken earlier (the head recorded in a
  signed commit's `Ledger-Head` trailer, see ledger.anchor) shows that.

Values are canonicalised before they are stored (REAL columns as float, INTEGER as int, TEXT
as str), so the hash is over exactly what SQLite hands back; verification hashes the raw
values read, and a changed storage class counts as an edit.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

GENESIS = "0" * 64  # the prev_hash of a chain's first row

# Per table, its recorded columns (rowid aside) and each one's kind: t text, i integer,
# r real; a trailing "?" allows NULL. The order is the hash's order: never change it.
COLUMNS: dict[str, tuple[tuple[str, str], ...]] = {
    "operations": (("op_id", "t"), ("created_at", "t"), ("source", "t"), ("goal", "t"),
                   ("session_id", "t"), ("envelope", "t")),
    "transitions": (("op_id", "t"), ("seq", "i"), ("ts", "t"), ("from_phase", "t?"),
                    ("to_phase", "t"), ("reason", "t"), ("cost_delta", "r"),
                    ("payload", "t")),
    "tool_calls": (("op_id", "t"), ("ts", "t"), ("round", "i"), ("tool", "t"),
                   ("arguments", "t"), ("verdict", "t"), ("rule", "t"), ("reason", "t"),
                   ("result_bytes", "i"), ("truncated", "i"), ("duration_ms", "r")),
    "model_calls": (("op_id", "t"), ("ts", "t"), ("phase", "t"), ("provider", "t"),
                    ("model", "t"), ("prompt_tokens", "i"), ("completion_tokens", "i"),
                    ("cost_usd", "r"), ("latency_ms", "r"), ("ok", "i"), ("error", "t"),
                    ("telemetry", "t"), ("reply_text", "t")),
    "thoughts": (("op_id", "t?"), ("ts", "t"), ("phase", "t"), ("msg", "t"),
                 ("data", "t")),
    "intake_wal": (("ts", "t"), ("event", "t"), ("dedup_key", "t"), ("session_id", "t"),
                   ("envelope", "t")),
    "outcomes": (("op_id", "t"), ("ts", "t"), ("files", "t"), ("source", "t"), ("route", "t"),
                 ("provider", "t"), ("confidence", "r?"), ("result", "t"),
                 ("failure_class", "t"), ("evidence", "t")),
    "work_records": (("ts", "t"), ("dedup_key", "t"), ("op_id", "t"), ("event", "t"),
                     ("source", "t"), ("context", "t"), ("count", "i"), ("not_before", "t"),
                     ("reason", "t")),
    # One row per archive segment (ledger.segments): old rows moved into a compressed file.
    "archives": (("ts", "t"), ("name", "t"), ("sha256", "t"), ("bytes", "i"), ("rows", "i"),
                 ("ranges", "t"), ("ops", "t")),
    # `ouroboros eval` (daemon.eval.records): a run started, a task judged, a report card.
    "eval_records": (("ts", "t"), ("run_id", "t"), ("kind", "t"), ("brain", "t"),
                     ("task_id", "t"), ("data", "t")),
    # Per archive segment, the counts of the outcome rows it took (ledger.compaction).
    "outcome_tallies": (("ts", "t"), ("segment", "t"), ("provider", "t"), ("source", "t"),
                        ("finished", "i"), ("usable", "i")),
}
TABLES = tuple(COLUMNS)
_CAST = {"t": str, "i": int, "r": float}


def canonical(table: str, values: dict[str, Any]) -> tuple[Any, ...]:
    """The row's values in COLUMNS order, cast to their column's kind (None kept)."""
    return tuple(None if values[name] is None and kind.endswith("?")
                 else _CAST[kind[0]](values[name]) for name, kind in COLUMNS[table])


def row_hash(table: str, rowid: int, prev: str, values: tuple[Any, ...]) -> str:
    text = json.dumps([table, rowid, prev, *values], ensure_ascii=True,
                      separators=(",", ":"), allow_nan=True)
    return hashlib.sha256(text.encode("ascii")).hexdigest()


def insert_sql(table: str) -> str:
    names = ", ".join(name for name, _ in COLUMNS[table])
    marks = ", ".join("?" * (len(COLUMNS[table]) + 3))
    return f"INSERT INTO {table} (rowid, {names}, prev_hash, row_hash) VALUES ({marks})"


@dataclass(frozen=True)
class Head:
    """A chain's last row: what the next row links to."""

    rowid: int
    hash: str


EMPTY = Head(0, GENESIS)


def load_heads(db: sqlite3.Connection) -> dict[str, Head]:
    heads = {}
    for table in TABLES:
        row = db.execute(f"SELECT rowid, row_hash FROM {table} "
                         "ORDER BY rowid DESC LIMIT 1").fetchone()
        heads[table] = Head(row[0], row[1]) if row else EMPTY
    return heads


def rows(db: sqlite3.Connection, table: str) -> Iterator[tuple[Any, ...]]:
    """(rowid, *values, prev_hash, row_hash) of every row, in chain order."""
    names = ", ".join(name for name, _ in COLUMNS[table])
    yield from db.execute(f"SELECT rowid, {names}, prev_hash, row_hash FROM {table} "
                          "ORDER BY rowid")


def chain_existing(db: sqlite3.Connection, tables: tuple[str, ...] = TABLES) -> None:
    """Migration step: hash the rows an older ledger already holds (append-only triggers
    are dropped by the caller's SQL and put back after). Their hashes vouch for them only
    from this moment on: an edit made before the upgrade cannot be seen."""
    for table in tables:
        prev = GENESIS
        for rowid, *values, _, _ in list(rows(db, table)):
            digest = row_hash(table, rowid, prev, tuple(values))
            db.execute(f"UPDATE {table} SET prev_hash = ?, row_hash = ? WHERE rowid = ?",
                       (prev, digest, rowid))
            prev = digest
