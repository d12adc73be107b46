"""Logits processing and token choice: repetition penalty, no-repeat n-grams, greedy or
temperature/top-p sampling. Operates on one position's float32 logits [V]."""

from __future__ import annotations

from collections.abc import Sequence

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
    if not bool(torch.isfinite(probs).all()) or float(probs.sum()) <= 0.0:
        return int(torch.argmax(logits))
    if top_p < 1.0:
        sorted_p, order = torch.sort(probs, descending=True)
        keep = sorted_p.cumsum(-1) - sorted_p < top_p  # always keeps the top token
        probs = torch.zeros_like(probs).scatter(0, order[keep], sorted_p[keep])
        probs = probs / probs.sum()
    return int(torch.multinomial(probs, 1, generator=generator))
