"""GENERATE for an accept op (source governance.schemas.Source.REVIEW): no model.

The candidate is exactly what the review branch's commit holds, loaded by the sha the
human accepted: a branch that is gone, or moved to another commit since, ends the op. The
work must still be current: every file's live content (read without following any symlink)
must equal its content at the review's base, else the op ends as stale and the human is
told to reject the review and let the daemon redo the work. The live hashes read here are
APPLY's stale guard, as GENERATE's are for a model's candidate.

A review whose missing test was kept (governance.git.kept_tests) lands with it: the accept
signal names the test's commit too, and the op loads the change and the test together, or
(`accept OP --tests`) the test alone, which VALIDATE then runs on today's HEAD without the
change: a kept test that fails there cannot land alone, and the op says so. Once the change
lands, the kept test's branch is deleted with the review's. A test landed alone keeps its
branch: it is the record, re-checked against HEAD each time reviews are listed
(governance.git.landed_tests), that the review's lines are checked now; the change accepted
later lands without it (the accept signal names it as landed) and deletes both branches.
"""

from __future__ import annotations

import hashlib
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from governance.fs import nofollow
from governance.git.kept_tests import change_and_test, kept_test_of, kept_tests, only_the_test
from governance.git.review import ReviewBranches, ReviewItem
from governance.phase import Phase, Transition
from governance.phases.deps import PhaseDeps
from governance.schemas import (
    Candidate,
    FileChange,
    GenerationResult,
    ModelUsage,
    OperationContext,
    Source,
)


@dataclass(frozen=True)
class _Loaded:
    item: ReviewItem
    landing: ReviewItem  # what lands: the review, with its kept test, or the test alone
    changes: list[FileChange]
    live_hashes: dict[str, str | None]
    stale: list[str]


def _reviews_of(d: PhaseDeps, branch: str, op_id: str) -> ReviewBranches:
    """The review branches under the prefix the accepted branch was made with (the accept
    verb names it; ValueError for a branch that is not `<prefix><op_id>`)."""
    if not branch.endswith(op_id) or branch == op_id:
        raise ValueError(f"branch {branch!r} is not the review branch of {op_id!r}")
    reviews = ReviewBranches(d.git, branch[:-len(op_id)])
    reviews.ref(op_id)  # ValueError unless op_id is an op id
    return reviews


def _live(root: Path, rel: str) -> bytes | None:
    """The live file's bytes, None when it is missing; UnsafePath for a symlink on the way
    or a file that is not regular (never followed)."""
    if nofollow.lstat(root, rel) is None:
        return None
    return nofollow.read_bytes(root, rel, allow_hardlinks=True)


def _load(d: PhaseDeps, reviews: ReviewBranches, op_id: str, sha: str,
          test: tuple[str, bool] | None) -> _Loaded | str:
    """The accepted review (with its kept test `test`: its commit, and whether it lands
    alone) and how the live tree stands against what it was made on, or why not."""
    item = reviews.at(op_id)
    branch = f"{reviews.prefix}{op_id}"
    now = item.sha if item is not None else reviews.tip(op_id)
    if now is None:
        return f"the review branch {branch} no longer exists"
    if item is None or now != sha:  # moved, maybe to a commit that is no review at all
        return f"the review branch {branch} moved ({sha[:12]} -> {now[:12]})"
    landing = _landing(reviews, item, test)
    if isinstance(landing, str):
        return landing
    changes = reviews.changes(landing)
    base = reviews.base_contents(landing)
    hashes: dict[str, str | None] = {}
    stale = []
    for path in landing.files:
        try:
            live = _live(d.root, path)
        except (OSError, ValueError):  # UnsafePath: a symlink or a non-file there now
            stale.append(path)
            continue
        hashes[path] = None if live is None else hashlib.sha256(live).hexdigest()
        if live != base[path]:
            stale.append(path)
    return _Loaded(item, landing, changes, hashes, stale)


def _landing(reviews: ReviewBranches, item: ReviewItem,
             test: tuple[str, bool] | None) -> ReviewItem | str:
    """What lands of `item`: itself, with its kept test, or the test alone; or why not (the
    test's branch gone or moved since it was accepted, a test that cannot land alone)."""
    if test is None:
        return item
    test_sha, alone = test
    kept = kept_test_of(reviews, item)
    if kept is None or kept.sha != test_sha:
        return (f"the kept test's branch {kept_tests(reviews).prefix}{item.op_id} is gone or "
                f"moved since {test_sha[:12]} was accepted")
    return only_the_test(item, kept) if alone else change_and_test(item, kept)


