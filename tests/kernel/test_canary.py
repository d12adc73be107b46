"""The canary fires on a forced repetition loop and stays quiet on varied text."""

from __future__ import annotations

import random

import torch

from kernel.canary import CanaryConfig, DecodeCanary, text_proximity

VARIED = ("The daemon watches one repository and notices work: a failing test, a stale "
          "document, a tangled function or a forgotten marker. Each piece of work passes "
          "through governance before anything reaches disk, and every decision lands in an "
          "append-only ledger so a human can reconstruct why a change was made, who made "
          "it, what it cost and which tests proved it. Nothing the developer staged or "
          "edited is ever swept into an automatic commit.")


def _logits(peak: int, sharp: float, rng: torch.Generator, vocab: int = 512) -> torch.Tensor:
    logits = torch.randn(vocab, generator=rng)
    logits[peak] += sharp
    return logits


def test_fires_on_a_forced_repetition_loop():
    rng = torch.Generator().manual_seed(0)
    canary = DecodeCanary(CanaryConfig(mode="observe"))
    rnd = random.Random(0)
    for _ in range(40):  # normal text first: varied tokens, moderate confidence
        tok = rnd.randrange(512)
        canary.observe(tok, _logits(tok, 3.0, rng))
    assert not canary.collapsed and canary.max_proximity < 0.5
    loop = [7, 19, 23, 5]
    fired_at = None
    for i in range(60):  # then a tight, over-confident loop
        tok = loop[i % 4]
        canary.observe(tok, _logits(tok, 12.0, rng))
        if canary.collapsed and fired_at is None:
            fired_at = i
    assert fired_at is not None and fired_at < 30
    assert canary.proximity > 0.7


def test_quiet_on_varied_tokens_with_logits():
    rng = torch.Generator().manual_seed(1)
    rnd = random.Random(1)
    canary = DecodeCanary()
    for _ in range(300):
        tok = rnd.randrange(512)
        canary.observe(tok, _logits(tok, rnd.uniform(1.0, 6.0), rng))
    assert not canary.collapsed
    assert canary.summary()["alarms"] < 5


def test_text_only_detector():
    calm = text_proximity(VARIED)
    assert not calm.collapsed and calm.max_proximity < 0.5
    looping = text_proximity(VARIED + " the answer is 42." * 20)
    assert looping.collapsed and looping.max_proximity > 0.9


def test_adapt_knobs_rise_with_proximity():
    observe = DecodeCanary(CanaryConfig(mode="observe"))
    adapt = DecodeCanary(CanaryConfig(mode="adapt"))
    for c in (observe, adapt):
        for i in range(30):
            c.observe([1, 2][i % 2])
    assert observe.knobs() == (0.0, 0.0)
    pressure, boost = adapt.knobs()
    assert pressure == 1.0 and boost == 0.5
