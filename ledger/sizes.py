"""What the ledger weighs, table by table: rows, and bytes on disk with their indexes.

Bytes are SQLite's own accounting (the dbstat virtual table: every page of a table's
b-tree and of its indexes' b-trees, overflow pages included), so they add up to the file
less its free pages and the schema. The growth test (tests/daemon/test_ledger_growth.py)
and docs/observability.md#retention read it.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from ledger.chain import TABLES


@dataclass(frozen=True)
class TableSize:
    rows: int
    bytes: int  # pages of the table and its indexes
    payload: int  # bytes of the rows' own content (no page slack, no indexes)


def table_sizes(db: sqlite3.Connection) -> dict[str, TableSize]:
    """Every chained table that exists, with its rows and bytes."""
    owner = dict(db.execute("SELECT name, tbl_name FROM sqlite_master "
                            "WHERE type IN ('table', 'index')").fetchall())
    pages: dict[str, int] = {}
    payload: dict[str, int] = {}
    for name, size, used in db.execute("SELECT name, SUM(pgsize), SUM(payload) FROM dbstat "
                                       "GROUP BY name"):
        table = owner.get(name, name)
        pages[table] = pages.get(table, 0) + size
        payload[table] = payload.get(table, 0) + (used if name == table else 0)
    return {t: TableSize(db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0],
                         pages.get(t, 0), payload.get(t, 0))
            for t in TABLES if t in owner}


def file_pages(db: sqlite3.Connection) -> tuple[int, int, int]:
    """(page size, pages in the file, free pages): freed pages are reused before the file
    grows again."""
    return (db.execute("PRAGMA page_size").fetchone()[0],
            db.execute("PRAGMA page_count").fetchone()[0],
            db.execute("PRAGMA freelist_count").fetchone()[0])
