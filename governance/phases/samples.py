"""Best of N (issue 32, item 5): one generation attempt's samples, judged in turn.

GENERATE asks the route's brain for `generate.samples` answers (governance.phases.generate):
in one call where no tools run and the brain decodes samples together (the in-process
kernel's batch, governance.brains.provider.batches), as calls at once where it answers
them so (a hosted HTTP brain, asks_in_parallel: the first alone, which prices a sample,
then as many more as the op's cost ceiling leaves room for), else one after another;
the usable ones are ordered smallest change first (ties: the order they came in), the first
becomes the op's candidate and the rest wait on the op (`OperationContext.alternates`).
VALIDATE then judges each in that order with the oracle and the proof (GATE's own
`evidence_for`), and the first proven goes on to GATE. With none proven, the first that
passed the oracle goes on (GATE sends it to review with its reasons); with none passing,
the first one's failure is the attempt's, and the validate budget is spent once, as for a
single candidate. Every sample's verdict is a ledger thought; the candidates themselves are
in GENERATE's payload (their files and sizes) and, judged, in VALIDATE's thoughts.
"""

from __future__ import annotations

import asyncio
import dataclasses
import difflib
import time
from collections.abc import Awaitable, Callable

from governance.brains.provider import (
    CandidateProvider,
    ModelReply,
    Steering,
    asks_in_parallel,
    batches,
    shaped,
)
from governance.brains.reply_opening import candidate_shape
from governance.errors import CandidateParseError, ModelCollapsed, ProviderError
from governance.oracle.oracle_run import OracleMemo, Validation
from governance.oracle.testrun import TestRunner
from governance.phase import Phase
from governance.phases import repeats
from governance.phases.deps import PhaseDeps
from governance.phases.route_brains import fitted_prompt, model_grant
from governance.proof.claim import base_text, evidence_for
from governance.schemas import Candidate, GenerationResult, OperationContext

_KEPT = ("scope", "baseline", "verdict", "failed", "sessions")  # what VALIDATE leaves GATE
Validate = Callable[[OperationContext, PhaseDeps, Candidate, TestRunner], Awaitable[Validation]]


def change_size(ctx: OperationContext, d: PhaseDeps, candidate: Candidate) -> int:
    """Lines the candidate adds, removes or replaces against the op's base (blocking)."""
    size = 0
    for c in candidate.changes():
        old = (base_text(ctx, d, c.file_path) or "").splitlines()
        new = [] if c.action == "delete" else (c.full_content or "").splitlines()
        size += sum(max(i2 - i1, j2 - j1) for tag, i1, i2, j1, j2 in
                    difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes()
                    if tag != "equal")
    return size


@dataclasses.dataclass
class _Judged:
    generation: GenerationResult
    result: Validation
    memo: dict  # the oracle's hand-over to GATE for this sample


async def judge_samples(ctx: OperationContext, d: PhaseDeps, runner: TestRunner,
                        validate: Validate) -> Validation:
    """VALIDATE over the op's candidate and its alternates (the module docstring); leaves
    `ctx.generation` and the oracle's hand-over at the sample that goes on."""
    samples = [ctx.generation, *ctx.alternates]
    ctx.alternates = []
    passed: _Judged | None = None
    failed: _Judged | None = None
    for k, generation in enumerate(samples, 1):
        assert generation is not None
        ctx.generation, d.oracle.verdict = generation, None
        result = await validate(ctx, d, generation.candidate, runner)
        judged = _Judged(generation, result, _memo(d.oracle))
        if not result.passed:
            failed = failed or judged
            await _note(ctx, d, k, len(samples), generation, "refused by the oracle",
                        result.detail)
            continue
        evidence = await d.in_thread(evidence_for, ctx, d, generation.candidate.changes())
        await _note(ctx, d, k, len(samples), generation,
                    "proven" if evidence.proven else "passed, unproven", evidence.summary)
        if evidence.proven:
            return result
        passed = passed or judged
    chosen = passed or failed
    assert chosen is not None
    ctx.generation = chosen.generation
    for name, value in chosen.memo.items():
        setattr(d.oracle, name, value)
    return chosen.result


def _memo(memo: OracleMemo) -> dict:
    return {name: getattr(memo, name) for name in _KEPT}


async def _note(ctx: OperationContext, d: PhaseDeps, k: int, n: int,
                generation: GenerationResult, verdict: str, why: str) -> None:
    files = [c.file_path for c in generation.candidate.changes()]
    await d.thought(ctx, Phase.VALIDATE, f"sample {k} of {n}: {verdict}", files=files,
                    why=why[:400])


Ask = Callable[[Steering | None], Awaitable[tuple[object, Candidate, list]]]


def sample_steering(ctx: OperationContext, k: int) -> Steering | None:
    """How best-of-N's sample `k` is asked: the first as configured, each later one as a
    sample (a greedy brain at its sampling temperature) with a seed of its own, the same
    on a replay (a greedy local server decoded one 812-token reply four times, issue 50)."""
    if k < 2:
        return None
    return Steering(sample=True, seed=repeats.seed_for(f"{ctx.op_id}#{k}", ctx.generate_attempts))


BATCH_SPEEDUP = 2.0  # below the 2.5x measured: a loaded box's batch is slower


def batch_share(n: int) -> float:
    """How many single replies' time `n` samples decoded together are given: the kernel's
    batch of 4 decodes 2.5x or more the tokens a second of 4 decodes one after another
    (bench/kernel_samples.py: 2.97x), so n / BATCH_SPEEDUP, never below one reply's."""
    return max(1.0, n / BATCH_SPEEDUP)