async def review_generate(ctx: OperationContext, d: PhaseDeps) -> Transition:
    """The accepted review as the op's candidate: VALIDATE next, or POSTMORTEM saying why
    it cannot be (gone, moved, stale)."""
    evidence = ctx.envelope.evidence
    try:
        op_id, sha = str(evidence["review_op"]), str(evidence["review_sha"])
        reviews = _reviews_of(d, str(evidence["review_branch"]), op_id)
        test = ((str(evidence["review_test_sha"]), evidence.get("review_test_only") is True)
                if evidence.get("review_test_sha") else None)
    except (KeyError, ValueError) as exc:
        return Transition(Phase.POSTMORTEM, f"the accept signal names no review: {exc}")
    try:
        loaded = await d.in_thread(_load, d, reviews, op_id, sha, test)
    except (subprocess.CalledProcessError, OSError, ValueError) as exc:
        return Transition(Phase.POSTMORTEM, f"the review of {op_id} could not be read: "
                          f"{_why(exc)}")
    if isinstance(loaded, str):
        return Transition(Phase.POSTMORTEM, loaded)
    item, landing = loaded.item, loaded.landing
    if loaded.stale:
        return Transition(Phase.POSTMORTEM, f"stale: {', '.join(loaded.stale)} changed since "
                          "the review was made; reject it and let the daemon redo the work",
                          {"stale": loaded.stale, "review_op": op_id})
    what = _WHAT[(test is not None, bool(test and test[1]))]
    rationale = (f"Accepted by a human from review branch {item.branch} ({item.sha[:12]}, "
                 f"made on {item.base[:12]}): {what}; the review said: {item.evidence or '-'}")
    candidate = Candidate(files=loaded.changes, rationale=rationale)
    ctx.generation = GenerationResult(candidate=candidate, rationale=rationale,
                                      usage=ModelUsage(provider="review"))
    ctx.live_hashes = loaded.live_hashes
    await d.thought(ctx, Phase.GENERATE, f"landing {what}", review_op=op_id,
                    branch=item.branch, sha=landing.sha, base=item.base,
                    files=list(landing.files), evidence=item.evidence)
    return Transition(Phase.VALIDATE, f"accepted by a human: {len(landing.files)} file(s) from "
                      f"{item.branch}" + ("" if test is None else f" ({what})"),
                      {"files": list(landing.files), "review_op": op_id,
                       "review_sha": item.sha, "landing": what,
                       **({"review_test_sha": test[0]} if test else {})})


# What an accept op lands, by (a kept test named, it lands alone)
_WHAT = {(False, False): "a reviewed change", (True, False): "the change and its kept test",
         (True, True): "the kept test alone"}


def accept_refused(ctx: OperationContext, headline: str) -> str:
    """Why an accept op's candidate failed today's tests (VALIDATE): a kept test landing
    alone that fails without its change says that it cannot land alone."""
    if ctx.envelope.evidence.get("review_test_only") is True:
        op = ctx.envelope.evidence.get("review_op", "OP")
        return (f"the kept test fails on your HEAD without its change, so it cannot land "
                f"alone (`ouroboros accept {op}` lands it with the change): {headline}")
    return f"the accepted change fails today's tests: {headline}"


def _why(exc: Exception) -> str:
    if isinstance(exc, subprocess.CalledProcessError):
        return (exc.stderr or b"").decode("utf-8", "replace").strip()[:300] or str(exc)
    return str(exc)


async def retire_review(ctx: OperationContext, d: PhaseDeps) -> dict[str, Any]:
    """Once an accept op's commit exists, its review branch has done its work: delete it
    (only if it still points at the accepted commit), and its kept test's branch when the
    test landed with it or before it; a test landed alone keeps both (its branch records
    that the review's lines are checked now). Best effort: a branch left behind is listed
    by `review` and pruned by age, never a reason to undo the commit."""
    if ctx.envelope.source != Source.REVIEW:
        return {}
    ev = ctx.envelope.evidence
    op, sha = str(ev.get("review_op", "")), str(ev.get("review_sha", ""))
    test_sha, alone = str(ev.get("review_test_sha") or ""), ev.get("review_test_only") is True
    test_sha = test_sha or str(ev.get("review_landed_test_sha") or "")
    reviews = d.reviews or ReviewBranches(d.git, d.policy.review_branch_prefix)
    out: dict[str, Any] = {}
    if alone:
        out["kept_test_branch"] = "kept: the record that the review's lines are checked now"
    elif test_sha:
        out["kept_test_branch"] = await _retire(d, kept_tests(reviews), op, test_sha)
    if not alone:
        out["review_branch"] = await _retire(d, reviews, op, sha)
    if alone or out.get("review_branch", "").startswith("deleted"):
        await d.ledger.record_thought(op, "REVIEW", "its kept test landed by an accept op"
                                      if alone else "landed by an accept op",
                                      {"accept_op": ctx.op_id, "commit": ctx.commit_sha,
                                       "test_alone": alone})
    return out


async def _retire(d: PhaseDeps, branches: ReviewBranches, op: str, sha: str) -> str:
    """Delete `op`'s branch under `branches` if it is still at `sha`; what became of it."""
    try:
        item = await d.in_thread(branches.at, op)
        if item is None or item.sha != sha:
            return "left alone: gone or moved since it was accepted"
        await d.in_thread(branches.delete, item)
    except Exception as exc:  # the commit stands whatever happens here
        return f"not deleted: {type(exc).__name__}: {exc}"[:300]
    return f"deleted {item.branch}"
