"""`ouroboros review [OP]` with no daemon running: the review branches are git branches and
the evidence is in the ledger, so the answer is read from both directly, the same answer the
daemon gives (daemon.reviews.review_data). `accept` and `reject` still need the daemon: they
go through its pipeline and record on the op.

Only when no daemon answers: a running one's answer comes from its socket, and this path
loads what the light socket verbs keep out (GitPython, pydantic, the ledger).
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

from daemon.config import locate
from daemon.errors import CliError, ConfigError

NOTE = ("(the daemon is not running: review branches read from git and evidence from {db}; "
        "accept and reject need the daemon)")


def review_offline(repo: Path, config: Path | None, op: str | None) -> dict[str, Any]:
    """The socket's reply to `review [op]`, read without a daemon."""
    from daemon.config.settings import load_settings
    from daemon.reviews import review_data
    from governance.git.gitops import GitOps
    from governance.git.review import ReviewBranches

    try:
        settings = load_settings(repo, config)
    except ConfigError as exc:
        raise CliError(str(exc)) from None
    db = locate.state_dir(repo, config) / "ledger.sqlite3"
    print(NOTE.format(db=db), file=sys.stderr)
    reviews = ReviewBranches(GitOps(repo), settings.proof.review_branch_prefix)

    async def read() -> dict[str, Any]:
        from ledger import Ledger

        ledger = await Ledger.open(db) if db.is_file() else None  # none yet: no evidence
        try:
            return await review_data(reviews, ledger, op)
        finally:
            if ledger is not None:
                await ledger.close()

    try:
        return {"ok": True, "data": asyncio.run(read())}
    except LookupError as exc:  # no such review: how the op ended, if the ledger knows
        return {"ok": False, "error": str(exc)}
