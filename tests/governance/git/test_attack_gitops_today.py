"""Attacks on today's GitOps changes: HEAD read from the ref files, and what a commit takes
from the working tree. Real repositories; each commit is checked the way `ouroboros
verify` recomputes its Integrity trailer."""

from __future__ import annotations

import os
import subprocess

import pytest

from governance.errors import CommitError
from governance.git.gitops import GitOps
from governance.git.provenance import _integrity
from tests.helpers import git

MSG = "fix: x\n\nIntegrity: sha256:{integrity}\n"


def _commit(g: GitOps, paths, expected):
    return g.commit_paths(paths, MSG, author_name="Ouroboros",
                          author_email="ouroboros@localhost", expected_head=expected)


def _rev_parse(repo) -> str | None:
    out = subprocess.run(["git", "rev-parse", "--verify", "-q", "HEAD^{commit}"], cwd=repo,
                         capture_output=True, text=True).stdout.strip()
    return out or None


@pytest.mark.parametrize("target", ["tree", "blob", "missing"])
def test_a_ref_naming_no_commit_is_what_git_says_and_the_commit_is_refused(repo, target):
    g = GitOps(repo)
    assert g.head_sha() == _rev_parse(repo)  # the real commit, now known
    value = {"tree": git(repo, "rev-parse", "HEAD^{tree}").strip(),
             "blob": git(repo, "rev-parse", "HEAD:calc/ops.py").strip(),
             "missing": "1" * 40}[target]
    ref = repo / ".git" / "refs" / "heads" / git(repo, "branch", "--show-current").strip()
    ref.write_text(value + "\n")
    assert g.head_sha() is None and _rev_parse(repo) is None
    (repo / "calc" / "ops.py").write_text("x = 2\n")
    with pytest.raises(CommitError):  # a refusal, not a git crash mid-commit
        _commit(g, ["calc/ops.py"], g.head_sha())
    assert ref.read_text().strip() == value


def test_a_file_turned_dangling_symlink_is_committed_as_the_link_not_deleted(repo):
    g = GitOps(repo)
    head = g.head_sha()
    (repo / "calc" / "ops.py").unlink()
    os.symlink("nowhere", repo / "calc" / "ops.py")
    result = _commit(g, ["calc/ops.py"], head)
    assert git(repo, "ls-tree", "HEAD", "calc/ops.py").split()[0] == "120000"
    assert _integrity(repo, result.sha) == result.integrity
    assert g.head_sha() == _rev_parse(repo) == result.sha
    assert git(repo, "status", "--porcelain") == ""


def test_a_file_inside_a_nested_repository_is_the_humans(repo):
    """git status stops at a nested clone's .git: its files were never named, so an op
    could overwrite one. An absent one is free, a tracked clean file is not dirty."""
    g = GitOps(repo)
    nested = repo / "vendor" / "lib"
    nested.mkdir(parents=True)
    subprocess.run(["git", "init", "-q"], cwd=nested, check=True)
    (nested / "local.py").write_text("mine\n")
    asked = ["vendor/lib/local.py", "vendor/lib/absent.py", "calc/ops.py"]
    assert g.dirty(asked, ignored=True) == ["vendor/lib/local.py"]
    assert g.dirty(asked) == ["vendor/lib/local.py"]


def test_impossible_names_are_not_dirty_and_raise_nothing(repo):
    g = GitOps(repo)
    names = ["x" * 300 + "/a.py", "a/" + "y" * 5000 + "/b.py", "z" * 300, "q/\udcff/z.py"]
    assert g.dirty(names, ignored=True) == [] and g.dirty(names) == []