def affordable(wanted: int, price: float, spent: float, ceiling: float) -> int:
    """How many of `wanted` more samples at `price` each fit under the op's cost `ceiling`
    once `spent` and one sample at that price are paid (a free brain: all of them)."""
    if price <= 0:
        return wanted
    return max(0, min(wanted, int((ceiling - spent - price) // price)))


async def usable_samples(ctx: OperationContext, d: PhaseDeps, phase: Phase,
                         ask: Ask, *, paid: bool = False
                         ) -> list[tuple[object, Candidate, list]]:
    """`d.policy.samples` answers from `ask` (one model answer through its gates: answer,
    candidate, repairs), the unusable ones noted and dropped, a repeat of an earlier
    candidate dropped too (a greedy brain says the same thing each time); asked one after
    another while the op's cost ceiling allows (`paid`: all asked together, all charged).
    With one sample, or none usable, the first failure is raised as GENERATE raises it for
    a single candidate; a later sample whose call fails ends the sampling with those before
    it."""
    n = max(1, d.policy.samples)
    out: list[tuple[object, Candidate, list]] = []
    first_error: Exception | None = None
    for k in range(1, n + 1):
        if k > 1 and not paid and ctx.cost_usd >= d.policy.per_op_usd:
            await d.thought(ctx, phase, f"best of {n}: the op's cost ceiling stops sampling "
                            f"at {k - 1}", cost_usd=round(ctx.cost_usd, 4))
            break
        try:
            got = await ask(sample_steering(ctx, k))
        except (CandidateParseError, ModelCollapsed) as exc:
            if n == 1:
                raise
            first_error = first_error or exc
            await d.thought(ctx, phase, f"sample {k} of {n} unusable: {exc}"[:400])
            continue
        except ProviderError as exc:  # the call failed: a deadline, an outage
            if k == 1 or not out:
                raise
            # the samples answered before it are judged, never thrown away with the op
            # (through llama.cpp's server on two cores a sample can run past its deadline)
            await d.thought(ctx, phase, f"sample {k} of {n}: the call failed, no more "
                            f"samples: {exc}"[:400])
            break
        if any(same.changes() == got[1].changes() for _, same, _ in out):
            await d.thought(ctx, phase, f"sample {k} of {n} repeats an earlier one")
            continue
        out.append(got)
    if not out:
        assert first_error is not None
        raise first_error
    return out


async def asked_together(ctx: OperationContext, d: PhaseDeps, phase: Phase,
                         view: CandidateProvider) -> list[ModelReply] | None:
    """Best-of-N's samples asked at once where no tools run: from one call where the brain
    asked first decodes them together (the in-process kernel: one prefill, one batched
    decode; its time the single reply's grant times batch_share(n)), or as calls side
    by side where it answers them so (a hosted HTTP brain: _in_parallel). None where they are
    asked one by one."""
    n = d.policy.samples
    parallel = asks_in_parallel(view)
    if n < 2 or d.tools is not None or not (batches(view) or parallel):
        return None
    await d.yield_to_host(ctx.op_id, "a model call (GENERATE)")
    async with d.model_gate.turn(ctx.op_id, d.policy.model_wait_timeout_s):
        prompt, _ = await fitted_prompt(ctx, d, phase, view, "", tools=False)
        g = await model_grant(ctx, d, phase, view, prompt, tools=False)
        seconds = g.seconds * (1.0 if parallel else batch_share(n))
        deadline = time.monotonic() + seconds + d.policy.routes.spec(ctx.route).grace_s
        if parallel:
            replies = await _in_parallel(ctx, d, phase, view, prompt, deadline)
        else:
            shape = await d.in_thread(candidate_shape, ctx, d.root)
            replies = await view.generate_samples(  # type: ignore[attr-defined]
                prompt, n, deadline=deadline, **shaped(view, shape))
    await d.thought(ctx, phase, f"best of {n}: {len(replies)} samples "
                    + ("asked at once" if parallel else "decoded together"),
                    deadline_s=round(seconds, 1), brain=g.brain)
    return list(replies)


async def _in_parallel(ctx: OperationContext, d: PhaseDeps, phase: Phase,
                       view: CandidateProvider, prompt: str, deadline: float
                       ) -> list[ModelReply]:
    """The first sample alone, which prices one; then as many more at once as the op's cost
    ceiling leaves room for at that price (affordable). A sample whose call fails is
    dropped (noted); the first one's failure is the attempt's, as for a single reply."""
    n = d.policy.samples
    shape = shaped(view, await d.in_thread(candidate_shape, ctx, d.root))
    first = await view.generate(prompt, deadline=deadline, **shape)
    more = affordable(n - 1, first.usage.cost_usd, ctx.cost_usd, d.policy.per_op_usd)
    if more < n - 1:
        await d.thought(ctx, phase, f"best of {n}: the op's cost ceiling allows {more + 1}",
                        cost_usd=round(ctx.cost_usd + first.usage.cost_usd, 4))
    rest = await asyncio.gather(*(view.generate(prompt, deadline=deadline,
                                                steer=sample_steering(ctx, k), **shape)
                                  for k in range(2, more + 2)), return_exceptions=True)
    for k, failed in enumerate(rest, 2):
        if isinstance(failed, ProviderError):
            await d.thought(ctx, phase, f"sample {k} of {n}: the call failed: {failed}"[:400])
        elif isinstance(failed, BaseException):
            raise failed
    return [first, *(r for r in rest if isinstance(r, ModelReply))]
