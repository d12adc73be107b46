"""Logits processing and token choice: repetition penalty, no-repeat n-grams, greedy or
temperature/top-p sampling. Operates on one position's float32 logits [V]."""

from __future__ import annotations

import contextlib
import functools
import math
from collections.abc import Iterator, Sequence

import torch


def apply_repetition_penalty(logits: torch.Tensor, history: Sequence[int],
                             penalty: float) -> torch.Tensor:
    """CTRL-style: seen tokens' positive logits are divided by `penalty`, negative multiplied."""
    if penalty == 1.0 or not history:
        return logits
    idx = torch.tensor(sorted(set(history)), dtype=torch.long)
    seen = logits[idx]
    logits = logits.clone()
    logits[idx] = torch.where(seen > 0, seen / penalty, seen * penalty)
    return logits


def banned_ngram_tokens(history: Sequence[int], n: int) -> set[int]:
    """Tokens that would complete an n-gram already present in `history`."""
    if n <= 0 or len(history) < n:
        return set()
    prefix = tuple(history[len(history) - n + 1 :]) if n > 1 else ()
    banned = set()
    for i in range(len(history) - n + 1):
        if tuple(history[i : i + n - 1]) == prefix:
            banned.add(history[i + n - 1])
    return banned


def process(logits: torch.Tensor, history: Sequence[int], *, repetition_penalty: float,
            no_repeat_ngram: int) -> torch.Tensor:
    logits = apply_repetition_penalty(logits.float(), history, repetition_penalty)
    banned = banned_ngram_tokens(history, no_repeat_ngram)
    if banned:
        logits = logits.clone()
        logits[list(banned)] = float("-inf")
    return logits


GREEDY_BELOW = 1e-4  # a temperature this small is greedy in all but rounding


def choose(logits: torch.Tensor, *, temperature: float, top_p: float,
           generator: torch.Generator | None) -> int:
    """Greedy at temperature ~0, else a sample. Computed in float64: a temperature of
    1e-38 divided float32 logits into inf and the softmax into NaN, which multinomial
    refuses with an exception; whatever cannot be sampled is greedy instead."""
    if temperature < GREEDY_BELOW:
        return int(torch.argmax(logits))
    probs = torch.softmax(logits.double() / temperature, dim=-1)
    total = float(probs.sum())  # NaN or inf when any probability is (they are >= 0 else)
    if not math.isfinite(total) or total <= 0.0:
        return int(torch.argmax(logits))
    if top_p < 1.0:
        probs = nucleus(probs, top_p)
    return draw(probs, generator)


NUCLEUS_FIRST = 256  # candidates top-p looks at first (then 4x more, until the cut is in)


def nucleus(probs: torch.Tensor, top_p: float) -> torch.Tensor:
    """`probs` kept on the most likely tokens whose mass before each is under top_p (the top
    one always), renormalized. Only the top k are sorted, k growing until the cut falls
    inside them: that is the full sort's kept prefix, value for value (cumsum adds in order),
    where sorting all 49,152 of the embedded model's probabilities took 3-7 ms a token on
    the 2-core EPYC. Tokens whose probabilities tie exactly at the cut may be ordered
    differently than a full sort would order them; a sort's order of ties is arbitrary too."""
    k = NUCLEUS_FIRST
    while True:
        k = min(k, probs.shape[-1])
        top, order = torch.topk(probs, k)  # sorted, largest first
        keep = top.cumsum(-1) - top < top_p  # always keeps the top token
        if not bool(keep[-1]) or k == probs.shape[-1]:
            break
        k *= 4
    kept = torch.zeros_like(probs).scatter(0, order[keep], top[keep])
    return kept / kept.sum()


DRAW_MOST = 2048  # a wider support draws through torch.multinomial itself


def draw(probs: torch.Tensor, generator: torch.Generator | None) -> int:
    """torch.multinomial(probs, 1, generator=generator), the same token, faster. torch draws
    one Exp(1) variate per entry, q = -log1p(-u) from the generator's uniform doubles, and
    takes the first argmax of probs / q: 1.3 ms a token over the embedded model's 49,152
    entries on the 2-core EPYC, most of it logarithms. Here the same uniforms are drawn
    (0.3 ms; the generator ends in the same state) and the logarithms taken only where probs
    is nonzero (tens of tokens after top-p). Only where exact_draws() found this torch doing
    exactly that; a wide support, or a uniform of exactly 0 (an inf or NaN ratio in torch),
    is left to torch."""
    if generator is not None and exact_draws():
        pick = _shortcut(probs, generator)
        if pick is not None:
            return pick
    return int(torch.multinomial(probs, 1, generator=generator))


def _shortcut(probs: torch.Tensor, generator: torch.Generator) -> int | None:
    """draw()'s way, or None (the generator as it was) where torch must decide."""
    support = torch.nonzero(probs).flatten()
    if support.numel() > DRAW_MOST:
        return None
    state = generator.get_state()
    u = torch.empty_like(probs).uniform_(generator=generator)
    if float(u.min()) == 0.0:
        generator.set_state(state)
        return None
    best, pick = -1.0, -1
    for i, p, x in zip(support.tolist(), probs[support].tolist(), u[support].tolist(),
                       strict=True):
        ratio = p / -math.log1p(-x)  # every other entry's ratio is 0
        if ratio > best:
            best, pick = ratio, i
    return pick


@functools.cache
def exact_draws() -> bool:
    """Whether draw()'s shortcut gives torch.multinomial's tokens and generator states on
    this torch (checked once a process, on sparse distributions like top-p's)."""
    shape = torch.Generator().manual_seed(0)
    for seed in range(16):
        logits = torch.randn(4096, generator=shape, dtype=torch.float64) * 3
        probs = nucleus(torch.softmax(logits, -1), 0.9)
        theirs, ours = (torch.Generator().manual_seed(seed) for _ in range(2))
        want = int(torch.multinomial(probs, 1, generator=theirs))
        if _shortcut(probs, ours) != want or not torch.equal(theirs.get_state(),
                                                             ours.get_state()):
            return False
    return True


@contextlib.contextmanager
def one_thread() -> Iterator[None]:
    """torch on one thread while a token is chosen. Its ~15 passes over the vocabulary
    (49,152 values) are too short to gain from a second thread, and whenever anything else
    runs each pass's barrier waits for a preempted thread: on the 2-core EPYC at load 5-9
    the embedded model's sampling took 30-80 ms of CPU a token on 2 threads, 2-3 ms on
    one. On one thread the sums also add in one order on every machine, whatever its cores,
    so a seed picks the same tokens anywhere."""
    threads = torch.get_num_threads()
    if threads == 1:
        yield
        return
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)
