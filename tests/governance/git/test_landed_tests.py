"""A review whose kept missing tests decide every reason and are on the human's branch is
"checked now: accept to land" (governance.git.landed_tests, governance.git.review_order),
re-checked from real git each time: the test edited or removed on HEAD, or a kept-test
commit that leaves a reason undecided, and the review is back to what it was."""

from __future__ import annotations

from governance.git.gitops import GitOps
from governance.git.landed_tests import landed
from governance.git.review import ReviewBranches
from governance.git.review_order import ReviewCost, costs, kept_tests_prefix, trailer
from governance.schemas import FileChange
from tests.governance.git.test_review_order import _propose
from tests.helpers import git

OP = "op-00000000000000a1"
TEST = "def test_x():\n    assert 1 + 1 == 2\n"


def _kept(repo, on: str, undecided: int) -> str:
    tests = ReviewBranches(GitOps(repo), kept_tests_prefix("ouroboros/"))
    return tests.propose(OP, on, [FileChange(file_path="tests/test_more.py",
                                             full_content=TEST)],
                         f"test: more\n\nOp-Id: {OP}\nIntegrity: sha256:{{integrity}}\n"
                         f"Undecided: {undecided}\n", author_name="Ouroboros",
                         author_email="o@localhost", sign_env=None)


def _land(repo, text: str | None) -> None:
    path = repo / "tests" / "test_more.py"
    path.parent.mkdir(exist_ok=True)
    if text is None:
        path.unlink()
    else:
        path.write_text(text)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "the human's side")


def test_a_kept_test_on_head_makes_its_review_checked_now_while_it_stays_there(repo):
    reviews = ReviewBranches(GitOps(repo), "ouroboros/")
    review = _propose(repo, reviews, OP, trailer(ReviewCost.UNCHECKED))
    sha = _kept(repo, review, 0)
    assert costs(reviews)[OP] is ReviewCost.TESTED and landed(reviews, {OP: sha}) == set()
    _land(repo, TEST)  # as `accept OP --tests` lands it
    assert costs(reviews)[OP] is ReviewCost.CHECKED
    _land(repo, TEST + "\n\ndef test_y():\n    pass\n")  # edited since: not as it was kept
    assert costs(reviews)[OP] is ReviewCost.TESTED
    _land(repo, TEST)
    assert costs(reviews)[OP] is ReviewCost.CHECKED
    _land(repo, None)  # removed: the reason is back
    assert costs(reviews)[OP] is ReviewCost.TESTED


def test_kept_tests_that_leave_a_reason_undecided_neither_decide_nor_check_it(repo):
    reviews = ReviewBranches(GitOps(repo), "ouroboros/")
    review = _propose(repo, reviews, OP, trailer(ReviewCost.UNCHECKED))
    _kept(repo, review, 1)
    assert costs(reviews)[OP] is ReviewCost.UNCHECKED
    _land(repo, TEST)
    assert costs(reviews)[OP] is ReviewCost.UNCHECKED
