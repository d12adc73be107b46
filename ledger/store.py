"""Ledger: async, append-only, hash-chained SQLite store (WAL mode).

One connection on one thread (ledger.db): each event is one hop there, where its whole work
(sequence number, INSERT, chain hash) runs synchronously inside a transaction that commits
before the caller's await returns; concurrent events share one group commit. Transition
sequence numbers are assigned inside that transaction, so (op_id, seq) is gapless and
monotonic per op. Every row carries the hash of the row before it (ledger.chain).

Durability: WAL with synchronous=NORMAL: a committed event survives the daemon's crash or
kill; the last events before a power loss or OS crash may be lost (never half-written).

Every text that is recorded (reasons, payloads, thoughts, tool arguments and results,
model errors, envelopes) passes through ledger.redact first: a secret-looking value
never reaches the database file.
"""

from __future__ import annotations

import asyncio
import functools
import json
import sqlite3
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ledger.anchor import format_anchor
from ledger.chain import Head
from ledger.compaction import COUNTED, USABLE
from ledger.db import Database, Tx
from ledger.errors import MigrationError, UnknownOperation
from ledger.migrations import MIGRATIONS, STEPS
from ledger.phases import TERMINAL_PHASES
from ledger.redact import redact, redact_data
from ledger.retention import Prepared, commit
from ledger.segments import Crash, op_rows, ops_matching

REPLY_TEXT_CAP = 16 * 1024  # characters of a model reply kept per call
# Text longer than this is redacted on a worker thread: the patterns take ~1 ms a KB, so a
# 110 KB reply stood the event loop still 126 ms (more on a loaded box); off the loop, it
# runs between the patterns' passes (each holds the GIL alone, the longest ~28 ms).
OFF_LOOP_CHARS = 8 * 1024
_HASH_COLUMNS = ("prev_hash", "row_hash")  # kept out of the read API's rows


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def _dump(data: Any) -> str:
    """JSON text of `data` with every string in it redacted."""
    if isinstance(data, dict) and not data:
        return "{}"  # the common case, without three passes over nothing
    return json.dumps(redact_data(json.loads(json.dumps(data, default=str))), sort_keys=True)


