"""Whether a review's kept missing test is on the human's branch already (issue 45's item 3
leftover): after `accept OP --tests` the test lands alone, and the review's reason ("one
unchecked line") is stale: the line is checked now, by a test of the suite that was checked,
in the jail, to fail with the line's mutant switched on and pass without it.

Re-checked from git each time reviews are listed, never remembered: a kept test's commit
(`<prefix>tests/<op-id>`, which stays after it lands alone) counts as landed while every
file it adds or changes is on HEAD exactly as the commit holds it. Edit or delete the test
on your branch and the review's reason is back. Two git processes, whatever the number of
reviews. Blocking: the daemon calls it in threads.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Mapping

from governance.git.review import ReviewBranches

_SHA = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")


def landed(reviews: ReviewBranches, tips: Mapping[str, str]) -> set[str]:
    """The op ids among `tips` (op id: its kept test's commit) whose test is on HEAD."""
    if not tips:
        return set()
    try:
        files = _written(reviews, tips.values())
        paths = sorted({p for found in files.values() for p in found})
        head = _head_blobs(reviews, paths)
    except (subprocess.CalledProcessError, OSError):  # no HEAD yet, git gone: not landed
        return set()
    return {op for op, sha in tips.items()
            if files.get(sha) and all(head.get(p) == oid for p, oid in files[sha].items())}


def _written(reviews: ReviewBranches, shas) -> dict[str, dict[str, str]]:
    """{commit: {path: blob}} of what each commit adds or changes against its parent."""
    out = reviews._run("diff-tree", "--stdin", "-r", "-z", "--no-renames",
                       stdin=("\n".join(shas) + "\n").encode())
    found: dict[str, dict[str, str]] = {}
    tokens = out.decode("utf-8", "surrogateescape").split("\0")
    commit, n = "", 0
    while n < len(tokens):
        token = tokens[n].strip()
        if _SHA.fullmatch(token):
            commit, n = token, n + 1
            found.setdefault(commit, {})
        elif token.startswith(":") and n + 1 < len(tokens):
            fields = token.split()
            if fields[-1] != "D":
                found.setdefault(commit, {})[tokens[n + 1]] = fields[3]
            n += 2
        else:
            n += 1
    return found


def _head_blobs(reviews: ReviewBranches, paths: list[str]) -> dict[str, str]:
    if not paths:
        return {}
    out = reviews._run("ls-tree", "-z", "--full-tree", "HEAD", "--", *paths)
    blobs = {}
    for entry in out.decode("utf-8", "surrogateescape").split("\0"):
        meta, _, path = entry.partition("\t")
        if path and len(fields := meta.split()) == 3 and fields[1] == "blob":
            blobs[path] = fields[2]
    return blobs
