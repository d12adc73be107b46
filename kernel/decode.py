"""The decode loop: one token at a time through a Stepper, with logits processing, stop
conditions, the DecodeCanary and cooperative cancellation between prefill chunks and
between tokens.

`generate` is synchronous (it is model compute); `stream` runs it on a worker thread and
yields text pieces as an async iterator, cancelling the thread when the consumer stops.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import threading
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import torch

from kernel import defaults
from kernel.canary import CanaryConfig, DecodeCanary
from kernel.errors import Cancelled
from kernel.sampling import choose, process
from kernel.steppers import PrefillHook, Stepper
from kernel.tokenizer import ChatTokenizer

if TYPE_CHECKING:
    from kernel.grammar import Constraint


@dataclass(frozen=True)
class GenerationConfig:
    max_new_tokens: int = defaults.MAX_NEW_TOKENS
    temperature: float = defaults.TEMPERATURE  # 0 = greedy
    top_p: float = defaults.TOP_P
    seed: int | None = None
    repetition_penalty: float = defaults.REPETITION_PENALTY
    no_repeat_ngram: int = defaults.NO_REPEAT_NGRAM
    stop_ids: tuple[int, ...] = (2, 0)  # <|im_end|>, <|endoftext|>
    stop_strings: tuple[str, ...] = ()
    canary: CanaryConfig = field(default_factory=CanaryConfig)


@dataclass
class Generation:
    token_ids: list[int]
    text: str
    exit_reason: str  # stop | stop_string | length | collapse | cancelled | grammar (complete)
    depths: list[int]
    logprobs: list[float]  # of each chosen token under the model's raw distribution
    prompt_tokens: int
    seconds: float
    canary: DecodeCanary | None
    # What the prefill computed (the prompt less the prefix the stepper kept) and how long
    # it took: the brain's measured prompt throughput (governance.routes.throughput).
    prefill_tokens: int = 0
    prefill_seconds: float = 0.0
    decoded_tokens: int | None = None  # every token decoded in `seconds` (None: token_ids)

    @property
    def mean_depth(self) -> float:
        return sum(self.depths) / len(self.depths) if self.depths else 0.0

    @property
    def confidence(self) -> float:
        """Geometric-mean probability of the chosen tokens (1.0 for an empty answer)."""
        return math.exp(sum(self.logprobs) / len(self.logprobs)) if self.logprobs else 1.0

    @property
    def tokens_per_s(self) -> float:
        decoded = len(self.token_ids) if self.decoded_tokens is None else self.decoded_tokens
        return decoded / self.seconds if self.seconds > 0 else 0.0


@torch.inference_mode()
def generate(stepper: Stepper, tokenizer: ChatTokenizer | None, prompt_ids: Sequence[int],
             config: GenerationConfig, *, cancel: threading.Event | None = None,
             on_token: Callable[[int], None] | None = None,
             constraint: Constraint | None = None,
             on_prefill: PrefillHook | None = None) -> Generation:
    """Decode up to max_new_tokens; a `constraint` (kernel.grammar) masks each token last;
    `on_prefill` hears how far a long prefill has come."""
    start = time.perf_counter()
    generator = torch.Generator().manual_seed(config.seed) if config.seed is not None else None
    canary = DecodeCanary(config.canary) if config.canary.mode != "off" else None
    out: list[int] = []
    depths: list[int] = []
    logprobs: list[float] = []
    reason = "length"
    # Logits come back to the CPU in float32 once per token: sampling, the canary and the
    # caller's int() need them there anyway, and it keeps all of them device-agnostic.
    try:  # a cancel stops a long prefill between chunks, not only between tokens
        logits = stepper.prefill(prompt_ids, cancel=cancel, progress=on_prefill).float().cpu()
    except Cancelled:
        return Generation([], "", "cancelled", [], [], len(prompt_ids),
                          time.perf_counter() - start, canary)
    prefilled = len(prompt_ids) - int(getattr(stepper, "reused", 0) or 0)
    prefill_s = time.perf_counter() - start
    for _ in range(config.max_new_tokens):
        if cancel is not None and cancel.is_set():
            reason = "cancelled"
            break
        pressure, boost = canary.knobs() if canary else (0.0, 0.0)
        scores = process(logits, out, repetition_penalty=config.repetition_penalty + boost,
                         no_repeat_ngram=config.no_repeat_ngram)
        if constraint is not None:  # last, so no penalty re-enables a token it forbids
            scores = constraint.mask(scores, logits)
        token = choose(scores, temperature=config.temperature, top_p=config.top_p,
                       generator=generator)
        if constraint is not None:
            constraint.advance(token)
        if token in config.stop_ids:
            reason = "stop"
            break
        out.append(token)
        logprobs.append(float(torch.log_softmax(logits, -1)[token]))
        if on_token:
            on_token(token)
        stop = _stop_after(token, logits, out, canary, config, tokenizer)
        if stop:
            reason = stop
            break
        if constraint is not None and constraint.done:
            reason = "grammar"  # nothing but the end may follow
            break
        if len(out) >= config.max_new_tokens:
            break  # no forward pass for logits nobody will read
        logits, depth = stepper.advance(token, pressure)
        logits = logits.float().cpu()
        depths.append(depth)
    text = tokenizer.decode(out) if tokenizer is not None else ""
    if reason == "stop_string":
        cut = min(text.find(s) for s in config.stop_strings if s in text)
        text = text[:cut]
    return Generation(out, text, reason, depths, logprobs, len(prompt_ids),
                      time.perf_counter() - start, canary, prefilled, prefill_s)


def _stop_after(token: int, logits: torch.Tensor, out: list[int], canary: DecodeCanary | None,
                config: GenerationConfig, tokenizer: ChatTokenizer | None) -> str | None:
    """Why generation stops after `token`, if it does: a collapse or a stop string."""
    if canary is not None:
        canary.observe(token, logits)
        if canary.collapsed:
            return "collapse"
    if config.stop_strings and tokenizer is not None:
        tail = tokenizer.decode(out[-32:])
        if any(s in tail for s in config.stop_strings):
            return "stop_string"
    return None


async def stream(stepper: Stepper, tokenizer: ChatTokenizer, prompt_ids: Sequence[int],
                 config: GenerationConfig) -> AsyncIterator[str]:
    """Yield decoded text pieces as they are generated; stopping early cancels the thread."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[int | None] = asyncio.Queue()
    cancel = threading.Event()

    def run() -> Generation:
        try:
            return generate(stepper, tokenizer, prompt_ids, config, cancel=cancel,
                            on_token=lambda t: loop.call_soon_threadsafe(queue.put_nowait, t))
        finally:
            loop.call_soon_threadsafe(queue.put_nowait, None)

    worker = asyncio.ensure_future(asyncio.to_thread(run))
    ids: list[int] = []
    emitted = ""
    try:
        while (token := await queue.get()) is not None:
            ids.append(token)
            text = tokenizer.decode(ids)
            if len(text) > len(emitted) and not text.endswith("\ufffd"):
                yield text[len(emitted):]
                emitted = text
        await worker
    finally:
        cancel.set()
        with contextlib.suppress(Exception):
            await asyncio.shield(worker)
