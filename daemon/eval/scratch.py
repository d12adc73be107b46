"""Scratch repositories: where eval runs the repository's history, never in the repository.

A scratch is `git clone --shared --no-checkout` of the user's repository into a directory
of eval's own, then a checkout of the commit wanted on a branch of the scratch's own. It is
not a `git worktree`: that would write its bookkeeping into the user's `.git`. A shared
clone reads the user's objects through `objects/info/alternates` and writes its own commits
into its own object store; the user's repository, branch, index and working tree are only
ever read. The scratch is deleted when its task is done.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
from pathlib import Path

BRANCH = "eval"  # the scratch's branch, where the daemon commits
HUMAN = ("Eval human", "eval-human@localhost")  # who commits the test change in a scratch


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True,
                          text=True, errors="replace").stdout


def clone(repo: Path, where: Path, rev: str) -> Path:
    """A scratch at `where` with `rev` checked out on branch BRANCH, committed as HUMAN."""
    where.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "clone", "-q", "--shared", "--no-checkout", str(repo), str(where)],
                   check=True, capture_output=True)
    git(where, "checkout", "-q", "-B", BRANCH, rev)  # -B: a clone of a scratch has one
    git(where, "config", "user.name", HUMAN[0])
    git(where, "config", "user.email", HUMAN[1])
    git(where, "config", "commit.gpgsign", "false")
    return where


def reset(root: Path, rev: str) -> None:
    """Put the scratch back at `rev`, every local change and untracked file gone."""
    git(root, "checkout", "-q", "-f", "-B", BRANCH, rev)
    git(root, "clean", "-q", "-f", "-d", "-x")


def write(root: Path, files: dict[str, str | None]) -> None:
    """Write `files` (None: delete) into the scratch's working tree."""
    for rel, text in files.items():
        path = root / rel
        if text is None:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def commit(root: Path, files: dict[str, str | None], message: str) -> str:
    """Write `files` and commit exactly them; the new HEAD."""
    write(root, files)
    git(root, "add", "-A", "--", *files)
    git(root, "commit", "-q", "--no-verify", "-m", message)
    return git(root, "rev-parse", "HEAD").strip()


def head(root: Path) -> str:
    return git(root, "rev-parse", "HEAD").strip()


def checkout_copy(root: Path, rev: str, where: Path) -> Path:
    """`rev` of the scratch `root` (a review branch) checked out at `where`, a scratch of
    its own (a clone names `root`'s branches origin/..., so the commit is named)."""
    clone(root, where, git(root, "rev-parse", "--verify", f"{rev}^{{commit}}").strip())
    return where


def remove(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
