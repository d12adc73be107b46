"""A human's unfinished multi-step git command, read from what it leaves in the git dir.

While one is under way the daemon neither applies nor commits: a commit made then would
land inside their rebase, be the commit their bisect marks good or bad, or be dropped by
their `--abort`. Each marker lives in the checkout's own git dir (a linked worktree's
`.git/worktrees/<name>`), which is what GitPython's `git_dir` names.
"""

from __future__ import annotations

from pathlib import Path

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
