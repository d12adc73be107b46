"""The missing test, asked for and checked (issue 45, items 1 and 2), once an unproven
change has its review branch (governance.phases.propose).

When the change waits for reasons a test could decide (governance.proof.missing_test_rules's
causes: a surviving mutant, a line no test runs, an unentered function, new behaviour no
test asks for), the brain is asked about each in turn, cheapest to decide first, one
bounded turn each through the op's route like any model step, for the smallest test that
decides it; the step as a whole is bounded by [proof] missing_test_questions and
missing_test_budget_s. Each answer is checked in the jail against ITS cause
(governance.proof.missing_test_runs, by governance.proof.missing_test_rules.CHECKS in order);
a test kept for one cause stays beside the candidate while the next is asked about (the
brain is told to leave it as it is, and the weakening check holds it to that).

Every kept test goes into one commit on the change's review commit, on the branch
`<prefix>tests/<op-id>` (never listed as a review: its name is no op id), its
`Undecided:` trailer counting the causes no kept test decides (governance.git.review_order
reads it). The review branch itself is untouched: a model's test never makes its own change
land. Every outcome is a thought row per cause and the PROPOSED row's `missing_test`, typed:
the headline verdict (the first kept, else the first asked) and `causes`, one verdict per
cause. Nothing here can fail the op: a timeout, a cancel and a daemon's stop cut the step,
the cause under way is said to be cut and the rest not asked, and the review stands.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from governance.brains import window as fit
from governance.brains.provider import CANDIDATE_SHAPE, shaped
from governance.crashpoints import crashpoint
from governance.errors import CandidateParseError
from governance.fs.protected import PathEscape, normalize, protected_reason
from governance.gates.risk import RiskTier
from governance.git.review import ReviewBranches
from governance.git.review_order import (
    UNDECIDED,
    ReviewCost,
    cost_of,
    kept_tests_prefix,
    trailer,
)
from governance.git.signing import commit_env
from governance.phase import Phase
from governance.phases.deps import PhaseDeps
from governance.phases.route_brains import context_window, for_route, model_grant
from governance.proof import missing_test_rules as tp
from governance.proof.claim import base_text, evidence_for, file_texts
from governance.proof.missing_test_runs import ProposalJail
from governance.proof.rules import Evidence, FileText, Intent
from governance.schemas import FileChange, OperationContext, Source, parse_candidate

PHASE = Phase.APPROVE  # the ledger rows' phase: the step runs inside APPROVE's propose
NAMED = 6  # causes a payload names one by one


@dataclass
class _Step:
    """What the step has found so far."""

    causes: list[tp.Cause] = field(default_factory=list)
    judged: list[tuple[tp.ProposalVerdict, float]] = field(default_factory=list)
    kept: dict[str, FileChange] = field(default_factory=dict)  # path: its kept content
    current: tp.Cause | None = None
    began: float = 0.0
    cut: str = ""  # why the step ended before every cause was asked about

    def done(self, verdict: tp.ProposalVerdict, proposed: Sequence[FileChange]) -> None:
        self.judged.append((verdict, round(time.monotonic() - self.began, 2)))
        self.current = None
        if verdict.kept:
            self.kept.update({c.file_path: c for c in proposed})

    def stop(self, why: str) -> None:
        self.cut = why
        if self.current is not None:
            self.done(tp.ProposalVerdict(self.current, tp.Verdict.NOT_RUN, why[:300]), ())

    def verdicts(self, bound: int) -> list[dict]:
        """One payload per cause, the ones never asked about said so."""
        asked = [{**v.payload(), "seconds": s} for v, s in self.judged]
        why = self.cut or f"the step's bound of {bound} question(s) was spent"
        return asked + [tp.ProposalVerdict(c, tp.Verdict.NOT_ASKED, why[:300]).payload()
                        for c in self.causes[len(asked):]]


async def propose_test(ctx: OperationContext, d: PhaseDeps, review_sha: str) -> dict:
    """Ask for, check and keep (or refuse) the missing tests of an op just proposed for
    review at `review_sha`; the PROPOSED row's payload additions ({} when nothing was
    asked)."""
    if d.provider is None or ctx.generation is None or ctx.envelope.source == Source.REVIEW \
            or d.policy.missing_test_questions == 0:  # 0: the step is off
        return {}
    p, step, start = d.policy, _Step(), time.monotonic()
    try:
        async with asyncio.timeout(p.missing_test_budget_s):
            await _ask_each(ctx, d, step)
    except TimeoutError:
        step.stop(f"ran past the step's bound of {p.missing_test_budget_s:g}s")
    except asyncio.CancelledError as exc:
        # The op was cancelled, or the daemon stopped, after its review branch was made:
        # the review stands, so the op ends PROPOSED, saying the step was cut and why (the
        # orchestrator passes the cancel's reason: governance.phases.orchestrator).
        if (task := asyncio.current_task()) is not None:
            task.uncancel()
        reason = exc.args[0] if exc.args and isinstance(exc.args[0], str) else ""
        step.stop("cancelled while it ran" + (f": {reason}" if reason else ""))
    except Exception as exc:  # never the op's failure: said, and the review stands
        step.stop(f"{type(exc).__name__}: {exc}"[:300])
    if not step.causes:
        if step.cut:  # the review stands: a cause not found is a test not asked
            await d.thought(ctx, PHASE, "missing test: causes not read", error=step.cut)
        return {}
    # A cancel meanwhile must not lose a kept test's commit or the rows that say so.
    finish = asyncio.ensure_future(_finish(ctx, d, step, review_sha, start))
    try:
        return await asyncio.shield(finish)
    except asyncio.CancelledError:
        if (task := asyncio.current_task()) is not None:
            task.uncancel()
        return await finish


async def _ask_each(ctx: OperationContext, d: PhaseDeps, step: _Step) -> None:
    """Each cause in turn, cheapest first, while the bound of questions lasts."""
    files, step.causes, _ = await d.in_thread(_causes, ctx, d)
    for cause in step.causes[:d.policy.missing_test_questions]:
        step.current, step.began = cause, time.monotonic()
        proposed: list[FileChange] = []
        try:
            verdict = await _ask_and_check(ctx, d, cause, files, proposed,
                                           list(step.kept.values()))
        except Exception as exc:  # this cause's verdict; the next is still asked
            verdict = tp.ProposalVerdict(cause, tp.Verdict.NOT_RUN,
                                     f"{type(exc).__name__}: {exc}"[:300])
        step.done(verdict, proposed)


async def _finish(ctx: OperationContext, d: PhaseDeps, step: _Step, review_sha: str,
                  start: float) -> dict:
    """The kept tests' commit, a thought per cause, and the PROPOSED row's payload."""
    per = step.verdicts(d.policy.missing_test_questions)
    kept = [v for v, _ in step.judged if v.kept]
    head = next((n for n, v in enumerate(per) if v["kept"]), 0)
    commit = await _keep(ctx, d, kept, list(step.kept.values()), len(per) - len(kept),
                         review_sha) if kept else {}
    for v in per:
        said = ("missing test kept" if v["kept"] and commit.get("commit") else
                "missing test not asked" if v["verdict"] == tp.Verdict.NOT_ASKED else
                "missing test refused")
        await d.thought(ctx, PHASE, said, **v, **(commit if v["kept"] else {}))
    payload = {**per[head], **commit, "seconds": round(time.monotonic() - start, 2),
               "other_causes": [v["at"] for n, v in enumerate(per) if n != head][:NAMED],
               "causes": per[:NAMED * 2]}
    if step.cut:
        payload["cut"] = step.cut
    return {"missing_test": payload}


def _causes(ctx: OperationContext, d: PhaseDeps
            ) -> tuple[list[FileText], list[tp.Cause], Evidence]:
    """The candidate's files, what a test could decide about them, and GATE's evidence
    (blocking: reads files)."""
    assert ctx.generation is not None
    changes = ctx.generation.candidate.changes()
    files = file_texts(ctx, d, changes)
    evidence = evidence_for(ctx, d, changes)
    return files, tp.causes_of(files, d.oracle.sessions, evidence.fail_to_pass,
                               evidence.intent is Intent.NEW), evidence


async def review_cost(ctx: OperationContext, d: PhaseDeps) -> str:
    """The review commit's `Review-Cost:` trailer (governance.git.review_order): decided
    from typed reports, before any test is asked for."""
    if ctx.generation is None or ctx.envelope.source == Source.REVIEW:
        return ""
    try:
        _, causes, evidence = await d.in_thread(_causes, ctx, d)
    except Exception:  # unknown: it needs a person
        return trailer(ReviewCost.PERSON)
    sessions = d.oracle.sessions
    diff, lint = sessions.differential, sessions.lint
    person = RiskTier[ctx.risk_tier or "SAFE_AUTO"] >= RiskTier.APPROVAL_REQUIRED \
        or bool(evidence.breaking) or bool(lint is not None and lint.reasons())
    return trailer(cost_of(
        needs_person=person, decidable=bool(causes),
        counterexample=diff is not None and any(f.counterexamples for f in diff.checks)))


async def _ask_and_check(ctx: OperationContext, d: PhaseDeps, cause: tp.Cause,
                         files: Sequence[FileText], proposed: list[FileChange],
                         earlier: list[FileChange]) -> tp.ProposalVerdict:
    """The brain's answer (into `proposed`) and the verdict on it, the tests kept for
    earlier causes (`earlier`) part of the candidate it is judged on."""
    changes = await _ask(ctx, d, cause, files, [c.file_path for c in earlier])
    if isinstance(changes, tp.ProposalVerdict):
        return changes
    proposed.extend(changes)
    candidate = {f.path: f.new for f in files} | {c.file_path: c.full_content
                                                  for c in earlier}

    def old_text(rel: str) -> str | None:
        return candidate[rel] if rel in candidate else base_text(ctx, d, rel)

    def path_problem(rel: str) -> str | None:
        try:
            norm = normalize(rel, allow_non_ascii=d.policy.allow_non_ascii_paths)
            why = protected_reason(norm, d.state_rel, d.policy.protected_globs)
        except PathEscape as exc:
            return str(exc)
        return why or (None if norm == rel else f"not a plain repository path ({norm})")

    static = await d.in_thread(tp.static_verdict, cause, changes, old_text, path_problem)
    if static is not None:
        return static
    added = {c.file_path: tp.new_tests(old_text(c.file_path), c.full_content or "")
             for c in changes}
    return await ProposalJail(ctx, d, cause, files, changes, added, earlier).verdict()


async def _ask(ctx: OperationContext, d: PhaseDeps, cause: tp.Cause,
               files: Sequence[FileText], written: list[str]
               ) -> list[FileChange] | tp.ProposalVerdict:
    """The one turn about `cause`: the test files the brain wrote, or why there are none."""
    assert d.provider is not None
    tests = await d.in_thread(_tests_of_line, ctx, d, cause)
    view = for_route(d.provider, ctx.route, d)
    window = context_window(view)  # the question fits the smallest brain that may answer
    budget = None if window is None else fit.FIT_CHARS_PER_TOKEN * fit.prompt_tokens(
        window, d.policy.work.reply_tokens, tools=False)
    question = tp.prompt(ctx.envelope.goal, cause, files, tests, budget, written)
    await d.yield_to_host(ctx.op_id, "a model call (the missing test)")
    try:
        async with d.model_gate.turn(ctx.op_id, d.policy.model_wait_timeout_s):
            g = await model_grant(ctx, d, PHASE, view, question, tools=False)
            deadline = time.monotonic() + g.seconds + d.policy.routes.spec(ctx.route).grace_s
            reply = await view.generate(question, deadline=deadline,
                                        **shaped(view, CANDIDATE_SHAPE))
    except Exception as exc:  # a dead brain, a missed deadline, no turn at the model
        return tp.ProposalVerdict(cause, tp.Verdict.NO_ANSWER, f"{type(exc).__name__}: {exc}"[:300])
    await d.record_reply(ctx, PHASE, reply)
    try:
        candidate = parse_candidate(reply.text)
    except CandidateParseError as exc:
        return tp.ProposalVerdict(cause, tp.Verdict.UNUSABLE, str(exc)[:300])
    return candidate.changes()


def _tests_of_line(ctx: OperationContext, d: PhaseDeps, cause: tp.Cause) -> dict[str, str]:
    """The existing test files that ran the cause's line (the suite's style for it)."""
    sessions = d.oracle.sessions
    cov = sessions.original.coverage if sessions.original else None
    ran = sorted({t.split("::", 1)[0] for t in (cov.hits(cause.file, [cause.line]) if cov
                                                 else set()) if t})
    out = {}
    for rel in ran[:tp.MAX_TESTS_SHOWN]:
        if (text := base_text(ctx, d, rel)) is not None:
            out[rel] = text
    return out


async def _keep(ctx: OperationContext, d: PhaseDeps, kept: list[tp.ProposalVerdict],
                files: list[FileChange], undecided: int, review_sha: str) -> dict:
    """Every kept test as one commit of its own on the review commit, on
    `<prefix>tests/<op>`, its `Undecided:` trailer counting the causes none decides."""
    assert ctx.generation is not None
    p = d.policy
    tests = ReviewBranches(d.git, kept_tests_prefix(p.review_branch_prefix))
    named = "; ".join(v.cause.named() for v in kept)
    decides = "\n".join(f"- {v.cause.kind.value} at {v.cause.named()}: {v.why}" for v in kept)
    message = (f"test: the missing test for {named}"[:200] + "\n\n"
               f"Proposed by the brain and kept, each checked against its reason:\n{decides}"
               f"\n\nIt decides why the change on {p.review_branch_prefix}{ctx.op_id} waits; "
               f"it never lands that change.\n\n"
               f"Op-Id: {ctx.op_id}\nSignal: {ctx.envelope.source}\n"
               f"Provider: {ctx.generation.usage.provider}\n"
               f"Integrity: sha256:{{integrity}}\n{UNDECIDED}: {undecided}\n"
               f"Evidence: missing test ({kept[0].cause.kind.value}): {kept[0].why}"[:3000])
    env = commit_env(d.state_dir)
    try:
        sha = await d.in_thread(lambda: tests.propose(
            ctx.op_id, review_sha, files, message, author_name=p.author_name,
            author_email=p.author_email, sign_env=env))
    except Exception as exc:  # the verdicts stand; only their commit is missing
        return {"commit": None, "not_committed": f"{type(exc).__name__}: {exc}"[:300]}
    crashpoint("propose_after_test_branch")
    return {"branch": f"{tests.prefix}{ctx.op_id}", "commit": sha}
