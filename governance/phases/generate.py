"""GENERATE and GENERATE_RETRY: asking the model for a candidate and judging its reply.

VALIDATE and VALIDATE_RETRY are in governance.phases.validate; VALIDATE_RETRY asks again
through `generate_in` here. A candidate the op already refused is refused again at once,
before any gate, and the attempts after it are asked otherwise (governance.phases.repeats).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from governance import candidate_edits, retry
from governance.brains import reflex
from governance.brains.block_files import changed_reader
from governance.brains.exploration_prompt import with_exploration_protocol
from governance.brains.model_gate import ModelWaitExpired
from governance.brains.outage import BrainFailsTheWork, BrainsUnreachable
from governance.brains.prompts import failing_test_files, generation_prompt
from governance.brains.provider import (
    CandidateProvider,
    ModelReply,
    Steering,
)
from governance.brains.reply_opening import candidate_shape
from governance.errors import CandidateParseError, ModelCollapsed, ProviderError
from governance.fs.rollback import live_sha256
from governance.gates import ascii_gate, spec_gate
from governance.phase import Phase, Transition
from governance.phases import repeats, samples
from governance.phases.brain_wait import wait_for_brain
from governance.phases.decide import is_trivial
from governance.phases.deps import PhaseDeps
from governance.phases.reground import Watched, reground, reground_outcome
from governance.phases.route_brains import fitted_prompt, for_route, model_grant
from governance.schemas import (
    Candidate,
    GenerationResult,
    ModelUsage,
    OperationContext,
    Source,
    ToolRecord,
)


def _complexity(ctx: OperationContext) -> str:
    """The plan's complexity, else the default approach's: this picks the exploration
    gate's diversity floors only; no complexity skips the 2-call, read-each-target rule."""
    if ctx.plan is not None:
        return ctx.plan.complexity
    return "trivial" if is_trivial(ctx) else "simple"


@dataclass
class Answer:
    """One model answer: its text, the candidate it states (None: no change), tool records."""

    text: str
    candidate: Candidate | None
    records: list[ToolRecord]
    partial: bool = False  # the deadline ended the tool loop: the sandbox's edits so far


async def ask_model(ctx: OperationContext, d: PhaseDeps, phase: Phase,
                    build_prompt: Callable[[], str], deadline: float, *,
                    use_tools: bool, view: CandidateProvider,
                    vary: Steering | None = None,
                    base: candidate_edits.Base | None = None) -> Answer:
    """One model answer from `view` (the route's brains, governance.phases.route_brains) under the
    reflex. The caller already holds its model-gate turn.
    build_prompt() makes the first prompt and is called again on each re-ground (it re-reads
    target files from disk and uses the newest evidence on ctx). Records every reply in the
    ledger. Raises CandidateParseError (unusable reply), ProviderError, and ModelCollapsed
    once the op's re-ground budget is spent (a collapsed text is never returned).
    `vary` steers every turn (a retry after a repeated answer: governance.phases.repeats),
    under what a re-ground asks. A single turn's edits are applied to `base`'s texts (the
    live files by default; governance.candidate_edits), the tool loop's to the sandbox's."""
    band = reflex.Band.of(d.policy)
    steer: Steering | None = vary
    regrounded: ModelCollapsed | None = None  # the collapse a re-ground now answers
    while True:
        before = 0.0 if regrounded is None else regrounded.proximity  # of the turn dropped
        # A fresh tool session each time: re-grounding drops the compacted transcript.
        watched = Watched(view, steer, band, d.reflex_stats)
        collapsed: ModelCollapsed | None = None
        try:
            # off the loop: it reads files and redacts (~1 ms a KB of prompt)
            prompt = await d.in_thread(build_prompt)
            answer = await _ask_once(ctx, d, phase, watched, prompt, deadline,
                                     use_tools and d.tools is not None, band, before, base)
        except ModelCollapsed as exc:
            exc.op_id, exc.phase = ctx.op_id, phase.value
            collapsed = exc
        except Exception as exc:
            if regrounded is None:
                raise
            # a re-grounded turn that failed otherwise still counts; one the step's time
            # ran out in is the collapse it answered: the collapsed reply had taken most of
            # that time (a 120 s reply left 12 s through llama.cpp's server on two cores),
            # and the op ended 'deadline missed' where its attempt is retried as a collapse
            await reground_outcome(ctx, d, phase, before, watched.signals, band)
            if isinstance(exc, ProviderError) and exc.deadline_missed:
                raise regrounded from exc
            raise
        if regrounded is not None:
            await reground_outcome(ctx, d, phase, before, watched.signals, band)
        if collapsed is None:
            return answer
        again = await reground(ctx, d, phase, collapsed, deadline)
        steer, regrounded = (again if vary is None else vary.then(again)), collapsed