class Ledger:
    """The daemon's record. Open with `await Ledger.open(path)`; close with `await close()`."""

    def __init__(self, db: Database, path: Path):
        self._db = db
        self.path = path

    @classmethod
    async def open(cls, path: Path) -> Ledger:
        path.parent.mkdir(parents=True, exist_ok=True)
        db = Database(path)
        try:
            await db.open(functools.partial(migrate, path=path))
        except BaseException:
            await db.close()  # no connection thread outlives a failed open
            raise
        return cls(db, path)

    async def close(self) -> None:
        await self._db.close()

    async def schema_version(self) -> int:
        return await self._db.call(_version)

    def heads(self) -> dict[str, Head]:
        """Each table chain's committed head (rowid, row_hash)."""
        return self._db.heads()

    def anchor(self) -> str:
        """A `Ledger-Head` trailer value naming every chain's committed head."""
        return format_anchor(self._db.heads())

    def on_write_error(self, listener: Callable[[BaseException], None]) -> None:
        """`listener(exc)` is called on the event loop for every write that fails."""
        self._db.on_error = listener

    async def commit_segment(self, prepared: Prepared, crash: Crash | None = None) -> int:
        """Name a written segment and delete its rows, in one transaction; its number."""
        return await self._db.write(lambda tx: commit(tx, prepared, crash or (lambda _: None)))

    # -- writes -------------------------------------------------------------------------

    async def record_operation(self, op_id: str, *, source: str, goal: str, session_id: str,
                               envelope: dict[str, Any]) -> None:
        row = {"op_id": op_id, "created_at": _now(), "source": source, "goal": redact(goal),
               "session_id": session_id, "envelope": _dump(envelope)}
        await self._db.write(lambda tx: tx.insert("operations", row))

    async def append_transition(self, op_id: str, *, from_phase: str | None, to_phase: str,
                                reason: str, cost_delta: float = 0.0,
                                payload: dict[str, Any] | None = None) -> int:
        """Append one transition row and return its sequence number."""
        row = {"op_id": op_id, "ts": _now(), "from_phase": from_phase, "to_phase": to_phase,
               "reason": redact(reason), "cost_delta": cost_delta,
               "payload": _dump(payload or {})}

        def append(tx: Tx) -> int:
            row["seq"] = tx.db.execute(
                "SELECT COALESCE(MAX(seq), -1) + 1 FROM transitions WHERE op_id = ?",
                (op_id,)).fetchone()[0]
            tx.insert("transitions", row)
            return row["seq"]

        return await self._db.write(append)

    async def record_model_call(self, op_id: str, *, phase: str, provider: str, model: str = "",
                                prompt_tokens: int = 0, completion_tokens: int = 0,
                                cost_usd: float = 0.0, latency_ms: float = 0.0, ok: bool = True,
                                error: str = "", telemetry: dict[str, Any] | None = None,
                                reply_text: str = "") -> None:
        """One model call; its reply text is redacted, then capped at REPLY_TEXT_CAP."""
        row = {"op_id": op_id, "ts": _now(), "phase": phase, "provider": provider,
               "model": model, "prompt_tokens": prompt_tokens,
               "completion_tokens": completion_tokens, "cost_usd": cost_usd,
               "latency_ms": latency_ms, "ok": int(ok), "error": redact(error),
               "telemetry": _dump(telemetry or {}),
               "reply_text": _capped(await _redacted(reply_text))}
        await self._db.write(lambda tx: tx.insert("model_calls", row))

    async def record_tool_call(self, op_id: str, *, round: int, tool: str,
                               arguments: dict[str, Any], verdict: str, rule: str = "",
                               reason: str = "", result_bytes: int = 0, truncated: bool = False,
                               duration_ms: float = 0.0) -> None:
        row = {"op_id": op_id, "ts": _now(), "round": round, "tool": tool,
               "arguments": _dump(arguments), "verdict": verdict, "rule": rule,
               "reason": redact(reason), "result_bytes": result_bytes,
               "truncated": int(truncated), "duration_ms": duration_ms}
        await self._db.write(lambda tx: tx.insert("tool_calls", row))

    async def record_thought(self, op_id: str | None, phase: str, msg: str,
                             data: dict[str, Any] | None = None) -> None:
        row = {"op_id": op_id, "ts": _now(), "phase": phase, "msg": redact(msg),
               "data": _dump(data or {})}
        await self._db.write(lambda tx: tx.insert("thoughts", row))

    async def wal_append(self, event: str, *, dedup_key: str, session_id: str,
                         envelope: dict[str, Any] | None = None) -> None:
        row = {"ts": _now(), "event": event, "dedup_key": dedup_key, "session_id": session_id,
               "envelope": _dump(envelope or {})}
        await self._db.write(lambda tx: tx.insert("intake_wal", row))

    async def record_outcome(self, op_id: str, *, files: list[str], source: str, route: str,
                             provider: str, confidence: float | None, result: str,
                             failure_class: str = "",
                             evidence: dict[str, Any] | None = None) -> None:
        """What one finished op did and how it ended (governance.memory.memory reads them back)."""
        row = {"op_id": op_id, "ts": _now(), "files": _dump(sorted(files)), "source": source,
               "route": route, "provider": provider, "confidence": confidence,
               "result": result, "failure_class": failure_class,
               "evidence": _dump(evidence or {})}
        await self._db.write(lambda tx: tx.insert("outcomes", row))

    async def record_work(self, dedup_key: str, *, op_id: str, event: str, source: str,
                          context: dict[str, Any], count: int, not_before: str,
                          reason: str) -> None:
        """How one piece of work ended and until when it is held back (sensors.work_memory)."""
        row = {"ts": _now(), "dedup_key": dedup_key, "op_id": op_id, "event": event,
               "source": source, "context": _dump(context), "count": count,
               "not_before": not_before, "reason": redact(reason)}
        await self._db.write(lambda tx: tx.insert("work_records", row))

    async def record_eval(self, run_id: str, kind: str, *, brain: str = "", task_id: str = "",
                          data: dict[str, Any] | None = None) -> None:
        """One `ouroboros eval` record (daemon.eval.records): kind 'run', 'task' or 'card'."""
        row = {"ts": _now(), "run_id": run_id, "kind": kind, "brain": brain,
               "task_id": task_id, "data": _dump(data or {})}
        await self._db.write(lambda tx: tx.insert("eval_records", row))

    # -- reads --------------------------------------------------------------------------

    async def eval_records(self, run_id: str | None = None) -> list[dict[str, Any]]:
        """Every eval record (of one run when given), oldest first, `data` decoded."""
        where, params = ("WHERE run_id = ?", (run_id,)) if run_id else ("", ())
        rows = await self._rows(f"SELECT id, ts, run_id, kind, brain, task_id, data "
                                f"FROM eval_records {where} ORDER BY id", params)
        return [_decoded(r, ("data",)) for r in rows]

    async def latest_work(self) -> list[dict[str, Any]]:
        """The newest work record of every dedup key, oldest first."""
        rows = await self._rows(
            "SELECT ts, dedup_key, op_id, event, source, context, count, not_before, reason "
            "FROM work_records w WHERE id = (SELECT MAX(id) FROM work_records "
            "WHERE dedup_key = w.dedup_key) ORDER BY id")
        return [_decoded(r, ("context",)) for r in rows]

    async def outcome_tally(self, provider: str) -> dict[str, tuple[int, int]]:
        """source -> (finished ops, ones whose candidate was usable: landed or proposed) of
        one brain, over the records about the work (a cancel or a block is not counted),
        the archived ones included (their counts: ledger.compaction)."""
        rows = await self._rows(
            f"SELECT source, SUM(n), SUM(u) FROM (SELECT source, COUNT(*) AS n, SUM({USABLE}) "
            f"AS u FROM outcomes WHERE provider = ? AND {COUNTED} GROUP BY source "
            "UNION ALL SELECT source, SUM(finished), SUM(usable) FROM outcome_tallies "
            "WHERE provider = ? GROUP BY source) GROUP BY source", (provider, provider))
        return {r[0]: (int(r[1]), int(r[2] or 0)) for r in rows}

    async def outcomes_since(self, iso_ts: str, limit: int = 10_000) -> list[dict[str, Any]]:
        """Outcome records at or after `iso_ts`, oldest first (at most the newest `limit`)."""
        rows = await self._rows(
            "SELECT * FROM (SELECT op_id, ts, files, source, route, provider, confidence, "
            "result, failure_class, evidence, id FROM outcomes WHERE ts >= ? "
            "ORDER BY id DESC LIMIT ?) ORDER BY id", (iso_ts, limit))
        return [_decoded(dict(r), ("files", "evidence")) for r in rows]

    async def _rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        def fetch(db: sqlite3.Connection) -> list[sqlite3.Row]:
            cur = db.execute(sql, params)
            cur.row_factory = sqlite3.Row
            return cur.fetchall()

        return await self._db.call(fetch)

    async def wal_pending(self) -> list[dict[str, Any]]:
        """Envelopes enqueued and never dispatched or dropped (oldest first)."""
        sql = """SELECT w.envelope FROM intake_wal w
                 WHERE w.event = 'enqueued' AND NOT EXISTS (
                   SELECT 1 FROM intake_wal later WHERE later.dedup_key = w.dedup_key
                     AND later.id > w.id AND later.event IN ('dispatched', 'dropped'))
                 ORDER BY w.id"""
        return [json.loads(r[0]) for r in await self._rows(sql)]

    async def resolve_op(self, prefix: str) -> str:
        """The unique op id starting with `prefix` (with or without the 'op-')."""
        # "op", "op-" and "op-3f" are spelled with the prefix; "3f" without it.
        like = prefix if prefix.startswith("op-") or "op-".startswith(prefix) \
            else f"op-{prefix}"
        rows = await self._rows(
            "SELECT op_id FROM operations WHERE op_id LIKE ? ESCAPE '\\' LIMIT 6",
            (_like_prefix(like),))
        archived = await self._db.call(lambda db: ops_matching(db, _like_prefix(like)))
        matches = list(dict.fromkeys([r[0] for r in rows] + archived))[:6]
        if len(matches) != 1:
            raise UnknownOperation(prefix, matches)
        return matches[0]

    async def operations(self, limit: int = 50) -> list[dict[str, Any]]:
        """Most recent ops with their latest phase, total cost and the nominal part of it
        (calls whose telemetry says `nominal`: the in-process kernel's charge)."""
        sql = """SELECT o.op_id, o.created_at, o.source, o.goal,
                   (SELECT to_phase FROM transitions t WHERE t.op_id = o.op_id
                      ORDER BY seq DESC LIMIT 1) AS phase,
                   (SELECT COALESCE(SUM(cost_usd), 0) FROM model_calls m
                      WHERE m.op_id = o.op_id) AS cost_usd,
                   (SELECT COALESCE(SUM(cost_usd), 0) FROM model_calls m WHERE m.op_id =
                      o.op_id AND json_extract(m.telemetry, '$.nominal') = 1) AS nominal_usd
                 FROM operations o ORDER BY o.created_at DESC, o.rowid DESC LIMIT ?"""
        return [dict(r) for r in await self._rows(sql, (limit,))]

    async def unfinished_ops(self) -> list[tuple[str, str]]:
        """(op_id, last phase) of every op with no terminal transition: crash leftovers."""
        marks = ",".join("?" * len(TERMINAL_PHASES))
        sql = f"""SELECT o.op_id, (SELECT to_phase FROM transitions t WHERE t.op_id = o.op_id
                                     ORDER BY seq DESC LIMIT 1)
                  FROM operations o WHERE NOT EXISTS (
                    SELECT 1 FROM transitions t WHERE t.op_id = o.op_id
                      AND t.to_phase IN ({marks}))"""
        return [(r[0], r[1] or "") for r in await self._rows(sql, TERMINAL_PHASES)]

    async def chain(self, op_id: str) -> dict[str, Any]:
        """Everything recorded about one op, in order: the causal chain (read from its
        archive segment once retention moved it there: an op is wholly in one place)."""
        rows = await self._rows("SELECT * FROM operations WHERE op_id = ?", (op_id,))
        archived = {} if rows else await self._db.call(lambda db: op_rows(db, op_id))
        rows = rows or archived.get("operations", [])
        if not rows:
            raise UnknownOperation(op_id, [])
        out: dict[str, Any] = {"operation": _decoded(rows[0], ("envelope",))}
        for key, order in (("transitions", "seq"), ("model_calls", "id"), ("tool_calls", "id"),
                           ("thoughts", "id")):
            found = archived.get(key, []) if archived else await self._rows(
                f"SELECT * FROM {key} WHERE op_id = ? ORDER BY {order}", (op_id,))
            out[key] = [_decoded(r, ("payload", "arguments", "data", "telemetry"))
                        for r in found]
        return out

    async def recent_model_calls(self, per_provider: int = 50) -> list[dict[str, Any]]:
        """The newest successful model calls of each provider, oldest first: what a
        brain's measured speed starts from (governance.routes.throughput)."""
        sql = """SELECT provider, prompt_tokens, completion_tokens, latency_ms, telemetry
                 FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY provider ORDER BY id DESC)
                       AS n FROM model_calls WHERE ok = 1)
                 WHERE n <= ? ORDER BY id"""
        return [dict(r) for r in await self._rows(sql, (per_provider,))]

    async def plan_outcomes(self) -> dict[str, tuple[int, int]]:
        """brain -> (PLAN replies, usable ones), from the PLAN transitions' payloads."""
        sql = """SELECT json_extract(payload, '$.brain') AS brain, COUNT(*),
                        SUM(json_extract(payload, '$.plan_usable') = 1)
                 FROM transitions WHERE from_phase = 'PLAN'
                   AND json_extract(payload, '$.brain') IS NOT NULL GROUP BY brain"""
        return {r[0]: (int(r[1]), int(r[2] or 0)) for r in await self._rows(sql)}

    async def cost_since(self, iso_ts: str, providers: Iterable[str] | None = None) -> float:
        """The model calls' cost since `iso_ts`; of `providers`' calls only, when named."""
        names = list(providers) if providers is not None else None
        where = f" AND provider IN ({','.join('?' * len(names))})" if names else ""
        if names == []:
            return 0.0
        rows = await self._rows("SELECT COALESCE(SUM(cost_usd), 0) FROM model_calls "
                                f"WHERE ts >= ?{where}", (iso_ts, *(names or ())))
        return float(rows[0][0])


