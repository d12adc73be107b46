"""Best-of-N's batched decode (kernel/gpu_stepper.py's BatchDecode): on the CPU in float32,
n sequences forked from one prefilled prompt and advanced together give, row for row, the
logits that n separate batch-1 decodes of the same tokens give (GQA, sliding windows, both
attention forms, cache growth during the batch); the parent stepper is left as it was. With
CUDA, the batch's graphs give what its eager run gives, in bf16."""

from __future__ import annotations

import pytest
import torch

from kernel import gpu_stepper
from kernel.exit_policy import QExit
from kernel.gpu_model import GpuModel
from kernel.gpu_stepper import GpuStepper
from tests.kernel.tiny import tiny_model

pytestmark = pytest.mark.slow  # the GPU path's parity runs on the CPU too

CUDA = torch.cuda.is_available()
PROMPT = [5, 17, 99, 3, 42, 7, 8, 120, 64, 1, 2, 250]
# Per sequence, the tokens it is fed: different from the first step on, as best-of-N samples.
STREAMS = [[11, 200, 33, 4, 91, 12, 60], [12, 200, 7, 4, 5, 6, 61], [11, 9, 33, 250, 0, 1, 62]]


def single(gpu, tokens, graphs=False, prompt=PROMPT):
    """Logits of one sequence decoded alone (batch 1) after the prompt."""
    stepper = GpuStepper(gpu, chunk=5, graphs=graphs)
    stepper.prefill(prompt)
    return [stepper.advance(token, 0.0)[0].float().cpu() for token in tokens]


def batched(gpu, streams, graphs=False, prompt=PROMPT, policy=None):
    parent = GpuStepper(gpu, chunk=5, graphs=graphs, policy=policy)
    first = parent.prefill(prompt).float().cpu()
    batch = parent.fork(len(streams))
    rows = [batch.advance([s[i] for s in streams]).float().cpu()
            for i in range(len(streams[0]))]
    return parent, first, batch, rows


@pytest.mark.parametrize("attention", ["matmul", "sdpa"])
@pytest.mark.parametrize("overrides", [{}, {"num_key_value_heads": 4},
                                       {"layer_types": ["sliding_attention", "full_attention"],
                                        "sliding_window": 4}])
def test_a_batch_decodes_each_row_as_a_batch_1_decode_would(overrides, attention):
    gpu = GpuModel.from_ouro(tiny_model(seed=1, **overrides), "cpu", torch.float32)
    gpu.attention = attention
    _, _, batch, rows = batched(gpu, STREAMS)
    assert all(r.shape == (len(STREAMS), gpu.shape.vocab) for r in rows)
    for j, stream in enumerate(STREAMS):
        want = single(gpu, stream)
        for i, logits in enumerate(want):
            torch.testing.assert_close(rows[i][j], logits, atol=1e-4, rtol=1e-4)
    assert batch.length == len(PROMPT) + len(STREAMS[0])


def test_the_parent_keeps_its_prompt_and_decodes_on_after_a_fork():
    gpu = GpuModel.from_ouro(tiny_model(seed=1), "cpu", torch.float32)
    parent, first, _, rows = batched(gpu, STREAMS)
    assert parent.length == len(PROMPT) and parent.tokens == PROMPT
    # The parent decodes the second stream itself: the batch did not write its cache.
    again = [parent.advance(token, 0.0)[0] for token in STREAMS[1]]
    for i, logits in enumerate(again):
        torch.testing.assert_close(rows[i][1], logits, atol=1e-4, rtol=1e-4)
    cold = GpuStepper(gpu, chunk=5, graphs=False).prefill(PROMPT)
    torch.testing.assert_close(first, cold, atol=1e-5, rtol=1e-5)


def test_a_batch_of_one_is_a_plain_decode_and_ignores_deep_mode():
    gpu = GpuModel.from_ouro(tiny_model(seed=2), "cpu", torch.float32)
    _, _, batch, rows = batched(gpu, STREAMS[:1], policy=QExit(0.3))
    for got, want in zip(rows, single(gpu, STREAMS[0]), strict=True):
        torch.testing.assert_close(got[0], want, atol=1e-4, rtol=1e-4)
    assert batch.total_steps == gpu.steps  # full depth: the batch has no exit policy


def test_the_batch_grows_its_cache_past_the_fork_capacity(monkeypatch):
    monkeypatch.setattr(gpu_stepper, "MIN_CAPACITY", 8)
    gpu = GpuModel.from_ouro(tiny_model(seed=3), "cpu", torch.float32)
    prompt = PROMPT[:7]  # capacity 8: the batch grows at its second token
    _, _, batch, rows = batched(gpu, STREAMS, prompt=prompt)
    assert batch.cache.capacity >= len(prompt) + len(STREAMS[0]) and batch.cache.batch == 3
    for j, stream in enumerate(STREAMS):
        for i, logits in enumerate(single(gpu, stream, prompt=prompt)):
            torch.testing.assert_close(rows[i][j], logits, atol=1e-4, rtol=1e-4)


def test_a_fork_needs_a_prompt_and_the_right_number_of_tokens():
    gpu = GpuModel.from_ouro(tiny_model(), "cpu", torch.float32)
    stepper = GpuStepper(gpu, graphs=False)
    with pytest.raises(ValueError, match="prefilled prompt"):
        stepper.fork(2)
    stepper.prefill(PROMPT)
    with pytest.raises(ValueError, match="at least 1"):
        stepper.fork(0)
    with pytest.raises(ValueError, match="expected 2 tokens, got 3"):
        stepper.fork(2).advance([1, 2, 3])


@pytest.mark.skipif(not CUDA, reason="needs a CUDA device")
@pytest.mark.parametrize("fused", [False, True])
def test_batch_graphs_replay_what_the_eager_batch_computes_on_cuda(fused):
    model = tiny_model(seed=2, max_position_embeddings=2048)
    eager = batched(GpuModel.from_ouro(model, "cuda"), STREAMS, graphs=False)[3]
    gpu = GpuModel.from_ouro(model, "cuda")
    if fused:
        assert gpu.fuse().startswith("fused")
    _, _, batch, got = batched(gpu, STREAMS, graphs=True)
    assert batch.replays.captured >= 1
    if fused:
        assert gpu.fused is not None, gpu.fused_why  # it did not fall back
    for g, w in zip(got, eager, strict=True):  # bf16 rounds differently fused
        assert (g - w).abs().max() < 0.02 * (w.max() - w.min())
    # And each row is what a batch-1 decode of its stream gives, within bf16's rounding.
    for j, stream in enumerate(STREAMS):
        for i, w in enumerate(single(gpu, stream, graphs=True)):
            assert (got[i][j] - w).abs().max() < 0.03 * (w.max() - w.min())
