"""Ouro's reduced-precision path (kernel/quantize.py int8_ouro) in fast and deep mode on tiny
random checkpoints: it agrees with float32, the float32 path is untouched, and the Engine
takes it only when asked (precision = "int8")."""

from __future__ import annotations

import copy

import pytest
import torch

from kernel.canary import CanaryConfig
from kernel.decode import GenerationConfig, generate
from kernel.engine import Engine, EngineConfig
from kernel.errors import ModelLoadError
from kernel.exit_policy import QExit
from kernel.quantize import Int8Linear, int8_ouro
from kernel.steppers import OuroDeep, OuroFast
from tests.kernel.tiny import tiny_model

PROMPT = list(range(3, 40))
TOKENS = 48
GREEDY = GenerationConfig(max_new_tokens=TOKENS, repetition_penalty=1.0, no_repeat_ngram=0,
                          stop_ids=(), canary=CanaryConfig(mode="off"))


@pytest.fixture(scope="module")
def pair():
    """(float32, int8) twins of one tiny model with a tied lm_head and grouped-query heads."""
    full = tiny_model(seed=1, vocab_size=512, tie_word_embeddings=True)
    return full, int8_ouro(copy.deepcopy(full))


def forced_agreement(make_stepper, model8, model32, reference):
    """Fed the float32 reply (teacher forcing), at each position: does int8 pick float32's
    greedy token; is int8's pick at least within 2% of the logit range of float32's best (a
    near-tie, which a random tiny model has plenty of); and the largest logit error
    relative to the range."""
    a, b = make_stepper(model8), make_stepper(model32)
    la, lb = a.prefill(PROMPT), b.prefill(PROMPT)
    same = near = 0
    worst = 0.0
    for token in reference:
        pick, span = int(la.argmax()), float(lb.max() - lb.min())
        same += pick == int(lb.argmax())
        near += float(lb.max() - lb[pick]) <= 0.02 * span
        worst = max(worst, float((la - lb).abs().max()) / span)
        (la, _), (lb, _) = a.advance(token, 0.0), b.advance(token, 0.0)
    return same / len(reference), near / len(reference), worst


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["fast", "deep"])
def test_int8_ouro_agrees_with_float32(pair, mode):
    full, packed = pair

    def make(model):
        return OuroFast(model) if mode == "fast" else OuroDeep(model, QExit(0.5))

    reference = generate(make(full), None, PROMPT, GREEDY)
    rate, near, worst = forced_agreement(make, packed, full, reference.token_ids)
    assert rate >= 0.8, f"{mode}: int8 agrees at {rate:.1%} of positions"
    assert near == 1.0, f"{mode}: int8 picks a clearly worse token at {1 - near:.1%}"
    assert worst < 0.08, f"{mode}: logit error {worst:.3f} of the logit range"
    if mode == "deep":  # exits land on the same steps nearly always
        mine = generate(make(packed), None, PROMPT, GREEDY)
        n = min(len(mine.depths), len(reference.depths))
        assert n and abs(mine.mean_depth - reference.mean_depth) <= 0.25


def test_int8_ouro_replaces_projections_and_head_only(pair):
    full, packed = pair
    layer = packed.model.layers[0]
    assert isinstance(layer.self_attn.q_proj, Int8Linear)
    assert isinstance(layer.mlp.down_proj, Int8Linear) and isinstance(packed.lm_head, Int8Linear)
    assert packed.model.early_exit_gate.weight.dtype == torch.float32  # the exit decision
    assert packed.model.embed_tokens.weight.dtype == torch.float32
    assert full.lm_head.weight.dtype == torch.float32  # the twin is untouched
    with pytest.raises(ModelLoadError):
        int8_ouro(tiny_model().to(torch.bfloat16))
    biased = torch.nn.Linear(4, 4, bias=True)
    with pytest.raises(ValueError):
        Int8Linear(biased)


@pytest.mark.slow
def test_logits_for_last_is_the_final_step_of_all(pair):
    full, _ = pair
    ids = torch.tensor([PROMPT])
    every = full(ids).logits
    last = full(ids, logits_for="last").logits
    assert len(every) == full.steps and len(last) == 1
    torch.testing.assert_close(last[0][:, -1], every[-1][:, -1])


@pytest.mark.slow
def test_engine_takes_int8_for_ouro_only_when_asked(chat_ouro):
    auto = Engine.load(EngineConfig(model=str(chat_ouro)))
    assert not any(isinstance(m, Int8Linear) for m in auto.model.modules())
    int8 = Engine.load(EngineConfig(model=str(chat_ouro), precision="int8", mode="deep"))
    assert isinstance(int8.model.lm_head, Int8Linear)
    reply = int8.chat([{"role": "user", "content": "hi"}],
                      GenerationConfig(max_new_tokens=8, canary=CanaryConfig(mode="off")))
    assert reply.token_ids and all(1 <= d <= int8.total_steps for d in reply.depths)
