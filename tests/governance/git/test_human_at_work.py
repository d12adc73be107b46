"""The human's work in progress, made by real git, against the op-only commit: nothing is
committed inside their unfinished rebase, merge, cherry-pick, revert or bisect (DECIDE
blocks an op that would write there), on a branch checked out since, from a file git
status is told to overlook, or from a file they edited after APPLY."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from governance.errors import CommitError
from governance.git.gitops import DETACHED, GitOps
from governance.phase import Phase
from tests.governance.phases.test_phases import _run
from tests.helpers import OPS_FIXED, checkout_after_the_last_look, git, no_retry_policy, run_op

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
    "merge --squash": (lambda r, side: _git_may_fail(r, "merge", "--squash", side),
                       "a conflict resolution (the index holds unmerged paths)"),
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


@pytest.mark.parametrize("flag", ["--skip-worktree", "--assume-unchanged"])
def test_a_file_git_status_is_told_to_overlook_counts_as_the_humans(repo, flag):
    """Local edits kept out of commits with `update-index --skip-worktree` (or
    --assume-unchanged): status lists nothing, so CLASSIFY and APPLY took the file for
    clean and the commit swept the hidden edits in. Now it is dirty."""
    git(repo, "update-index", flag, "calc/ops.py")
    (repo / "calc" / "ops.py").write_text("SECRET_LOCAL = 'human-only'\n")
    assert git(repo, "status", "--porcelain") == ""  # what fooled the guard
    g = GitOps(repo)
    assert g.dirty(["calc/ops.py", "README.md"]) == ["calc/ops.py"]
    assert g.dirty(["calc/ops.py"], ignored=True) == ["calc/ops.py"]


def test_the_commit_holds_what_the_op_proved_not_a_later_edit(repo):
    """The human edits an op file between APPLY and the commit: their edit is not
    committed under the daemon's name; the commit is refused and nothing moves."""
    g = GitOps(repo)
    base, branch = g.head_sha(), g.branch()
    proved = b"x = 2\n"
    (repo / "calc" / "ops.py").write_bytes(proved + b"HUMAN_WIP = 'half-done'\n")
    with pytest.raises(CommitError, match=r"calc/ops\.py is not what the op applied"):
        g.commit_paths(["calc/ops.py"], MSG, author_name="O", author_email="o@x",
                       expected_head=base, branch=branch, expected={"calc/ops.py": proved})
    assert g.head_sha() == base
    (repo / "calc" / "ops.py").write_bytes(proved)
    made = g.commit_paths(["calc/ops.py"], MSG, author_name="O", author_email="o@x",
                          expected_head=base, branch=branch,
                          expected={"calc/ops.py": proved})
    assert git(repo, "show", f"{made.sha}:calc/ops.py") == proved.decode()


def test_a_deleted_file_that_came_back_refuses_the_commit(repo):
    g = GitOps(repo)
    base, branch = g.head_sha(), g.branch()
    (repo / "calc" / "ops.py").write_text("recreated by the human\n")
    with pytest.raises(CommitError, match="changed since APPLY"):
        g.commit_paths(["calc/ops.py"], MSG, author_name="O", author_email="o@x",
                       expected_head=base, branch=branch, expected={"calc/ops.py": None})
    (repo / "calc" / "ops.py").unlink()
    made = g.commit_paths(["calc/ops.py"], MSG, author_name="O", author_email="o@x",
                          expected_head=base, branch=branch, expected={"calc/ops.py": None})
    assert "calc/ops.py" not in git(repo, "ls-tree", "-r", "--name-only", made.sha)


def test_content_is_compared_after_the_repositorys_clean_filters(repo):
    """With `* text=auto eol=crlf` git stores LF: the proved CRLF bytes match the blob."""
    (repo / ".gitattributes").write_text("*.py text eol=crlf\n")
    git(repo, "add", ".gitattributes")
    git(repo, "commit", "-qm", "attributes")
    g = GitOps(repo)
    base, branch = g.head_sha(), g.branch()
    proved = b"x = 2\r\ny = 3\r\n"
    (repo / "calc" / "ops.py").write_bytes(proved)
    made = g.commit_paths(["calc/ops.py"], MSG, author_name="O", author_email="o@x",
                          expected_head=base, branch=branch, expected={"calc/ops.py": proved})
    assert git(repo, "show", f"{made.sha}:calc/ops.py") == "x = 2\ny = 3\n"


class _HumanEditsBeforeTheCommit(GitOps):
    """The human saves an op file after VERIFY, just as the commit begins."""

    def commit_paths(self, paths, *args, **kwargs):
        (self.root / "calc" / "ops.py").write_text(OPS_FIXED + "HUMAN_WIP = 'half-done'\n")
        return super().commit_paths(paths, *args, **kwargs)


async def test_an_edit_after_verify_is_neither_committed_nor_lost(repo, short_tmp):
    """Through the real pipeline: the op ends POSTMORTEM, HEAD stays, and the file keeps
    the human's edit (the rollback keeps a file changed since APPLY)."""
    head = git(repo, "rev-parse", "HEAD")
    fix = json.dumps({"file_path": "calc/ops.py", "full_content": OPS_FIXED})
    end, chain = await run_op(repo, short_tmp / "l.sqlite3", "calc/ops.py", fix,
                              policy=no_retry_policy(), git=_HumanEditsBeforeTheCommit(repo))
    assert end is Phase.POSTMORTEM
    assert "not what the op applied and proved" in chain["transitions"][-1]["reason"]
    assert git(repo, "rev-parse", "HEAD") == head
    assert "HUMAN_WIP = 'half-done'" in (repo / "calc" / "ops.py").read_text()