async def _ask_once(ctx: OperationContext, d: PhaseDeps, phase: Phase, provider: Watched,
                    prompt: str, deadline: float, use_tools: bool, band: reflex.Band,
                    before: float, base: candidate_edits.Base | None) -> Answer:
    """One answer: a single turn, or through Venom's tool loop (which applies the reflex to
    each of its rounds itself)."""
    if not use_tools:  # L2's turns: the blocks copy the change so far (changed_reader)
        shape = await d.in_thread(candidate_shape, ctx, d.root,
                                  None if base is None else changed_reader(base))
        reply = await provider.generate(prompt, deadline=deadline, shape=shape)
        read = base or candidate_edits.live_base(d.root, d.policy.allow_non_ascii_paths)
        return await _one_turn(ctx, d, phase, reply, band, before, read)
    assert d.tools is not None
    session = d.tools.open(ctx, phase, d)
    try:
        prompt = with_exploration_protocol(prompt, ctx, session.min_calls)
        reply = await session.run(provider, prompt, deadline=deadline)
        try:
            candidate = session.candidate(reply.text)  # the gate judges what it changes
        except CandidateParseError as exc:
            # A stated change the sandbox cannot write: a repeat says so, and it is kept.
            # (One it can write is judged with the tools' edits, as a whole, in ask().)
            if (stated := repeats.stated(reply.text)) is not None:
                await d.in_thread(repeats.check, ctx, stated)
                await d.in_thread(repeats.refuse, ctx, stated, str(exc))
            raise
        ok, feedback, summary = session.exploration(_complexity(ctx))
        await d.thought(ctx, phase, "exploration scored", passed=ok, **summary)
        if not ok:
            raise ExplorationShort(feedback)
        return Answer(reply.text, candidate, reply.tool_records,
                      partial=reply.telemetry.get("partial") is True)
    finally:
        await d.in_thread(session.close)


async def _one_turn(ctx: OperationContext, d: PhaseDeps, phase: Phase, reply: ModelReply,
                    band: reflex.Band, before: float, base: candidate_edits.Base) -> Answer:
    """A single turn's reply, recorded and read by the reflex: its answer (its edits applied
    to `base`'s texts), or ModelCollapsed."""
    await d.record_reply(ctx, phase, reply)
    j = reflex.judge(reply.collapse, band)
    if j.reading is reflex.Reading.COLLAPSE:
        raise ModelCollapsed(f"the model collapsed (proximity {j.proximity:.2f}, exit "
                             f"{j.exit_reason or '-'}); reply discarded",
                             proximity=j.proximity, exit_reason=j.exit_reason,
                             source=reply.collapse.source)
    if j.reading is reflex.Reading.SPOOK:
        await d.thought(ctx, phase, "canary spook", proximity_before=round(before, 4),
                        proximity_after=round(j.proximity, 4), source=reply.collapse.source)
    candidate = await d.in_thread(candidate_edits.stated, reply.text, base)  # reads files
    return Answer(reply.text, candidate, reply.tool_records)


ASCII_STRICT_SUFFIXES = (".py", ".pyi")  # files whose changed lines must be ASCII


class ExplorationShort(CandidateParseError):
    """The model changed code without exploring enough (the exploration-first gate)."""


