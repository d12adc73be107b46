"""Best-of-N samples: N replies to one prompt, decoded together (issue 32, item 5).

The prompt is prefilled once, through the stepper (so a prefix its cache holds is reused).
Then every sample advances one token per step:

- On the lean native path (a FastLlama with native.c, the embedded model's default) a step
  is one native call over the N samples: each int8 weight row is read once for all of
  them, the prompt's keys and values are shared (never copied), and each sample keeps the
  positions it decodes in tails of its own (kernel.kv_cache.LeanTails).
- On the GPU, GpuStepper.fork(n) does the same (its BatchDecode; full depth).
- Elsewhere (Ouro on the CPU, transformers models, the torch fallback) the samples decode
  one after another through the same stepper; each re-prefill reuses the prompt's cache.

Each sample is a kernel.decode.Track: its own seeded RNG, canary readings, grammar
constraint and stops, the code a single decode runs. On the native and sequential paths a
sample's logits are the bits of its own decode too, so sample i is token for token the
single decode with seed i (tested); on the GPU a batch's products may round differently. A
sample that ends (a stop, its grammar, a collapse) leaves the batch; the others go on.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Protocol

import torch

from kernel.decode import Generation, GenerationConfig, Track, decode, run_track
from kernel.errors import Cancelled
from kernel.fast_plain import FastLlama, FastPlain
from kernel.gpu_stepper import BatchDecode, GpuStepper
from kernel.kv_cache import LeanTails
from kernel.sampling import one_thread
from kernel.steppers import PrefillHook, Stepper
from kernel.tokenizer import ChatTokenizer

if TYPE_CHECKING:  # llguidance is imported where grammars are built, not here
    from kernel.grammar import Constraint

Constraints = Callable[[], "Constraint | None"]  # a fresh constraint for each sample


class Batch(Protocol):
    """N sequences forked from one prefilled prompt, advanced together."""

    def advance(self, rows: Sequence[int], tokens: Sequence[int]) -> torch.Tensor:
        """Feed tokens[i] to sample rows[i] (the samples still going, in order); the next
        logits [len(rows), V]."""
        ...


class LeanBatch:
    """Native batched steps over a FastPlain's prompt (see the module docstring). Their
    thread count is timed like single steps' (kernel.native.Threads), apart from them and
    across batches (FastLlama.batch_threads): a fresh count would start at 2 threads, and
    under load a batch's first 2-thread steps took 20x a quiet one's."""

    def __init__(self, stepper: FastPlain, n: int):
        self.model: FastLlama = stepper.model
        self.cache = stepper.cache  # the prompt: read, never written
        self.tails = LeanTails(n, self.cache)
        self.threads = self.model.batch_threads

    def advance(self, rows: Sequence[int], tokens: Sequence[int]) -> torch.Tensor:
        fixed = self.model.decode_threads
        threads = fixed or self.threads.pick()
        began = time.perf_counter()
        logits = self.model.batch_step(tokens, rows, self.cache, self.tails, threads)
        if not fixed:
            self.threads.record(threads, time.perf_counter() - began)
        return logits


class GpuBatch:
    """GpuStepper.fork(n)'s BatchDecode, which steps all n rows each time: a sample that
    ended is fed its last token again, and its logits are dropped."""

    def __init__(self, batch: BatchDecode, n: int):
        self.batch, self.last = batch, [0] * n

    def advance(self, rows: Sequence[int], tokens: Sequence[int]) -> torch.Tensor:
        for row, token in zip(rows, tokens, strict=True):
            self.last[row] = token
        logits = self.batch.advance(self.last)
        return logits[list(rows)].float().cpu()


def fork(stepper: Stepper, n: int) -> Batch | None:
    """A batch of `n` over the prompt `stepper` has just prefilled, or None where its model
    decodes one sequence at a time (the samples then run one after another)."""
    if isinstance(stepper, FastPlain) and stepper.model.native is not None:
        return LeanBatch(stepper, n)
    if isinstance(stepper, GpuStepper) and stepper.policy is None:  # fast mode
        return GpuBatch(stepper.fork(n), n)
    return None


def sample_seeds(config: GenerationConfig, n: int) -> list[int]:
    """Seed i of n: config.seed + i (sample 0 is then the single decode with config.seed),
    or n fresh random seeds; each sample reports its own, so any one can be replayed."""
    if config.seed is not None:
        return [config.seed + i for i in range(n)]
    return [secrets.randbits(63) for _ in range(n)]


@torch.inference_mode()
def generate_samples(stepper: Stepper, tokenizer: ChatTokenizer | None,
                     prompt_ids: Sequence[int], config: GenerationConfig, seeds: Sequence[int],
                     *, cancel: threading.Event | None = None,
                     constraints: Constraints | None = None,
                     on_prefill: PrefillHook | None = None) -> list[Generation]:
    """One Generation per seed, in order, each the single decode with that seed. Sample 0
    carries the prefill (its tokens and seconds); every sample's `seconds` is the whole
    call's, and its `decoded_tokens` its own count."""
    if not seeds:
        raise ValueError("generate_samples needs at least one seed")
    fresh = constraints or (lambda: None)
    start = time.perf_counter()
    tracks = [Track(config, tokenizer, seed, fresh()) for seed in seeds]
    try:
        logits = stepper.prefill(prompt_ids, cancel=cancel, progress=on_prefill).float().cpu()
    except Cancelled:
        return _finish(tracks, prompt_ids, start, 0, 0.0, "cancelled")
    prefilled = len(prompt_ids) - int(getattr(stepper, "reused", 0) or 0)
    prefill_s = time.perf_counter() - start
    batch = fork(stepper, len(seeds)) if len(seeds) > 1 else None
    if batch is None:
        return _one_by_one(stepper, prompt_ids, tracks, logits, cancel, start, prefilled,
                           prefill_s)
    _lockstep(batch, tracks, logits, stepper.total_steps, cancel)
    return _finish(tracks, prompt_ids, start, prefilled, prefill_s)


