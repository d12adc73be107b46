"""The missing test, asked for and checked (issue 45, items 1 and 2), once an unproven
change has its review branch (governance.phases.propose).

When the change waits for a reason a test could decide (governance.proof.test_proposal's
causes: a surviving mutant, an unentered function, new behaviour no test asks for), the
brain gets ONE bounded turn, through the op's route like any model step, to write the
smallest test that decides the first cause. Its answer is checked in the jail, in copies of
the live tree, by governance.proof.test_proposal.CHECKS in order: test files only, nothing
naming the check, a new test, nothing weakened (static); then its new tests pass on the
candidate in two sessions; fail with the named mutant switched on from the start (for an
unentered function or new behaviour: fail on the base, and run a changed line of the
function); and pass the canary, the same session with an id no mutant has switched on,
the two in a random order.

A kept test is committed on its own, on the change's review commit, to the branch
`<prefix>tests/<op-id>` (never listed as a review: its name is no op id), so `git log`
of it reads change then test. The review branch itself is untouched: a model's test never
makes its own change land. Every outcome is a thought row and the PROPOSED row's
`missing_test`, a typed verdict; nothing here can fail the op: the review stands whatever
happens to its test.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Sequence
from pathlib import Path

from governance.brains import window as fit
from governance.brains.provider import CANDIDATE_SHAPE, shaped
from governance.errors import CandidateParseError
from governance.fs.protected import PathEscape, normalize, protected_reason
from governance.gates.risk import RiskTier
from governance.git.review import ReviewBranches
from governance.git.review_order import ReviewCost, cost_of, kept_tests_prefix, trailer
from governance.git.signing import commit_env
from governance.oracle.oracle import GOOD, Report
from governance.oracle.run_dir import CoverageRequest, import_mutation_request
from governance.oracle.sandbox import Sandbox
from governance.phase import Phase
from governance.phases.deps import PhaseDeps
from governance.phases.proof_gate import base_text, evidence_for, file_texts
from governance.phases.route_brains import context_window, for_route, model_grant
from governance.proof import test_proposal as tp
from governance.proof.mutation import plan
from governance.proof.rules import Evidence, FileText, Intent
from governance.proof.static import changed_statements
from governance.proof.symbols import symbol_of_line
from governance.schemas import FileChange, OperationContext, Source, parse_candidate

BUDGET_S = 600.0  # the model's turn and every check together
PHASE = Phase.APPROVE  # the ledger rows' phase: the step runs inside APPROVE's propose
_RNG = random.SystemRandom()


async def propose_test(ctx: OperationContext, d: PhaseDeps, review_sha: str) -> dict:
    """Ask for, check and keep (or refuse) the missing test of an op just proposed for
    review at `review_sha`; the PROPOSED row's payload additions ({} when nothing was
    asked)."""
    if d.provider is None or ctx.generation is None or ctx.envelope.source == Source.REVIEW:
        return {}
    try:
        files, causes, _ = await d.in_thread(_causes, ctx, d)
    except Exception as exc:  # the review stands: a cause not found is a test not asked
        await d.thought(ctx, PHASE, "missing test: causes not read", error=repr(exc)[:300])
        return {}
    if not causes:
        return {}
    cause = causes[0]
    start = time.monotonic()
    proposed: list[FileChange] = []
    try:
        async with asyncio.timeout(BUDGET_S):
            verdict = await _ask_and_check(ctx, d, cause, files, proposed)
    except TimeoutError:
        verdict = tp.TestVerdict(cause, tp.Verdict.NOT_RUN, f"ran past {BUDGET_S:g}s")
    except asyncio.CancelledError:
        # The op was cancelled after its review branch was made: the review stands, so the
        # op ends PROPOSED, saying the test was not finished. (A stop of the whole op task
        # is still raised by the orchestrator's own wait.)
        if (task := asyncio.current_task()) is not None:
            task.uncancel()
        verdict = tp.TestVerdict(cause, tp.Verdict.NOT_RUN, "cancelled while it ran")
    except Exception as exc:  # never the op's failure: said, and the review stands
        verdict = tp.TestVerdict(cause, tp.Verdict.NOT_RUN, f"{type(exc).__name__}: {exc}"[:300])
    payload = {**verdict.payload(), "seconds": round(time.monotonic() - start, 2),
               "other_causes": [c.named() for c in causes[1:6]]}
    if verdict.kept:
        payload.update(await _keep(ctx, d, verdict, proposed, review_sha))
    await d.thought(ctx, PHASE, "missing test kept" if payload.get("commit") else
                    "missing test refused", **payload)
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
                         files: Sequence[FileText], proposed: list[FileChange]
                         ) -> tp.TestVerdict:
    """The brain's answer (into `proposed`) and the verdict on it."""
    changes = await _ask(ctx, d, cause, files)
    if isinstance(changes, tp.TestVerdict):
        return changes
    proposed.extend(changes)
    candidate = {f.path: f.new for f in files}

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
    return await _Jail(ctx, d, cause, files, changes, added).verdict()