def _post_generation_gates(ctx: OperationContext, candidate: Candidate, d: PhaseDeps
                           ) -> tuple[Candidate, list[ascii_gate.Repair], list[str]]:
    """The failing tests kept as written, ASCII strictness and plan coverage: (candidate,
    repairs, problems)."""
    spec = failing_test_files(ctx) if ctx.envelope.source == Source.TEST_FAILURE else []
    candidate, problem = spec_gate.check(candidate, spec)
    if problem:
        return candidate, [], [problem]
    candidate, repairs, problems = ascii_gate.check(  # judges only the lines it changes
        candidate, ASCII_STRICT_SUFFIXES,
        base=lambda rel: ascii_gate.live_reader(d.root)(rel),  # read only when non-ASCII
        ascii_literals=d.policy.ascii_literals)
    if candidate.no_op and ctx.envelope.source == Source.TEST_FAILURE:
        # The sensor ran them twice before the op began: "nothing to change" leaves them
        # failing, and COMPLETE would say the work is done (Qwen2.5-Coder-1.5B, first hour).
        # The prompt does not say so: told it, the model answered no_op more (stop 62).
        problems.append("no_op: the failing tests fail now (the test run saw each fail "
                        "twice); no change cannot make them pass: change the library code")
    if ctx.plan is not None and not candidate.no_op:
        declared = {c.file_path for c in ctx.plan.ordered_changes} - set(spec)
        present = {c.file_path for c in candidate.changes()}
        missing = sorted(declared - present)
        if missing:
            problems.append(f"the plan declares changes to {', '.join(missing)} but the "
                            "candidate does not include them")
    return candidate, repairs, problems


async def generate_in(ctx: OperationContext, d: PhaseDeps, phase: Phase,
                    retry_phase: Phase) -> Transition:
    """One generation attempt; an unusable reply spends the generate budget
    (governance.retry) and retries in `retry_phase` while that budget lasts. When no brain
    can be reached the op waits for one and asks again (governance.phases.brain_wait):
    an outage spends no budget and does not end the op."""
    if d.provider is None:
        return Transition(Phase.POSTMORTEM, "no model provider is available", infra=True)
    again = False  # asked again after a wait: the same attempt, not a new one
    while True:
        try:
            return await _attempt(ctx, d, phase, retry_phase, d.provider, again)
        except BrainsUnreachable as exc:
            await d.record_failed_call(ctx, phase, exc)
            try:
                await wait_for_brain(ctx, d, phase, exc)
            except BrainFailsTheWork as failed:  # the work's failure: a lesson, not infra
                return Transition(Phase.POSTMORTEM, f"provider failed this work: {failed}")
            again = True


async def _attempt(ctx: OperationContext, d: PhaseDeps, phase: Phase, retry_phase: Phase,
                   provider: CandidateProvider, again: bool) -> Transition:
    """generate_in's one attempt (`again`: asked again after a wait for a brain);
    BrainsUnreachable is raised to it."""
    view = await _attempt_begins(ctx, d, phase, provider, again)
    cost_before = ctx.cost_usd

    together: list[ModelReply] | None = None  # best-of-N's samples from one batched call

    async def ask(sample: Steering | None) -> tuple[Answer, Candidate, list[ascii_gate.Repair]]:
        if together is None:
            answer = await _answer(ctx, d, phase, view, sample)
        elif together:
            answer = await _sample(ctx, d, phase, together.pop(0))
        else:
            raise CandidateParseError("the deadline cut this sample before it ended")
        if answer.candidate is None:
            raise CandidateParseError("the model made no change and proposed no candidate")
        await d.in_thread(repeats.check, ctx, answer.candidate)  # no gate runs on a repeat
        candidate, repairs, problems = _post_generation_gates(ctx, answer.candidate, d)
        if problems:
            await d.in_thread(repeats.refuse, ctx, answer.candidate, "; ".join(problems))
            raise CandidateParseError("; ".join(problems))
        return answer, candidate, repairs
    try:
        together = await samples.asked_together(ctx, d, phase, view)
        usable = await samples.usable_samples(ctx, d, phase, ask, paid=together is not None)
    except ModelCollapsed as exc:
        return _collapsed(ctx, d, exc, retry_phase, ctx.cost_usd - cost_before)
    except repeats.RepeatedAnswer as exc:
        return repeats.refused_again(ctx, d.policy, exc, retry_phase,
                                     ctx.cost_usd - cost_before)
    except CandidateParseError as exc:
        return _unusable(ctx, d, exc, retry_phase, ctx.cost_usd - cost_before)
    except ModelWaitExpired as exc:
        return Transition(Phase.POSTMORTEM, f"no turn at the model: {exc}", infra=True)
    except BrainsUnreachable:
        raise  # not the work's failure: generate_in waits for a brain
    except ProviderError as exc:
        await d.record_failed_call(ctx, phase, exc)
        return Transition(Phase.POSTMORTEM, f"provider {provider.name} failed: {exc}",
                          infra=True)
    return await _chosen(ctx, d, view.name, usable, ctx.cost_usd - cost_before)


