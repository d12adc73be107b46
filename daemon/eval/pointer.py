"""Where the eval ledger is, and the pointer `ouroboros ledger OP` gives for an eval op.

Light on purpose (the ledger package and the standard library only, no pydantic): the
`ledger` verb imports it on its error path, and that verb stays on the CLI's light path.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from ledger import Ledger, LedgerError

LEDGER = "eval/ledger.sqlite3"  # under the state dir


def ledger_path(state_dir: Path) -> Path:
    return state_dir / LEDGER


def eval_op_pointer(state_dir: Path, op: str | None) -> str | None:
    """Where `ouroboros ledger OP` sends a user whose OP is an eval op: `eval report --op`,
    which reads the eval ledger (kept apart from the daemon's); None when the eval ledger
    has no op matching `op` (or there is none)."""
    if not op or not ledger_path(state_dir).exists():
        return None

    async def find() -> str:
        ledger = await Ledger.open(ledger_path(state_dir))
        try:
            return await ledger.resolve_op(op)
        finally:
            await ledger.close()

    try:
        found = asyncio.run(find())
    except (LedgerError, OSError):
        return None
    return (f"{found} is an eval op, kept in the eval ledger ({ledger_path(state_dir)}), not "
            f"the daemon's: `ouroboros eval report --op {found}` prints its chain")
