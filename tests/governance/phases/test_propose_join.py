"""One review per cause (issue 51, item 4): a second op whose work an open review already
holds joins that review. It makes no second branch and ends PROPOSED naming the review it
joined, not POSTMORTEM (a joined review is no failure of its brain: memory's trust counts a
PROPOSED op as the human's to decide); `review`, `accept` and `reject` of it reach that
review, and a rejection backs off the joined work too."""

from __future__ import annotations

import json

import pytest

from daemon.reviews import _get
from governance.git.gitops import GitOps
from governance.git.review import ReviewBranches
from governance.phase import Phase
from ledger import Ledger
from sensors.work_memory import Event
from tests.helpers import candidate_turn, git, make_repo, op_context, run_op, work_memory

TARGET = "calc/extra.py"  # a new file no test runs: never proven, so proposed


def _turn(content: str) -> str:
    return json.loads(candidate_turn(TARGET, content))["text"]


@pytest.mark.slow
async def test_a_second_candidate_of_the_same_work_joins_the_open_review(tmp_path):
    repo = make_repo(tmp_path)
    db = tmp_path / "l.sqlite3"
    first, chain1 = await run_op(repo, db, TARGET, _turn("EXTRA = 1\n"), dedup_key="k")
    assert first is Phase.PROPOSED
    holder = chain1["operation"]["op_id"]

    second, chain2 = await run_op(repo, db, TARGET, _turn("EXTRA = 2\n"), dedup_key="k")
    joined = chain2["operation"]["op_id"]
    last = chain2["transitions"][-1]
    assert second is Phase.PROPOSED, last["reason"]
    assert last["payload"]["review_of"] == holder
    assert last["payload"]["branch"] == f"ouroboros/{holder}"
    assert last["payload"]["accept"] == f"ouroboros accept {holder}"
    branches = git(repo, "for-each-ref", "--format=%(refname)", "refs/heads/ouroboros/")
    assert branches.split() == [f"refs/heads/ouroboros/{holder}"]  # no second branch

    reviews = ReviewBranches(GitOps(repo), "ouroboros/")
    ledger = await Ledger.open(db)
    try:
        assert (await _get(reviews, ledger, joined)).op_id == holder  # review/accept/reject
        memory = work_memory(ledger, repo)
        await memory.load()
        # the joined op's record names the review it waits on (daemon.dispatch passes
        # ctx.review_of), so rejecting that review backs off both pieces of work
        for key in ("k", "k2"):
            await memory.ended(op_context(TARGET, dedup_key=key).envelope, holder,
                               "PROPOSED", "waits for review")
        await memory.rejected(holder, "no")
        assert [memory.records[k].event for k in ("k", "k2")] == [Event.REJECTED] * 2
    finally:
        await ledger.close()


@pytest.mark.slow
async def test_a_candidate_for_other_work_makes_its_own_review(tmp_path):
    repo = make_repo(tmp_path)
    db = tmp_path / "l.sqlite3"
    first, _ = await run_op(repo, db, TARGET, _turn("EXTRA = 1\n"), dedup_key="k")
    second, chain = await run_op(repo, db, TARGET, _turn("EXTRA = 2\n"), dedup_key="other")
    assert (first, second) == (Phase.PROPOSED, Phase.PROPOSED)
    assert "review_of" not in chain["transitions"][-1]["payload"]
    branches = git(repo, "for-each-ref", "--format=%(refname)", "refs/heads/ouroboros/")
    assert len(branches.split()) == 2
