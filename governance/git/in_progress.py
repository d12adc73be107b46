"""A human's unfinished multi-step git command, read from what it leaves in the git dir.

While one is under way the daemon neither applies nor commits: a commit made then would
land inside their rebase, be the commit their bisect marks good or bad, or be dropped by
their `--abort`. Each marker lives in the checkout's own git dir (a linked worktree's
`.git/worktrees/<name>`), which is what GitPython's `git_dir` names.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

# How long a commit waits for the human's git to release .git/index.lock: `git status` or
# `git add` hold it for milliseconds; a `git commit -- FILE` in its editor holds it for as
# long as the editor is open, and the op then rolls back rather than race it.
INDEX_LOCK_WAIT_S = 2.0

# (what git leaves while the command is unfinished, what to call the command): the
# files and folders `git status` reads to say "You are currently ..." (wt-status.c).
MARKERS: tuple[tuple[str, str], ...] = (
    ("rebase-merge", "a rebase"),
    ("rebase-apply", "a rebase or `git am`"),
    ("MERGE_HEAD", "a merge"),
    ("CHERRY_PICK_HEAD", "a cherry-pick"),
    ("REVERT_HEAD", "a revert"),
    ("sequencer", "a cherry-pick or revert of several commits"),
    ("BISECT_START", "a bisect"),
)


def operation_in_progress(git_dir: Path) -> str | None:
    """The unfinished git command in `git_dir` ("a rebase", ...), or None. A marker that
    cannot be looked at counts as present: the answer gates writes."""
    for name, what in MARKERS:
        try:
            (git_dir / name).lstat()
        except FileNotFoundError:
            continue
        except OSError:
            return f"{what} (its marker {name} cannot be read)"
        return what
    return None


def index_held(git_dir: Path, wait_s: float = INDEX_LOCK_WAIT_S) -> bool:
    """True if `index.lock` is still there after `wait_s`. Polled: git announces nothing,
    and the commit runs in a worker thread, never on the event loop."""
    lock = git_dir / "index.lock"
    deadline = time.monotonic() + wait_s
    while os.path.lexists(lock):
        if time.monotonic() >= deadline:
            return True
        time.sleep(0.05)
    return False