async def _ask(ctx: OperationContext, d: PhaseDeps, cause: tp.Cause,
               files: Sequence[FileText]) -> list[FileChange] | tp.TestVerdict:
    """The one turn: the test files the brain wrote, or why there are none."""
    assert d.provider is not None
    tests = await d.in_thread(_tests_of_line, ctx, d, cause)
    view = for_route(d.provider, ctx.route, d)
    window = context_window(view)  # the question fits the smallest brain that may answer
    budget = None if window is None else fit.FIT_CHARS_PER_TOKEN * fit.prompt_tokens(
        window, d.policy.work.reply_tokens, tools=False)
    question = tp.prompt(ctx.envelope.goal, cause, files, tests, budget)
    await d.yield_to_host(ctx.op_id, "a model call (the missing test)")
    try:
        async with d.model_gate.turn(ctx.op_id, d.policy.model_wait_timeout_s):
            g = await model_grant(ctx, d, PHASE, view, question, tools=False)
            deadline = time.monotonic() + g.seconds + d.policy.routes.spec(ctx.route).grace_s
            reply = await view.generate(question, deadline=deadline,
                                        **shaped(view, CANDIDATE_SHAPE))
    except Exception as exc:  # a dead brain, a missed deadline, no turn at the model
        return tp.TestVerdict(cause, tp.Verdict.NO_ANSWER, f"{type(exc).__name__}: {exc}"[:300])
    await d.record_reply(ctx, PHASE, reply)
    try:
        candidate = parse_candidate(reply.text)
    except CandidateParseError as exc:
        return tp.TestVerdict(cause, tp.Verdict.UNUSABLE, str(exc)[:300])
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


