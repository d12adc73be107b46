"""GENERATE of an accept op (governance.phases.review): the accepted review branch's commit
becomes the candidate, unless the branch is gone or moved or the work went stale."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from governance.fs.rollback import live_sha256
from governance.git.accept_signal import accept_envelope
from governance.git.gitops import GitOps
from governance.git.review import ReviewBranches, ReviewItem
from governance.phase import Phase
from governance.phases.deps import PhaseDeps
from governance.phases.review import review_generate
from governance.schemas import FileChange, OperationContext
from ledger import Ledger
from tests.helpers import OPS_FIXED, git, pipeline_deps

OP = "op-00000000000000aa"
MESSAGE = (f"fix(calc): clamp x into range\n\nwhy\n\nOp-Id: {OP}\nSignal: todo_scanner\n"
           "Integrity: sha256:{integrity}\nEvidence: unproven: nothing covers clamp\n")
CHANGES = [FileChange(file_path="calc/ops.py", full_content=OPS_FIXED),
           FileChange(file_path="notes.txt", action="delete"),
           FileChange(file_path="calc/extra/new.py", full_content="NEW = 1\n")]


@pytest.fixture
async def deps(repo: Path, short_tmp: Path) -> AsyncIterator[PhaseDeps]:
    ledger = await Ledger.open(short_tmp / "ledger.sqlite3")
    try:
        yield pipeline_deps(repo, ledger, None)
    finally:
        await ledger.close()


@pytest.fixture
def item(repo: Path) -> ReviewItem:
    reviews = ReviewBranches(GitOps(repo), "ouroboros/")
    reviews.propose(OP, git(repo, "rev-parse", "HEAD").strip(), CHANGES, MESSAGE,
                    author_name="Ouroboros", author_email="o@localhost", sign_env=None)
    return reviews.get(OP)


async def _generate(deps: PhaseDeps, item: ReviewItem, **evidence: object):
    env = accept_envelope(item, "s-test")
    if evidence:
        env = env.model_copy(update={"evidence": {**env.evidence, **evidence}})
    ctx = OperationContext(envelope=env)
    await deps.ledger.record_operation(ctx.op_id, source=env.source, goal=env.goal,
                                       session_id="s-test", envelope=env.model_dump(mode="json"))
    return ctx, await review_generate(ctx, deps)


@pytest.mark.slow
async def test_a_fresh_review_becomes_the_candidate(repo, deps, item):
    ctx, t = await _generate(deps, item)
    assert t.to is Phase.VALIDATE
    assert t.reason == f"accepted by a human: 3 file(s) from ouroboros/{OP}"
    assert ctx.generation is not None and ctx.generation.usage.provider == "review"
    got = {c.file_path: (c.action, c.full_content) for c in ctx.generation.candidate.changes()}
    assert got == {c.file_path: (c.action, c.full_content) for c in CHANGES}
    assert item.sha[:12] in ctx.generation.rationale and "nothing covers clamp" in \
        ctx.generation.rationale
    assert ctx.live_hashes == {f: live_sha256(repo, f) for f in item.files}
    assert ctx.live_hashes["calc/extra/new.py"] is None
    chain = await deps.ledger.chain(ctx.op_id)
    [thought] = [th for th in chain["thoughts"] if th["phase"] == "GENERATE"]
    assert thought["msg"] == "landing a reviewed change"
    assert thought["data"]["review_op"] == OP and thought["data"]["sha"] == item.sha


@pytest.mark.slow
async def test_head_moving_on_elsewhere_is_not_stale(repo, deps, item):
    (repo / "README.md").write_text("# later\n")
    git(repo, "commit", "-q", "-am", "the human moves on")
    _, t = await _generate(deps, item)
    assert t.to is Phase.VALIDATE


@pytest.mark.slow
@pytest.mark.parametrize("how", ["edited", "committed", "deleted", "created", "symlinked"])
async def test_stale_work_is_refused(repo, deps, item, how):
    ops = repo / "calc" / "ops.py"
    if how == "edited":
        ops.write_text(ops.read_text() + "# the human's\n")
    elif how == "committed":
        ops.write_text(ops.read_text() + "# the human's\n")
        git(repo, "commit", "-q", "-am", "human")
    elif how == "deleted":
        (repo / "notes.txt").unlink()
    elif how == "created":
        (repo / "calc" / "extra").mkdir()
        (repo / "calc" / "extra" / "new.py").write_text("NEW = 1\n")  # even the same bytes
    else:
        ops.rename(repo / "calc" / "real.py")
        os.symlink("real.py", ops)
    ctx, t = await _generate(deps, item)
    stale = {"deleted": "notes.txt", "created": "calc/extra/new.py"}.get(how, "calc/ops.py")
    assert t.to is Phase.POSTMORTEM
    assert t.reason == (f"stale: {stale} changed since the review was made; reject it and "
                        "let the daemon redo the work")
    assert ctx.generation is None


@pytest.mark.slow
async def test_a_branch_gone_or_moved_ends_the_op(repo, deps, item):
    ref = f"refs/heads/ouroboros/{OP}"
    git(repo, "update-ref", ref, item.base)
    _, moved = await _generate(deps, item)
    git(repo, "update-ref", "-d", ref)
    _, gone = await _generate(deps, item)
    assert moved.to is gone.to is Phase.POSTMORTEM
    assert moved.reason == (f"the review branch ouroboros/{OP} moved ({item.sha[:12]} -> "
                            f"{item.base[:12]})")
    assert gone.reason == f"the review branch ouroboros/{OP} no longer exists"


@pytest.mark.slow
async def test_a_branch_moved_to_another_review_commit_ends_the_op(repo, deps, item):
    # Someone amended the review (trailers kept): still ours, but not what was accepted.
    amended = git(repo, "commit-tree", f"{item.sha}^{{tree}}", "-p", item.base, "-m",
                  MESSAGE.replace("why", "amended")).strip()
    git(repo, "update-ref", f"refs/heads/ouroboros/{OP}", amended)
    ctx, t = await _generate(deps, item)
    assert t.to is Phase.POSTMORTEM and ctx.generation is None
    assert t.reason == (f"the review branch ouroboros/{OP} moved ({item.sha[:12]} -> "
                        f"{amended[:12]})")


@pytest.mark.slow
@pytest.mark.parametrize("evidence", [{"review_op": "op-../../x"},
                                      {"review_branch": "main"},
                                      {"review_branch": f"bad prefix/{OP}"},
                                      {"review_branch": OP}])
async def test_an_accept_signal_that_names_no_review(deps, item, evidence):
    ctx, t = await _generate(deps, item, **evidence)
    assert t.to is Phase.POSTMORTEM and t.reason.startswith("the accept signal names no review")
    assert ctx.generation is None


@pytest.mark.slow
async def test_an_accept_signal_without_review_evidence(deps, item):
    env = accept_envelope(item, "s").model_copy(update={"evidence": {}})
    t = await review_generate(OperationContext(envelope=env), deps)
    assert t.to is Phase.POSTMORTEM and "names no review" in t.reason
