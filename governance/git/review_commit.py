"""A review branch's commit (governance.git.review): the op's changes committed on its base
commit's tree, built in a private index (never the human's index, working tree or HEAD) and
signed like an auto-commit, unsigned where signing fails.

Paths are taken only when spelled exactly one way, out of .git and named once; a path that
is not a regular file in the base, or under something that is not a directory there, is
refused (a symlink is never replaced or written through). The git calls go through the
caller's runner (ReviewBranches._run: file names literal, the human's index lock never
taken); everything here blocks.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import tempfile
from collections.abc import Callable, Sequence

import structlog

from governance.crashpoints import crashpoint
from governance.errors import CommitError
from governance.fs.rollback import exact_path
from governance.git.index_sync import TEMP_INDEX_PREFIX
from governance.schemas import FileChange

log = structlog.get_logger("governance")

REGULAR = ("100644", "100755")  # the only modes a review writes or reads back as a file
_SIGNING_ERROR = re.compile(r"sign|key", re.IGNORECASE)  # as governance.phases.autocommit's test

# git in the repository, args then keyword stdin and env; CalledProcessError on failure.
Run = Callable[..., bytes]
# {path: (mode, object id)} of some paths in a revision; absent paths are left out.
Entries = Callable[[str, Sequence[str]], dict[str, tuple[str, str]]]


class EmptyChange(CommitError):
    """The candidate changes nothing relative to the op's base: what it would write is
    there already (a commit since the failure landed the same fix, for one)."""


def review_tree(run: Run, entries_of: Entries, git_dir: str | os.PathLike[str], base: str,
                changes: Sequence[FileChange], paths: list[str]) -> str:
    """`base`'s tree plus `changes`, built in a private index (never the human's): in
    the git dir under the auto-commit's temp-index name, our pid in it, so start-up
    recovery removes one a kill -9 left (index_sync.clear_temp_indexes); a temporary
    directory in /tmp stayed until a reboot."""
    entries = entries_of(base, paths)
    _refuse_non_files(entries_of, base, paths, entries)
    fd, index = tempfile.mkstemp(prefix=f"{TEMP_INDEX_PREFIX}{os.getpid()}.", dir=git_dir)
    os.close(fd)
    os.unlink(index)  # git wants to create the index itself
    env = {"GIT_INDEX_FILE": index}
    try:
        run("read-tree", base, env=env)
        for change, path in zip(changes, paths, strict=True):
            _stage(run, change, path, entries, env)
        crashpoint("propose_temp_index")
        tree = run("write-tree", env=env).decode().strip()
    finally:
        if os.path.exists(index):
            os.unlink(index)
    if tree == run("rev-parse", f"{base}^{{tree}}").decode().strip():
        raise EmptyChange("the change is empty relative to its base")
    return tree


def _stage(run: Run, change: FileChange, path: str, entries: dict[str, tuple[str, str]],
           env: dict[str, str]) -> None:
    """One change into the private index; a written file keeps its base mode (100755)."""
    if change.action == "delete":
        run("update-index", "--force-remove", "--", path, env=env)
        return
    data = (change.full_content or "").encode("utf-8", "surrogateescape")
    blob = run("hash-object", "-w", "--stdin", stdin=data).decode().strip()
    mode = entries.get(path, ("100644", ""))[0]
    run("update-index", "--add", "--cacheinfo", f"{mode},{blob},{path}", env=env)


def _refuse_non_files(entries_of: Entries, base: str, paths: list[str],
                      entries: dict[str, tuple[str, str]]) -> None:
    for path in paths:
        if path in entries and entries[path][0] not in REGULAR:
            raise ValueError(f"{path} is not a regular file in {base[:12]} (mode "
                             f"{entries[path][0]}); a review never replaces it")
    parents = sorted({"/".join(p.split("/")[:i]) for p in paths
                      for i in range(1, p.count("/") + 1)})
    for parent in parents:  # one at a time: ls-tree names a lone path's own entry
        mode = entries_of(base, [parent]).get(parent, ("040000", ""))[0]
        if mode != "040000":
            raise ValueError(f"{parent} is not a directory in {base[:12]} (mode {mode})")


def signed_commit(run: Run, tree: str, base: str, message: str, author_name: str,
                  author_email: str, sign_env: dict[str, str] | None) -> str:
    """commit-tree as GitOps does it, the Integrity trailer filled in; signed through
    `sign_env`, or unsigned when signing fails (as governance.phases.autocommit falls back)."""
    diff = run("diff-tree", "-p", "--no-color", "--full-index", "--binary",
               f"{base}^{{tree}}", tree)  # governance.git.provenance's integrity
    message = message.replace("{integrity}", hashlib.sha256(diff).hexdigest())
    ident = {"GIT_AUTHOR_NAME": author_name, "GIT_AUTHOR_EMAIL": author_email,
             "GIT_COMMITTER_NAME": author_name, "GIT_COMMITTER_EMAIL": author_email}
    args = ("commit-tree", tree, "-p", base, "-m", message)
    if sign_env:
        try:
            return run(*args, "-S", env={**ident, **sign_env}).decode().strip()
        except subprocess.CalledProcessError as exc:
            why = stderr_of(exc)[:300]
            if not _SIGNING_ERROR.search(why):
                raise
            log.warning("review commit signing failed; committing unsigned", error=why)
    return run(*args, env=ident).decode().strip()


def checked_paths(changes: Sequence[FileChange]) -> list[str]:
    """Each change's path, refused unless it is spelled exactly one way, stays out of
    .git and is named once."""
    if not changes:
        raise ValueError("a review needs at least one changed file")
    paths = []
    for change in changes:
        path = exact_path(change.file_path)  # UnsafePath (a ValueError) for `..`, `/x`, ...
        if path != change.file_path or ".git" in (p.casefold() for p in path.split("/")):
            raise ValueError(f"{change.file_path!r} is not a plain repository path")
        if path in paths:
            raise ValueError(f"{path} is named twice")
        paths.append(path)
    dirs = {"/".join(p.split("/")[:i]) for p in paths for i in range(1, p.count("/") + 1)}
    if clash := sorted(dirs.intersection(paths)):
        raise ValueError(f"{', '.join(clash)}: named as a file and as a directory")
    return paths


def stderr_of(exc: subprocess.CalledProcessError) -> str:
    """What a failed git said, as text."""
    return (exc.stderr or b"").decode("utf-8", "replace").strip()
