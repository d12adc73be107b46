"""The canary's reply-level reading (sustained proximity) and its repetition baseline: a
loop that creeps in is not learned as normal."""

from __future__ import annotations

import random

import pytest
import torch

import kernel.canary as canary_module
from kernel.canary import CanaryConfig, DecodeCanary, text_proximity


def _ordinary(tok: int, rng: torch.Generator) -> torch.Tensor:
    """Logits of moderate confidence in `tok`: nothing odd about the distribution."""
    logits = torch.randn(512, generator=rng)
    logits[tok] += 3.0
    return logits


def _creeping_loop(learn_z: float, monkeypatch: pytest.MonkeyPatch) -> DecodeCanary:
    """Varied text, then 'one two two one two two two two ...' with ordinary logits, as the
    embedded model wrote it when asked to repeat a pair."""
    monkeypatch.setattr(canary_module, "LEARN_Z", learn_z)
    rng, rnd = torch.Generator().manual_seed(0), random.Random(0)
    canary = DecodeCanary(CanaryConfig())
    for tok in [rnd.randrange(512) for _ in range(40)] + [300, 301, 301, 300, 301, 301]:
        canary.observe(tok, _ordinary(tok, rng))
    for _ in range(40):
        canary.observe(301, _ordinary(301, rng))
    return canary


def test_a_creeping_loop_fires_and_would_not_if_the_baseline_learned_it(monkeypatch):
    assert _creeping_loop(canary_module.LEARN_Z, monkeypatch).collapsed
    learned = _creeping_loop(float("inf"), monkeypatch)  # the old rule: learn anything calm
    assert not learned.collapsed and learned.sustained < 0.7


def test_sustained_is_the_level_held_for_patience_tokens():
    canary = DecodeCanary(CanaryConfig(patience=4, warmup=0))
    for tok in [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]:
        canary.observe(tok)
    calm = canary.sustained
    assert calm < 0.3 and canary.sustained <= canary.max_proximity
    for _ in range(20):
        canary.observe(5)
    assert canary.sustained >= 0.7 and canary.collapsed
    assert canary.summary()["sustained_proximity"] == round(canary.sustained, 4)


def test_one_odd_token_is_not_a_sustained_reading():
    text = ("The daemon reads the repository, asks the model, judges the answer and writes "
            "the ledger; then it waits for the next signal from the watcher or a human. "
            "Every answer is checked twice before anything reaches the disk")
    canary = text_proximity(text + " x x x " + text.upper())
    assert canary.sustained < 0.3


@pytest.mark.slow
def test_the_text_detector_reads_only_the_tail_of_a_huge_reply():
    loop = "again and again " * 50
    varied = " ".join(f"w{i}" for i in range(canary_module.TEXT_TAIL_WORDS))
    assert text_proximity(loop + varied).sustained < 0.3  # the loop is out of the window
    assert text_proximity(varied + loop).sustained >= 0.7
