"""GENERATE, GENERATE_RETRY, VALIDATE and VALIDATE_RETRY: getting a candidate that works.

Validation happens in a sandbox copy of the repository; the live tree is not touched.
"""

from __future__ import annotations

import ast
import time
from pathlib import Path

from governance import ascii_gate, retry
from governance.deps import PhaseDeps, Transition
from governance.errors import CandidateParseError, ProviderError
from governance.model_gate import ModelWaitExpired
from governance.oracle import Report, tree_digest
from governance.oracle_run import (
    Checked,
    TestScope,
    check_original,
    check_own,
    combine,
    plan_scope,
    run_side,
    split,
)
from governance.phase import Phase
from governance.phases_decide import is_trivial
from governance.prompts import generation_prompt, with_exploration_protocol
from governance.protected import PathEscape, normalize, protected_reason
from governance.rollback import live_sha256
from governance.routing import generate_timeout_s
from governance.sandbox import Sandbox
from governance.schemas import (
    Candidate,
    GenerationResult,
    ModelUsage,
    OperationContext,
    ToolRecord,
    parse_candidate,
)
from governance.testrun import ORACLE_MARKERS


def _complexity(ctx: OperationContext) -> str:
    """The plan's complexity, else the default approach's: this picks the exploration
    gate's diversity floors only; no complexity skips the 2-call, read-each-target rule."""
    if ctx.plan is not None:
        return ctx.plan.complexity
    return "trivial" if is_trivial(ctx) else "simple"


async def _ask(ctx: OperationContext, d: PhaseDeps, phase: Phase,
               prompt: str, deadline: float) -> tuple[str, Candidate | None, list[ToolRecord]]:
    """One model answer: through Venom's tool loop when configured, else a single turn.
    Returns (final text, candidate or None, tool records); parse errors propagate."""
    assert d.provider is not None
    if d.tools is None:
        reply = await d.provider.generate(prompt, deadline=deadline)
        await d.record_reply(ctx, phase, reply)
        return reply.text, parse_candidate(reply.text), reply.tool_records
    session = d.tools.open(ctx, phase.value, d)
    try:
        prompt = with_exploration_protocol(prompt, ctx, session.min_calls)
        reply = await session.run(d.provider, prompt, deadline=deadline)
        candidate = session.candidate(reply.text)  # the gate judges what it changes
        ok, feedback, summary = session.exploration(_complexity(ctx))
        await d.thought(ctx, phase, "exploration scored", passed=ok, **summary)
        if not ok:
            raise ExplorationShort(feedback)
        return reply.text, candidate, reply.tool_records
    finally:
        await d.in_thread(session.close)


class ExplorationShort(CandidateParseError):
    """The model changed code without exploring enough (the exploration-first gate)."""


def _post_generation_gates(ctx: OperationContext, candidate: Candidate,
                           d: PhaseDeps) -> tuple[Candidate, list[str], list[str]]:
    """ASCII strictness and plan coverage: (candidate, repairs, problems)."""
    candidate, repairs, problems = ascii_gate.check(  # judges only the lines it changes
        candidate, d.policy.ascii_strict_suffixes,
        base=lambda rel: ascii_gate.live_reader(d.root)(rel))  # read only when non-ASCII
    if ctx.plan is not None and not candidate.no_op:
        declared = {c.file_path for c in ctx.plan.ordered_changes}
        present = {c.file_path for c in candidate.changes()}
        missing = sorted(declared - present)
        if missing:
            problems.append(f"the plan declares changes to {', '.join(missing)} but the "
                            "candidate does not include them")
    return candidate, repairs, problems