def _lockstep(batch: Batch, tracks: list[Track], logits: torch.Tensor, depth: int,
              cancel: threading.Event | None) -> None:
    """Every sample chooses from its logits; those still going advance together. The
    samples choose on up to torch's thread count of threads, one torch thread each: a
    sample's choice (softmax, top-p, multinomial, penalties, canary, grammar) is ~15 passes
    over the vocabulary, about as long as the model's share of its step."""
    rows = list(range(len(tracks)))
    out = logits.expand(len(tracks), -1)  # the prompt's logits start every sample

    def choose(i: int, row: torch.Tensor) -> int | None:
        with torch.inference_mode():  # per thread: the pool's threads set it themselves
            # A row of its own, as a single step returns it: sampling sees the same tensor.
            return tracks[i].choose(row.clone())

    workers = max(1, min(len(tracks), torch.get_num_threads()))
    with ThreadPoolExecutor(workers, thread_name_prefix="sample") as pool:
        while rows:
            if cancel is not None and cancel.is_set():
                for i in rows:
                    tracks[i].reason = "cancelled"
                return
            with one_thread():
                chosen = list(zip(rows, pool.map(choose, rows, out.float().cpu().unbind(0)),
                                  strict=True))
            going = [(i, token) for i, token in chosen if token is not None]
            if not going:
                return
            rows = [i for i, _ in going]
            out = batch.advance(rows, [token for _, token in going])
            for i in rows:
                tracks[i].depths.append(depth)


def _one_by_one(stepper: Stepper, prompt_ids: Sequence[int], tracks: list[Track],
                logits: torch.Tensor, cancel: threading.Event | None, start: float,
                prefilled: int, prefill_s: float) -> list[Generation]:
    """Samples through a stepper that decodes one sequence: sample 0 from the prefill just
    made, each later one decoded again from the prompt (whose cache the stepper reuses)."""
    run_track(stepper, tracks[0], logits, cancel)
    gens = [tracks[0].result(len(prompt_ids), 0.0, prefilled, prefill_s)]
    gens += [decode(stepper, track, prompt_ids, cancel=cancel) for track in tracks[1:]]
    seconds = time.perf_counter() - start
    for k, gen in enumerate(gens):
        gen.seconds, gen.decoded_tokens = seconds, len(gen.token_ids)
        if k:  # the prompt was computed once, for sample 0
            gen.prefill_tokens, gen.prefill_seconds = 0, 0.0
    return gens


def _finish(tracks: list[Track], prompt_ids: Sequence[int], start: float, prefilled: int,
            prefill_s: float, reason: str | None = None) -> list[Generation]:
    seconds = time.perf_counter() - start
    gens = []
    for k, track in enumerate(tracks):
        if reason is not None:
            track.reason = reason
        gen = track.result(len(prompt_ids), seconds, *((prefilled, prefill_s) if k == 0 else ()))
        gen.decoded_tokens = len(gen.token_ids)
        gens.append(gen)
    return gens
