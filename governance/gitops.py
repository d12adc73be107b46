"""Git access for governance: status of target files and the op-only auto-commit.

Blocking (GitPython shells out to git): callers run these in a thread. The commit is
built on a temporary index seeded from HEAD, so the human's real index and working tree
are never swept into it; only the op's own paths are then refreshed in the real index.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import git

from governance.errors import CommitError


@dataclass(frozen=True)
class CommitResult:
    sha: str
    integrity: str  # sha256 over the applied diff (HEAD tree -> new tree)
    index_note: str = ""  # set when the real index could not be refreshed (commit stands)


class GitOps:
    def __init__(self, root: Path):
        try:
            self.repo = git.Repo(root)
        except (git.InvalidGitRepositoryError, git.NoSuchPathError) as exc:
            raise ValueError(f"{root} is not a git repository") from exc
        if self.repo.bare:
            raise ValueError(f"{root} is a bare repository; ouroboros needs a working tree")
        self.root = Path(self.repo.working_tree_dir or root)

    def head_sha(self) -> str | None:
        try:
            return self.repo.head.commit.hexsha
        except ValueError:  # unborn branch
            return None

    def dirty(self, paths: Sequence[str]) -> list[str]:
        """Paths with staged or unstaged changes (untracked files count as dirty too)."""
        if not paths:
            return []
        out = self.repo.git.status("--porcelain=v1", "-z", "--untracked-files=all", "--",
                                   *paths)
        dirty = []
        for entry in out.split("\0"):
            if len(entry) > 3:
                dirty.append(entry[3:])
        return dirty

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

    def head_has_op(self, op_id: str) -> bool:
        if self.head_sha() is None:
            return False
        trailers = self.repo.git.log("-1", "--format=%(trailers:key=Op-Id,valueonly)")
        return op_id in trailers.split()

    def commit_paths(self, paths: Sequence[str], message: str, *, author_name: str,
                     author_email: str, expected_head: str | None) -> CommitResult:
        """Commit the working-tree state of exactly `paths` on top of HEAD."""
        g = self.repo.git
        head = self.head_sha()
        if head != expected_head:
            raise CommitError(f"HEAD moved during the op ({expected_head} -> {head})")
        fd, tmp_index = tempfile.mkstemp(prefix="ouroboros-index.", dir=self.repo.git_dir)
        os.close(fd)
        os.unlink(tmp_index)  # git wants to create the index itself
        env = {"GIT_INDEX_FILE": tmp_index}
        try:
            if head:
                g.read_tree(head, env=env)
            for rel in paths:
                if (self.root / rel).exists():
                    g.update_index("--add", "--", rel, env=env)
                else:
                    g.update_index("--force-remove", "--", rel, env=env)
            tree = g.write_tree(env=env)
        finally:
            if os.path.exists(tmp_index):
                os.unlink(tmp_index)
        base = f"{head}^{{tree}}" if head else "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
        diff: bytes = g.diff_tree("-p", "--no-color", "--full-index", "--binary", base, tree,
                                  stdout_as_string=False, strip_newline_in_stdout=False)
        if not diff:
            raise CommitError("the applied change is empty relative to HEAD")
        integrity = hashlib.sha256(diff).hexdigest()
        message = message.replace("{integrity}", integrity)
        ident = {"GIT_AUTHOR_NAME": author_name, "GIT_AUTHOR_EMAIL": author_email,
                 "GIT_COMMITTER_NAME": author_name, "GIT_COMMITTER_EMAIL": author_email}
        parents = ["-p", head] if head else []
        sha = g.commit_tree(tree, *parents, "-m", message, env=ident)
        # Compare-and-swap: refuses if a human committed in between.
        g.update_ref("-m", "ouroboros: auto-commit", "HEAD", sha, head or "0" * 40)
        # The commit now exists: nothing after this line may fail the op (that would roll
        # back files that HEAD already contains).
        return CommitResult(sha=sha, integrity=integrity, index_note=self._refresh_index(paths))

    def _refresh_index(self, paths: Sequence[str]) -> str:
        """Point the real index at the committed blobs for the op's paths only."""
        g = self.repo.git
        try:
            for rel in paths:
                if (self.root / rel).exists():
                    g.update_index("--add", "--", rel)
                else:
                    g.update_index("--force-remove", "--", rel)
        except git.GitCommandError as exc:
            return (f"index not refreshed ({exc.stderr.strip() or exc}); "
                    f"run `git reset -q -- {' '.join(paths)}`")
        return ""

