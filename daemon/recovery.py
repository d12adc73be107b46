"""Start-up recovery: finish what a crashed run left behind.

An op that applied but never finished has a rollback snapshot on disk: if its commit made
it into HEAD the change stands; otherwise the snapshot is restored. Every op without a
terminal row then gets one, so the ledger never shows an op still 'running' after a crash.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import structlog

from governance.gitops import GitOps
from governance.rollback import RollbackSnapshot, pending_snapshots
from ledger import Ledger

log = structlog.get_logger("daemon.recovery")


async def recover(ledger: Ledger, git: GitOps, state_dir: Path) -> list[str]:
    """Restore or confirm leftover snapshots and close unfinished ops; return notes."""
    notes: list[str] = []
    outcome: dict[str, str] = {}
    for directory in pending_snapshots(state_dir):
        op_id = directory.name
        snapshot = RollbackSnapshot.load(directory, git.root)
        if await asyncio.to_thread(git.head_has_op, op_id):
            outcome[op_id] = "committed"
        else:
            await asyncio.to_thread(snapshot.restore)
            outcome[op_id] = "restored"
        snapshot.discard()
    for op_id, last in await ledger.unfinished_ops():
        if outcome.get(op_id) == "committed":
            await ledger.append_transition(op_id, from_phase=last or None, to_phase="COMPLETE",
                                           reason="recovered after restart: commit found")
        else:
            what = ("applied files restored from the rollback snapshot"
                    if outcome.get(op_id) == "restored" else "nothing had been applied")
            await ledger.append_transition(
                op_id, from_phase=last or None, to_phase="POSTMORTEM",
                reason=f"daemon stopped during {last or 'start'}; {what}")
        notes.append(f"{op_id}: {outcome.get(op_id, 'closed')}")
    for note in notes:
        log.warning("recovered unfinished op", detail=note)
    return notes
