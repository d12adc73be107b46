"""Review branches: where a change the daemon cannot prove waits for a human.

Such a change never touches the human's working tree. It is committed (signed like an
auto-commit, same trailers plus `Evidence:`) on the op's base commit, in a private index in
a temporary directory (never the human's index, working tree or HEAD), and put on its own
branch `<prefix><op-id>` by a create-only `update-ref` (the commit: governance.git.
review_commit).

A human then `accept`s it (an accept op: source Source.REVIEW, which lands the very same
files through the real pipeline, governance.phases.review) or `reject`s it (the branch is
deleted). Branches older than `proof.review_max_age_days` are pruned.

What counts as ours: a branch `<prefix>op-<16 hex>` whose commit has exactly one parent and
an `Op-Id:` trailer naming that same op. Anything else under the prefix (a human's branch
named like ours) is not listed, never deleted and never accepted.

Everything here blocks (git processes): the daemon calls it in threads.
"""

from __future__ import annotations

import os
import re
import subprocess
import threading
from collections.abc import Sequence
from dataclasses import dataclass

import structlog

from governance.errors import CommitError
from governance.git.gitops import GitOps
from governance.git.review_commit import (
    REGULAR,
    checked_paths,
    review_tree,
    signed_commit,
    stderr_of,
)
from governance.schemas import FileChange

log = structlog.get_logger("governance")

OP_ID = re.compile(r"op-[0-9a-f]{16}")
_PREFIX = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]*/")  # as daemon.config.settings's ProofSection
_CONVENTIONAL = re.compile(r"^[a-z]+(\([^)]*\))?!?: ")  # "fix(calc): " before the goal
_FIELDS = ("%(refname)", "%(objectname)", "%(parent)", "%(committerdate:unix)",
           "%(subject)", "%(trailers:only,unfold)")
# One trailers atom only: git 2.39's for-each-ref shares the options of several.
_FORMAT = "".join(f + "%00" for f in _FIELDS)
MAX_KNOWN = 4096  # (branch, commit) pairs whose review is remembered (ReviewBranches._read)
_CHUNK = 256  # refs a full read names at once


@dataclass(frozen=True)
class ReviewItem:
    """One change waiting for review, as its branch's commit says."""

    op_id: str
    branch: str  # without refs/heads/
    sha: str  # the review commit
    base: str  # its parent: the commit the op worked on
    goal: str
    source: str  # the original signal's source (Signal: trailer)
    evidence: str  # the Evidence: trailer, "proven" or "unproven: why"
    files: tuple[str, ...]
    insertions: int
    deletions: int
    created: float  # commit time, epoch seconds