async def _attempt_begins(ctx: OperationContext, d: PhaseDeps, phase: Phase,
                          provider: CandidateProvider, again: bool) -> CandidateProvider:
    """Count the attempt (not one asked again after a wait for a brain: a wait is no
    attempt), hash the targets for the stale guard, load the advisory prompt text, and say
    so in the ledger: the provider as the op's route sees it."""
    ctx.generate_attempts += not again
    # The stale guard's "before": hashed the way APPLY compares, never through a symlink.
    ctx.live_hashes = await d.in_thread(
        lambda: {f: live_sha256(d.root, f) for f in ctx.envelope.target_files})
    if d.memory is not None:  # advisory prompt text: lessons, the strategic digest
        ctx.lessons, ctx.digest = await d.memory.prompt_context(ctx.op_id, ctx.base_head)
    view = for_route(provider, ctx.route, d)
    vary = repeats.variation(ctx)
    await d.thought(ctx, phase, "generating candidate" + (", asked again" if again else ""),
                    provider=view.name, attempt=ctx.generate_attempts, asked_again=again,
                    tools=d.tools is not None,
                    **({"sampling": {"temperature_floor": vary.temperature_floor,
                                     "seed": vary.seed}} if vary is not None else {}))
    return view


def _unusable(ctx: OperationContext, d: PhaseDeps, exc: CandidateParseError,
              retry_phase: Phase, cost: float) -> Transition:
    """An unusable reply spends the generate budget: retry while it lasts."""
    ctx.last_failure = str(exc)
    if retry.spend(ctx, d.policy, retry.Failure.UNUSABLE_REPLY):
        return Transition(retry_phase, str(exc), cost_delta=cost)
    return Transition(Phase.POSTMORTEM, f"no usable candidate after "
                      f"{retry.spent(ctx, retry.Budget.GENERATE)} unusable replies: {exc}",
                      cost_delta=cost)


async def _chosen(ctx: OperationContext, d: PhaseDeps, provider: str, usable: list,
                  cost: float) -> Transition:
    """The smallest usable sample becomes the candidate, the others its alternates
    (governance.phases.samples); one sample is simply the candidate. A sample that says
    no change is needed loses to any that changes something: only a change can be proven."""
    changing = [u for u in usable if not u[1].no_op]
    usable = changing or usable[:1]
    if len(usable) == 1:
        answer, candidate, repairs = usable[0]
        return _accepted(ctx, provider, candidate, repairs, answer, cost)
    sizes = [await d.in_thread(samples.change_size, ctx, d, c) for _, c, _ in usable]
    order = sorted(range(len(usable)), key=lambda i: sizes[i])
    (answer, candidate, repairs), rest = usable[order[0]], [usable[i] for i in order[1:]]
    done = _accepted(ctx, provider, candidate, repairs, answer, cost)
    ctx.alternates = [_generation(provider, c, a, 0.0) for a, c, _ in rest]
    done.payload["samples"] = [{"files": [f.file_path for f in usable[i][1].changes()],
                                "changed_lines": sizes[i],
                                "ascii_repaired_lines": len(usable[i][2])} for i in order]
    return done


def _generation(provider: str, candidate: Candidate, answer: Answer,
                cost: float) -> GenerationResult:
    return GenerationResult(candidate=candidate, rationale=candidate.rationale,
                            tool_records=answer.records,
                            usage=ModelUsage(provider=provider, cost_usd=cost),
                            raw_text=answer.text[:20_000])


async def _answer(ctx: OperationContext, d: PhaseDeps, phase: Phase,
                  view: CandidateProvider, sample: Steering | None = None) -> Answer:
    """The model's answer, asked once this op's turn at the model comes; its deadline
    counts from then, sized to the brain (governance.phases.route_brains); `sample`: how
    a best-of-N sample after the first is asked (governance.phases.samples)."""
    tools = d.tools is not None
    await d.yield_to_host(ctx.op_id, "a model call (GENERATE)")  # before its deadline starts
    async with d.model_gate.turn(ctx.op_id, d.policy.model_wait_timeout_s) as waited:
        if waited >= 0.5:
            await d.thought(ctx, phase, "model turn after queueing", waited_s=round(waited, 2))
        overhead = d.tools.overhead() if d.tools is not None else ""
        prompt, budget = await fitted_prompt(ctx, d, phase, view, overhead, tools)
        first = [prompt]  # built once for the sizing and the ask
        g = await model_grant(ctx, d, phase, view, prompt + overhead, tools=tools)
        deadline = time.monotonic() + g.seconds + d.policy.routes.spec(ctx.route).grace_s
        answer = await ask_model(ctx, d, phase, lambda: first.pop() if first else
                                 generation_prompt(ctx, d.root, budget),  # read afresh
                                 deadline, use_tools=True, view=view,
                                 vary=_varied(repeats.variation(ctx), sample))
    if answer.partial:
        await d.thought(ctx, phase, "deadline reached: judging the partial candidate",
                        deadline_s=round(g.seconds, 1), brain=g.brain)
    return answer


