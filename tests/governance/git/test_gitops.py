"""The op-only commit on a temporary index, against a real repository."""

from __future__ import annotations

import subprocess

import pytest

from governance.errors import CommitError
from governance.git.gitops import GitOps
from tests.helpers import checkout_after_the_last_look, git

MSG = "fix(calc): x\n\nbody\n\nIntegrity: sha256:{integrity}\n"


def _commit(g: GitOps, paths, expected):
    return g.commit_paths(paths, MSG, author_name="Ouroboros",
                          author_email="ouroboros@localhost", expected_head=expected)


def test_only_the_op_paths_are_committed(repo):
    g = GitOps(repo)
    head = g.head_sha()
    (repo / "notes.txt").write_text("staged\n")
    git(repo, "add", "notes.txt")
    (repo / "README.md").write_text("unstaged\n")
    (repo / "calc" / "ops.py").write_text("x = 2\n")
    (repo / "calc" / "new.py").write_text("y = 1\n")
    (repo / "tests" / "test_ops.py").unlink()
    result = _commit(g, ["calc/ops.py", "calc/new.py", "tests/test_ops.py"], head)
    assert result.index_note == ""
    changed = git(repo, "show", "--name-status", "--format=", "HEAD").split()
    assert changed == ["A", "calc/new.py", "M", "calc/ops.py", "D", "tests/test_ops.py"]
    assert sorted(git(repo, "status", "--porcelain").splitlines()) == [" M README.md",
                                                                      "M  notes.txt"]
    assert "sha256:" + result.integrity in git(repo, "log", "-1", "--format=%B")


def test_a_moved_head_is_refused_when_it_touched_the_op_paths(repo):
    g = GitOps(repo)
    stale = g.head_sha()
    (repo / "calc" / "ops.py").write_text("human = 1\n")
    git(repo, "commit", "-qam", "human commit on the same file")
    (repo / "calc" / "ops.py").write_text("x = 2\n")
    with pytest.raises(CommitError, match=r"HEAD moved.*change calc/ops\.py"):
        _commit(g, ["calc/ops.py"], stale)


def test_an_empty_change_is_refused(repo):
    g = GitOps(repo)
    with pytest.raises(CommitError, match="empty"):
        _commit(g, ["calc/ops.py"], g.head_sha())


def test_an_index_the_humans_git_holds_refuses_the_commit(repo):
    """Their `git commit -- FILE` in its editor holds index.lock: had the daemon committed,
    its index refresh would fail and their index would stage a revert of the op."""
    g = GitOps(repo)
    head = g.head_sha()
    (repo / "calc" / "ops.py").write_text("x = 2\n")
    (repo / ".git" / "index.lock").write_text("")
    with pytest.raises(CommitError, match="the index is locked"):
        _commit(g, ["calc/ops.py"], head)
    assert g.head_sha() == head


def test_a_lock_taken_after_the_ref_moved_does_not_undo_the_commit(repo, monkeypatch):
    g = GitOps(repo)
    head = g.head_sha()
    (repo / "calc" / "ops.py").write_text("x = 2\n")
    refresh = g._refresh_index

    def locked_first(*args):
        (repo / ".git" / "index.lock").write_text("")
        return refresh(*args)

    monkeypatch.setattr(g, "_refresh_index", locked_first)
    result = _commit(g, ["calc/ops.py"], head)
    assert g.head_sha() == result.sha != head
    assert "index not refreshed" in result.index_note
    assert "git reset -q -- calc/ops.py" in result.index_note


def test_dirty_and_head_has_op(repo):
    g = GitOps(repo)
    assert g.dirty(["calc/ops.py"]) == []
    (repo / "calc" / "ops.py").write_text("x\n")
    (repo / "calc" / "fresh.py").write_text("y\n")
    assert sorted(g.dirty(["calc/ops.py", "calc/fresh.py"])) == ["calc/fresh.py",
                                                                  "calc/ops.py"]
    git(repo, "commit", "-qam", "subject\n\nOp-Id: op-1234")
    assert g.head_has_op("op-1234") and not g.head_has_op("op-9999")


def test_op_commits_reads_trailers_only_and_sees_past_later_commits(repo):
    g = GitOps(repo)
    (repo / "notes.txt").write_text("a\n")
    git(repo, "commit", "-qam", "subject\n\nOp-Id: op-in-body\nis not a trailer block\n\n"
        "Op-Id: op-real\nRisk: SAFE_AUTO")
    real = g.head_sha()
    git(repo, "commit", "-q", "--allow-empty", "-m", "human on top")
    found = g.op_commits()
    assert found == {"op-real": real}
    assert not g.head_has_op("op-real")  # HEAD itself is the human's commit


