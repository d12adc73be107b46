"""GitOps.head_sha reads HEAD from the ref files and must say exactly what `git rev-parse`
says in every layout git writes; index_sync.changed_entries must match `git ls-tree`."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from governance.git.gitops import GitOps
from governance.git.index_sync import changed_entries, tree_entries
from tests.helpers import commit_files, git


def rev_parse_head(repo: Path) -> str | None:
    out = os.popen(f"git -C '{repo}' rev-parse --verify -q 'HEAD^{{commit}}'").read().strip()
    return out or None


@pytest.fixture
def repo(tmp_path):
    repo = commit_files(tmp_path / "r", {"a.py": "a\n", "d/b.py": "b\n", "keep.py": "k\n"})
    (repo / "a.py").write_text("a2\n")
    git(repo, "commit", "-qam", "second")
    return repo


def test_loose_packed_detached_and_symbolic_heads_read_as_git_does(repo):
    ops = GitOps(repo)
    assert ops.head_sha() == rev_parse_head(repo)  # loose branch ref
    git(repo, "pack-refs", "--all")
    assert not (repo / ".git/refs/heads/main").exists()
    assert ops.head_sha() == rev_parse_head(repo)  # packed only
    git(repo, "tag", "-a", "-m", "t", "v1")  # an annotated tag: a peeled line in packed-refs
    git(repo, "pack-refs", "--all")
    assert ops.head_sha() == rev_parse_head(repo)
    git(repo, "checkout", "-q", "--detach", "HEAD~1")
    assert ops.head_sha() == rev_parse_head(repo) != git(repo, "rev-parse", "main").strip()
    git(repo, "checkout", "-q", "main")
    (repo / "a.py").write_text("a3\n")
    git(repo, "commit", "-qam", "third")  # a loose ref again, newer than the packed one
    assert ops.head_sha() == rev_parse_head(repo)


def test_unborn_branch_and_linked_worktree(tmp_path, repo):
    empty = tmp_path / "empty"
    git(tmp_path, "init", "-q", "-b", "main", str(empty))
    assert GitOps(empty).head_sha() is None
    git(repo, "worktree", "add", "-q", "-b", "side", str(tmp_path / "wt"))
    wt = tmp_path / "wt"
    (wt / "a.py").write_text("side\n")
    git(wt, "-c", "user.name=x", "-c", "user.email=x@x", "commit", "-qam", "side")
    assert GitOps(wt).head_sha() == rev_parse_head(wt) != rev_parse_head(repo)
    assert GitOps(repo).head_sha() == rev_parse_head(repo)


def test_a_garbage_ref_file_falls_back_to_git(repo):
    (repo / ".git/refs/heads/main").write_text("not a sha\n")
    assert GitOps(repo).head_sha() == rev_parse_head(repo)  # both say: no commit
    assert rev_parse_head(repo) is None


def test_changed_entries_match_ls_tree(repo):
    (repo / "a.py").write_text("a4\n")
    (repo / "new.py").write_text("n\n")
    (repo / "d/b.py").unlink()
    (repo / "x.sh").write_text("#!/bin/sh\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "mixed")
    paths = ["a.py", "new.py", "d/b.py", "missing.py"]
    before, after = changed_entries(repo, "HEAD~1", "HEAD", paths)
    assert before == tree_entries(repo, "HEAD~1", paths)
    assert after == tree_entries(repo, "HEAD", paths)
    # a path the commit left alone, and a root commit
    before, after = changed_entries(repo, "HEAD~1", "HEAD", ["keep.py", "x.sh"])
    kept = tree_entries(repo, "HEAD", ["keep.py"])["keep.py"]
    assert before == {"keep.py": kept}
    assert after == {"keep.py": kept, **tree_entries(repo, "HEAD", ["x.sh"])}
    root = git(repo, "rev-list", "--max-parents=0", "HEAD").strip()
    assert changed_entries(repo, None, root, ["a.py"]) == ({}, tree_entries(repo, root,
                                                                           ["a.py"]))


def test_status_never_rewrites_the_index(repo):
    """A stale stat entry makes `git status` refresh and rewrite .git/index under its lock
    unless optional locks are off: ours never touch the human's index."""
    index = repo / ".git/index"
    before = index.stat()
    os.utime(repo / "a.py", ns=(before.st_mtime_ns + 5_000_000_000,) * 2)  # same bytes
    assert GitOps(repo).dirty(["a.py"]) == []
    after = index.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    git(repo, "status", "--porcelain")  # the plain command does rewrite it: the test can fail
    assert index.stat().st_mtime_ns != before.st_mtime_ns


