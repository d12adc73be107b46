"""Reviews ordered by what they cost a person (issue 45, item 4): the cheapest decision
first.

What a review asks of its reader, cheapest first (ReviewCost, data):
1. a change whose missing test was kept (governance.phases.propose_test) and no
   counterexample: read one test, run it, decide;
2. a change with a named unchecked line or unentered function: the question is one line;
3. everything that needs a person whatever the proof (harness files, deletions, weakened
   tests, a protected path's approval) and any other reason (files it was not asked to
   touch, a removed public name, a linter's finding);
4. a change with a counterexample: base and candidate answer one input differently; most
   likely wrong, so last.

The kind is decided when the review is made, from typed reports (the risk tier, the
differential check's counterexamples, the test-decidable causes), and written into the
review commit as a `Review-Cost:` trailer; whether a missing test was kept is read from git
(its `<prefix>tests/<op-id>` branch). A review made before the trailer existed counts as
needing a person. Everything here that reads git blocks: the daemon calls it in threads.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import IntEnum

from governance.git.review import OP_ID, ReviewBranches, ReviewItem

TRAILER = "Review-Cost"


class ReviewCost(IntEnum):
    TESTED = 1
    UNCHECKED = 2
    PERSON = 3
    COUNTEREXAMPLE = 4


LABELS: Mapping[ReviewCost, str] = {
    ReviewCost.TESTED: "a kept test decides it",
    ReviewCost.UNCHECKED: "one unchecked line",
    ReviewCost.PERSON: "needs a person",
    ReviewCost.COUNTEREXAMPLE: "a counterexample",
}


def kept_tests_prefix(review_prefix: str) -> str:
    """Where kept missing tests go (governance.phases.propose_test): `<prefix>tests/<op-id>`,
    a name `review` never lists (it is no op id)."""
    return f"{review_prefix}tests/"


def cost_of(*, needs_person: bool, counterexample: bool, decidable: bool) -> ReviewCost:
    """The kind written when the review is made (TESTED comes later, from git)."""
    if counterexample:
        return ReviewCost.COUNTEREXAMPLE
    if needs_person or not decidable:
        return ReviewCost.PERSON
    return ReviewCost.UNCHECKED


def trailer(cost: ReviewCost) -> str:
    return f"{TRAILER}: {cost.name.lower()}\n"


def costs(reviews: ReviewBranches) -> dict[str, ReviewCost]:
    """op id -> its review's cost, for every review branch under the prefix (two git
    processes, whatever the number of reviews)."""
    tests_prefix = kept_tests_prefix(reviews.prefix)
    fmt = f"%(refname)%00%(trailers:key={TRAILER},valueonly,unfold)"
    out = _git(reviews, "for-each-ref", f"--format={fmt}", f"refs/heads/{reviews.prefix}")
    tested = set(_git(reviews, "for-each-ref", "--format=%(refname:lstrip=2)",
                      f"refs/heads/{tests_prefix}").split())
    found: dict[str, ReviewCost] = {}
    for record in out.split("\n"):
        ref, _, value = record.partition("\0")
        op_id = ref.removeprefix(f"refs/heads/{reviews.prefix}")
        if not OP_ID.fullmatch(op_id):
            continue
        cost = ReviewCost.__members__.get(value.strip().upper(), ReviewCost.PERSON)
        if cost is ReviewCost.UNCHECKED and f"{tests_prefix}{op_id}" in tested:
            cost = ReviewCost.TESTED
        found[op_id] = cost
    return found


def ordered(items: Sequence[ReviewItem], found: Mapping[str, ReviewCost]) -> list[ReviewItem]:
    """Cheapest decision first, the newest first within a kind."""
    return sorted(items, key=lambda i: (found.get(i.op_id, ReviewCost.PERSON), -i.created,
                                        i.op_id))


def _git(reviews: ReviewBranches, *args: str) -> str:
    # the same git invocation the review branches use (literal paths, no optional locks)
    return reviews._run(*args).decode("utf-8", "surrogateescape")