async def _generate(ctx: OperationContext, d: PhaseDeps, phase: Phase,
                    retry_phase: Phase) -> Transition:
    """One generation attempt; an unusable reply spends the generate budget
    (governance.retry) and retries in `retry_phase` while that budget lasts."""
    if d.provider is None:
        return Transition(Phase.POSTMORTEM, "no model provider is available")
    ctx.generate_attempts += 1
    # The stale guard's "before": hashed the way APPLY compares, never through a symlink.
    ctx.live_hashes = await d.in_thread(
        lambda: {f: live_sha256(d.root, f) for f in ctx.envelope.target_files})
    timeout = generate_timeout_s(ctx.route)
    await d.thought(ctx, phase, "generating candidate", provider=d.provider.name,
                    attempt=ctx.generate_attempts, tools=d.tools is not None)
    cost_before = ctx.cost_usd
    try:
        async with d.model_gate.turn(ctx.op_id, d.policy.model_wait_timeout_s) as waited:
            if waited >= 0.5:
                await d.thought(ctx, phase, "model turn after queueing",
                                waited_s=round(waited, 2), deadline_s=timeout)
            # The deadline counts from the start of this op's own turn at the model.
            text, candidate, records = await _ask(ctx, d, phase, generation_prompt(ctx, d.root),
                                                  time.monotonic() + timeout)
        if candidate is None:
            raise CandidateParseError("the model made no change and proposed no candidate")
        candidate, repairs, problems = _post_generation_gates(ctx, candidate, d)
        if problems:
            raise CandidateParseError("; ".join(problems))
    except CandidateParseError as exc:
        ctx.last_failure = str(exc)
        cost = ctx.cost_usd - cost_before
        if retry.spend(ctx, d.policy, retry.Failure.UNUSABLE_REPLY):
            return Transition(retry_phase, str(exc), cost_delta=cost)
        return Transition(Phase.POSTMORTEM, f"no usable candidate after "
                          f"{retry.spent(ctx, retry.Budget.GENERATE)} unusable replies: {exc}",
                          cost_delta=cost)
    except ModelWaitExpired as exc:
        return Transition(Phase.POSTMORTEM, f"no turn at the model: {exc}")
    except ProviderError as exc:
        await d.record_failed_call(ctx, phase, exc)
        return Transition(Phase.POSTMORTEM, f"provider {d.provider.name} failed: {exc}")
    return _accepted(ctx, d.provider.name, candidate, repairs, text, records,
                     ctx.cost_usd - cost_before)


def _accepted(ctx: OperationContext, provider: str, candidate: Candidate, repairs: list[str],
              text: str, records: list[ToolRecord], cost: float) -> Transition:
    """Record a usable candidate on the op and move on: COMPLETE for no_op, else VALIDATE."""
    usage = ModelUsage(provider=provider, cost_usd=cost)
    ctx.generation = GenerationResult(candidate=candidate, rationale=candidate.rationale,
                                      tool_records=records, usage=usage, raw_text=text[:20_000])
    if candidate.no_op:
        return Transition(Phase.COMPLETE, f"no change needed: {candidate.rationale[:200]}",
                          {"no_op": True}, cost_delta=cost)
    files = [c.file_path for c in candidate.changes()]
    payload = {"files": files, "rationale": candidate.rationale[:500]}
    if repairs:
        payload["ascii_repairs"] = repairs
    return Transition(Phase.VALIDATE, f"candidate touches {len(files)} file(s)", payload,
                      cost_delta=cost)


async def generate_phase(ctx: OperationContext, d: PhaseDeps) -> Transition:
    return await _generate(ctx, d, Phase.GENERATE, Phase.GENERATE_RETRY)


async def generate_retry_phase(ctx: OperationContext, d: PhaseDeps) -> Transition:
    return await _generate(ctx, d, Phase.GENERATE_RETRY, Phase.GENERATE_RETRY)


def static_problems(candidate: Candidate, d: PhaseDeps) -> list[str]:
    """Checks that need no execution: paths, protection, size, Python syntax."""
    problems = []
    for change in candidate.changes():
        try:
            rel = normalize(change.file_path, allow_non_ascii=d.policy.allow_non_ascii_paths)
        except PathEscape as exc:
            problems.append(str(exc))
            continue
        why = protected_reason(rel, d.state_rel, d.policy.protected_globs)
        if why:
            problems.append(f"{rel} is protected ({why}); do not touch it")
        content = change.full_content or ""
        marker = next((m for m in ORACLE_MARKERS if m in content or m in rel), None)
        if marker:
            problems.append(f"{rel} refers to the test oracle ({marker!r}); leave it alone")
        if len(content.encode("utf-8", "surrogatepass")) > d.policy.max_candidate_bytes:
            problems.append(f"{rel} is larger than {d.policy.max_candidate_bytes} bytes")
        if change.action == "write" and rel.endswith(".py"):
            try:
                ast.parse(content, filename=rel)
            except SyntaxError as exc:
                problems.append(f"SyntaxError in {rel} line {exc.lineno}: {exc.msg}")
    return problems


