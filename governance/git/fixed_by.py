"""Which landed commit already holds what an op would change (issue 51 item 3): an op whose
candidate is empty relative to its base, for failures seen at an older HEAD, was overtaken
by a commit that changed its target files in between: its work is "fixed by" that commit,
not a POSTMORTEM. Blocking (git); the phases call it in a thread.
"""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from pathlib import Path

GIT_TIMEOUT_S = 20.0


def fixed_by(root: Path, seen: str, base: str, files: Sequence[str]) -> str | None:
    """The newest commit of `seen..base` that changed one of `files`, if any (None when
    `seen` is `base`, unknown, or git cannot say)."""
    if not seen or not base or seen == base or not files:
        return None
    try:
        out = subprocess.run(["git", "-C", str(root), "rev-list", "-1", f"{seen}..{base}",
                              "--", *files], capture_output=True, text=True,
                             timeout=GIT_TIMEOUT_S)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None
