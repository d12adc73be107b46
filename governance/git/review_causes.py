"""Which waiting review holds a piece of work, read from git alone.

A review commit (governance.phases.propose) names the work it is for in two trailers:
`Work-Key:` (the signal's dedup key) and one `Cause:` per cause it fixes
(sensors.failure_causes). A new signal with that key or one of those causes joins the
review instead of opening another. Git is the record because the branch is the review: a
daemon killed after the branch was made and before its ledger row or its work record were
written finds it here all the same (a kill -9 during a proposal once left the same work
proposed twice, the second op finding no record of the first).

A review holds its work while its branch is ours (its commit's `Op-Id:` names the branch's
op) and the files it changes are as they were at its base in HEAD: once a commit changes
them, the review is stale and new work may start (as sensors.work_memory's `proposed`
record releases its key when the code changes).

Blocking (git processes): called in a thread.
"""

from __future__ import annotations

import os
import subprocess
import threading
from collections.abc import Iterable, Sequence

from governance.git.review import OP_ID, ReviewBranches
from governance.schemas import FileChange

KEY = "Work-Key"
CAUSE = "Cause"
MAX_CAUSES = 16  # Cause: trailers one review commit carries
MAX_KNOWN = 4096  # (ref, commit) pairs whose trailers are remembered


def trailers_for(key: str, causes: Iterable[str]) -> str:
    """The trailer lines naming the work (appended to the review commit's trailers); a
    value with a control character is left out, never written across lines."""
    values = [(KEY, key), *((CAUSE, c) for c in sorted(causes)[:MAX_CAUSES])]
    return "".join(f"{k}: {v}\n" for k, v in values
                   if v and v.isprintable() and v.strip() == v)


class ReviewCauses:
    """The keys and causes the open reviews of `reviews` hold."""

    def __init__(self, reviews: ReviewBranches):
        self.reviews = reviews
        self._lock = threading.Lock()
        self._known: dict[tuple[str, str], tuple[str, frozenset[str]] | None] = {}

    def holding(self, key: str, causes: Iterable[str]) -> str | None:
        """The op id of an open, current review that holds `key` or one of `causes`."""
        wanted = {f"{KEY}:{key}", *(f"{CAUSE}:{c}" for c in causes)}
        for _ref, sha, parent, (op_id, held) in self._read():
            if wanted & held and self._current(parent, sha):
                return op_id
        return None

    def carrying(self, changes: Sequence[FileChange]) -> str | None:
        """The op id of an open, current review whose commit writes what `changes` write:
        the same files, each with the same bytes (or deleted). A second candidate of one
        cause whose key and causes its review does not name (two groups of one cause, each
        known by its own anchor) joins that review all the same: one branch per change."""
        want = {c.file_path: None if c.action == "delete" else
                (c.full_content or "").encode("utf-8", "surrogateescape") for c in changes}
        if not want:
            return None
        for _ref, sha, parent, (op_id, _held) in self._read():
            try:
                files = self._git("diff", "--name-only", "-z", "--no-renames", parent, sha,
                                  "--").decode("utf-8", "surrogateescape").split("\0")
            except (subprocess.CalledProcessError, OSError):
                continue
            if {f for f in files if f} <= set(want) \
                    and all(self._blob(sha, path) == data for path, data in want.items()) \
                    and self._current(parent, sha):
                return op_id
        return None

    def _blob(self, sha: str, path: str) -> bytes | None:
        try:
            return self._git("cat-file", "blob", f"{sha}:{path}")
        except (subprocess.CalledProcessError, OSError):
            return None  # not in the commit: deleted there

    def _read(self) -> list[tuple[str, str, str, tuple[str, frozenset[str]]]]:
        out = self._git("for-each-ref", "--format=%(refname)%00%(objectname)%00"
                                "%(parent)%00%(trailers:only,unfold)%00%01",
                                f"refs/heads/{self.reviews.prefix}")
        found = []
        for record in out.decode("utf-8", "surrogateescape").split("\0\x01"):
            fields = record.lstrip("\n").split("\0")
            if len(fields) < 4:
                continue
            ref, sha, parent, text = fields[:4]
            with self._lock:
                names = self._known.get((ref, sha), False)
            if names is False:
                names = _names(ref, text, self.reviews.prefix)
                with self._lock:
                    if len(self._known) >= MAX_KNOWN:
                        del self._known[next(iter(self._known))]
                    self._known[(ref, sha)] = names
            if names is not None and len(parent.split()) == 1:
                found.append((ref, sha, parent.strip(), names))
        return found

    def _git(self, *args: str) -> bytes:
        """git in the repository, as ReviewBranches runs it (literal paths, no lock taken)."""
        env = {**os.environ, "GIT_LITERAL_PATHSPECS": "1", "GIT_OPTIONAL_LOCKS": "0"}
        return subprocess.run(["git", *args], cwd=self.reviews.root, env=env,
                              capture_output=True, check=True).stdout

    def _current(self, base: str, sha: str) -> bool:
        """Whether HEAD holds the review's files as its base did (unreadable: current, so a
        git hiccup holds the work rather than proposing it twice)."""
        try:
            files = self._git("diff", "--name-only", "-z", "--no-renames", base, sha,
                                      "--").decode("utf-8", "surrogateescape").split("\0")
            files = [f for f in files if f]
            if not files:
                return True
            self._git("diff", "--quiet", "--no-renames", base, "HEAD", "--", *files)
        except subprocess.CalledProcessError as exc:
            return exc.returncode != 1  # 1: they differ; anything else: not read
        except OSError:
            return True
        return True


def _names(ref: str, text: str, prefix: str) -> tuple[str, frozenset[str]] | None:
    """(op id, {"Work-Key:k", "Cause:c", ...}) of a review commit of ours, else None."""
    op_id = ref.removeprefix(f"refs/heads/{prefix}")
    trailers = [line.partition(":") for line in text.splitlines()]
    pairs = [(k.strip(), v.strip()) for k, sep, v in trailers if sep]
    if not OP_ID.fullmatch(op_id) or [v for k, v in pairs if k == "Op-Id"] != [op_id]:
        return None
    return op_id, frozenset(f"{k}:{v}" for k, v in pairs if k in (KEY, CAUSE) and v)