def test_index_entry_staged_by_someone_else_is_left_alone(repo):
    g = GitOps(repo)
    head = g.head_sha()
    (repo / "calc" / "ops.py").write_text("x = 2\n")
    (repo / "calc" / "new.py").write_text("y = 1\n")
    # Between APPLY and the commit someone stages a different blob on one op path.
    staged = subprocess.run(["git", "hash-object", "-w", "--stdin"], cwd=repo, input=b"z\n",
                            capture_output=True, check=True).stdout.decode().strip()
    git(repo, "update-index", "--cacheinfo", f"100644,{staged},calc/ops.py")
    result = _commit(g, ["calc/ops.py", "calc/new.py"], head)
    assert "left alone for calc/ops.py" in result.index_note
    assert git(repo, "ls-files", "-s", "calc/ops.py").split()[1] == staged
    # The other op path is in sync with HEAD: not staged, not modified.
    assert "calc/new.py" not in git(repo, "status", "--porcelain")


@pytest.mark.parametrize("name", ["[ab].py", "*.py", ":(exclude)x.py", "a?.py", "**"])
def test_file_names_are_never_pathspec_patterns(repo, name):
    """A committed `[ab].py` is clean although `a.py` is dirty; magic names do not fail."""
    (repo / name).write_text("x = 1\n")
    (repo / "a.py").write_text("a = 1\n")
    (repo / "ab.py").write_text("b = 1\n")
    git(repo, "--literal-pathspecs", "add", "--", name, "a.py", "ab.py")
    git(repo, "commit", "-qm", "files")
    (repo / "a.py").write_text("a = 2\n")
    ops = GitOps(repo)
    assert ops.dirty([name]) == []
    assert ops.dirty(["a.py"]) == ["a.py"]


def _on_branch(g: GitOps, paths, expected, branch):
    return g.commit_paths(paths, MSG, author_name="Ouroboros",
                          author_email="ouroboros@localhost", expected_head=expected,
                          branch=branch)


def test_a_commit_never_lands_on_a_branch_the_human_checked_out_meanwhile(repo):
    """The fourth soak's find: the human switched to a side branch (a descendant that
    leaves the op's file alone) while the op ran; the commit went onto it, and the main
    checkout was left with the change staged. Now it is refused, and nothing moves."""
    g = GitOps(repo)
    base, branch = g.head_sha(), g.branch()
    assert branch is not None and branch.startswith("refs/heads/")
    git(repo, "checkout", "-q", "-b", "side")
    (repo / "notes.txt").write_text("the human's side work\n")
    git(repo, "add", "notes.txt")
    git(repo, "commit", "-qm", "side work")
    side = g.head_sha()
    (repo / "calc" / "ops.py").write_text("x = 2\n")
    with pytest.raises(CommitError, match="no longer checked out"):
        _on_branch(g, ["calc/ops.py"], base, branch)
    assert git(repo, "rev-parse", branch).strip() == base and g.head_sha() == side
    assert git(repo, "status", "--porcelain") == " M calc/ops.py\n"  # nothing staged


def test_a_checkout_racing_the_commit_cannot_carry_it_to_another_branch(repo, monkeypatch):
    """HEAD names the op's branch when the commit begins, another by the time the ref
    moves: the update names the branch, so the commit lands there, and the other
    checkout's index is left alone."""
    g = GitOps(repo)
    base, branch = g.head_sha(), g.branch()
    (repo / "calc" / "ops.py").write_text("x = 2\n")
    # the same commit: the change comes along
    checkout_after_the_last_look(monkeypatch, g, repo, "-b", "side")
    result = _on_branch(g, ["calc/ops.py"], base, branch)
    assert git(repo, "rev-parse", branch).strip() == result.sha
    assert git(repo, "rev-parse", "refs/heads/side").strip() == base
    assert "HEAD left" in result.index_note
    assert git(repo, "status", "--porcelain") == " M calc/ops.py\n"  # not staged on side


def test_a_commit_on_the_branch_the_op_began_on_lands_as_before(repo):
    g = GitOps(repo)
    base, branch = g.head_sha(), g.branch()
    (repo / "calc" / "ops.py").write_text("x = 2\n")
    result = _on_branch(g, ["calc/ops.py"], base, branch)
    assert git(repo, "rev-parse", "HEAD").strip() == result.sha and result.index_note == ""
    assert git(repo, "status", "--porcelain") == ""
