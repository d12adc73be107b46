"""An accept op with a kept missing test (governance.phases.review, governance.git.kept_tests):
the change lands with its test, or the test alone; a test branch gone, moved or stale, or a
test that edits the change's own file (alone), ends the op saying why; once landed, the
branches that did their work are deleted."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from governance.git.accept_signal import accept_envelope
from governance.git.gitops import GitOps
from governance.git.kept_tests import kept_test_of, kept_tests
from governance.git.review import ReviewBranches, ReviewItem
from governance.phase import Phase
from governance.phases.deps import PhaseDeps
from governance.phases.review import accept_refused, retire_review, review_generate
from governance.schemas import FileChange, OperationContext
from ledger import Ledger
from tests.helpers import OPS_FIXED, git, pipeline_deps

pytestmark = pytest.mark.slow  # real git on a copied repository, as its neighbours

OP = "op-00000000000000bb"
MESSAGE = (f"fix(calc): clamp x into range\n\nwhy\n\nOp-Id: {OP}\nSignal: todo_scanner\n"
           "Integrity: sha256:{integrity}\nEvidence: unproven: a mutant survives\n")
TEST_MESSAGE = (f"test: the missing test\n\nkept\n\nOp-Id: {OP}\nSignal: todo_scanner\n"
                "Integrity: sha256:{integrity}\nEvidence: missing test: kept\n")
KEPT = "from calc.ops import clamp\n\n\ndef test_clamp_high():\n    assert clamp(5, 0, 3) == 3\n"


@pytest.fixture
async def deps(repo: Path, short_tmp: Path) -> AsyncIterator[PhaseDeps]:
    ledger = await Ledger.open(short_tmp / "ledger.sqlite3")
    try:
        yield pipeline_deps(repo, ledger, None)
    finally:
        await ledger.close()


def _propose(repo: Path, test_files: dict[str, str]) -> tuple[ReviewItem, ReviewItem]:
    reviews = ReviewBranches(GitOps(repo), "ouroboros/")
    sha = reviews.propose(OP, git(repo, "rev-parse", "HEAD").strip(),
                          [FileChange(file_path="calc/ops.py", full_content=OPS_FIXED)],
                          MESSAGE, author_name="O", author_email="o@localhost", sign_env=None)
    kept_tests(reviews).propose(OP, sha, [FileChange(file_path=p, full_content=t)
                                          for p, t in test_files.items()], TEST_MESSAGE,
                                author_name="O", author_email="o@localhost", sign_env=None)
    item = reviews.get(OP)
    test = kept_test_of(reviews, item)
    assert test is not None and test.base == item.sha
    return item, test


async def _generate(deps: PhaseDeps, item: ReviewItem, test: ReviewItem, alone: bool):
    env = accept_envelope(item, "s-test", test, test_only=alone)
    ctx = OperationContext(envelope=env)
    await deps.ledger.record_operation(ctx.op_id, source=env.source, goal=env.goal,
                                       session_id="s-test", envelope=env.model_dump(mode="json"))
    return ctx, await review_generate(ctx, deps)


def _landed(ctx: OperationContext) -> dict[str, str | None]:
    assert ctx.generation is not None
    return {c.file_path: c.full_content for c in ctx.generation.candidate.changes()}


async def test_the_change_lands_with_its_kept_test(repo, deps):
    item, test = _propose(repo, {"tests/test_kept.py": KEPT})
    ctx, t = await _generate(deps, item, test, alone=False)
    assert t.to is Phase.VALIDATE, t.reason
    assert _landed(ctx) == {"calc/ops.py": OPS_FIXED, "tests/test_kept.py": KEPT}
    assert t.payload["landing"] == "the change and its kept test"
    assert ctx.envelope.dedup_key == f"review:{item.sha}"
    assert set(ctx.live_hashes) == {"calc/ops.py", "tests/test_kept.py"}
    assert ctx.live_hashes["tests/test_kept.py"] is None


async def test_the_kept_test_lands_alone(repo, deps):
    item, test = _propose(repo, {"tests/test_kept.py": KEPT})
    ctx, t = await _generate(deps, item, test, alone=True)
    assert t.to is Phase.VALIDATE, t.reason
    assert _landed(ctx) == {"tests/test_kept.py": KEPT}
    assert ctx.envelope.target_files == ("tests/test_kept.py",)
    assert ctx.envelope.dedup_key == f"review-test:{test.sha}"
    assert accept_refused(ctx, "1 failed").startswith(
        "the kept test fails on your HEAD without its change, so it cannot land alone "
        f"(`ouroboros accept {OP}` lands it with the change)")


async def test_a_kept_test_that_edits_the_changed_file_cannot_land_alone(repo, deps):
    item, test = _propose(repo, {"calc/ops.py": OPS_FIXED + "\n\ndef test_x():\n    pass\n"})
    ctx, t = await _generate(deps, item, test, alone=True)
    assert t.to is Phase.POSTMORTEM and ctx.generation is None
    assert t.reason == ("the kept test edits calc/ops.py, which the change edits too: it "
                        f"cannot land without the change (`ouroboros accept {OP}`)")


@pytest.mark.parametrize("how", ["moved", "gone", "stale"])
async def test_a_test_branch_gone_moved_or_stale_ends_the_op(repo, deps, how):
    item, test = _propose(repo, {"tests/test_kept.py": KEPT})
    ref = f"refs/heads/ouroboros/tests/{OP}"
    if how == "moved":
        git(repo, "update-ref", ref, item.base)
    elif how == "gone":
        git(repo, "update-ref", "-d", ref)
    else:  # the human wrote a file of that name meanwhile
        (repo / "tests").mkdir(exist_ok=True)
        (repo / "tests" / "test_kept.py").write_text("# mine\n")
    ctx, t = await _generate(deps, item, test, alone=False)
    assert t.to is Phase.POSTMORTEM and ctx.generation is None
    assert t.reason == ({"stale": "stale: tests/test_kept.py changed since the review was "
                         "made; reject it and let the daemon redo the work"}.get(how) or
                        f"the kept test's branch ouroboros/tests/{OP} is gone or moved since "
                        f"{test.sha[:12]} was accepted")


@pytest.mark.parametrize("alone", [False, True])
async def test_landing_deletes_the_branches_that_did_their_work(repo, deps, alone):
    item, test = _propose(repo, {"tests/test_kept.py": KEPT})
    ctx, _ = await _generate(deps, item, test, alone=alone)
    await deps.ledger.record_operation(OP, source="todo_scanner", goal="g", session_id="s",
                                       envelope={})
    out = await retire_review(ctx, deps)
    left = git(repo, "for-each-ref", "--format=%(refname:short)", "refs/heads/ouroboros/"
               ).split()
    # landed alone, the test's branch stays: the record, re-checked against HEAD when
    # reviews are listed, that the review's lines are checked now (landed_tests)
    assert out["kept_test_branch"] == (
        "kept: the record that the review's lines are checked now" if alone
        else f"deleted ouroboros/tests/{OP}")
    assert left == ([f"ouroboros/{OP}", f"ouroboros/tests/{OP}"] if alone else [])
    assert ("review_branch" in out) is not alone
    chain = await deps.ledger.chain(OP)
    assert [t["msg"] for t in chain["thoughts"]] == [
        "its kept test landed by an accept op" if alone else "landed by an accept op"]
    assert chain["thoughts"][0]["data"]["test_alone"] is alone  # `review OP` reads it
