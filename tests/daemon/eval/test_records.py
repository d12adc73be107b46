"""daemon.eval.records: runs, task results and cards in the eval ledger's eval_records
(hash-chained, append-only); an unfinished run of the same spec is found for resuming."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from daemon.eval import records
from daemon.eval.records import RunSpec
from daemon.eval.result import TaskResult, Verdict
from ledger.verify import verify_file


async def test_a_run_is_recorded_resumed_and_finished(tmp_path: Path) -> None:
    ledger = await records.open_ledger(tmp_path)
    try:
        spec = RunSpec(brain="kernel", kinds=["repair"], tasks=["aaa", "bbb"])
        run = await records.start(ledger, spec, {"tree": "t1"})
        first = TaskResult(task="aaa", kind="repair", date="2024-01-01",
                           verdict=Verdict.RESOLVED, cost_usd=0.5)
        await records.record_task(ledger, run, first)
        found = await records.unfinished(ledger, spec)
        assert found is not None and found.run_id == run.run_id
        assert found.done == {"aaa:repair"} and found.results == [first]
        other = spec.model_copy(update={"brain": "replay:fix"})
        assert await records.unfinished(ledger, other) is None
        await records.record_card(ledger, run, {"run_id": run.run_id, "tasks": 1})
        assert await records.unfinished(ledger, spec) is None
        [back] = await records.runs(ledger)
        assert back.card == {"run_id": run.run_id, "tasks": 1} and back.finished
        assert back.facts == {"tree": "t1"}
    finally:
        await ledger.close()
    report = verify_file(records.ledger_path(tmp_path))
    assert report.ok and report.rows["eval_records"] == 3, report.problems


async def test_eval_records_are_append_only(tmp_path: Path) -> None:
    ledger = await records.open_ledger(tmp_path)
    try:
        await records.start(ledger, RunSpec(brain="kernel", kinds=["repair"]), {})
    finally:
        await ledger.close()
    db = sqlite3.connect(records.ledger_path(tmp_path))
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db.execute("UPDATE eval_records SET brain = 'other'")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db.execute("DELETE FROM eval_records")
    db.close()
