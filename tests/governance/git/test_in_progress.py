"""A human's unfinished rebase, merge, cherry-pick, revert or bisect, made by real git:
the daemon commits nothing inside it, and DECIDE blocks an op that would write there."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from governance.errors import CommitError
from governance.git.gitops import DETACHED, GitOps
from governance.phase import Phase
from tests.governance.phases.test_phases import _run
from tests.helpers import git

MSG = "fix(calc): x\n\nbody\n\nIntegrity: sha256:{integrity}\n"


def _commit(g: GitOps, expected, branch):
    return g.commit_paths(["calc/ops.py"], MSG, author_name="Ouroboros",
                          author_email="ouroboros@localhost", expected_head=expected,
                          branch=branch)


def _git_may_fail(repo: Path, *args: str) -> None:
    """A command that stops on a conflict (exit 1): the stop is the point."""
    subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True)


def _two_sides(repo: Path) -> str:
    """`side` and `main` change README.md's one line each way: side's sha."""
    git(repo, "checkout", "-q", "-b", "side")
    (repo / "README.md").write_text("side\n")
    git(repo, "commit", "-qam", "side readme")
    side = git(repo, "rev-parse", "HEAD").strip()
    git(repo, "checkout", "-q", "main")
    (repo / "README.md").write_text("main\n")
    git(repo, "commit", "-qam", "main readme")
    return side


def _revert_under_a_later_change(repo: Path) -> None:
    (repo / "README.md").write_text("main, later\n")
    git(repo, "commit", "-qam", "later readme")
    _git_may_fail(repo, "revert", "--no-edit", "HEAD~1")


# The command that leaves the repository mid-way, and how `git status` names it.
UNFINISHED = {
    "rebase": (lambda r, side: _git_may_fail(r, "rebase", side), "a rebase"),
    "rebase --apply": (lambda r, side: _git_may_fail(r, "rebase", "--apply", side),
                       "a rebase or `git am`"),
    "merge": (lambda r, side: _git_may_fail(r, "merge", side), "a merge"),
    "cherry-pick": (lambda r, side: _git_may_fail(r, "cherry-pick", side), "a cherry-pick"),
    "revert": (lambda r, side: _revert_under_a_later_change(r), "a revert"),
    "bisect": (lambda r, side: git(r, "bisect", "start", "HEAD", "HEAD~2"), "a bisect"),
}


@pytest.mark.parametrize("command", sorted(UNFINISHED))
def test_nothing_is_committed_inside_the_humans_unfinished_git_command(repo, command):
    """A commit made mid-rebase lands inside it (or is dropped by --abort), mid-bisect it
    is the commit `git bisect good` marks: refused, and nothing moves."""
    side = _two_sides(repo)
    start, what = UNFINISHED[command]
    g = GitOps(repo)
    base, branch = g.head_sha(), g.branch()
    start(repo, side)
    assert g.operation_in_progress() == what
    head, refs = g.head_sha(), git(repo, "for-each-ref")
    (repo / "calc" / "ops.py").write_text("x = 2\n")
    with pytest.raises(CommitError, match="is in progress in the repository"):
        _commit(g, base, branch)
    assert g.head_sha() == head and git(repo, "for-each-ref") == refs


def test_once_the_command_is_aborted_the_commit_goes_ahead(repo):
    side = _two_sides(repo)
    g = GitOps(repo)
    base, branch = g.head_sha(), g.branch()
    _git_may_fail(repo, "merge", side)
    git(repo, "merge", "--abort")
    assert g.operation_in_progress() is None
    (repo / "calc" / "ops.py").write_text("x = 2\n")
    result = _commit(g, base, branch)
    assert git(repo, "rev-parse", "main").strip() == result.sha


def test_a_detached_start_never_commits_onto_a_branch_checked_out_since(repo):
    """Begun on a detached HEAD, the op's commit may only go there: the human's `git
    checkout main` meanwhile (main leaves the file alone) does not carry it onto main."""
    git(repo, "checkout", "-q", "--detach", "HEAD")
    g = GitOps(repo)
    base, start = g.head_sha(), g.branch()
    assert start == DETACHED
    git(repo, "checkout", "-q", "main")
    (repo / "calc" / "ops.py").write_text("x = 2\n")
    with pytest.raises(CommitError, match="HEAD: refs/heads/main"):
        _commit(g, base, start)
    assert git(repo, "rev-parse", "main").strip() == base
    git(repo, "checkout", "-q", "--detach", "HEAD")
    result = _commit(g, base, start)  # detached still: it commits there, main stays
    assert g.head_sha() == result.sha and git(repo, "rev-parse", "main").strip() == base


async def test_decide_blocks_an_op_while_a_bisect_is_under_way(repo, short_tmp):
    """Before any model call: the op would write into the commit the human is testing."""
    git(repo, "commit", "-q", "--allow-empty", "-m", "second")
    git(repo, "bisect", "start", "HEAD", "HEAD~1")
    end, chain = await _run(repo, short_tmp, "calc/ops.py")
    assert end is Phase.BLOCKED
    assert "a bisect is in progress" in chain["transitions"][-1]["reason"]
    assert chain["model_calls"] == []
