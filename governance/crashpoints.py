"""Named crash points: where the crash test kills a real daemon. Inert in production.

`crashpoint(name)` does nothing unless the environment variable OUROBOROS_CRASH_AT names
that point; then the process SIGKILLs itself (its whole process group when it leads one, so
a git child dies with it, as under systemd's stop or an OOM kill of the unit). A point that
takes a detail (the path being written) fires for `name` or `name:detail`.
Only the crash suites set the variable (tests/daemon/test_crash.py, test_archive_crash.py,
test_propose_crash.py); start-up recovery must repair every state a kill at any of these
points leaves behind.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable

ENV = "OUROBOROS_CRASH_AT"

# Where each point sits, in the order an op reaches them.
POINTS: dict[str, str] = {
    "apply_after_snapshot": "APPLY: snapshot on disk, nothing written yet",
    "atomic_before_rename": "atomic write: temp file complete, not yet renamed over the target",
    "apply_between_files": "APPLY: the first file written, the others not",
    "commit_temp_index": "the commit's own temporary index written in .git, no tree yet",
    "commit_before_update_ref": "commit object made, HEAD not moved",
    "commit_after_update_ref": "HEAD moved, the real index not yet refreshed",
    "index_sync_locked": "git holds .git/index.lock while our index update is in flight",
    "before_terminal_row": "commit made and index refreshed, terminal ledger row not written",
    "after_terminal_row": "terminal row written, rollback snapshot not yet discarded",
}
# The ledger's retention pass (ledger.retention), in order; tests/daemon/test_archive_crash.py
# tries each (tests/daemon/test_crash.py tries POINTS).
LEDGER_POINTS: dict[str, str] = {
    "archive_temp_written": "segment written to its temp file, not yet renamed",
    "archive_file_named": "segment file in place, no archives row names it yet",
    "archive_rows_deleted": "archives row inserted and rows deleted, not yet committed",
}
# A proposal (governance.phases.propose, then the dispatcher's work record); tests/daemon/
# test_propose_crash.py tries each, and POINTS' before_terminal_row between them.
PROPOSE_POINTS: dict[str, str] = {
    "propose_before_branch": "PROPOSE: the review's change ready, no commit or branch made",
    "propose_temp_index": "PROPOSE: the review's private index written in .git, no tree yet",
    "propose_after_branch": "PROPOSE: review branch made, the op's PROPOSED row not written",
    "propose_after_test_branch": "PROPOSE: the kept missing test's branch made too, no row",
    "before_work_record": "terminal row written, the work record (sensors.work_memory) not",
}


def crashpoint(name: str, detail: str = "", ready: Callable[[], bool] | None = None) -> None:
    """Die here if the crash test asked for this point (after `ready()` holds, if given,
    waiting at most 2 s: e.g. until a git child has taken its lock)."""
    want = os.environ.get(ENV)
    if not want or want not in (name, f"{name}:{detail}"):
        return
    if name not in {**POINTS, **LEDGER_POINTS, **PROPOSE_POINTS}:  # a typo must not pass
        raise ValueError(f"unknown crash point {name!r}")
    deadline = time.monotonic() + 2.0
    while ready is not None and not ready() and time.monotonic() < deadline:
        time.sleep(0.005)
    pid = os.getpid()
    if os.getpgid(0) == pid:
        os.killpg(pid, signal.SIGKILL)
    os.kill(pid, signal.SIGKILL)
