"""APPROVE's other way out: a change that is not proven (or needs a human) is committed to
its own review branch (governance.git.review) and the op ends PROPOSED. The commit is built
from the op's base commit and the candidate alone, with the same trailers as an
auto-commit plus its Evidence; the human's branch, index and working tree are untouched.
`ouroboros review` lists it, `accept` lands it through the pipeline, `reject` deletes it.

The commit names the work it is for (`Work-Key:` and `Cause:` trailers,
governance.git.review_causes), so a daemon killed at any point of a proposal still knows the
work waits for review; and a proposal whose work an open review already holds makes no
second branch, nor does one whose change an open review carries already, byte for byte,
whatever work it names: it joins that review (issue 51 item 4). The op ends PROPOSED, its
row naming the review it joined (`review_of`, with that review's branch and verbs), so its
work waits for that review's decision, as the review's own does; its candidate stays in
the ledger (the GENERATE row) and is never a branch. A candidate empty relative to its base,
whose failures a commit since they were seen already fixed, ends COMPLETE "fixed by
<commit>" (governance.git.fixed_by), never POSTMORTEM."""

from __future__ import annotations

import git

from governance.crashpoints import crashpoint
from governance.errors import CommitError
from governance.git.fixed_by import fixed_by
from governance.git.review import ReviewBranches
from governance.git.review_causes import ReviewCauses, trailers_for
from governance.git.review_commit import EmptyChange
from governance.git.signing import commit_env
from governance.phase import Phase, Transition
from governance.phases.autocommit import commit_message
from governance.phases.deps import PhaseDeps
from governance.phases.missing_test_step import propose_test, review_cost
from governance.schemas import OperationContext


async def propose(ctx: OperationContext, d: PhaseDeps) -> Transition:
    assert ctx.generation is not None
    if not ctx.base_head:
        return Transition(Phase.POSTMORTEM, "not proven, and there is no commit to base a "
                          f"review branch on (unborn branch): {ctx.evidence[:300]}")
    changes = ctx.generation.candidate.changes()
    files = [c.file_path for c in changes]
    p = d.policy
    env = ctx.envelope
    causes = [c for c in env.evidence.get("causes") or () if isinstance(c, str)]
    message = commit_message(ctx, files, ctx.generation.usage.provider,
                             f"{p.author_name} <{p.author_email}>", d.ledger.anchor(),
                             integrity=False) + trailers_for(env.dedup_key, causes)
    message += await review_cost(ctx, d)  # what deciding it costs a person (item 4)
    reviews = d.reviews or ReviewBranches(d.git, p.review_branch_prefix)
    sign_env = commit_env(d.state_dir)
    try:
        held = ReviewCauses(reviews)
        holder = await d.in_thread(lambda: held.holding(env.dedup_key, causes)
                                   or held.carrying(changes))
        if holder is not None and holder != ctx.op_id:
            return _joined(ctx, holder, files, p.review_branch_prefix)
        crashpoint("propose_before_branch")
        sha = await d.in_thread(lambda: reviews.propose(
            ctx.op_id, ctx.base_head, changes, message, author_name=p.author_name,
            author_email=p.author_email, sign_env=sign_env))
        crashpoint("propose_after_branch")
    except EmptyChange as exc:
        return await _overtaken(ctx, d, exc)
    except (ValueError, OSError, git.GitCommandError, CommitError) as exc:
        return Transition(Phase.POSTMORTEM, f"not proven, and its review branch could not be "
                          f"made: {exc}"[:1500])
    branch = f"{p.review_branch_prefix}{ctx.op_id}"
    missing_test = await propose_test(ctx, d, sha)  # beside the change, never landing it
    return Transition(Phase.PROPOSED, f"waits for review on {branch}: {ctx.evidence[:400]}",
                      {"branch": branch, "commit": sha, "evidence": ctx.evidence,
                       "files": files, "review": f"ouroboros review {ctx.op_id}",
                       "accept": f"ouroboros accept {ctx.op_id}",
                       "reject": f"ouroboros reject {ctx.op_id}", **missing_test})


def _joined(ctx: OperationContext, holder: str, files: list[str], prefix: str) -> Transition:
    """The op's work waits for review on `holder`'s branch already: it joins that review."""
    ctx.review_of = holder
    branch = f"{prefix}{holder}"
    return Transition(Phase.PROPOSED, f"joins the review on {branch}: the same work waits "
                      f"for review there; no second branch: {ctx.evidence[:300]}",
                      {"review_of": holder, "branch": branch, "evidence": ctx.evidence,
                       "files": files, "review": f"ouroboros review {holder}",
                       "accept": f"ouroboros accept {holder}",
                       "reject": f"ouroboros reject {holder}"})


async def _overtaken(ctx: OperationContext, d: PhaseDeps, exc: EmptyChange) -> Transition:
    """An empty change: when a commit since its failures were seen changed its target files,
    that commit fixed them and nothing is left to do (COMPLETE, "fixed by <commit>", no
    commit of its own); else the empty change ends the op as before."""
    seen = ctx.envelope.evidence.get("head")
    commit = await d.in_thread(lambda: fixed_by(d.root, seen if isinstance(seen, str) else "",
                                                ctx.base_head or "", ctx.envelope.target_files))
    if commit is None:
        return Transition(Phase.POSTMORTEM, f"not proven, and its review branch could not be "
                          f"made: {exc}"[:1500])
    return Transition(Phase.COMPLETE, f"fixed by {commit[:12]}: it landed after the failure "
                      "was seen and holds this op's change already; nothing left to change",
                      {"fixed_by": commit})
