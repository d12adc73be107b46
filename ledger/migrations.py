"""The schema as an ordered list of migrations; each is applied with its record in one transaction.

Every table is append-only: triggers refuse UPDATE and DELETE, so the history cannot be
rewritten even by a bug in the daemon. (Anyone who can write the file can drop a trigger:
the hash chain, ledger.chain, is what shows such an edit afterwards.)

A migration is SQL, optionally followed by a Python step (STEPS) run on the same connection
inside the same transaction, for work SQL cannot do (hashing the existing rows).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from ledger.chain import chain_existing

_APPEND_ONLY_TABLES = ("operations", "transitions", "tool_calls", "model_calls", "thoughts",
                       "intake_wal")


def _append_only(table: str) -> str:
    return f"""
    CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table}
      BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END;
    CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table}
      BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END;
    """


_V1 = """
CREATE TABLE operations (
    op_id       TEXT PRIMARY KEY,
    created_at  TEXT NOT NULL,
    source      TEXT NOT NULL,
    goal        TEXT NOT NULL,
    session_id  TEXT NOT NULL,
    envelope    TEXT NOT NULL
);
CREATE TABLE transitions (
    op_id       TEXT NOT NULL REFERENCES operations(op_id),
    seq         INTEGER NOT NULL,
    ts          TEXT NOT NULL,
    from_phase  TEXT,
    to_phase    TEXT NOT NULL,
    reason      TEXT NOT NULL,
    cost_delta  REAL NOT NULL DEFAULT 0,
    payload     TEXT NOT NULL DEFAULT '{}',
    UNIQUE (op_id, seq)
);
CREATE TABLE tool_calls (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    op_id       TEXT NOT NULL,
    ts          TEXT NOT NULL,
    round       INTEGER NOT NULL,
    tool        TEXT NOT NULL,
    arguments   TEXT NOT NULL,
    verdict     TEXT NOT NULL,
    rule        TEXT NOT NULL DEFAULT '',
    reason      TEXT NOT NULL DEFAULT '',
    result_bytes INTEGER NOT NULL DEFAULT 0,
    truncated   INTEGER NOT NULL DEFAULT 0,
    duration_ms REAL NOT NULL DEFAULT 0
);
CREATE TABLE model_calls (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    op_id       TEXT NOT NULL,
    ts          TEXT NOT NULL,
    phase       TEXT NOT NULL,
    provider    TEXT NOT NULL,
    model       TEXT NOT NULL DEFAULT '',
    prompt_tokens INTEGER NOT NULL DEFAULT 0,
    completion_tokens INTEGER NOT NULL DEFAULT 0,
    cost_usd    REAL NOT NULL DEFAULT 0,
    latency_ms  REAL NOT NULL DEFAULT 0,
    ok          INTEGER NOT NULL,
    error       TEXT NOT NULL DEFAULT ''
);
CREATE TABLE thoughts (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    op_id       TEXT,
    ts          TEXT NOT NULL,
    phase       TEXT NOT NULL,
    msg         TEXT NOT NULL,
    data        TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE intake_wal (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    ts          TEXT NOT NULL,
    event       TEXT NOT NULL CHECK (event IN ('enqueued', 'dispatched', 'dropped')),
    dedup_key   TEXT NOT NULL,
    session_id  TEXT NOT NULL,
    envelope    TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX transitions_op ON transitions (op_id, seq);
CREATE INDEX model_calls_op ON model_calls (op_id);
CREATE INDEX model_calls_ts ON model_calls (ts);
CREATE INDEX tool_calls_op ON tool_calls (op_id);
CREATE INDEX thoughts_op ON thoughts (op_id);
CREATE INDEX intake_wal_key ON intake_wal (dedup_key, id);
""" + "".join(_append_only(t) for t in _APPEND_ONLY_TABLES)


def _hash_columns() -> str:
    """v4's SQL: lift the append-only triggers for the one UPDATE that chains old rows, and
    drop transitions_op, a copy of UNIQUE (op_id, seq)'s own index (one page less to write
    per transition)."""
    out = ["DROP INDEX IF EXISTS transitions_op;"]
    for t in _APPEND_ONLY_TABLES:  # v4's tables, frozen: later tables are born chained
        out.append(f"DROP TRIGGER {t}_no_update; DROP TRIGGER {t}_no_delete;")
        out.append(f"ALTER TABLE {t} ADD COLUMN prev_hash TEXT NOT NULL DEFAULT '';")
        out.append(f"ALTER TABLE {t} ADD COLUMN row_hash TEXT NOT NULL DEFAULT '';")
    return "\n".join(out)


def _chain_and_relock(db: sqlite3.Connection) -> None:
    chain_existing(db, _APPEND_ONLY_TABLES)
    for table in _APPEND_ONLY_TABLES:
        for statement in _append_only(table).split("END;")[:-1]:
            db.execute(statement + "END;")


# One row per finished op (governance.memory.memory): what it touched, how it was routed and
# generated, what it predicted and what happened. Born hash-chained and append-only.
_V5_OUTCOMES = """
CREATE TABLE outcomes (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    op_id         TEXT NOT NULL,
    ts            TEXT NOT NULL,
    files         TEXT NOT NULL,
    source        TEXT NOT NULL DEFAULT '',
    route         TEXT NOT NULL DEFAULT '',
    provider      TEXT NOT NULL DEFAULT '',
    confidence    REAL,
    result        TEXT NOT NULL,
    failure_class TEXT NOT NULL DEFAULT '',
    evidence      TEXT NOT NULL DEFAULT '{}',
    prev_hash     TEXT NOT NULL DEFAULT '',
    row_hash      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX outcomes_ts ON outcomes (ts);
""" + _append_only("outcomes")

# One row each time a piece of work (a dedup key) ends, across restarts (sensors.work_memory):
# failed, proposed, completed or rejected, in what context (code, brain, settings) and until
# when it is held back. Born hash-chained and append-only.
_V6_WORK = """
CREATE TABLE work_records (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    ts          TEXT NOT NULL,
    dedup_key   TEXT NOT NULL,
    op_id       TEXT NOT NULL DEFAULT '',
    event       TEXT NOT NULL CHECK (event IN ('failed', 'proposed', 'completed', 'rejected')),
    source      TEXT NOT NULL DEFAULT '',
    context     TEXT NOT NULL DEFAULT '{}',
    count       INTEGER NOT NULL DEFAULT 1,
    not_before  TEXT NOT NULL DEFAULT '',
    reason      TEXT NOT NULL DEFAULT '',
    prev_hash   TEXT NOT NULL DEFAULT '',
    row_hash    TEXT NOT NULL DEFAULT ''
);
CREATE INDEX work_records_key ON work_records (dedup_key, id);
""" + _append_only("work_records")

# Retention (ledger.retention): whole old rows of the v1 tables move into compressed segment
# files (ledger.segments), one chained `archives` row per segment naming the rowids it holds.
# Their delete triggers now let a row go only when the newest segment holds it, so nothing
# leaves the table that an archive does not keep; updates stay refused. (v7's list, frozen:
# v9 makes outcomes and work_records archivable too.)
_V7_ARCHIVED = _APPEND_ONLY_TABLES


def _archivable(table: str) -> str:
    return f"""
    DROP TRIGGER {table}_no_delete;{_only_archived_leave(table)}"""


def _only_archived_leave(table: str) -> str:
    return f"""
    CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table}
      WHEN NOT EXISTS (SELECT 1 FROM archives a WHERE a.id = (SELECT MAX(id) FROM archives)
        AND OLD.rowid BETWEEN json_extract(a.ranges, '$.{table}[0]')
                          AND json_extract(a.ranges, '$.{table}[1]'))
      BEGIN SELECT RAISE(ABORT, '{table} is append-only: only archived rows may leave'); END;
    """


_V7_ARCHIVES = """
CREATE TABLE archives (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    ts          TEXT NOT NULL,
    name        TEXT NOT NULL,
    sha256      TEXT NOT NULL,
    bytes       INTEGER NOT NULL,
    rows        INTEGER NOT NULL,
    ranges      TEXT NOT NULL,
    ops         TEXT NOT NULL,
    prev_hash   TEXT NOT NULL DEFAULT '',
    row_hash    TEXT NOT NULL DEFAULT ''
);
""" + _append_only("archives") + "".join(_archivable(t) for t in _V7_ARCHIVED)

# `ouroboros eval` (daemon.eval): one row per run started, per task judged and per report
# card, in the eval ledger (<state>/eval/ledger.sqlite3, apart from the daemon's). Born
# hash-chained and append-only; never archived (`eval report` compares runs over time).
_V8_EVAL = """
CREATE TABLE eval_records (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    ts          TEXT NOT NULL,
    run_id      TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('run', 'task', 'card')),
    brain       TEXT NOT NULL DEFAULT '',
    task_id     TEXT NOT NULL DEFAULT '',
    data        TEXT NOT NULL DEFAULT '{}',
    prev_hash   TEXT NOT NULL DEFAULT '',
    row_hash    TEXT NOT NULL DEFAULT ''
);
CREATE INDEX eval_records_run ON eval_records (run_id, id);
""" + _append_only("eval_records")

# Retention of the memories' tables (ledger.compaction): outcome rows leave with their op
# once older than the grounding memory's window, and superseded work records go (the ones
# in force are written again first). `outcome_tallies` keeps, per segment, the counts of
# the outcome rows it took, for what reads them all (Ledger.outcome_tally).
_V9_COMPACTION = """
CREATE TABLE outcome_tallies (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    ts          TEXT NOT NULL,
    segment     TEXT NOT NULL,
    provider    TEXT NOT NULL,
    source      TEXT NOT NULL,
    finished    INTEGER NOT NULL,
    usable      INTEGER NOT NULL,
    prev_hash   TEXT NOT NULL DEFAULT '',
    row_hash    TEXT NOT NULL DEFAULT ''
);
""" + _append_only("outcome_tallies") + "".join(
    _archivable(t) for t in ("outcomes", "work_records"))
ARCHIVED_TABLES = (*_V7_ARCHIVED, "outcomes", "work_records")

# Work records learn "refused" (sensors.work_memory: the brain answered and its candidates
# were refused; held until the context changes, no timer). A CHECK cannot be altered in
# SQLite: the table is rebuilt, its rows copied with their ids and hashes (the chain is over
# rowids and values, so it verifies as before), its index and triggers made again.
_V10_REFUSED = _V6_WORK.split("CREATE INDEX")[0].replace(
    "CREATE TABLE work_records (", "CREATE TABLE work_records_v10 (").replace(
    "'completed', 'rejected')", "'completed', 'rejected', 'refused')") + """
