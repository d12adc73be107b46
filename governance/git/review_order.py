"""Reviews ordered by what they cost a person (issue 45, item 4): the cheapest decision
first.

What a review asks of its reader, cheapest first (ReviewCost, data):
0. a change whose kept missing tests decide every cause and are on your branch already
   (`accept OP --tests` landed them: governance.git.landed_tests re-checks it from git each
   time): its lines are checked now, so accepting it is all that is left;
1. a change whose missing tests were kept for every cause
   (governance.phases.missing_test_step) and no counterexample: read one test, run it, decide;
2. a change with a named unchecked line or unentered function: the question is one line;
3. everything that needs a person whatever the proof (harness files, deletions, weakened
   tests, a protected path's approval) and any other reason (files it was not asked to
   touch, a removed public name, a linter's finding);
4. a change with a counterexample: base and candidate answer one input differently; most
   likely wrong, so last.

The kind is decided when the review is made, from typed reports (the risk tier, the
differential check's counterexamples, the test-decidable causes), and written into the
review commit as a `Review-Cost:` trailer; whether a missing test was kept is read from git
(its `<prefix>tests/<op-id>` branch, whose `Undecided:` trailer counts the causes no kept test
decides: TESTED only when none is left). A review made before the trailer existed counts as
needing a person. Everything here that reads git blocks: the daemon calls it in threads.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import IntEnum

from governance.git.landed_tests import landed
from governance.git.review import OP_ID, ReviewBranches, ReviewItem

TRAILER = "Review-Cost"
UNDECIDED = "Undecided"  # the kept tests' commit: how many causes none of them decides


class ReviewCost(IntEnum):
    CHECKED = 0
    TESTED = 1
    UNCHECKED = 2
    PERSON = 3
    COUNTEREXAMPLE = 4


LABELS: Mapping[ReviewCost, str] = {
    ReviewCost.CHECKED: "checked now: accept to land",
    ReviewCost.TESTED: "a kept test decides it",
    ReviewCost.UNCHECKED: "one unchecked line",
    ReviewCost.PERSON: "needs a person",
    ReviewCost.COUNTEREXAMPLE: "a counterexample",
}


def kept_tests_prefix(review_prefix: str) -> str:
    """Where kept missing tests go (governance.phases.missing_test_step): `<prefix>tests/<op-id>`,
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
    deciding = _deciding(reviews, tests_prefix)
    found: dict[str, ReviewCost] = {}
    for record in out.split("\n"):
        ref, _, value = record.partition("\0")
        op_id = ref.removeprefix(f"refs/heads/{reviews.prefix}")
        if not OP_ID.fullmatch(op_id):
            continue
        cost = ReviewCost.__members__.get(value.strip().upper(), ReviewCost.PERSON)
        if cost is ReviewCost.UNCHECKED and op_id in deciding:
            cost = ReviewCost.TESTED
        found[op_id] = cost
    tested = {op: deciding[op] for op, cost in found.items() if cost is ReviewCost.TESTED}
    for op_id in landed(reviews, tested):  # two more git processes, only when tests wait
        found[op_id] = ReviewCost.CHECKED
    return found


def _deciding(reviews: ReviewBranches, tests_prefix: str) -> dict[str, str]:
    """{op id: its kept tests' commit}, for the commits that leave no cause undecided (one
    made before the trailer existed decided its op's one cause)."""
    fmt = f"%(refname:lstrip=2)%00%(objectname)%00%(trailers:key={UNDECIDED},valueonly,unfold)"
    out: dict[str, str] = {}
    for record in _git(reviews, "for-each-ref", f"--format={fmt}",
                       f"refs/heads/{tests_prefix}").split("\n"):
        name, _, rest = record.partition("\0")
        sha, _, undecided = rest.partition("\0")
        if name and undecided.strip() in ("", "0"):
            out[name.removeprefix(tests_prefix)] = sha
    return out


def ordered(items: Sequence[ReviewItem], found: Mapping[str, ReviewCost]) -> list[ReviewItem]:
    """Cheapest decision first, the newest first within a kind."""
    return sorted(items, key=lambda i: (found.get(i.op_id, ReviewCost.PERSON), -i.created,
                                        i.op_id))


def _git(reviews: ReviewBranches, *args: str) -> str:
    # the same git invocation the review branches use (literal paths, no optional locks)
    return reviews._run(*args).decode("utf-8", "surrogateescape")
