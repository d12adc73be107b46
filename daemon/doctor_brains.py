"""`ouroboros doctor`'s word on a running daemon's brains that are down (issue 44, item 4):
which brain, since when, how many ops wait for it, and what to start.

Read-only: the running daemon is asked for its `status` (its failback chain's `down`,
governance.brains.provider_chain.ProviderChain.down), nothing else; no daemon answering,
there is nothing to say here (the configured brains' own checks say whether their servers
answer now). The checks come back as (name, status, detail, fix) tuples, as
daemon.doctor_host's do.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from daemon.doctor_ask import running_section
from daemon.status.outage_text import down_line

Found = tuple[str, str, str, str]  # (name, "ok" | "warn", detail, fix)


def brains_down(repo: Path, config: Path | None,
                environ: Mapping[str, str]) -> list[Mapping[str, Any]] | None:
    """The running daemon's brains that are down ([] for none), None when no daemon
    answers or it has no failback chain."""
    failback = running_section(repo, config, environ, "failback")
    down = failback.get("down") if isinstance(failback, dict) else None
    return [b for b in down if isinstance(b, dict)] if isinstance(down, list) else None


def down_checks(down: list[Mapping[str, Any]] | None) -> list[Found]:
    """One warning per brain down in the running daemon; one ok line when none is."""
    if down is None:
        return []
    if not down:
        return [("running brains", "ok", "every brain of the running daemon answers", "")]
    return [(f"brain {b.get('name')}", "warn", f"the running daemon: {down_line(b)}",
             str(b.get("fix") or "")) for b in down]
