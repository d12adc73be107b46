"""Failures that arrive while a running op holds their cause, on the real queue with its
SQLite ledger (sensors.parked_failures): parked with the op (a WAL row under the parked
key), then settled by how the op ended: joined to its review, queued with its work after a
failure (or held back by that work's backoff, said in the ledger), offered again by the
next start after a shutdown. The commit's real-pytest rerun is tested with a real daemon
(tests/daemon/test_one_op_per_cause.py)."""

from __future__ import annotations

import contextlib
import json
import sqlite3
from pathlib import Path

from governance.schemas import SignalEnvelope, Urgency
from ledger import Ledger
from sensors.router import parked_key
from tests.helpers import intake_queue, work_memory

CAUSE = "fn:wordy/__init__.py::ordinal"


def failing(key: str, *tests: str) -> SignalEnvelope:
    return SignalEnvelope(source="test_failure", urgency=Urgency.HIGH,
                          target_files=("tests/test_w.py", "wordy/__init__.py"),
                          goal=f"Make {tests} pass", confidence=0.9, dedup_key=key,
                          session_id="s", evidence={"test_id": tests[0], "tests": list(tests),
                                                    "causes": [CAUSE]})


def _thoughts(ledger: Ledger) -> list[tuple[str | None, str, dict]]:
    with contextlib.closing(sqlite3.connect(ledger.path)) as db:
        rows = db.execute("SELECT op_id, msg, data FROM thoughts").fetchall()
    return [(op, msg, json.loads(data)) for op, msg, data in rows]


async def _running_with_parked(tmp_path: Path, backoff_s: list[float] | None = None):
    """A queue whose op for k1 runs, and a later run of its cause (a new test) parked."""
    ledger = await Ledger.open(tmp_path / "l.sqlite3")
    q = intake_queue(ledger) if backoff_s is None else intake_queue(
        ledger, work=work_memory(ledger, backoff_s=backoff_s))
    assert await q.put(failing("k1", "t.py::a"))
    op_env = await q.pop_ready()
    assert op_env is not None and op_env.dedup_key == "k1"
    assert await q.put(failing("k1", "t.py::a", "t.py::b"))  # the sensor's next run
    assert not await q.put(failing("k1", "t.py::b"))  # nothing new: a duplicate
    assert len(q) == 0 and q.router.parked["k1"].evidence["tests"] == ["t.py::a", "t.py::b"]
    assert [e.get("waiting_for") for e in q.snapshot()] == ["k1"]  # status shows it
    pending = [e["dedup_key"] for e in await ledger.wal_pending()]
    assert pending == [parked_key("k1")]  # a restart would offer it again
    return ledger, q, op_env


async def test_parked_failures_join_the_review_their_op_went_to(tmp_path: Path):
    ledger, q, op_env = await _running_with_parked(tmp_path)
    await q.finished(op_env, "op-1", "PROPOSED", "")
    assert len(q) == 0 and not q.router.parked
    [(op, msg, data)] = _thoughts(ledger)
    assert op == "op-1" and "join its review" in msg and data["tests"] == ["t.py::a", "t.py::b"]
    assert await ledger.wal_pending() == []
    await ledger.close()


async def test_after_a_failed_op_they_wait_with_its_work_and_its_backoff_says_when(
        tmp_path: Path):
    ledger, q, op_env = await _running_with_parked(tmp_path)
    await q.finished(op_env, "op-1", "POSTMORTEM", "the candidate failed")
    assert len(q) == 0
    [(_, held, _), (op, msg, data)] = _thoughts(ledger)
    assert held.startswith("work held back: failed 1 time(s)") and "waits for a change" in held
    assert op == "op-1" and "wait with its work (POSTMORTEM)" in msg and "retried after" in msg
    assert data["tests"] == ["t.py::a", "t.py::b"]
    await ledger.close()


async def test_after_a_failed_op_with_no_backoff_they_are_queued_as_one_with_its_work(
        tmp_path: Path):
    ledger, q, op_env = await _running_with_parked(tmp_path, backoff_s=[0])
    await q.finished(op_env, "op-1", "POSTMORTEM", "the candidate failed")
    again = await q.pop_ready()
    assert again is not None and again.dedup_key == "k1"  # the op's key: its work record
    assert again.evidence["tests"] == ["t.py::a", "t.py::b"]
    assert parked_key("k1") in again.evidence["merged_keys"]
    assert await ledger.wal_pending() == []
    await ledger.close()


async def test_a_shutdown_leaves_them_for_the_next_start(tmp_path: Path):
    ledger, q, op_env = await _running_with_parked(tmp_path)
    await q.finished(op_env, "op-1", None, "")  # cut short by the daemon's own shutdown
    assert len(q) == 0 and _thoughts(ledger) == []
    await ledger.close()
    ledger = await Ledger.open(tmp_path / "l.sqlite3")
    again = intake_queue(ledger)
    assert await again.rehydrate(ttl_s=3600) == 1
    env = await again.pop_ready()
    assert env is not None and env.dedup_key == parked_key("k1")
    assert env.evidence["tests"] == ["t.py::a", "t.py::b"]
    await ledger.close()


async def test_after_a_commit_with_no_runner_they_are_queued_as_they_are(tmp_path: Path):
    ledger, q, op_env = await _running_with_parked(tmp_path)
    await q.finished(op_env, "op-1", "COMPLETE", "")
    env = await q.pop_ready()
    assert env is not None and env.dedup_key == parked_key("k1")
    assert env.evidence["not_rechecked"] == "no jailed runner"
    assert env.evidence["tests"] == ["t.py::a", "t.py::b"]
    await ledger.close()
