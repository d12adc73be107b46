"""Ledger: async, append-only SQLite store (aiosqlite, WAL mode).

One connection, one writer: each event is its own transaction, and transition sequence
numbers are assigned inside it, so (op_id, seq) is gapless and monotonic per op.

Every text that is recorded (reasons, payloads, thoughts, tool arguments and results,
model errors, envelopes) passes through governance.redact first: a secret-looking value
never reaches the database file.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiosqlite

from governance.redact import redact, redact_data
from ledger.errors import MigrationError, UnknownOperation
from ledger.migrations import MIGRATIONS

REPLY_TEXT_CAP = 16 * 1024  # characters of a model reply kept per call
TERMINAL_PHASES = ("COMPLETE", "POSTMORTEM", "CANCELLED", "BLOCKED", "FAILED_PERMANENT")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def _dump(data: Any) -> str:
    """JSON text of `data` with every string in it redacted."""
    return json.dumps(redact_data(json.loads(json.dumps(data, default=str))), sort_keys=True)


class Ledger:
    """The daemon's record. Open with `await Ledger.open(path)`; close with `await close()`."""

    def __init__(self, db: aiosqlite.Connection, path: Path):
        self._db = db
        self.path = path

    @classmethod
    async def open(cls, path: Path) -> Ledger:
        path.parent.mkdir(parents=True, exist_ok=True)
        db = await aiosqlite.connect(path)
        try:
            db.row_factory = aiosqlite.Row
            await db.execute("PRAGMA journal_mode=WAL")
            await db.execute("PRAGMA synchronous=NORMAL")
            await db.execute("PRAGMA foreign_keys=ON")
            await db.execute("PRAGMA busy_timeout=5000")
            ledger = cls(db, path)
            await ledger._migrate()
        except BaseException:
            await db.close()  # no connection thread outlives a failed open
            raise
        return ledger

    async def close(self) -> None:
        await self._db.close()

    async def _migrate(self) -> None:
        await self._db.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations "
            "(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)")
        await self._db.commit()
        async with self._db.execute("SELECT MAX(version) FROM schema_migrations") as cur:
            current = (await cur.fetchone())[0] or 0
        known = max(v for v, _, _ in MIGRATIONS)
        if current > known:
            raise MigrationError(
                f"{self.path} is at schema version {current}, newer than this build's {known}")
        for version, name, sql in MIGRATIONS:
            if version <= current:
                continue
            record = ("INSERT INTO schema_migrations VALUES "
                      f"({version}, {_sql_text(name)}, {_sql_text(_now())});")
            try:
                await self._db.executescript(f"BEGIN;\n{sql}\n{record}\nCOMMIT;")
            except Exception as exc:
                await self._db.rollback()
                raise MigrationError(f"migration {version} ({name}) failed: {exc}") from exc

    async def schema_version(self) -> int:
        async with self._db.execute("SELECT MAX(version) FROM schema_migrations") as cur:
            return (await cur.fetchone())[0] or 0

    # -- writes -------------------------------------------------------------------------

    async def record_operation(self, op_id: str, *, source: str, goal: str, session_id: str,
                               envelope: dict[str, Any]) -> None:
        await self._db.execute(
            "INSERT INTO operations VALUES (?, ?, ?, ?, ?, ?)",
            (op_id, _now(), source, redact(goal), session_id, _dump(envelope)))
        await self._db.commit()

    async def append_transition(self, op_id: str, *, from_phase: str | None, to_phase: str,
                                reason: str, cost_delta: float = 0.0,
                                payload: dict[str, Any] | None = None) -> int:
        """Append one transition row and return its sequence number."""
        async with self._db.execute(
                "SELECT COALESCE(MAX(seq), -1) + 1 FROM transitions WHERE op_id = ?",
                (op_id,)) as cur:
            seq = (await cur.fetchone())[0]
        await self._db.execute(
            "INSERT INTO transitions VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (op_id, seq, _now(), from_phase, to_phase, redact(reason), cost_delta,
             _dump(payload or {})))
        await self._db.commit()
        return seq

    async def record_model_call(self, op_id: str, *, phase: str, provider: str, model: str = "",
                                prompt_tokens: int = 0, completion_tokens: int = 0,
                                cost_usd: float = 0.0, latency_ms: float = 0.0, ok: bool = True,
                                error: str = "", telemetry: dict[str, Any] | None = None,
                                reply_text: str = "") -> None:
        """One model call; its reply text is redacted, then capped at REPLY_TEXT_CAP."""
        await self._db.execute(
            "INSERT INTO model_calls (op_id, ts, phase, provider, model, prompt_tokens, "
            "completion_tokens, cost_usd, latency_ms, ok, error, telemetry, reply_text) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (op_id, _now(), phase, provider, model, prompt_tokens, completion_tokens, cost_usd,
             latency_ms, int(ok), redact(error), _dump(telemetry or {}),
             _capped(redact(reply_text))))
        await self._db.commit()

    async def record_tool_call(self, op_id: str, *, round: int, tool: str,
                               arguments: dict[str, Any], verdict: str, rule: str = "",
                               reason: str = "", result_bytes: int = 0, truncated: bool = False,
                               duration_ms: float = 0.0) -> None:
        await self._db.execute(
            "INSERT INTO tool_calls (op_id, ts, round, tool, arguments, verdict, rule, reason, "
            "result_bytes, truncated, duration_ms) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (op_id, _now(), round, tool, _dump(arguments), verdict, rule, redact(reason),
             result_bytes, int(truncated), duration_ms))
        await self._db.commit()

    async def record_thought(self, op_id: str | None, phase: str, msg: str,
                             data: dict[str, Any] | None = None) -> None:
        await self._db.execute(
            "INSERT INTO thoughts (op_id, ts, phase, msg, data) VALUES (?, ?, ?, ?, ?)",
            (op_id, _now(), phase, redact(msg), _dump(data or {})))
        await self._db.commit()

    async def wal_append(self, event: str, *, dedup_key: str, session_id: str,
                         envelope: dict[str, Any] | None = None) -> None:
        await self._db.execute(
            "INSERT INTO intake_wal (ts, event, dedup_key, session_id, envelope) "
            "VALUES (?, ?, ?, ?, ?)",
            (_now(), event, dedup_key, session_id, _dump(envelope or {})))
        await self._db.commit()

    # -- reads --------------------------------------------------------------------------

    async def wal_pending(self) -> list[dict[str, Any]]:
        """Envelopes enqueued and never dispatched or dropped (oldest first)."""
        sql = """SELECT w.envelope FROM intake_wal w
                 WHERE w.event = 'enqueued' AND NOT EXISTS (
                   SELECT 1 FROM intake_wal later WHERE later.dedup_key = w.dedup_key
                     AND later.id > w.id AND later.event IN ('dispatched', 'dropped'))
                 ORDER BY w.id"""
        async with self._db.execute(sql) as cur:
            return [json.loads(r[0]) for r in await cur.fetchall()]

    async def resolve_op(self, prefix: str) -> str:
        """The unique op id starting with `prefix` (with or without the 'op-')."""
        # "op", "op-" and "op-3f" are spelled with the prefix; "3f" without it.
        like = prefix if prefix.startswith("op-") or "op-".startswith(prefix) \
            else f"op-{prefix}"
        async with self._db.execute(
                "SELECT op_id FROM operations WHERE op_id LIKE ? ESCAPE '\\' LIMIT 6",
                (_like_prefix(like),)) as cur:
            matches = [r[0] for r in await cur.fetchall()]
        if len(matches) != 1:
            raise UnknownOperation(prefix, matches)
        return matches[0]

    async def operations(self, limit: int = 50) -> list[dict[str, Any]]:
        """Most recent ops with their latest phase and total cost."""
        sql = """SELECT o.op_id, o.created_at, o.source, o.goal,
                   (SELECT to_phase FROM transitions t WHERE t.op_id = o.op_id
                      ORDER BY seq DESC LIMIT 1) AS phase,
                   (SELECT COALESCE(SUM(cost_usd), 0) FROM model_calls m
                      WHERE m.op_id = o.op_id) AS cost_usd
                 FROM operations o ORDER BY o.created_at DESC, o.rowid DESC LIMIT ?"""
        async with self._db.execute(sql, (limit,)) as cur:
            return [dict(r) for r in await cur.fetchall()]

    async def unfinished_ops(self) -> list[tuple[str, str]]:
        """(op_id, last phase) of every op with no terminal transition: crash leftovers."""
        marks = ",".join("?" * len(TERMINAL_PHASES))
        sql = f"""SELECT o.op_id, (SELECT to_phase FROM transitions t WHERE t.op_id = o.op_id
                                     ORDER BY seq DESC LIMIT 1)
                  FROM operations o WHERE NOT EXISTS (
                    SELECT 1 FROM transitions t WHERE t.op_id = o.op_id
                      AND t.to_phase IN ({marks}))"""
        async with self._db.execute(sql, TERMINAL_PHASES) as cur:
            return [(r[0], r[1] or "") for r in await cur.fetchall()]

    async def chain(self, op_id: str) -> dict[str, Any]:
        """Everything recorded about one op, in order: the causal chain."""
        out: dict[str, Any] = {}
        async with self._db.execute("SELECT * FROM operations WHERE op_id = ?", (op_id,)) as cur:
            row = await cur.fetchone()
        if row is None:
            raise UnknownOperation(op_id, [])
        out["operation"] = _decoded(dict(row), ("envelope",))
        for key, table, order in (("transitions", "transitions", "seq"),
                                  ("model_calls", "model_calls", "id"),
                                  ("tool_calls", "tool_calls", "id"),
                                  ("thoughts", "thoughts", "id")):
            async with self._db.execute(
                    f"SELECT * FROM {table} WHERE op_id = ? ORDER BY {order}", (op_id,)) as cur:
                out[key] = [_decoded(dict(r), ("payload", "arguments", "data", "telemetry"))
                            for r in await cur.fetchall()]
        return out

    async def cost_since(self, iso_ts: str) -> float:
        async with self._db.execute(
                "SELECT COALESCE(SUM(cost_usd), 0) FROM model_calls WHERE ts >= ?",
                (iso_ts,)) as cur:
            return float((await cur.fetchone())[0])


def _decoded(row: dict[str, Any], json_cols: Iterable[str]) -> dict[str, Any]:
    for col in json_cols:
        if col in row and isinstance(row[col], str):
            row[col] = json.loads(row[col])
    return row


def _capped(text: str) -> str:
    """At most REPLY_TEXT_CAP characters, as valid UTF-8 (a lone surrogate becomes '?')."""
    text = text.encode("utf-8", "replace").decode("utf-8")
    if len(text) <= REPLY_TEXT_CAP:
        return text
    return text[:REPLY_TEXT_CAP] + f"\n[... {len(text) - REPLY_TEXT_CAP} more chars not kept]"


def _like_prefix(prefix: str) -> str:
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "%"


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"
