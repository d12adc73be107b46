"""A review's kept missing test, as `review OP` shows it and `accept` lands it (issue 45,
item 3).

governance.phases.missing_test_step keeps a checked test as a commit of its own on the review
commit, on `<prefix>tests/<op-id>`. Only a commit whose parent is the review's own commit
counts: a branch moved onto anything else is no kept test of that review.

What an accept lands, as a ReviewItem (its files at `sha`, judged stale against `base`):
- the change and its kept test (`change_and_test`): the review's files and the test's, as the
  test commit holds them, against the review's base;
- the kept test alone (`only_the_test`): the test's files, against the review commit (where
  they are as on the review's base, since the change does not touch them). A kept test
  that edits a file the change edits too cannot land without the change: refused here.

Blocking (git processes): the daemon calls it in threads.
"""

from __future__ import annotations

import dataclasses

from governance.git.review import ReviewBranches, ReviewItem
from governance.git.review_order import kept_tests_prefix


def kept_tests(reviews: ReviewBranches) -> ReviewBranches:
    """The kept tests' branches beside `reviews` (`<prefix>tests/`)."""
    return ReviewBranches(reviews.git, kept_tests_prefix(reviews.prefix))


def kept_test_of(reviews: ReviewBranches, item: ReviewItem) -> ReviewItem | None:
    """The kept test on `item`'s review commit; None when none was kept (or its branch
    points at anything but a commit on that review commit)."""
    found = kept_tests(reviews).at(item.op_id)
    return found if found is not None and found.base == item.sha else None


def change_and_test(item: ReviewItem, test: ReviewItem) -> ReviewItem:
    """The change and its kept test as one landing: every file at the test's commit."""
    files = (*item.files, *(f for f in test.files if f not in item.files))
    return dataclasses.replace(item, sha=test.sha, files=files,
                               insertions=item.insertions + test.insertions,
                               deletions=item.deletions + test.deletions)


def only_the_test(item: ReviewItem, test: ReviewItem) -> ReviewItem | str:
    """The kept test without its change, or why it cannot land alone."""
    if shared := sorted(set(test.files) & set(item.files)):
        return (f"the kept test edits {', '.join(shared)}, which the change edits too: it "
                f"cannot land without the change (`ouroboros accept {item.op_id}`)")
    return test

