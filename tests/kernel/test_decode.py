"""Fast vs deep decoding on tiny random Ouro models, exit policies, cancellation."""

from __future__ import annotations

import threading

import pytest
import torch

from kernel.canary import CanaryConfig
from kernel.decode import GenerationConfig, generate
from kernel.exit_policy import Accel, Converge, FixedDepth, QExit, make_policy
from kernel.steppers import OuroDeep, OuroFast, OuroUncached
from tests.kernel.tiny import tiny_model

PROMPT = [5, 17, 99, 3, 42, 7]
CFG = GenerationConfig(max_new_tokens=24, stop_ids=(), canary=CanaryConfig(mode="observe"))


def _run(stepper, cfg=CFG):
    return generate(stepper, None, PROMPT, cfg)


def _gated(bias: float):
    model = tiny_model()
    with torch.no_grad():
        model.model.early_exit_gate.weight.zero_()
        model.model.early_exit_gate.bias.fill_(bias)
    return model


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_deep_mode_with_q_one_equals_fast_mode(seed):
    model = tiny_model(seed)
    fast = _run(OuroFast(model))
    deep = _run(OuroDeep(model, QExit(1.0)))
    assert deep.token_ids == fast.token_ids and len(fast.token_ids) == 24
    assert deep.depths == fast.depths == [4] * 23
    uncached = _run(OuroUncached(model, QExit(1.0)))
    assert uncached.token_ids == fast.token_ids


@pytest.mark.slow
def test_sampling_is_reproducible_with_a_seed():
    model = tiny_model()
    cfg = GenerationConfig(max_new_tokens=16, stop_ids=(), temperature=0.9, top_p=0.9, seed=7)
    a, b = _run(OuroFast(model), cfg), _run(OuroFast(model), cfg)
    assert a.token_ids == b.token_ids
    c = _run(OuroFast(model), GenerationConfig(max_new_tokens=16, stop_ids=(),
                                               temperature=0.9, top_p=0.9, seed=8))
    assert c.token_ids != a.token_ids


@pytest.mark.slow
@pytest.mark.parametrize("bias,q,depth", [(20.0, 0.5, 1), (-20.0, 0.5, 4), (0.0, 0.5, 1),
                                          (0.0, 0.7, 2), (0.0, 0.9, 4)])
def test_deep_mode_exits_where_the_gates_say(bias, q, depth):
    gen = _run(OuroDeep(_gated(bias), QExit(q)))
    assert set(gen.depths) == {depth}
    assert gen.mean_depth == depth


@pytest.mark.slow
def test_early_exits_keep_the_cache_complete():
    model = _gated(20.0)  # every token exits after step 0
    stepper = OuroDeep(model, QExit(0.5))
    _run(stepper)
    lengths = {stepper.cache.length(s) for s in range(model.steps * 2)}
    assert lengths == {len(PROMPT) + 23}  # deeper slots filled by sharing


@pytest.mark.slow
@pytest.mark.parametrize("policy,depth", [(Converge(eps=1e9), 2), (Converge(eps=0.0), 4),
                                          (Accel(eps=1e9, patience=1), 3),
                                          (Accel(eps=1e9, patience=2), 4),
                                          (Accel(eps=0.0), 4), (FixedDepth(2), 2),
                                          (FixedDepth(9), 4)])
def test_converge_accel_and_fixed_exits(policy, depth):
    gen = _run(OuroDeep(tiny_model(), policy))
    assert set(gen.depths) == {depth}


@pytest.mark.slow
def test_adapt_mode_deepens_the_loop_under_pressure():
    model = _gated(20.0)  # would exit at step 0 everywhere
    stepper = OuroDeep(model, QExit(0.5))
    stepper.prefill(PROMPT)
    _, shallow = stepper.advance(3, pressure=0.0)
    _, deep = stepper.advance(4, pressure=1.0)
    assert (shallow, deep) == (1, 4)


def test_make_policy_rejects_unknown_names():
    assert make_policy("accel", eps=0.1, patience=3) == Accel(0.1, 3)
    with pytest.raises(ValueError, match="unknown exit policy"):
        make_policy("vibes")


@pytest.mark.slow
def test_cancel_stops_between_tokens():
    cancel = threading.Event()
    seen: list[int] = []

    def on_token(t: int) -> None:
        seen.append(t)
        if len(seen) == 3:
            cancel.set()

    gen = generate(OuroFast(tiny_model()), None, PROMPT, CFG, cancel=cancel, on_token=on_token)
    assert gen.exit_reason == "cancelled" and len(gen.token_ids) == 3


@pytest.mark.parametrize("temperature, top_p", [(1e-300, 1.0), (1e-38, 0.9), (1e-5, 1.0),
                                                (1.0, 1e-300), (5e-324, 5e-324)])
def test_edge_of_float_sampling_is_greedy_never_a_crash(temperature, top_p):
    """Found serving the kernel: a temperature of 1e-38 made the float32 softmax NaN and
    multinomial raised; the daemon's own config accepts such values."""
    from kernel.sampling import choose

    logits = torch.tensor([0.5, 3.0, -1.0, 2.9, float("-inf")])
    generator = torch.Generator().manual_seed(0)
    assert choose(logits, temperature=temperature, top_p=top_p, generator=generator) == 1