def test_dirty_with_ignored_lists_existing_ignored_files_only(repo):
    (repo / ".gitignore").write_text("local.py\nmissing.py\n")
    git(repo, "add", ".gitignore")
    git(repo, "commit", "-qm", "ignore")
    (repo / "local.py").write_text("the human's local settings\n")
    (repo / "a.py").write_text("edited\n")
    ops = GitOps(repo)
    paths = ["local.py", "missing.py", "a.py", "keep.py"]
    assert sorted(ops.dirty(paths)) == ["a.py"]  # plain status: ignored files are invisible
    assert sorted(ops.dirty(paths, ignored=True)) == ["a.py", "local.py"]


def test_files_inside_an_ignored_directory_are_named_one_by_one(repo):
    """`--ignored=matching` would say `!! build/` for the whole directory, and a target
    `build/out.py` would not be seen as the human's file."""
    (repo / ".gitignore").write_text("build/\n*.log\n!keep.log\n")
    git(repo, "add", ".gitignore")
    git(repo, "commit", "-qm", "ignore")
    (repo / "build/sub").mkdir(parents=True)
    for rel in ("build/out.py", "build/sub/deep.py", "build/we ird.py", "x.log", "keep.log"):
        (repo / rel).write_text("local\n")
    paths = ["build/out.py", "build/sub/deep.py", "build/we ird.py", "build/gone.py",
             "x.log", "keep.log"]
    assert sorted(GitOps(repo).dirty(paths, ignored=True)) == [
        "build/out.py", "build/sub/deep.py", "build/we ird.py", "keep.log", "x.log"]


@pytest.mark.slow
@pytest.mark.parametrize("ignore,target", [("calc/local.py", "calc/local.py"),
                                           ("calc/private/", "calc/private/local.py")])
async def test_apply_never_overwrites_an_ignored_local_file(tmp_path, ignore, target):
    from governance.phase import Phase
    from governance.phases.land import apply_phase
    from governance.schemas import Candidate, GenerationResult, ModelUsage
    from ledger import Ledger
    from tests.helpers import candidate_turn, make_repo, op_context, pipeline_deps, run_op

    repo = make_repo(tmp_path)
    (repo / ".gitignore").write_text(ignore + "\n")
    git(repo, "add", ".gitignore")
    git(repo, "commit", "-qm", "ignore")
    (repo / target).parent.mkdir(parents=True, exist_ok=True)
    (repo / target).write_text("SECRET_SETTING = 1\n")
    turn = json.loads(candidate_turn(target, "SECRET_SETTING = 2\n"))["text"]
    # Through the pipeline the change is not proven (no test runs it): a review branch.
    end, _ = await run_op(repo, tmp_path / "l.sqlite3", target, turn)
    assert end is Phase.PROPOSED
    assert (repo / target).read_text() == "SECRET_SETTING = 1\n"
    # APPLY itself (an accepted review reaches it): the human's ignored file is theirs.
    ledger = await Ledger.open(tmp_path / "l2.sqlite3")
    try:
        ctx = op_context(target)
        ctx.generation = GenerationResult(candidate=Candidate(
            file_path=target, full_content="SECRET_SETTING = 2\n"),
            usage=ModelUsage(provider="replay"))
        t = await apply_phase(ctx, pipeline_deps(repo, ledger, None))
    finally:
        await ledger.close()
    assert t.to is Phase.POSTMORTEM
    assert (repo / target).read_text() == "SECRET_SETTING = 1\n"
    assert f"human edits appeared on {target}" in t.reason
