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
from kernel.sampling import choose, one_thread, process
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
    # A reply whose last `loop_lines` lines are one line has looped (0: off). The daemon's
    # brain sets it (defaults.LOOP_LINES); `serve`'s clients asked for what they asked for.
    loop_lines: int = 0


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
    seed: int | None = None  # the sampling RNG's seed (None: torch's global generator)

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


class Track:
    """One sequence's decoding state: its sampling RNG (seeded by `seed`), canary, grammar
    constraint, stops and chosen tokens. `generate` runs one Track; kernel.samples runs N
    side by side through this same code, so a sample is token for token the single decode
    with its seed."""

    def __init__(self, config: GenerationConfig, tokenizer: ChatTokenizer | None,
                 seed: int | None, constraint: Constraint | None = None,
                 on_token: Callable[[int], None] | None = None):
        self.config, self.tokenizer, self.seed = config, tokenizer, seed
        self.constraint, self.on_token = constraint, on_token
        self.generator = torch.Generator().manual_seed(seed) if seed is not None else None
        self.canary = DecodeCanary(config.canary) if config.canary.mode != "off" else None
        self.out: list[int] = []
        self.depths: list[int] = []
        self.logprobs: list[float] = []
        self.pressure = 0.0  # the canary's depth pressure for the step after the last choice
        # Why it ended (see Generation.exit_reason); None while it goes on.
        self.reason: str | None = None if config.max_new_tokens > 0 else "length"

    def choose(self, logits: torch.Tensor) -> int | None:
        """The next token after `logits` [V] (float32, on the CPU); None when the sequence
        ended instead (`reason` says why). The caller feeds the token back to the model
        with `pressure`, unless it ended the sequence: no pass for logits nobody reads."""
        c, constraint = self.config, self.constraint
        self.pressure, boost = self.canary.knobs() if self.canary else (0.0, 0.0)
        scores = process(logits, self.out, repetition_penalty=c.repetition_penalty + boost,
                         no_repeat_ngram=c.no_repeat_ngram)
        if constraint is not None:  # last, so no penalty re-enables a token it forbids
            scores = constraint.mask(scores, logits)
        token = choose(scores, temperature=c.temperature, top_p=c.top_p,
                       generator=self.generator)
        if constraint is not None:
            constraint.advance(token)
        if token in c.stop_ids:
            return self._end("stop")
        self.out.append(token)
        self.logprobs.append(float(torch.log_softmax(logits, -1)[token]))
        if self.on_token:
            self.on_token(token)
        stop = _stop_after(token, logits, self.out, self.canary, c, self.tokenizer)
        if stop:
            return self._end(stop)
        if constraint is not None and constraint.done:
            return self._end("grammar")  # nothing but the end may follow
        if len(self.out) >= c.max_new_tokens:
            return self._end("length")
        return token

    def _end(self, reason: str) -> None:
        self.reason = reason

    def result(self, prompt_tokens: int, seconds: float, prefilled: int = 0,
               prefill_s: float = 0.0) -> Generation:
        text = self.tokenizer.decode(self.out) if self.tokenizer is not None else ""
        if self.reason == "stop_string":
            cut = min(text.find(s) for s in self.config.stop_strings if s in text)
            text = text[:cut]
        return Generation(self.out, text, self.reason or "length", self.depths, self.logprobs,
                          prompt_tokens, seconds, self.canary, prefilled, prefill_s,
                          seed=self.seed)


def generate(stepper: Stepper, tokenizer: ChatTokenizer | None, prompt_ids: Sequence[int],
             config: GenerationConfig, *, cancel: threading.Event | None = None,
             on_token: Callable[[int], None] | None = None,
             constraint: Constraint | None = None,
             on_prefill: PrefillHook | None = None) -> Generation:
    """Decode up to max_new_tokens; a `constraint` (kernel.grammar) masks each token last;
    `on_prefill` hears how far a long prefill has come."""
    track = Track(config, tokenizer, config.seed, constraint, on_token)
    return decode(stepper, track, prompt_ids, cancel=cancel, on_prefill=on_prefill)


@torch.inference_mode()
def decode(stepper: Stepper, track: Track, prompt_ids: Sequence[int], *,
           cancel: threading.Event | None = None,
           on_prefill: PrefillHook | None = None) -> Generation:
    """Prefill `prompt_ids`, then run `track` to its end: its Generation."""
    start = time.perf_counter()
    # Logits come back to the CPU in float32 once per token: sampling, the canary and the
    # caller's int() need them there anyway, and it keeps all of them device-agnostic.
    try:  # a cancel stops a long prefill between chunks, not only between tokens
        logits = stepper.prefill(prompt_ids, cancel=cancel, progress=on_prefill).float().cpu()
    except Cancelled:
        track.reason = "cancelled"
        return track.result(len(prompt_ids), time.perf_counter() - start)
    prefilled = len(prompt_ids) - int(getattr(stepper, "reused", 0) or 0)
    prefill_s = time.perf_counter() - start
    run_track(stepper, track, logits, cancel)
    return track.result(len(prompt_ids), time.perf_counter() - start, prefilled, prefill_s)


def run_track(stepper: Stepper, track: Track, logits: torch.Tensor,
              cancel: threading.Event | None) -> None:
    """The token loop: choose from `logits`, advance the stepper, until the track ends."""
    while track.reason is None:
        if cancel is not None and cancel.is_set():
            track.reason = "cancelled"
            break
        with one_thread():
            token = track.choose(logits)
        if token is None:
            break
        logits, depth = stepper.advance(token, track.pressure)
        logits = logits.float().cpu()
        track.depths.append(depth)


# A reply whose last `loop_lines` complete lines are one line said again (at least
# LOOP_LINE_CHARS of it) has collapsed into a loop, whatever the canary's signals say
# (defaults.LOOP_LINES says why). The reflex then re-grounds with a firmer penalty
# (governance.brains.reflex).
LOOP_LINE_CHARS = 12
LOOP_TAIL_TOKENS = 512  # of the reply, decoded to find its last lines


def _stop_after(token: int, logits: torch.Tensor, out: list[int], canary: DecodeCanary | None,
                config: GenerationConfig, tokenizer: ChatTokenizer | None) -> str | None:
    """Why generation stops after `token`, if it does: a collapse (the canary's, or a line
    looped) or a stop string."""
    if canary is not None:
        canary.observe(token, logits)
        if canary.collapsed:
            return "collapse"
    if config.loop_lines and tokenizer is not None and "\n" in tokenizer.decode([token]) \
            and _looped(out, tokenizer, config.loop_lines):
        return "collapse"
    if config.stop_strings and tokenizer is not None:
        tail = tokenizer.decode(out[-32:])
        if any(s in tail for s in config.stop_strings):
            return "stop_string"
    return None


def _looped(out: list[int], tokenizer: ChatTokenizer, count: int) -> bool:
    """Whether the reply's last `count` complete lines are one line, LOOP_LINE_CHARS long at
    least (blank lines between them do not count)."""
    text = tokenizer.decode(out[-LOOP_TAIL_TOKENS:])
    lines = [line.strip() for line in text.split("\n")[:-1] if line.strip()]
    last = lines[-count:]
    return len(last) == count and len(last[0]) >= LOOP_LINE_CHARS and len(set(last)) == 1


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