async def validate_phase(ctx: OperationContext, d: PhaseDeps) -> Transition:
    """The oracle in sandboxes: the existing tests on the candidate's code against their
    baseline on the op's base (cached per base and scope), and the candidate's own tests on
    the full candidate tree (see governance.oracle_run)."""
    assert ctx.generation is not None
    candidate = ctx.generation.candidate
    problems = static_problems(candidate, d)
    if problems:
        return _validation_failed(ctx, d, "; ".join(problems), {"problems": problems})
    files = await d.in_thread(d.git.listed_files)
    boxes = d.state_dir / "sandboxes" / ctx.op_id
    try:
        base = await d.in_thread(Sandbox.create, d.root, files, boxes / "base", d.state_rel,
                                 d.policy.protected_globs)
        present = [f for f in files if (base.root / f).is_file()]
        scope = plan_scope(candidate.changes(), base.root, present)
        baseline, checked = await _run_oracle(ctx, d, boxes, base, present, scope)
    finally:
        await d.in_thread(Sandbox(boxes).destroy)  # however deep a test made them
    d.oracle.scope, d.oracle.baseline, d.oracle.verdict = scope, baseline, checked.verdict
    v = checked.verdict
    payload = {"tests": scope.describe(), "summary": v.reason[:2000], "counts": v.counts,
               "evidence": v.evidence, "regressions": list(v.regressions[:50]),
               "baseline": _baseline_note(baseline),
               "duration_s": round(sum(o.duration_s for o in checked.outcomes), 2)}
    if not v.passed:
        return _validation_failed(ctx, d, checked.detail(), payload)
    return Transition(Phase.GATE, f"oracle passed: {v.reason[:300]}", payload)


async def _run_oracle(ctx: OperationContext, d: PhaseDeps, boxes: Path, base: Sandbox,
                      present: list[str], scope: TestScope) -> tuple[Report, Checked]:
    """Baseline (cached), then ORIGINAL on base + code changes, OWN on base + everything."""
    code, _ = split(ctx.generation.candidate.changes() if ctx.generation else [])
    scratch = d.state_dir / "oracle"

    async def copy(name: str) -> Sandbox:
        return await d.in_thread(Sandbox.create, base.root, present, boxes / name,
                                 d.state_rel, d.policy.protected_globs)

    full_tree = await copy("candidate") if scope.own else None
    baseline = Report.empty()
    original = None
    if scope.code_changed:
        key = (await d.in_thread(tree_digest, base.root, present), scope.key)
        cached = d.oracle.cache.get(key)
        if cached is None:  # in its own copy: a baseline run may write into its tree
            pristine = await copy("baseline")
            cached = (await run_side(d.validate_runner, pristine.root, scope.original,
                                     scope.full, scratch)).report
            d.oracle.cache.put(key, cached)
        baseline = cached
        base.apply(code)
        original = await check_original(d.validate_runner, base.root, scope, baseline, scratch)
    own = None
    if full_tree is not None and (original is None or original.verdict.passed):
        assert ctx.generation is not None
        full_tree.apply(ctx.generation.candidate.changes())
        own = await check_own(d.validate_runner, full_tree.root, scope, scratch)
    return baseline, combine(original, own)


def _baseline_note(baseline: Report) -> str:
    if baseline.problem:
        return f"unusable: {baseline.problem}"
    passed = sum(1 for o in baseline.tests.values() if o in ("passed", "xpassed"))
    return f"{passed} of {len(baseline.tests)} passed"


def _validation_failed(ctx: OperationContext, d: PhaseDeps, detail: str,
                       payload: dict) -> Transition:
    """A refused candidate spends the validate budget (governance.retry)."""
    ctx.last_failure = detail
    headline = detail.splitlines()[0][:300]
    if retry.spend(ctx, d.policy, retry.Failure.VALIDATION_FAILED):
        return Transition(Phase.VALIDATE_RETRY, f"validation failed: {headline}", payload)
    attempts = retry.spent(ctx, retry.Budget.VALIDATE)
    return Transition(Phase.POSTMORTEM, f"validation failed {attempts} time(s), no retry "
                      f"left: {headline}", payload)


async def validate_retry_phase(ctx: OperationContext, d: PhaseDeps) -> Transition:
    """A new candidate from the validation feedback; an unusable reply here spends the
    generate budget, not the validate budget, and retries here."""
    return await _generate(ctx, d, Phase.VALIDATE_RETRY, Phase.VALIDATE_RETRY)