def test_a_switch_after_the_last_look_never_carries_a_detached_commit(repo, monkeypatch):
    """The few milliseconds between the last look and the ref update: begun detached, the
    update moves HEAD itself (--no-deref), never main, which the human just checked out."""
    git(repo, "checkout", "-q", "--detach", "HEAD")
    g = GitOps(repo)
    base, start = g.head_sha(), g.branch()
    (repo / "calc" / "ops.py").write_text("x = 2\n")
    checkout_after_the_last_look(monkeypatch, g, repo, "main")
    result = _commit(g, base, start)
    assert git(repo, "rev-parse", "main").strip() == base  # main never moves
    assert g.branch() == DETACHED and g.head_sha() == result.sha  # HEAD itself moved


def test_the_branch_is_read_as_git_reads_it_when_the_ref_files_do_not_say_it(repo):
    """A HEAD symlink (core.preferSymlinkRefs) read as a detached sha, and a hand-written
    `ref:refs/heads/main` did not parse: either way the branch check was off."""
    g = GitOps(repo)
    head_file = repo / ".git" / "HEAD"
    head_file.write_text("ref:refs/heads/main\n")
    assert git(repo, "symbolic-ref", "HEAD").strip() == "refs/heads/main"
    assert g.branch() == "refs/heads/main"
    head_file.unlink()
    head_file.symlink_to("refs/heads/main")
    assert g.branch() == "refs/heads/main"
    git(repo, "checkout", "-q", "--detach", "HEAD")
    assert g.branch() == DETACHED


def test_a_symlink_swapped_in_after_apply_is_not_committed(repo):
    """The file replaced by a link to a copy of the proved bytes: git would store the
    link (its target's name), not the bytes: refused."""
    g = GitOps(repo)
    base, branch = g.head_sha(), g.branch()
    proved = b"x = 2\n"
    (repo / "copy.py").write_bytes(proved)
    (repo / "calc" / "ops.py").unlink()
    (repo / "calc" / "ops.py").symlink_to("../copy.py")
    with pytest.raises(CommitError, match="changed since APPLY"):
        g.commit_paths(["calc/ops.py"], MSG, author_name="O", author_email="o@x",
                       expected_head=base, branch=branch, expected={"calc/ops.py": proved})
    assert g.head_sha() == base


def _mode_at(repo: Path, rev: str, rel: str) -> str:
    return git(repo, "ls-tree", rev, "--", rel).split()[0]


def test_a_mode_changed_after_apply_is_not_committed(repo):
    """`chmod +x` on an op file after APPLY: the proved bytes, but git would commit the
    human's executable bit under the daemon's name: refused. A file that was executable
    at HEAD keeps its mode through the op's commit."""
    g = GitOps(repo)
    base, branch = g.head_sha(), g.branch()
    proved = b"x = 2\n"
    ops = repo / "calc" / "ops.py"
    ops.write_bytes(proved)
    ops.chmod(0o755)
    with pytest.raises(CommitError, match="changed since APPLY"):
        g.commit_paths(["calc/ops.py"], MSG, author_name="O", author_email="o@x",
                       expected_head=base, branch=branch, expected={"calc/ops.py": proved})
    assert g.head_sha() == base
    git(repo, "commit", "-qam", "the human makes it a script")
    script = g.head_sha()
    ops.write_bytes(b"x = 3\n")
    made = g.commit_paths(["calc/ops.py"], MSG, author_name="O", author_email="o@x",
                          expected_head=script, branch=branch,
                          expected={"calc/ops.py": b"x = 3\n"})
    assert _mode_at(repo, made.sha, "calc/ops.py") == "100755"


def test_a_new_file_made_executable_after_apply_is_not_committed(repo):
    g = GitOps(repo)
    base, branch = g.head_sha(), g.branch()
    new = repo / "calc" / "new.py"
    new.write_bytes(b"y = 1\n")
    new.chmod(0o755)
    with pytest.raises(CommitError, match="changed since APPLY"):
        g.commit_paths(["calc/new.py"], MSG, author_name="O", author_email="o@x",
                       expected_head=base, branch=branch, expected={"calc/new.py": b"y = 1\n"})
    new.chmod(0o644)
    made = g.commit_paths(["calc/new.py"], MSG, author_name="O", author_email="o@x",
                          expected_head=base, branch=branch, expected={"calc/new.py": b"y = 1\n"})
    assert _mode_at(repo, made.sha, "calc/new.py") == "100644"


def test_with_core_filemode_off_the_executable_bit_is_neither_committed_nor_refused(repo):
    """git told to ignore modes (core.fileMode=false, as on some mounts): the human's chmod
    is not part of the change git would commit, so the proved bytes commit as 100644."""
    git(repo, "config", "core.fileMode", "false")
    g = GitOps(repo)
    base, branch = g.head_sha(), g.branch()
    ops = repo / "calc" / "ops.py"
    ops.write_bytes(b"x = 2\n")
    ops.chmod(0o755)
    made = g.commit_paths(["calc/ops.py"], MSG, author_name="O", author_email="o@x",
                          expected_head=base, branch=branch, expected={"calc/ops.py": b"x = 2\n"})
    assert _mode_at(repo, made.sha, "calc/ops.py") == "100644"
