"""The eval ledger: `<state>/eval/ledger.sqlite3`, the daemon's Ledger (hash-chained,
append-only), apart from the daemon's own so that eval's ops never feed the daemon's
grounding memory, work records or trust, and `eval` can run while the daemon does.

It holds every eval op's whole chain (transitions, model and tool calls, thoughts) and the
`eval_records` rows: one `run` row when a run starts (its spec), one `task` row per task
judged (daemon.eval.result.TaskResult), one `card` row when the run is done. A run with no
card is unfinished: `eval run` with the same spec resumes it, running only the tasks it
has no row for. `eval report` reads every run back.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from daemon.eval.pointer import ledger_path
from daemon.eval.result import TaskResult
from ledger import Ledger


class RunSpec(BaseModel):
    """What a run is: the same spec resumes an unfinished run instead of starting anew."""

    model_config = ConfigDict(extra="ignore")

    brain: str
    kinds: list[str]
    tasks: list[str] = Field(default_factory=list)  # task ids, in run order
    samples: int = 1  # [generate] samples: the best-of-N hook (docs/eval.md)
    settings: str = ""  # the digest of the settings that shape an op (Settings.work_digest)

    def digest(self) -> str:
        text = json.dumps(self.model_dump(), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass
class Run:
    """One run as the ledger has it."""

    run_id: str
    started: str
    spec: RunSpec
    facts: dict[str, Any]  # what was true when it started: the tree, the machine
    results: list[TaskResult] = field(default_factory=list)
    card: dict[str, Any] | None = None
    finished: str = ""

    @property
    def done(self) -> set[str]:
        return {r.instance for r in self.results}


async def open_ledger(state_dir: Path) -> Ledger:
    return await Ledger.open(ledger_path(state_dir))


def new_run_id() -> str:
    return f"ev-{datetime.now(UTC).strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(2)}"


async def start(ledger: Ledger, spec: RunSpec, facts: dict[str, Any]) -> Run:
    run_id = new_run_id()
    data = {"spec": spec.model_dump(), "digest": spec.digest(), "facts": facts}
    await ledger.record_eval(run_id, "run", brain=spec.brain, data=data)
    return Run(run_id, datetime.now(UTC).isoformat(timespec="seconds"), spec, facts)


async def record_task(ledger: Ledger, run: Run, result: TaskResult) -> None:
    await ledger.record_eval(run.run_id, "task", brain=run.spec.brain,
                             task_id=result.instance, data=result.model_dump(mode="json"))
    run.results.append(result)


async def record_card(ledger: Ledger, run: Run, card: dict[str, Any]) -> None:
    await ledger.record_eval(run.run_id, "card", brain=run.spec.brain, data=card)
    run.card = card


async def runs(ledger: Ledger) -> list[Run]:
    """Every run, oldest first. A row that does not read back (another version's) is
    skipped, not fatal: the report says what it can."""
    found: dict[str, Run] = {}
    for row in await ledger.eval_records():
        data, run = row["data"] or {}, found.get(row["run_id"])
        try:
            if row["kind"] == "run":
                found[row["run_id"]] = Run(row["run_id"], row["ts"],
                                           RunSpec.model_validate(data.get("spec", {})),
                                           data.get("facts", {}))
            elif run is not None and row["kind"] == "task":
                run.results.append(TaskResult.model_validate(data))
            elif run is not None and row["kind"] == "card":
                run.card, run.finished = data, row["ts"]
        except ValidationError:
            continue
    return list(found.values())


async def unfinished(ledger: Ledger, spec: RunSpec) -> Run | None:
    """The newest run with this spec and no card yet."""
    same = [r for r in await runs(ledger) if r.card is None and r.spec.digest() == spec.digest()]
    return same[-1] if same else None

