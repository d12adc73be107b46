"""The brains an op's route asks, and the time each model step is given (seed §42).

The route's brain list (RouteSpec.brains, resolved by the daemon at start) picks a view of
the provider chain; governance.routes.deadlines sizes the step to the brain that will be asked
first, by its measured speed (governance.routes.throughput) and the prompt it is about to get,
keeping the next brain's reserve. The prompt is fitted to the brains' context window
(fitted_prompt). Every step's grant is a ledger thought ("model deadline")
that names the brain, its speed, the prompt's size and the rule that bound the deadline.

PLAN is advice, and a small model's plan is noise that costs a prompt: a brain that had
`plan_trials` tries and produced no usable plan is not asked again (PlanRecord, counted
from the PLAN transitions the ledger holds).
"""

from __future__ import annotations

import functools

from governance.brains import window as fit
from governance.brains.files_shown import read_for_prompt
from governance.brains.prompts import generation_prompt
from governance.brains.provider import CandidateProvider
from governance.brains.provider_chain import ProviderChain, RoutedChain
from governance.phase import Phase
from governance.phases.deps import PhaseDeps
from governance.routes.deadlines import CHARS_PER_TOKEN, Grant, grant, need_s
from governance.schemas import OperationContext


def for_route(provider: CandidateProvider, route_name: str | None,
              d: PhaseDeps) -> CandidateProvider:
    """The provider as the op's route sees it: its brains, in its order."""
    if isinstance(provider, ProviderChain):
        return provider.routed(d.policy.routes.spec(route_name).brains)
    return provider


def ready_brains(view: CandidateProvider) -> list[str]:
    """The brains the view will ask, in order (those in backoff left out)."""
    return view.ready() if isinstance(view, RoutedChain) else [view.name]


def count_tokens(view: CandidateProvider, text: str) -> int:
    """`text`'s size in the tokens of the brain asked first when it can count them, else
    estimated."""
    first = view
    if isinstance(view, RoutedChain) and (ready := view.chain.asked(view.indices)):
        first = view.chain.providers[ready[0]]
    counter = getattr(first, "count_tokens", None)
    if callable(counter):
        try:
            return int(counter(text))
        except Exception:  # a tokenizer's trouble costs the estimate its precision only
            pass
    return len(text) // CHARS_PER_TOKEN


def context_window(view: CandidateProvider) -> int | None:
    """The smallest context window, in tokens, among the brains the view will ask that
    declare one (`context_tokens`: the in-process kernel, an ollama brain, an HTTP brain whose
    entry sets it), or None: a prompt fitted to it fits whichever of them answers."""
    brains = [view]
    if isinstance(view, RoutedChain):
        ready = view.chain.asked(view.indices) or list(view.indices)
        brains = [view.chain.providers[i] for i in ready]
    windows = [w for b in brains
               if isinstance(w := getattr(b, "context_tokens", None), int) and w > 0]
    return min(windows, default=None)


async def model_grant(ctx: OperationContext, d: PhaseDeps, phase: Phase,
                      view: CandidateProvider, prompt: str, *, tools: bool) -> Grant:
    """The time this model step is given, recorded as a thought."""
    spec = d.policy.routes.spec(ctx.route)
    brains = ready_brains(view) or [view.name]
    tokens = count_tokens(view, prompt)
    shape = d.policy.work
    later = (need_s(d.speeds.get(brains[1]), tokens, shape, tools=tools)
             if len(brains) > 1 else None)
    g = grant(d.policy.routes, spec, brains[0], d.speeds.get(brains[0]), tokens, shape,
              tools=tools, next_need_s=later, ceiling_s=d.policy.op_ceiling_s)
    await d.thought(ctx, phase, "model deadline", brains=brains, tools=tools,
                    **g.payload(spec))
    return g


REFITS = 3  # times a fitted prompt is cut again when its brain counts it over the room


async def fitted_prompt(ctx: OperationContext, d: PhaseDeps, phase: Phase, view: CandidateProvider,
                  overhead: str, tools: bool) -> tuple[str, int | None]:
    """The generation prompt fitted to the brains' context window (governance.brains.window)
    with its character budget; unfitted (None) where no brain declares a window. Counted
    with the brain's tokenizer once built, and cut again (REFITS times at most) while the
    text is denser than estimated."""
    window = context_window(view)
    if window is None:  # off the loop: it reads, scans and redacts the files
        return await d.in_thread(generation_prompt, ctx, d.root), None
    room = fit.prompt_tokens(window, d.policy.work.reply_tokens, tools=tools)
    budget = room * fit.FIT_CHARS_PER_TOKEN - len(overhead)
    read = functools.cache(read_for_prompt)  # a refit cuts again what was read once
    prompt = await d.in_thread(generation_prompt, ctx, d.root, budget, read)
    used = await d.in_thread(count_tokens, view, prompt + overhead)
    for _ in range(REFITS):  # denser than estimated (C runs 2.4 characters a token)
        if used <= room:
            break
        budget = int((budget + len(overhead)) * room / used * 0.95) - len(overhead)
        prompt = await d.in_thread(generation_prompt, ctx, d.root, budget, read)
        used = await d.in_thread(count_tokens, view, prompt + overhead)
    await d.thought(ctx, phase, "prompt fitted to the context window", window=window,
                    room_tokens=room, prompt_tokens=used, budget_chars=budget)
    return prompt, budget
