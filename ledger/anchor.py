"""Anchors: the heads of every chain at one moment, written down outside the ledger.

A hash chain alone cannot show that its tail was cut off, or that its last row was rewritten
with the hash recomputed (nothing links to the last row yet). An anchor names, for each
table, the rowid and row_hash of its head; checked later against an intact chain, it proves
every row up to those heads is what it was when the anchor was taken. The daemon writes one
into each auto-commit as the `Ledger-Head` trailer (signed with the commit), so rows cut or
rewritten before the newest commit are found; rows after it have no anchor yet.

    Ledger-Head: v1 operations:3 transitions:41 ... intake_wal:9 sha256:<digest>
"""

from __future__ import annotations

import hashlib
import re
import sqlite3

from ledger.chain import GENESIS, TABLES, Head
from ledger.segments import SegmentError, archived_hash

TRAILER = "Ledger-Head"
_PART = re.compile(r"([a-z_]+):(\d{1,19})")


def _digest(heads: dict[str, Head]) -> str:
    """Over the tables the anchor names, in TABLES order (an anchor taken before a table
    existed does not name it, and still checks)."""
    text = "".join(f"{t}:{heads[t].rowid}:{heads[t].hash}\n" for t in TABLES if t in heads)
    return hashlib.sha256(text.encode()).hexdigest()


def format_anchor(heads: dict[str, Head]) -> str:
    parts = " ".join(f"{t}:{heads[t].rowid}" for t in TABLES if t in heads)
    return f"v1 {parts} sha256:{_digest(heads)}"


def parse_anchor(text: str) -> tuple[dict[str, int], str]:
    """({table: rowid}, digest) of a trailer value; ValueError when it is not one."""
    words = text.split()
    if not 3 <= len(words) <= len(TABLES) + 2 or words[0] != "v1" or \
            not re.fullmatch(r"sha256:[0-9a-f]{64}", words[-1]):
        raise ValueError(f"not a {TRAILER} value: {text[:200]!r}")
    rowids = {}
    for word in words[1:-1]:
        m = _PART.fullmatch(word)
        if not m or m.group(1) not in TABLES or m.group(1) in rowids:
            raise ValueError(f"not a {TRAILER} value: {text[:200]!r}")
        rowids[m.group(1)] = int(m.group(2))
    return rowids, words[-1].removeprefix("sha256:")


def check_anchor(db: sqlite3.Connection, text: str) -> list[str]:
    """What is wrong between the ledger and an anchor (empty: every anchored row is there,
    in its table or its archive segment, with the hash it had). Meaningful on a chain that
    verifies (ledger.verify)."""
    try:
        rowids, digest = parse_anchor(text)
    except ValueError as exc:
        return [str(exc)]
    heads, problems = {}, []
    for table, rowid in rowids.items():
        found = db.execute(f"SELECT row_hash FROM {table} WHERE rowid = ?",
                           (rowid,)).fetchone() if rowid else (GENESIS,)
        if found is None:  # retention may have moved it to a segment (ledger.retention)
            try:
                found = (archived_hash(db, table, rowid),)
            except SegmentError as exc:
                problems.append(f"{table}: row {rowid} named by the anchor: {exc}")
                found = ("",)
        if found[0] is None:
            problems.append(f"{table}: row {rowid} named by the anchor is gone (the chain "
                            "was cut back past it)")
            found = ("",)
        heads[table] = Head(rowid, found[0])
    if not problems and _digest(heads) != digest:
        problems.append("the anchored rows are there but their hashes differ from the "
                        "anchor's: the ledger up to the anchor was rewritten")
    return problems