class _Jail:
    """The checks that run tests, for one proposal, in copies of the live tree."""

    def __init__(self, ctx: OperationContext, d: PhaseDeps, cause: tp.Cause,
                 files: Sequence[FileText], changes: list[FileChange],
                 added: dict[str, frozenset[str]]):
        self.ctx, self.d, self.cause, self.files = ctx, d, cause, files
        self.changes, self.added = changes, added
        self.paths = sorted(c.file_path for c in changes)
        self.boxes = d.state_dir / "sandboxes" / ctx.op_id / "missing-test"
        self.scratch = d.state_dir / "oracle"

    def says(self, verdict: tp.Verdict, why: str, tests: Sequence[str] = ()) -> tp.TestVerdict:
        return tp.TestVerdict(self.cause, verdict, why[:400], tuple(self.paths), tuple(tests))

    async def verdict(self) -> tp.TestVerdict:
        try:
            return await self._checks()
        finally:
            await self.d.in_thread(Sandbox(self.boxes).destroy)

    async def _box(self, name: str, changes: list[FileChange]) -> Path:
        d = self.d
        listed = await d.in_thread(d.git.listed_files)
        box = await d.in_thread(Sandbox.create, d.root, listed, self.boxes / name, d.state_rel,
                                d.policy.protected_globs)
        await d.in_thread(box.apply, changes)
        return box.root

    async def _run(self, tree: Path, *, coverage: bool = False,
                   switch: int | None = None) -> Report:
        watch = CoverageRequest(frozenset({self.cause.file})) if coverage else None
        extra = import_mutation_request(switch) if switch is not None else None
        ran = await self.d.validate_runner.run(tree, self.paths, scratch=self.scratch,
                                               coverage=watch, extra=extra)
        return ran.report

    def _new(self, report: Report) -> dict[str, str] | None:
        """The proposal's new tests and their outcomes (a module that could not be
        collected: each of its new tests 'missing'); None when the session left no report
        (the jail failed, the session timed out): no evidence either way."""
        if report.problem and not report.tests and not report.collect_errors:
            return None
        found = {n: o for n, o in report.tests.items() if tp.is_new(n, self.added)}
        for path in {e.split("::", 1)[0] for e in report.collect_errors} & set(self.added):
            found.update({f"{path}::{name}": "missing" for name in self.added[path]})
        return found

    async def _checks(self) -> tp.TestVerdict:
        assert self.ctx.generation is not None
        cand = await self._box("candidate", [*self.ctx.generation.candidate.changes(),
                                             *self.changes])
        first = await self._run(cand, coverage=True)
        passing = self._new(first)
        if passing is None:
            return self.says(tp.Verdict.NOT_RUN, f"on the candidate: {first.problem}")
        if not passing:
            return self.says(tp.Verdict.FAILS_ON_CANDIDATE, "no new test was collected")
        # passed, not xpassed: a test marked to fail guards nothing in the suite
        if bad := [n for n, o in passing.items() if o != "passed"]:
            return self.says(tp.Verdict.FAILS_ON_CANDIDATE, f"{', '.join(bad[:3])} "
                           f"{passing[bad[0]]} on the candidate", bad)
        again = self._new(await self._run(cand)) or {}
        if bad := [n for n in passing if again.get(n) != "passed"]:
            return self.says(tp.Verdict.FLAKY, f"{', '.join(bad[:3])} did not pass in a "
                           "second session", bad)
        if self.cause.mutant is not None:
            return await self._switched(cand, sorted(passing))
        deciding = await self._on_base(first)
        if isinstance(deciding, tp.TestVerdict):
            return deciding
        return await self._canary_only(cand, deciding)

    async def _on_base(self, first: Report) -> list[str] | tp.TestVerdict:
        """An unentered function, new behaviour: the new tests that fail on the base, and
        one of them running a changed line of the function."""
        base = await self._box("base", self.changes)
        on_base = self._new(await self._run(base))
        if on_base is None:
            return self.says(tp.Verdict.NOT_RUN, "the session on the base left no report")
        failing = [n for n, o in on_base.items() if o not in GOOD]
        if not failing:
            return self.says(tp.Verdict.PASSES_ON_BASE, "every new test passes on the base too")
        f = next(f for f in self.files if f.path == self.cause.file)
        owner = symbol_of_line(f.new or "")
        lines = [n for s in changed_statements(f.old, f.new or "") if owner(s.line) ==
                 self.cause.what for n in s.lines]
        ran = first.coverage.hits(f.path, lines) if first.coverage else set()
        deciding = [t for t in failing if t in ran]
        if not deciding:
            return self.says(tp.Verdict.MISSES_THE_FUNCTION, f"no new test that fails on the "
                           f"base runs a changed line of {self.cause.what}", failing)
        return deciding

    def _numbered(self, f: FileText) -> tuple[list, int | None, int, int]:
        """`f`'s mutants numbered from a random start, the cause's among them (None when
        it has none), and two ids no mutant has: the canary's and a decoy's."""
        start = _RNG.randrange(1_000, 1_000_000)
        mutants = plan(f.old, f.new or "", f.path, start)
        target = next((m.id for m in mutants if self.cause.mutant is not None
                       and (m.line, m.what) == (self.cause.line, self.cause.what)), None)
        free = [k for k in range(start - 8, start + len(mutants) + 8)
                if not start <= k < start + len(mutants)]
        canary, decoy = _RNG.sample(free, 2)
        return mutants, target, canary, decoy

    async def _switch(self, tree: Path) -> tuple[int | None, int]:
        f = next(f for f in self.files if f.path == self.cause.file)
        mutants, target, canary, decoy = self._numbered(f)
        text = tp.switched_text(f, mutants, (canary, decoy))
        await self.d.in_thread(Sandbox(tree).apply, [FileChange(file_path=f.path,
                                                                full_content=text)])
        return target, canary

    async def _switched(self, tree: Path, new: list[str]) -> tp.TestVerdict:
        """A surviving mutant: the new tests fail with it switched on and pass the canary,
        the two sessions in a random order."""
        target, canary = await self._switch(tree)
        if target is None:
            return self.says(tp.Verdict.NOT_RUN, f"the mutant {self.cause.named()} is not "
                           "among the candidate's any more")
        order = [target, canary]
        _RNG.shuffle(order)
        found = {k: self._new(await self._run(tree, switch=k)) for k in order}
        ran = {k: v for k, v in found.items() if v is not None}
        if len(ran) < len(found):
            return self.says(tp.Verdict.NOT_RUN, "a switched session left no report")
        broken = [n for n in new if ran[canary].get(n) != "passed"]
        if broken:
            return self.says(tp.Verdict.TELLS_THE_CHECK, f"{', '.join(broken[:3])} failed with "
                           "no mutant switched on", broken)
        killers = [n for n in new if ran[target].get(n) not in GOOD]
        if not killers:
            return self.says(tp.Verdict.KILLS_NOTHING, f"every new test passes with "
                           f"{self.cause.named()}", new)
        return self.says(tp.Verdict.KEPT, f"fails with {self.cause.named()}", killers)

    async def _canary_only(self, tree: Path, deciding: list[str]) -> tp.TestVerdict:
        """An unentered function, new behaviour: the deciding tests pass the canary."""
        _, canary = await self._switch(tree)
        ran = self._new(await self._run(tree, switch=canary))
        if ran is None:
            return self.says(tp.Verdict.NOT_RUN, "the canary session left no report")
        if broken := [n for n in deciding if ran.get(n) != "passed"]:
            return self.says(tp.Verdict.TELLS_THE_CHECK, f"{', '.join(broken[:3])} failed with "
                           "no mutant switched on", broken)
        return self.says(tp.Verdict.KEPT, f"fails on the base and enters {self.cause.what}",
                       deciding)


