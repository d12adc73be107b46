"""Reviews by what they cost a person (governance.git.review_order), on real git: the
Review-Cost trailer a review commit carries, a kept missing test on `<prefix>tests/<op>`
making an unchecked one cheapest, and `review`'s list in that order (daemon.reviews)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from daemon.cli.render import review_text
from daemon.config.settings import Settings
from daemon.reviews import prune_once, review_data, status_entry
from governance.git.gitops import GitOps
from governance.git.review import ReviewBranches
from governance.git.review_order import (
    ReviewCost,
    cost_of,
    costs,
    kept_tests_prefix,
    ordered,
    trailer,
)
from governance.schemas import FileChange
from tests.helpers import OPS_FIXED, git

OPS = {name: f"op-{n:016x}" for n, name in enumerate(
    ("tested", "unchecked", "person", "counterexample", "old", "tested_by_person"), 1)}


def _propose(repo, reviews: ReviewBranches, op_id: str, cost: str) -> str:
    message = (f"fix(calc): clamp {op_id}\n\nwhy\n\nOp-Id: {op_id}\nSignal: todo_scanner\n"
               f"Integrity: sha256:{{integrity}}\nEvidence: unproven: something\n{cost}")
    return reviews.propose(op_id, git(repo, "rev-parse", "HEAD").strip(), [
        FileChange(file_path="calc/ops.py", full_content=OPS_FIXED)], message,
        author_name="Ouroboros", author_email="o@localhost", sign_env=None)


def _kept_test(repo, op_id: str, on: str) -> None:
    tests = ReviewBranches(GitOps(repo), kept_tests_prefix("ouroboros/"))
    tests.propose(op_id, on, [FileChange(file_path="tests/test_more.py",
                                         full_content="def test_x():\n    pass\n")],
                  f"test: more\n\nOp-Id: {op_id}\nIntegrity: sha256:{{integrity}}\n",
                  author_name="Ouroboros", author_email="o@localhost", sign_env=None)


@pytest.mark.parametrize(("person", "counter", "decidable", "want"), [
    (False, False, True, ReviewCost.UNCHECKED),
    (True, False, True, ReviewCost.PERSON),  # harness files, deletions: whatever the proof
    (False, False, False, ReviewCost.PERSON),  # breaking, other files: no test decides it
    (True, True, True, ReviewCost.COUNTEREXAMPLE),  # most likely wrong: last
])
def test_the_kind_a_review_is_made_with(person, counter, decidable, want):
    assert cost_of(needs_person=person, counterexample=counter, decidable=decidable) is want


async def test_review_lists_the_cheapest_decision_first(repo):
    reviews = ReviewBranches(GitOps(repo), "ouroboros/")
    made = {name: _propose(repo, reviews, op, "" if name == "old" else trailer(
        ReviewCost.PERSON if name == "tested_by_person" else
        ReviewCost.UNCHECKED if name == "tested" else ReviewCost[name.upper()]))
        for name, op in reversed(OPS.items())}  # the cheapest made last: newest
    _kept_test(repo, OPS["tested"], made["tested"])
    _kept_test(repo, OPS["tested_by_person"], made["tested_by_person"])
    found = costs(reviews)
    assert found == {OPS["tested"]: ReviewCost.TESTED, OPS["unchecked"]: ReviewCost.UNCHECKED,
                     OPS["person"]: ReviewCost.PERSON, OPS["old"]: ReviewCost.PERSON,
                     OPS["tested_by_person"]: ReviewCost.PERSON,
                     OPS["counterexample"]: ReviewCost.COUNTEREXAMPLE}
    listed = [i.op_id for i in ordered(reviews.list(), found)]
    assert listed[:2] == [OPS["tested"], OPS["unchecked"]]
    assert set(listed[2:5]) == {OPS["person"], OPS["old"], OPS["tested_by_person"]}
    assert listed[5] == OPS["counterexample"] and len(listed) == 6  # no tests branch listed
    data = await review_data(reviews, None, None)
    assert [r["op_id"] for r in data["reviews"]][:2] == listed[:2]
    text = review_text(data)
    assert text.startswith("6 changes wait for review (cheapest decision first):\n")
    assert text.index("cost:  a kept test decides it") < text.index(
        "cost:  one unchecked line") < text.index("cost:  a counterexample")
    entry = await status_entry(reviews)  # status: how many of each kind, cheapest first
    assert list(entry["kinds"].items()) == [
        ("a kept test decides it", 1), ("one unchecked line", 1), ("needs a person", 3),
        ("a counterexample", 1)]


async def test_a_kept_test_ages_with_its_review(repo, monkeypatch):
    """The daily prune takes kept-test branches past proof.review_max_age_days too, such
    as one left after its review was rejected; a younger one stays to be cherry-picked."""
    reviews = ReviewBranches(GitOps(repo), "ouroboros/")
    head = git(repo, "rev-parse", "HEAD").strip()
    monkeypatch.setenv("GIT_COMMITTER_DATE", "@1000000000 +0000")  # 2001
    _kept_test(repo, OPS["old"], head)
    monkeypatch.delenv("GIT_COMMITTER_DATE")
    _kept_test(repo, OPS["tested"], head)
    host = SimpleNamespace(reviews=reviews, ledger=None, session_id="s",
                           settings=Settings.model_validate({"proof": {
                               "review_max_age_days": 30}}))
    assert await prune_once(host) == []  # no review waited: none to note on its op
    left = git(repo, "for-each-ref", "--format=%(refname:short)", "refs/heads/ouroboros/")
    assert left.split() == [f"ouroboros/tests/{OPS['tested']}"]
