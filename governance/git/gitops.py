"""Git access for governance: status of target files and the op-only auto-commit.

Blocking (GitPython shells out to git): callers run these in a thread. The commit is
built on a temporary index seeded from HEAD, so the human's real index and working tree
are never swept into it; only the op's own paths are then refreshed in the real index
(governance/git/index_sync.py). HEAD moving during an op is fine when it moved forward
through commits that leave the op's paths alone: the commit goes on the new HEAD.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import tempfile
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import git
from git.refs.symbolic import SymbolicReference

from governance.crashpoints import crashpoint
from governance.errors import CommitError
from governance.git.in_progress import index_held, operation_in_progress
from governance.git.index_sync import EMPTY_TREE, TEMP_INDEX_PREFIX, sync_op_paths

COMMIT_TRIES = 5  # compare-and-swap attempts when HEAD keeps moving under the commit
HISTORY_LIMIT = 1000  # commits searched for an op's Op-Id trailer at recovery
DETACHED = "HEAD"  # what branch() says of a detached HEAD: git's own name for it
NEW_FILE_MODE = "100644"  # what APPLY creates (nofollow_write: 0o644); it never changes a mode


@dataclass(frozen=True)
class CommitResult:
    sha: str
    integrity: str  # sha256 over the applied diff (HEAD tree -> new tree)
    index_note: str = ""  # set when the real index could not be refreshed (commit stands)
    parent: str = ""  # the commit it was built on (a later HEAD than the op's base, maybe)


class GitOps:
    def __init__(self, root: Path):
        try:
            self.repo = git.Repo(root)
        except (git.InvalidGitRepositoryError, git.NoSuchPathError) as exc:
            raise ValueError(f"{root} is not a git repository") from exc
        if self.repo.bare:
            raise ValueError(f"{root} is a bare repository; ouroboros needs a working tree")
        self.root = Path(self.repo.working_tree_dir or root)
        # File names are data, never patterns: `[ab].py` or `:(exclude)x` must name one file.
        # Our read-only `git status` must not take .git/index.lock to refresh stat data: a
        # human's `git commit` at that moment would fail on the lock.
        self.repo.git.update_environment(GIT_LITERAL_PATHSPECS="1", GIT_OPTIONAL_LOCKS="0")
        self._commit_lock = threading.Lock()
        self._known_commit = ""  # a sha git confirmed is a commit (objects never change)

    def head_sha(self) -> str | None:
        """HEAD's commit, or None on an unborn branch or a HEAD that names no commit: what
        `git rev-parse HEAD^{commit}` says. The ref files (HEAD, the branch's loose ref,
        packed-refs) are read without a process, and their sha is trusted only once git
        confirmed it (or we made it): ops ask this several times each. Never GitPython's
        repo.head.commit: its shared cat-file process is not thread-safe, and ops call
        this from worker threads."""
        try:
            sha = SymbolicReference.dereference_recursive(self.repo, "HEAD")
        except (ValueError, OSError, TypeError):  # unborn branch, or a layout we do not read
            sha = None
        if sha and sha == self._known_commit:
            return sha
        # A sha not yet confirmed may name no object, a tree or a tag (a damaged or
        # hand-edited ref): what HEAD means is what git says, once per new sha.
        try:
            commit = self.repo.git.rev_parse("--verify", "-q", "HEAD^{commit}")
        except git.GitCommandError:  # unborn branch, or HEAD names no commit
            return None
        if commit == sha:
            self._known_commit = sha
        return commit

    def branch(self) -> str | None:
        """The branch HEAD names (`refs/heads/...`, born or not), DETACHED, or None when
        HEAD cannot be read. From the ref files, no process, unless they do not say it
        plainly: a HEAD that is a symlink (core.preferSymlinkRefs) reads as a sha through
        the link, and an odd spelling (`ref:refs/heads/x`) does not parse; git says then."""
        try:
            if not os.path.islink(Path(self.repo.git_dir, "HEAD")):
                head = SymbolicReference(self.repo, "HEAD")
                return DETACHED if head.is_detached else head.reference.path
        except (ValueError, OSError, TypeError):
            pass
        try:
            return self.repo.git.symbolic_ref("-q", "HEAD") or None
        except git.GitCommandError as exc:
            return DETACHED if exc.status == 1 else None  # 1: HEAD is not symbolic

    def operation_in_progress(self) -> str | None:
        """The human's unfinished rebase, merge, bisect, ... ("a rebase"), or None. Unmerged
        paths count too: a conflicted `merge --squash` or `stash pop` leaves no marker."""
        busy = operation_in_progress(Path(self.repo.git_dir))
        if busy is None and self.repo.git.ls_files("-u", "-z"):
            return "a conflict resolution (the index holds unmerged paths)"
        return busy

    def dirty(self, paths: Sequence[str], *, ignored: bool = False) -> list[str]:
        """Paths with staged or unstaged changes (untracked files count as dirty too) and,
        with `ignored`, untracked files that exist though git ignores them (`!!`). With
        `traditional` and all untracked files git names each file of an ignored directory;
        should it still name a directory, every asked-for path under it counts."""
        if not paths:
            return []
        out = self.repo.git.status("--porcelain=v1", "-z", "--untracked-files=all",
                                   *(["--ignored=traditional"] if ignored else []), "--",
                                   *paths)
        dirty = []
        for entry in out.split("\0"):
            if len(entry) <= 3:
                continue
            name = entry[3:]
            if name.endswith("/"):
                dirty += [p for p in paths if p.startswith(name)]
            else:
                dirty.append(name)
        # git status does not look inside a nested repository (a clone the human keeps in
        # the tree): a file that exists in one is theirs, though no status line names it.
        dirty += [p for p in paths if p not in dirty and self._in_nested_repo(p)
                  and os.path.lexists(self.root / p)]
        return dirty + [p for p in self._hidden(paths) if p not in dirty]

    def _hidden(self, paths: Sequence[str]) -> list[str]:
        """Tracked paths git status is told not to look at: `--skip-worktree` (a sparse
        checkout's too) or `--assume-unchanged`, the idiom for local edits kept out of
        commits. Their content is the human's whatever status says."""
        out = self.repo.git.ls_files("-v", "-z", "--", *paths)
        return [e[2:] for e in out.split("\0") if len(e) > 2 and (e[0] == "S" or e[0].islower())]

    def _in_nested_repo(self, rel: str) -> bool:
        parents = Path(rel).parents
        # lexists: False, never an error, for a name too long or otherwise impossible
        return any(os.path.lexists(self.root / d / ".git") for d in list(parents)[:-1])

    def tracked_under(self, rel: str) -> list[str]:
        """Files git tracks at or under the repo-relative path `rel`."""
        return [p for p in self.repo.git.ls_files("-z", "--", rel).split("\0") if p]

    def listed_files(self) -> list[str]:
        """Tracked plus untracked-but-not-ignored files: what a sandbox copy should hold."""
        out = self.repo.git.ls_files("-z", "--cached", "--others", "--exclude-standard")
        return sorted({p for p in out.split("\0") if p})

    def exclude(self, pattern: str) -> None:
        """Add `pattern` to .git/info/exclude once (the state dir must never be committed)."""
        info = Path(self.repo.git_dir) / "info"
        info.mkdir(exist_ok=True)
        exclude = info / "exclude"
        lines = exclude.read_text().splitlines() if exclude.exists() else []
        if pattern not in lines:
            with exclude.open("a") as fh:
                fh.write(("" if not lines or lines[-1] == "" else "\n") + pattern + "\n")

    def op_commits(self, limit: int = HISTORY_LIMIT) -> dict[str, str]:
        """{op_id: commit} for the Op-Id trailers of HEAD's last `limit` commits. Trailers
        only: an `Op-Id:` line a model put in the body of a message does not count."""
        if self.head_sha() is None:
            return {}
        out = self.repo.git.log(f"-{limit}", "--format=%H%x1f%(trailers:key=Op-Id,valueonly,"
                                "separator=%x1f)%x1e")
        found: dict[str, str] = {}
        for record in out.split("\x1e"):
            sha, *ids = record.strip().split("\x1f")
            for op_id in ids:
                found.setdefault(op_id.strip(), sha)  # newest first: keep the newest
        found.pop("", None)
        return found

    def head_has_op(self, op_id: str) -> bool:
        return op_id in self.op_commits(limit=1)

    def commit_paths(self, paths: Sequence[str], message: str, *, author_name: str,
                     author_email: str, expected_head: str | None,
                     sign_env: dict[str, str] | None = None,
                     branch: str | None = None,
                     expected: Mapping[str, bytes | None] | None = None) -> CommitResult:
        """Commit the working-tree state of exactly `paths` on top of HEAD.

        HEAD may have moved since `expected_head` (another op landed, the human committed):
        if it only moved forward, through commits that leave `paths` as they were at
        `expected_head`, the commit is built on the new HEAD; otherwise it is refused. One
        commit at a time per GitOps (ops of one daemon never race each other), and the
        update of HEAD is a compare-and-swap, retried if someone else moved it meanwhile.
        `branch` (what branch() said when the op began; None: not checked) is the only
        one that may move: with another checked out the commit is refused, and the update
        names the branch, so a checkout racing it cannot carry the commit elsewhere. While
        a rebase, merge, bisect, ... of the human's is unfinished nothing is committed.
        `expected` (path -> the bytes the op applied and proved, None: deleted) makes the
        commit hold exactly those: a file the human edited since APPLY refuses it.
        """
        with self._commit_lock:
            for _ in range(COMMIT_TRIES):
                self._check_at_rest(branch)
                head = self.head_sha()
                self._check_moved(expected_head, head, paths)
                sha, integrity, raw = self._make_commit(head, paths, message, author_name,
                                                        author_email, sign_env, expected)
                crashpoint("commit_before_update_ref")
                self._check_at_rest(branch)  # again: making the commit took milliseconds
                # A detached start moves HEAD itself, never a branch checked out since.
                ref = ["--no-deref", DETACHED] if branch == DETACHED else [branch or DETACHED]
                try:
                    self.repo.git.update_ref("-m", "ouroboros: auto-commit", *ref, sha,
                                             head or "0" * 40)
                except git.GitCommandError as exc:
                    if self.head_sha() != head:
                        continue  # moved again under us: check the new HEAD the same way
                    raise CommitError(f"could not move HEAD: {exc.stderr.strip()}") from exc
                crashpoint("commit_after_update_ref")
                self._known_commit = sha  # commit-tree made it: no rev-parse to confirm
                note = self._refresh_index(sha, head, paths, raw, branch)
                return CommitResult(sha=sha, integrity=integrity, index_note=note,
                                    parent=head or "")
            raise CommitError(f"HEAD kept moving during the commit ({COMMIT_TRIES} tries)")

    def _refresh_index(self, sha: str, parent: str | None, paths: Sequence[str], raw: bytes,
                       branch: str | None) -> str:
        """Bring the human's index up to the made commit for `paths`; the note says what
        was not done. The commit already exists, so nothing here may fail the op (that
        would roll back files that HEAD already contains)."""
        try:
            if branch is not None and self.branch() != branch:
                return (f"HEAD left {branch} during the commit: the index is the other "
                        "checkout's and was left alone")
            return sync_op_paths(self.root, Path(self.repo.git_dir), sha, paths,
                                 parent=parent, head=self.head_sha(), raw=raw)
        except Exception as exc:  # a bug here must not undo a made commit
            return (f"index not refreshed ({type(exc).__name__}: {exc}); "
                    f"run `git reset -q -- {' '.join(paths)}`")

    def _entries(self, paths: Sequence[str], env: dict[str, str]) -> dict[str, tuple[str, str]]:
        """{path: (mode, blob)} of `paths` in the index `env` names."""
        out = self.repo.git.ls_files("-s", "-z", "--", *paths, env=env)
        return {e.split("\t", 1)[1]: tuple(e.split()[:2]) for e in out.split("\0") if "\t" in e}

    def _check_content(self, paths: Sequence[str], expected: Mapping[str, bytes | None],
                       modes: Mapping[str, tuple[str, str]], env: dict[str, str]) -> None:
        """Refuse unless the temporary index holds, for each path, the blob git makes of the
        bytes the op applied (its clean filters and attributes applied alike) with the mode
        it had at `head` (`modes`; a new file's is 100644: APPLY never changes a mode), or no
        entry for a deleted one: what is committed is what was proven, not what the working
        tree holds by now (the human's edit since APPLY stays theirs: the op rolls back)."""
        staged = self._entries(paths, env)
        for rel in paths:
            want = expected.get(rel)
            if want is None:
                ok = rel not in staged
            else:
                made = subprocess.run(["git", "hash-object", "--stdin", f"--path={rel}"],
                                      cwd=self.root, input=want, capture_output=True)
                mode = modes.get(rel, (NEW_FILE_MODE, ""))[0]
                ok = (made.returncode == 0
                      and staged.get(rel) == (mode, made.stdout.decode().strip()))
            if not ok:
                raise CommitError(f"{rel} is not what the op applied and proved (changed "
                                  "since APPLY): nothing committed")

    def _check_at_rest(self, branch: str | None) -> None:
        """Refuse while a git command of the human's holds the index or is unfinished, or
        unless HEAD still names `branch` (the human checked out another: the op's change
        was made and judged on `branch`'s files, and is theirs to carry over)."""
        if index_held(Path(self.repo.git_dir)):
            raise CommitError("the index is locked (index.lock) by a git command of yours: "
                              "nothing committed")
        busy = self.operation_in_progress()
        if busy:
            raise CommitError(f"{busy} is in progress in the repository: nothing committed")
        if branch is None:
            return
        now = self.branch()
        if now != branch:
            said = {DETACHED: "detached", None: "unreadable"}.get(now, now)
            raise CommitError(f"the op's branch {branch} is no longer checked out (HEAD: "
                              f"{said}): nothing committed")

    def _check_moved(self, expected: str | None, head: str | None,
                     paths: Sequence[str]) -> None:
        """Refuse unless HEAD is `expected` or a descendant that leaves `paths` alone."""
        if head == expected:
            return
        moved = f"HEAD moved during the op ({expected} -> {head})"
        if head is None:
            raise CommitError(f"{moved}: the branch has no commit any more")
        if expected is not None:
            try:
                self.repo.git.merge_base("--is-ancestor", expected, head)
            except git.GitCommandError:
                raise CommitError(f"{moved} and was rewritten (the op's base is not an "
                                  "ancestor of HEAD)") from None
        changed = self.repo.git.diff_tree("-r", "--name-only", "-z", "--no-renames",
                                          expected or EMPTY_TREE, head)
        touched = sorted(set(changed.split("\0")) & set(paths))
        if touched:
            raise CommitError(f"{moved} through commits that change {', '.join(touched)}")

    def _make_commit(self, head: str | None, paths: Sequence[str], message: str,
                     author_name: str, author_email: str,
                     sign_env: dict[str, str] | None = None,
                     expected: Mapping[str, bytes | None] | None = None
                     ) -> tuple[str, str, bytes]:
        """(sha, integrity, raw diff records) of a new commit object: `head`'s tree plus the
        working-tree state of `paths`, checked against `expected` when given."""
        g = self.repo.git
        # The pid in the name lets start-up recovery (index_sync.clear_temp_indexes) tell a
        # killed run's leftover from a live daemon's index.
        fd, tmp_index = tempfile.mkstemp(prefix=f"{TEMP_INDEX_PREFIX}{os.getpid()}.",
                                         dir=self.repo.git_dir)
        os.close(fd)
        os.unlink(tmp_index)  # git wants to create the index itself
        env = {"GIT_INDEX_FILE": tmp_index}
        try:
            if head:
                g.read_tree(head, env=env)
            modes = self._entries(paths, env) if expected is not None else {}
            for rel in paths:
                if os.path.lexists(self.root / rel):  # a dangling symlink is there too
                    g.update_index("--add", "--", rel, env=env)
                else:
                    g.update_index("--force-remove", "--", rel, env=env)
            crashpoint("commit_temp_index")
            if expected is not None:
                self._check_content(paths, expected, modes, env)
            tree = g.write_tree(env=env)
        finally:
            if os.path.exists(tmp_index):
                os.unlink(tmp_index)
        base = f"{head}^{{tree}}" if head else EMPTY_TREE
        # One process for both: the raw records (the index refresh's entries) and the patch
        # (the Integrity trailer; provenance.py recomputes it with `-p` alone, same bytes).
        out: bytes = g.diff_tree("-r", "-z", "--raw", "-p", "--no-color", "--full-index",
                                 "--binary", base, tree, stdout_as_string=False,
                                 strip_newline_in_stdout=False)
        split = out.find(b"\0\0")  # the raw part ends with an empty field
        if not out or split < 0:
            raise CommitError("the applied change is empty relative to HEAD")
        raw, diff = out[:split + 1], out[split + 2:]
        integrity = hashlib.sha256(diff).hexdigest()
        message = message.replace("{integrity}", integrity)
        ident = {"GIT_AUTHOR_NAME": author_name, "GIT_AUTHOR_EMAIL": author_email,
                 "GIT_COMMITTER_NAME": author_name, "GIT_COMMITTER_EMAIL": author_email}
        parents = ["-p", head] if head else []
        # sign_env (governance.git.signing): git settings for this one command, never a config.
        sign = ["-S"] if sign_env else []
        sha = g.commit_tree(tree, *parents, *sign, "-m", message,
                            env={**ident, **(sign_env or {})})
        return sha, integrity, raw
