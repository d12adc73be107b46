"""The work an open review holds, read from git alone (governance.git.review_causes): its
key and causes from its commit's trailers, for as long as HEAD keeps the files it changes
as they were at its base, and only for a branch that is ours."""

from __future__ import annotations

from pathlib import Path

import pytest

from governance.git.gitops import GitOps
from governance.git.review import ReviewBranches
from governance.git.review_causes import ReviewCauses, trailers_for
from tests.governance.git.test_review_branches import CHANGES, OP, _message, _propose
from tests.helpers import commit_files, git


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return commit_files(tmp_path / "repo", {
        "calc/__init__.py": "", "calc/ops.py": "def clamp(x, lo, hi):\n    return x\n",
        "README.md": "calc\n"})


@pytest.fixture
def reviews(repo: Path) -> ReviewBranches:
    return ReviewBranches(GitOps(repo), "ouroboros/")

CAUSE = "fn:calc/ops.py::clamp"


def test_a_review_holds_its_key_and_causes_until_head_changes_its_files(repo, reviews):
    held = ReviewCauses(reviews)
    assert held.holding("k1", [CAUSE]) is None  # no review yet
    _propose(reviews, CHANGES, message=_message() + trailers_for("k1", [CAUSE, "bad\ncause"]))
    assert held.holding("k1", []) == OP
    assert held.holding("other", ["test:tests/t.py::x", CAUSE]) == OP
    assert held.holding("other", ["test:tests/t.py::x"]) is None
    assert "bad" not in git(repo, "log", "-1", "--format=%B", f"ouroboros/{OP}")
    (repo / "README.md").write_text("a human's unrelated commit\n")
    git(repo, "add", "README.md")
    git(repo, "commit", "-qm", "unrelated")
    assert held.holding("k1", []) == OP  # its files are as they were: still current
    (repo / "calc/ops.py").write_text("def clamp(x, lo, hi):\n    return min(x, hi)\n")
    git(repo, "commit", "-qam", "the human fixed it otherwise")
    assert held.holding("k1", [CAUSE]) is None  # stale: new work may start


def test_a_branch_named_like_ours_holds_nothing(repo, reviews):
    other = "op-00000000000000ff"
    _propose(reviews, CHANGES, op_id=other, message=_message(OP) + trailers_for("k1", []))
    assert ReviewCauses(reviews).holding("k1", []) is None  # its Op-Id names another op


def test_a_second_candidate_with_the_same_change_joins_the_open_review(repo, reviews):
    """Issue 51 item 4: two ops of one cause known by different keys and causes (two
    groups, two anchors) carry the same change: the second finds the review that carries it
    byte for byte, and makes no second branch; another change, or a stale review, is none."""
    held = ReviewCauses(reviews)
    assert held.carrying(CHANGES) is None
    _propose(reviews, CHANGES, message=_message() + trailers_for("k1", [CAUSE]))
    assert held.holding("k2", ["test:tests/t.py::other"]) is None  # nothing it names
    assert held.carrying(CHANGES) == OP  # but the very change it carries
    other = [CHANGES[0].model_copy(update={"full_content": "def clamp(x, lo, hi):\n    "
                                           "return min(max(x, lo), hi)\n"}), *CHANGES[1:]]
    assert held.carrying(other) is None
    assert held.carrying(CHANGES[:1]) is None  # the review changes more than this
    (repo / "calc/ops.py").write_text("def clamp(x, lo, hi):\n    return min(x, hi)\n")
    git(repo, "commit", "-qam", "the human fixed it otherwise")
    assert held.carrying(CHANGES) is None  # stale