class ReviewBranches:
    """The review branches of one repository, under one prefix ("ouroboros/")."""

    def __init__(self, git: GitOps, prefix: str):
        if not _valid_prefix(prefix):
            raise ValueError(f"review branch prefix {prefix!r} is not a safe ref prefix "
                             "(letters, digits, '._-/', ending in '/')")
        self.git, self.prefix = git, prefix
        self.root = git.root
        self._lock = threading.Lock()
        # How many reviews wait, as list() last counted and propose/delete adjusted since:
        # the live snapshot reads it without running git (None until first counted).
        self.count: int | None = None
        # How many of each kind (governance.git.review_order's labels), as daemon.reviews
        # last read them; shown beside `count` only while their sum still equals it.
        self.kinds: dict[str, int] = {}
        # (refname, commit) -> its review (None: not ours). A commit fixes everything a review
        # shows (goal, trailers, files), so each is parsed and diffed once: listing hundreds
        # again lists only the refs (~10 us a branch against ~40 us to parse a commit, and a
        # diff each before that).
        self._known: dict[tuple[str, str], ReviewItem | None] = {}

    def ref(self, op_id: str) -> str:
        """The full ref of `op_id`'s review branch; ValueError for anything not an op id."""
        if not isinstance(op_id, str) or not OP_ID.fullmatch(op_id):
            raise ValueError(f"{op_id!r} is not an op id (op- and 16 hex digits)")
        return f"refs/heads/{self.prefix}{op_id}"

    # -- making one ------------------------------------------------------------------

    def propose(self, op_id: str, base_sha: str, changes: Sequence[FileChange], message: str,
                *, author_name: str, author_email: str,
                sign_env: dict[str, str] | None) -> str:
        """Commit `changes` on `base_sha`'s tree and create the op's review branch on it;
        return the commit. CommitError if the branch exists, the change is empty or git
        fails; ValueError for a bad op id, base or path, or a path that is not a regular
        file in the base (a symlink is never replaced or written through)."""
        ref = self.ref(op_id)
        paths = checked_paths(changes)
        base = self._commit_of(base_sha)
        try:
            tree = review_tree(self._run, self._entries, self.git.repo.git_dir, base, changes,
                               paths)
            sha = signed_commit(self._run, tree, base, message, author_name, author_email,
                                sign_env)
            # create-only (old value ""): an existing branch is refused, never moved
            self._run("update-ref", "-m", "ouroboros: review", ref, sha, "")
        except subprocess.CalledProcessError as exc:
            raise CommitError(f"review branch {self.prefix}{op_id} not made: "
                              f"{stderr_of(exc)}", op_id=op_id) from exc
        self._adjust(+1)
        return sha

    # -- reading them ----------------------------------------------------------------

    def list(self) -> list[ReviewItem]:
        """Every review waiting, newest first."""
        items = self._read(f"refs/heads/{self.prefix}")
        with self._lock:
            self.count = len(items)
        return sorted(items, key=lambda i: (i.created, i.op_id), reverse=True)

    def at(self, op_id: str) -> ReviewItem | None:
        """The review of exactly `op_id`, or None when its branch is gone or not ours."""
        found = self._read(self.ref(op_id))
        return found[0] if found else None

    def tip(self, op_id: str) -> str | None:
        """The commit `op_id`'s branch points at, ours or not (None: no such branch)."""
        out = self._run("for-each-ref", "--format=%(objectname)", self.ref(op_id))
        return out.decode().strip() or None

    def get(self, op_prefix: str) -> ReviewItem:
        """The one review whose op id starts with `op_prefix` (with or without "op-");
        LookupError saying how many matched otherwise."""
        want = op_prefix if op_prefix.startswith("op-") or "op-".startswith(op_prefix) \
            else f"op-{op_prefix}"
        matches = [i for i in self.list() if i.op_id.startswith(want)]
        if len(matches) != 1:
            raise LookupError(f"{len(matches) or 'no'} review(s) match {op_prefix!r}")
        return matches[0]

    def diff(self, item: ReviewItem) -> str:
        """The change as a patch (`git diff base sha`), without external diff drivers."""
        out = self._run("diff", "--no-color", "--no-ext-diff", "--no-textconv",
                        "--no-renames", item.base, item.sha, "--")
        return out.decode("utf-8", "replace")

    def changes(self, item: ReviewItem) -> list[FileChange]:
        """The files as the review commit holds them: writes (full content, utf-8 with
        surrogateescape) and deletes. ValueError for a path that is no regular file."""
        entries = self._entries(item.sha, item.files)
        blobs = self._blobs([oid for _, oid in entries.values()])
        if odd := [p for p, (mode, _) in entries.items() if mode not in REGULAR]:
            raise ValueError(f"{', '.join(odd)}: not a regular file in {item.sha[:12]}")
        return [FileChange(file_path=p, full_content=blobs[entries[p][1]].decode(
                    "utf-8", "surrogateescape")) if p in entries
                else FileChange(file_path=p, action="delete") for p in item.files]

    def base_contents(self, item: ReviewItem) -> dict[str, bytes | None]:
        """Each file as it was at the review's base (None where it did not exist)."""
        entries = self._entries(item.base, item.files)
        if odd := [p for p, (mode, _) in entries.items() if mode not in REGULAR]:
            raise ValueError(f"{', '.join(odd)}: not a regular file in {item.base[:12]}")
        blobs = self._blobs([oid for _, oid in entries.values()])
        return {p: blobs[entries[p][1]] if p in entries else None for p in item.files}

    # -- ending them -----------------------------------------------------------------

    def delete(self, item: ReviewItem) -> None:
        """Delete the review branch, only while it still points at item.sha (CommitError
        otherwise: someone moved or removed it)."""
        try:
            self._run("update-ref", "-m", "ouroboros: review closed", "-d",
                      self.ref(item.op_id), item.sha)
        except subprocess.CalledProcessError as exc:
            raise CommitError(f"review branch {item.branch} was not deleted (moved or gone "
                              f"since {item.sha[:12]}): {stderr_of(exc)}",
                              op_id=item.op_id) from exc
        self._adjust(-1)

    def prune(self, max_age_s: float, now: float) -> list[ReviewItem]:
        """Delete the reviews older than `max_age_s`; return those deleted (one that moved
        meanwhile is left alone)."""
        pruned = []
        for item in self.list():
            if now - item.created <= max_age_s:
                continue
            try:
                self.delete(item)
            except CommitError as exc:
                log.warning("review branch not pruned", op_id=item.op_id, error=str(exc))
                continue
            pruned.append(item)
        return pruned

    # -- git -------------------------------------------------------------------------

    def _run(self, *args: str, stdin: bytes | None = None,
             env: dict[str, str] | None = None) -> bytes:
        """git in the repository; CalledProcessError on failure. File names are literal
        and no command takes the human's index lock to refresh it."""
        full = {**os.environ, "GIT_LITERAL_PATHSPECS": "1", "GIT_OPTIONAL_LOCKS": "0",
                **(env or {})}
        return subprocess.run(["git", *args], cwd=self.root, input=stdin, env=full,
                              capture_output=True, check=True).stdout

    def _commit_of(self, rev: str) -> str:
        if not isinstance(rev, str) or not re.fullmatch(r"[0-9a-f]{40}|[0-9a-f]{64}", rev):
            raise ValueError(f"base {rev!r} is not a full commit id")
        try:
            return self._run("rev-parse", "--verify", "-q", f"{rev}^{{commit}}").decode().strip()
        except subprocess.CalledProcessError:
            raise ValueError(f"base {rev[:12]} is not a commit of this repository") from None

    def _entries(self, rev: str, paths: Sequence[str]) -> dict[str, tuple[str, str]]:
        """{path: (mode, object id)} of `paths` in `rev`; absent paths are left out."""
        if not paths:
            return {}
        out = self._run("ls-tree", "-z", "--full-tree", rev, "--", *paths)
        wanted, entries = set(paths), {}
        for record in out.decode("utf-8", "surrogateescape").split("\0"):
            meta, _, path = record.partition("\t")
            # ls-tree lists a directory's entries once another path needs it descended
            if path in wanted:
                mode, _kind, oid = meta.split()
                entries[path] = (mode, oid)
        return entries

    def _blobs(self, oids: Sequence[str]) -> dict[str, bytes]:
        """The content of each blob, through one `git cat-file --batch`."""
        wanted = list(dict.fromkeys(oids))
        if not wanted:
            return {}
        out = self._run("cat-file", "--batch", stdin="".join(o + "\n" for o in wanted).encode())
        blobs, at = {}, 0
        for oid in wanted:
            end = out.index(b"\n", at)
            size = int(out[at:end].split()[2])  # "<oid> blob <size>"
            blobs[oid] = out[end + 1:end + 1 + size]
            at = end + 1 + size + 1
        return blobs

    def _read(self, pattern: str) -> list[ReviewItem]:
        """The reviews under `pattern`: the refs listed, and only those at a commit not seen
        before read in full."""
        listed = self._run("for-each-ref", "--format=%(refname) %(objectname)", pattern)
        pairs = [tuple(line.split(" ", 1)) for line in
                 listed.decode("utf-8", "surrogateescape").splitlines()]
        with self._lock:
            by_ref = {p[0]: self._known[p] for p in pairs if p in self._known}
        new = [p[0] for p in pairs if p[0] not in by_ref]
        for at in range(0, len(new), _CHUNK):  # a ref gone since it was listed is left out
            by_ref.update(self._read_full(new[at:at + _CHUNK]))
        return [item for p in pairs if (item := by_ref.get(p[0])) is not None]

    def _read_full(self, refs: list[str]) -> dict[str, ReviewItem | None]:
        """Each of `refs` still there, read and remembered at the commit it is at now."""
        out = self._run("for-each-ref", f"--format={_FORMAT}", *refs)
        fields = out.decode("utf-8", "surrogateescape").split("\0")
        n, read = len(_FIELDS), {}
        for i in range(0, len(fields) - n + 1, n):
            record = [fields[i].lstrip("\n"), *fields[i + 1:i + n]]
            read[record[0]] = item = self._item(record)
            with self._lock:
                if len(self._known) >= MAX_KNOWN:  # the oldest seen goes first
                    del self._known[next(iter(self._known))]
                self._known[(record[0], record[1])] = item
        return read

    def _item(self, record: list[str]) -> ReviewItem | None:
        """The review a for-each-ref record describes, or None when it is not ours."""
        refname, sha, parents, when, subject, trailer_text = record
        op_id = refname.removeprefix(f"refs/heads/{self.prefix}")
        trailers = _trailers(trailer_text)
        if (not OP_ID.fullmatch(op_id) or trailers.get("Op-Id") != [op_id]
                or len(parents.split()) != 1):
            return None
        base = parents.strip()
        files, plus, minus = self._numstat(base, sha)
        return ReviewItem(
            op_id=op_id, branch=f"{self.prefix}{op_id}", sha=sha, base=base,
            goal=_CONVENTIONAL.sub("", subject, count=1) or subject,
            source=(trailers.get("Signal") or [""])[0],
            evidence=(trailers.get("Evidence") or [""])[0], files=files, insertions=plus,
            deletions=minus, created=float(when or 0))

    def _numstat(self, base: str, sha: str) -> tuple[tuple[str, ...], int, int]:
        out = self._run("diff", "--numstat", "-z", "--no-renames", base, sha, "--")
        files, plus, minus = [], 0, 0
        for record in out.decode("utf-8", "surrogateescape").split("\0"):
            if record:
                added, deleted, path = record.split("\t", 2)
                files.append(path)
                plus += int(added) if added.isdigit() else 0  # "-" for a binary file
                minus += int(deleted) if deleted.isdigit() else 0
        return tuple(files), plus, minus

    def _adjust(self, delta: int) -> None:
        with self._lock:
            if self.count is not None:
                self.count = max(0, self.count + delta)


def _valid_prefix(prefix: str) -> bool:
    if not isinstance(prefix, str) or not _PREFIX.fullmatch(prefix) or "//" in prefix:
        return False
    return all(not (part.startswith(".") or part.endswith(".lock") or ".." in part)
               for part in prefix.rstrip("/").split("/"))


def _trailers(text: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip():
            found.setdefault(key.strip(), []).append(value.strip())
    return found