def _varied(vary: Steering | None, sample: Steering | None) -> Steering | None:
    """A retry's variation and a sample's steering at once (their seeds made into one:
    each sample its own, `Steering.then`)."""
    return sample if vary is None else vary.then(sample)


async def _sample(ctx: OperationContext, d: PhaseDeps, phase: Phase,
                  reply: ModelReply) -> Answer:
    """One of the samples decoded together, read as a single turn (its collapse signal in
    the ledger's telemetry, the reflex's counters fed as Watched feeds them)."""
    band = reflex.Band.of(d.policy)
    reading = reflex.judge(reply.collapse, band).reading
    d.reflex_stats.spooks += reading is reflex.Reading.SPOOK
    d.reflex_stats.collapses += reading is reflex.Reading.COLLAPSE
    reply = reply.model_copy(update={"telemetry": {**reply.telemetry,
                                                   "collapse": reply.collapse.model_dump()}})
    return await _one_turn(ctx, d, phase, reply, band, 0.0,
                           candidate_edits.live_base(d.root, d.policy.allow_non_ascii_paths))


def _collapsed(ctx: OperationContext, d: PhaseDeps, exc: ModelCollapsed, retry_phase: Phase,
               cost: float) -> Transition:
    """The op's re-grounds are spent: another attempt while the generate budget lasts.
    Infrastructure, not a lesson: ctx.last_failure keeps the last word about the code, and
    the collapsed text is nowhere in the next prompt."""
    payload = {"failure": retry.Failure.COLLAPSE.value, "proximity": round(exc.proximity, 4),
               "exit_reason": exc.exit_reason, "regrounds": ctx.regrounds}
    if retry.spend(ctx, d.policy, retry.Failure.COLLAPSE):
        return Transition(retry_phase, f"collapse: {exc}", payload, cost_delta=cost)
    return Transition(Phase.POSTMORTEM, f"collapse: the model kept collapsing "
                      f"({retry.spent(ctx, retry.Budget.GENERATE)} failed generations, "
                      f"{ctx.regrounds} re-grounds): {exc}", payload, cost_delta=cost, infra=True)


def _accepted(ctx: OperationContext, provider: str, candidate: Candidate,
              repairs: list[ascii_gate.Repair], answer: Answer, cost: float) -> Transition:
    """Record a usable candidate on the op and move on: COMPLETE for no_op, else VALIDATE."""
    ctx.generation, ctx.alternates = _generation(provider, candidate, answer, cost), []
    if candidate.no_op:
        return Transition(Phase.COMPLETE, f"no change needed: {candidate.rationale[:200]}",
                          {"no_op": True}, cost_delta=cost)
    files = [c.file_path for c in candidate.changes()]
    payload = {"files": files, "rationale": candidate.rationale[:500]}
    if dropped := spec_gate.dropped(answer.candidate, candidate):
        payload["spec_dropped"] = dropped  # the failing tests' files it changed, not kept
    if repairs:  # what the gate changed in the candidate: file, line, before and after
        payload["ascii_repairs"] = ascii_gate.records(repairs)
        payload["ascii_repaired_lines"] = len(repairs)
    if answer.partial:
        payload["partial"] = True  # the deadline ended the tool loop (the gates judge it)
    return Transition(Phase.VALIDATE, f"candidate touches {len(files)} file(s)", payload,
                      cost_delta=cost)


async def generate_phase(ctx: OperationContext, d: PhaseDeps) -> Transition:
    return await generate_in(ctx, d, Phase.GENERATE, Phase.GENERATE_RETRY)


async def generate_retry_phase(ctx: OperationContext, d: PhaseDeps) -> Transition:
    return await generate_in(ctx, d, Phase.GENERATE_RETRY, Phase.GENERATE_RETRY)