def _decoded(found: sqlite3.Row, json_cols: Iterable[str]) -> dict[str, Any]:
    row = dict(found)
    for col in _HASH_COLUMNS:
        row.pop(col, None)
    for col in json_cols:
        if col in row and isinstance(row[col], str):
            row[col] = json.loads(row[col])
    return row


async def _redacted(text: str) -> str:
    if len(text) <= OFF_LOOP_CHARS:
        return redact(text)
    return await asyncio.to_thread(redact, text)


def _capped(text: str) -> str:
    """At most REPLY_TEXT_CAP characters, as valid UTF-8 (a lone surrogate becomes '?')."""
    text = text.encode("utf-8", "replace").decode("utf-8")
    if len(text) <= REPLY_TEXT_CAP:
        return text
    return text[:REPLY_TEXT_CAP] + f"\n[... {len(text) - REPLY_TEXT_CAP} more chars not kept]"


def _like_prefix(prefix: str) -> str:
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "%"


def _version(db: sqlite3.Connection) -> int:
    return db.execute("SELECT MAX(version) FROM schema_migrations").fetchone()[0] or 0


def migrate(db: sqlite3.Connection, *, path: Path) -> None:
    """Bring the schema to the newest version; each migration with its record, atomically."""
    db.execute("CREATE TABLE IF NOT EXISTS schema_migrations "
               "(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)")
    current = _version(db)
    known = max(v for v, _, _ in MIGRATIONS)
    if current > known:
        raise MigrationError(f"{path} is at schema version {current}, newer than this "
                             f"build's {known}")
    for version, name, sql in MIGRATIONS:
        if version <= current:
            continue
        try:
            db.executescript(f"BEGIN IMMEDIATE;\n{sql}")  # left open: the step and record join
            if version in STEPS:
                STEPS[version](db)
            db.execute("INSERT INTO schema_migrations VALUES (?, ?, ?)",
                       (version, name, _now()))
            db.execute("COMMIT")
        except Exception as exc:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise MigrationError(f"migration {version} ({name}) failed: {exc}") from exc