INSERT INTO work_records_v10 SELECT * FROM work_records;
DROP TABLE work_records;
ALTER TABLE work_records_v10 RENAME TO work_records;
CREATE INDEX work_records_key ON work_records (dedup_key, id);
CREATE TRIGGER work_records_no_update BEFORE UPDATE ON work_records
  BEGIN SELECT RAISE(ABORT, 'work_records is append-only'); END;
""" + _only_archived_leave("work_records")

# (version, name, sql). Append only; never edit a migration that has shipped.
MIGRATIONS: tuple[tuple[int, str, str], ...] = (
    (1, "initial schema", _V1),
    (2, "model call telemetry (depth, canary, exit reason)",
     "ALTER TABLE model_calls ADD COLUMN telemetry TEXT NOT NULL DEFAULT '{}';"),
    (3, "model call reply text (capped, redacted)",
     "ALTER TABLE model_calls ADD COLUMN reply_text TEXT NOT NULL DEFAULT '';"),
    (4, "hash chain (prev_hash, row_hash; existing rows chained now)", _hash_columns()),
    (5, "outcome records (grounding memory)", _V5_OUTCOMES),
    (6, "work records (what failed or waits for review, across restarts)", _V6_WORK),
    (7, "archive segments (retention: old rows in compressed, hash-anchored files)",
     _V7_ARCHIVES),
    (8, "eval records (ouroboros eval: runs, judged tasks, report cards)", _V8_EVAL),
    (9, "retention of outcomes and work records (superseded rows archived, tallies kept)",
     _V9_COMPACTION),
    (10, "work records: 'refused' (held until the context changes)", _V10_REFUSED),
)
# Python steps run after a migration's SQL, in its transaction.
STEPS: dict[int, Callable[[sqlite3.Connection], None]] = {4: _chain_and_relock}