async def _keep(ctx: OperationContext, d: PhaseDeps, verdict: tp.TestVerdict,
                proposed: list[FileChange], review_sha: str) -> dict:
    """The kept test as a commit of its own on the review commit, on `<prefix>tests/<op>`."""
    assert ctx.generation is not None
    p = d.policy
    tests = ReviewBranches(d.git, kept_tests_prefix(p.review_branch_prefix))
    message = (f"test: the missing test for {verdict.cause.named()}\n\n"
               f"Proposed by the brain and kept: {verdict.why}. It decides why the change on "
               f"{p.review_branch_prefix}{ctx.op_id} waits; it never lands that change.\n\n"
               f"Op-Id: {ctx.op_id}\nSignal: {ctx.envelope.source}\n"
               f"Provider: {ctx.generation.usage.provider}\n"
               f"Integrity: sha256:{{integrity}}\n"
               f"Evidence: missing test ({verdict.cause.kind.value}): {verdict.why}"[:2000])
    env = commit_env(d.state_dir)
    try:
        sha = await d.in_thread(lambda: tests.propose(
            ctx.op_id, review_sha, proposed, message, author_name=p.author_name,
            author_email=p.author_email, sign_env=env))
    except Exception as exc:  # the verdict stands; only its commit is missing
        return {"commit": None, "not_committed": f"{type(exc).__name__}: {exc}"[:300]}
    return {"branch": f"{tests.prefix}{ctx.op_id}", "commit": sha}
