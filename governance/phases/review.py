"""GENERATE for an accept op (source governance.schemas.Source.REVIEW): no model.

The candidate is exactly what the review branch's commit holds, loaded by the sha the
human accepted: a branch that is gone, or moved to another commit since, ends the op. The
work must still be current: every file's live content (read without following any symlink)
must equal its content at the review's base, else the op ends as stale and the human is
told to reject the review and let the daemon redo the work. The live hashes read here are
APPLY's stale guard, as GENERATE's are for a model's candidate.
"""

from __future__ import annotations

import hashlib
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from governance.fs import nofollow
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


def _load(d: PhaseDeps, reviews: ReviewBranches, op_id: str, sha: str) -> _Loaded | str:
    """The accepted review and how the live tree stands against its base, or why not."""
    item = reviews.at(op_id)
    branch = f"{reviews.prefix}{op_id}"
    now = item.sha if item is not None else reviews.tip(op_id)
    if now is None:
        return f"the review branch {branch} no longer exists"
    if item is None or now != sha:  # moved, maybe to a commit that is no review at all
        return f"the review branch {branch} moved ({sha[:12]} -> {now[:12]})"
    changes = reviews.changes(item)
    base = reviews.base_contents(item)
    hashes: dict[str, str | None] = {}
    stale = []
    for path in item.files:
        try:
            live = _live(d.root, path)
        except (OSError, ValueError):  # UnsafePath: a symlink or a non-file there now
            stale.append(path)
            continue
        hashes[path] = None if live is None else hashlib.sha256(live).hexdigest()
        if live != base[path]:
            stale.append(path)
    return _Loaded(item, changes, hashes, stale)


async def review_generate(ctx: OperationContext, d: PhaseDeps) -> Transition:
    """The accepted review as the op's candidate: VALIDATE next, or POSTMORTEM saying why
    it cannot be (gone, moved, stale)."""
    evidence = ctx.envelope.evidence
    try:
        op_id, sha = str(evidence["review_op"]), str(evidence["review_sha"])
        reviews = _reviews_of(d, str(evidence["review_branch"]), op_id)
    except (KeyError, ValueError) as exc:
        return Transition(Phase.POSTMORTEM, f"the accept signal names no review: {exc}")
    try:
        loaded = await d.in_thread(_load, d, reviews, op_id, sha)
    except (subprocess.CalledProcessError, OSError, ValueError) as exc:
        return Transition(Phase.POSTMORTEM, f"the review of {op_id} could not be read: "
                          f"{_why(exc)}")
    if isinstance(loaded, str):
        return Transition(Phase.POSTMORTEM, loaded)
    item = loaded.item
    if loaded.stale:
        return Transition(Phase.POSTMORTEM, f"stale: {', '.join(loaded.stale)} changed since "
                          "the review was made; reject it and let the daemon redo the work",
                          {"stale": loaded.stale, "review_op": op_id})
    rationale = (f"Accepted by a human from review branch {item.branch} ({item.sha[:12]}, "
                 f"made on {item.base[:12]}); the review said: {item.evidence or '-'}")
    candidate = Candidate(files=loaded.changes, rationale=rationale)
    ctx.generation = GenerationResult(candidate=candidate, rationale=rationale,
                                      usage=ModelUsage(provider="review"))
    ctx.live_hashes = loaded.live_hashes
    await d.thought(ctx, Phase.GENERATE, "landing a reviewed change", review_op=op_id,
                    branch=item.branch, sha=item.sha, base=item.base,
                    files=list(item.files), evidence=item.evidence)
    return Transition(Phase.VALIDATE, f"accepted by a human: {len(item.files)} file(s) from "
                      f"{item.branch}", {"files": list(item.files), "review_op": op_id,
                                         "review_sha": item.sha})


def _why(exc: Exception) -> str:
    if isinstance(exc, subprocess.CalledProcessError):
        return (exc.stderr or b"").decode("utf-8", "replace").strip()[:300] or str(exc)
    return str(exc)


async def retire_review(ctx: OperationContext, d: PhaseDeps) -> dict[str, Any]:
    """Once an accept op's commit exists, its review branch has done its work: delete it
    (only if it still points at the accepted commit). Best effort: a branch left behind
    is listed by `review` and pruned by age, never a reason to undo the commit."""
    if ctx.envelope.source != Source.REVIEW:
        return {}
    ev = ctx.envelope.evidence
    op, sha = str(ev.get("review_op", "")), str(ev.get("review_sha", ""))
    reviews = d.reviews or ReviewBranches(d.git, d.policy.review_branch_prefix)
    try:
        item = await d.in_thread(reviews.at, op)
        if item is None or item.sha != sha:
            return {"review_branch": "left alone: gone or moved since it was accepted"}
        await d.in_thread(reviews.delete, item)
    except Exception as exc:  # the commit stands whatever happens here
        return {"review_branch": f"not deleted: {type(exc).__name__}: {exc}"[:300]}
    await d.ledger.record_thought(op, "REVIEW", "landed by an accept op",
                                  {"accept_op": ctx.op_id, "commit": ctx.commit_sha})
    return {"review_branch": f"deleted {item.branch}"}
