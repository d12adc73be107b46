"""The newest change to each library function a failure is caused by, as a diff of that
function alone: what a maintainer reads first when a test starts failing.

A small model shown only the function as it is now rewrote the wrong method, or the whole
class (issue 50: Qwen2.5-Coder-1.5B on python-semver, where a human's commit had added
`, self._patch` to `bump_minor`'s return and five tests failed). Shown the commit's own
lines beside it, the fix is the one line the commit changed. The failure's `fn:` causes
come from the recent changes step by step (sensors.failure_diff, newest first); the step
that changed a function names its two revisions, and the function is read on both sides.
Nothing here is proof of anything: the diff is a hint in the prompt (governance.brains.
prompts shows it under the reached code), and the commit's subject is the repository's
text, quoted as such.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from pathlib import Path

from governance.brains.reached_code import code_of
from sensors.failure_diff import Changes, Read, git, shown

MAX_FUNCTIONS = 3  # causes a piece of work shows the newest change of
MAX_DIFF_CHARS = 2_000  # of one function's diff: a longer one is left out, not cut
SUBJECT_CHARS = 200


def newest_changes(root: Path, changed: Changes, causes: Iterable[str],
                   read: Read, tests_step: int | None = None) -> list[dict[str, str]]:
    """For each `fn:` cause that one of the recent steps changed (the newest step that
    did), {"cause", "commit" ('' for the edits not committed yet), "subject", "diff"}; a
    function that is new in that step (no before), unchanged in text, or whose diff is
    over MAX_DIFF_CHARS is left out, and so is one changed before the step that changed
    the failing tests' own defs (`tests_step`): they ask for what it never did."""
    out = []
    for cause in sorted(c for c in causes if c.startswith("fn:")):
        if len(out) == MAX_FUNCTIONS:
            break
        step = next((i for i, s in enumerate(changed.newest_first) if cause[3:] in s), None)
        if step is None or step >= len(changed.revs) or (
                tests_step is not None and tests_step < step):
            continue
        old, new = changed.revs[step]
        path, _, symbol = cause[3:].partition("::")
        diff = function_diff(shown(root, old)(path), (read if new is None else
                                                      shown(root, new))(path), symbol)
        if diff and len(diff) <= MAX_DIFF_CHARS:
            subject = git(root, "log", "-1", "--format=%s", new) if new else None
            out.append({"cause": cause, "commit": new or "", "diff": diff,
                        "subject": " ".join((subject or "").split())[:SUBJECT_CHARS]})
    return out


def function_diff(before: str, after: str, symbol: str) -> str:
    """`symbol`'s lines changed from `before` to `after`, as a unified diff whose line
    numbers are the files' own; '' when either side does not define it or it is the same."""
    old, new = code_of(before, symbol, 10_000, 100_000), code_of(after, symbol, 10_000, 100_000)
    if old is None or new is None or old.text == new.text:
        return ""
    hunks = difflib.unified_diff(old.text.splitlines(), new.text.splitlines(), lineterm="", n=2)
    lines = [_renumbered(h, old.first, new.first) for h in list(hunks)[2:]]  # no file header
    return "\n".join(lines)


def _renumbered(line: str, old_first: int, new_first: int) -> str:
    """A hunk header's line numbers moved from the function's to the file's."""
    if not line.startswith("@@ "):
        return line
    old, new = line.split(" ")[1:3]

    def moved(side: str, first: int) -> str:
        start, _, count = side[1:].partition(",")
        return f"{side[0]}{int(start) + first - 1}" + (f",{count}" if count else "")
    return f"@@ {moved(old, old_first)} {moved(new, new_first)} @@"
