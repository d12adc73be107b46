"""GENERATE, GENERATE_RETRY, VALIDATE and VALIDATE_RETRY: getting a candidate that works.

Validation happens in a sandbox copy of the repository; the live tree is not touched.
"""

from __future__ import annotations

import ast
import time

from governance.deps import PhaseDeps, Transition, file_sha256
from governance.errors import CandidateParseError, ProviderError
from governance.phase import Phase
from governance.prompts import generation_prompt
from governance.protected import PathEscape, normalize, protected_reason
from governance.routing import ROUTES, Route
from governance.sandbox import Sandbox
from governance.schemas import Candidate, GenerationResult, OperationContext, parse_candidate
from governance.testrun import scope_tests, text_reader


async def _generate(ctx: OperationContext, d: PhaseDeps, phase: Phase,
                    retry_phase: Phase, budget_left: bool) -> Transition:
    """One generation attempt; parse failures retry while budget is left."""
    if d.provider is None:
        return Transition(Phase.POSTMORTEM, "no model provider is available")
    ctx.generate_attempts += 1
    ctx.live_hashes = {f: file_sha256(d.root / f) for f in ctx.envelope.target_files}
    timeout = ROUTES[Route(ctx.route)].generate_timeout_s if ctx.route else 120.0
    await d.thought(ctx, phase, "generating candidate", provider=d.provider.name,
                    attempt=ctx.generate_attempts, tools=d.tool_loop is not None)
    try:
        reply = await d.provider.generate(generation_prompt(ctx, d.root),
                                          deadline=time.monotonic() + timeout,
                                          tool_loop=d.tool_loop)
    except ProviderError as exc:
        await d.record_failed_call(ctx, phase, exc)
        return Transition(Phase.POSTMORTEM, f"provider {d.provider.name} failed: {exc}")
    await d.record_reply(ctx, phase, reply)
    cost = reply.usage.cost_usd
    try:
        candidate = parse_candidate(reply.text)
    except CandidateParseError as exc:
        ctx.last_failure = str(exc)
        if budget_left:
            return Transition(retry_phase, str(exc), cost_delta=cost)
        return Transition(Phase.POSTMORTEM, f"no usable candidate: {exc}", cost_delta=cost)
    ctx.generation = GenerationResult(candidate=candidate, rationale=candidate.rationale,
                                      tool_records=reply.tool_records, usage=reply.usage,
                                      raw_text=reply.text[:20_000])
    files = [c.file_path for c in candidate.changes()]
    if candidate.no_op:
        return Transition(Phase.COMPLETE, f"no change needed: {candidate.rationale[:200]}",
                          {"no_op": True}, cost_delta=cost)
    return Transition(Phase.VALIDATE, f"candidate touches {len(files)} file(s)",
                      {"files": files, "rationale": candidate.rationale[:500]}, cost_delta=cost)


async def generate_phase(ctx: OperationContext, d: PhaseDeps) -> Transition:
    return await _generate(ctx, d, Phase.GENERATE, Phase.GENERATE_RETRY,
                           d.policy.max_generate_retries > 0)


async def generate_retry_phase(ctx: OperationContext, d: PhaseDeps) -> Transition:
    left = ctx.generate_attempts <= d.policy.max_generate_retries
    return await _generate(ctx, d, Phase.GENERATE_RETRY, Phase.GENERATE_RETRY, left)


def static_problems(candidate: Candidate, d: PhaseDeps) -> list[str]:
    """Checks that need no execution: paths, protection, size, Python syntax."""
    problems = []
    for change in candidate.changes():
        try:
            rel = normalize(change.file_path)
        except PathEscape as exc:
            problems.append(str(exc))
            continue
        why = protected_reason(rel, d.state_rel, d.policy.protected_globs)
        if why:
            problems.append(f"{rel} is protected ({why}); do not touch it")
        content = change.full_content or ""
        if len(content.encode("utf-8", "surrogatepass")) > d.policy.max_candidate_bytes:
            problems.append(f"{rel} is larger than {d.policy.max_candidate_bytes} bytes")
        if change.action == "write" and rel.endswith(".py"):
            try:
                ast.parse(content, filename=rel)
            except SyntaxError as exc:
                problems.append(f"SyntaxError in {rel} line {exc.lineno}: {exc.msg}")
    return problems


async def validate_phase(ctx: OperationContext, d: PhaseDeps) -> Transition:
    assert ctx.generation is not None
    candidate = ctx.generation.candidate
    problems = static_problems(candidate, d)
    if problems:
        return _validation_failed(ctx, d, "; ".join(problems), {"problems": problems})
    files = await d.in_thread(d.git.listed_files)
    dest = d.state_dir / "sandboxes" / ctx.op_id
    sandbox = await d.in_thread(Sandbox.create, d.root, files, dest, d.state_rel)
    try:
        sandbox.apply(candidate.changes())
        changed = [c.file_path for c in candidate.changes()]
        tests = scope_tests(changed, sorted(set(files) | set(changed)),
                            text_reader(sandbox.root))
        outcome = await d.validate_runner.run(sandbox.root, tests)
    finally:
        await d.in_thread(sandbox.destroy)
    payload = {"tests": tests or ["<full suite>"], "summary": outcome.summary,
               "failed": outcome.failed, "exit_code": outcome.exit_code,
               "duration_s": round(outcome.duration_s, 2)}
    if not outcome.passed:
        detail = outcome.describe() + "\n" + outcome.output_tail[-2000:]
        return _validation_failed(ctx, d, detail, payload)
    return Transition(Phase.GATE, f"sandbox tests passed ({outcome.summary or 'no tests'})",
                      payload)


def _validation_failed(ctx: OperationContext, d: PhaseDeps, detail: str,
                       payload: dict) -> Transition:
    ctx.last_failure = detail
    headline = detail.splitlines()[0][:300]
    if ctx.validate_retries < d.policy.max_validate_retries:
        return Transition(Phase.VALIDATE_RETRY, f"validation failed: {headline}", payload)
    return Transition(Phase.POSTMORTEM, f"validation failed after {ctx.validate_retries} "
                      f"retries: {headline}", payload)


async def validate_retry_phase(ctx: OperationContext, d: PhaseDeps) -> Transition:
    ctx.validate_retries += 1
    return await _generate(ctx, d, Phase.VALIDATE_RETRY, Phase.VALIDATE_RETRY,
                        ctx.validate_retries < d.policy.max_validate_retries)
