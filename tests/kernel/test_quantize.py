"""4-bit bases through bitsandbytes.

The daemon enables 4-bit only on CUDA; bitsandbytes also runs its 4-bit layers on the CPU,
so these tests check the same quantizing code here, and on CUDA too when a GPU is present.
"""

from __future__ import annotations

import sys

import pytest
import torch
from torch import nn

from kernel.decode import GenerationConfig, generate
from kernel.engine import Engine, EngineConfig
from kernel.errors import ModelLoadError
from kernel.exit_policy import make_policy
from kernel.lora import apply_lora
from kernel.plain import load_plain
from kernel.quantize import FourBit, count_4bit, quantize_ouro
from kernel.steppers import OuroDeep, OuroFast, Plain
from tests.kernel.tiny import tiny_adapter, tiny_model

bnb = pytest.importorskip("bitsandbytes")

DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
IDS = [5, 17, 99, 3, 42, 7, 64, 8]
GREEDY = GenerationConfig(max_new_tokens=12, repetition_penalty=1.0, no_repeat_ngram=0,
                          stop_ids=())


def _spec(device: str) -> FourBit:
    # float32 compute isolates the quantization error from half-precision rounding.
    return FourBit(torch.device(device), torch.float32)


def _model(seed: int = 0) -> nn.Module:
    # bitsandbytes packs weights in blocks of 64 inputs: every in_features is a multiple.
    return tiny_model(seed, intermediate_size=128)


def _rounded_twin(quantized: nn.Module) -> nn.Module:
    """The float model whose projections hold the 4-bit weights, dequantized. Call it before
    the quantized model's first forward: on the CPU bitsandbytes repacks when first used."""
    twin = _model()
    for name, module in quantized.named_modules():
        if isinstance(module, bnb.nn.Linear4bit):
            twin.get_submodule(name).weight.copy_(bnb.functional.dequantize_4bit(
                module.weight.data, module.weight.quant_state).float().cpu())
    return twin


def _relative_error(got: torch.Tensor, want: torch.Tensor) -> float:
    return float((got.float().cpu() - want.float().cpu()).norm() / want.float().cpu().norm())


# bitsandbytes' CPU kernel computes in bfloat16 on CPUs that have AVX512-BF16, whatever the
# compute dtype: outputs agree with float32 math on the same weights to bfloat16 precision.
COMPUTE_TOLERANCE = 2e-2


@pytest.mark.slow
@pytest.mark.parametrize("device", DEVICES)
def test_ouro_4bit_packs_every_decoder_projection_and_nothing_else(device):
    model = quantize_ouro(_model(), _spec(device))
    layers = model.config.num_hidden_layers
    assert count_4bit(model) == layers * 7  # q, k, v, o + gate, up, down
    packed = model.model.layers[0].self_attn.q_proj.weight
    assert packed.dtype == torch.uint8 and packed.device.type == device
    for kept in (model.lm_head, model.model.early_exit_gate):
        assert type(kept) is nn.Linear and kept.weight.dtype == torch.float32
    assert type(model.model.embed_tokens) is nn.Embedding
    assert not model.training and not any(p.requires_grad for p in model.parameters())


@pytest.mark.slow
@pytest.mark.parametrize("device", DEVICES)
def test_ouro_4bit_layers_compute_with_their_rounded_weights(device):
    """Each packed layer computes x @ dequant(W)^T, where dequant(W) is W rounded to 4 bits:
    measurably different from W, far closer to it than to anything else."""
    original = _model()
    quantized = quantize_ouro(_model(), _spec(device))
    torch.manual_seed(1)
    twin = _rounded_twin(quantized)
    for name, module in quantized.named_modules():
        if not isinstance(module, bnb.nn.Linear4bit):
            continue
        rounded = twin.get_submodule(name).weight
        weight = original.get_submodule(name).weight
        assert 0.01 < _relative_error(rounded, weight) < 0.2, name
        x = torch.randn(1, 5, module.in_features)
        got = module(x.to(device))
        assert _relative_error(got, x @ rounded.T) < COMPUTE_TOLERANCE, name
    ids = torch.tensor([IDS])
    similarity = nn.functional.cosine_similarity(
        quantized(ids.to(device)).logits[-1].cpu().flatten(), original(ids).logits[-1].flatten(),
        dim=0)
    assert similarity > 0.85, f"4-bit logits drifted from the float model: cos {similarity}"


@pytest.mark.slow
@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
@pytest.mark.parametrize("device", DEVICES)
def test_ouro_4bit_cached_decoding_and_deep_mode(device, dtype):
    """bfloat16 is what the daemon computes in on CUDA; checked here on the CPU as well."""
    quantized = quantize_ouro(_model(), FourBit(torch.device(device), dtype))
    # The cache holds what a full recompute sees, position by position.
    stepper = OuroFast(quantized)
    cached = [stepper.prefill(IDS[:3])] + [stepper.advance(t, 0.0)[0] for t in IDS[3:]]
    full = quantized(torch.tensor([IDS], device=device)).logits[-1][0, 2:]
    for position, logits in enumerate(cached):
        assert _relative_error(logits, full[position]) < COMPUTE_TOLERANCE, position
    fast = generate(OuroFast(quantized), None, IDS, GREEDY)
    deep = generate(OuroDeep(quantized, make_policy("qexit", q=1.0)), None, IDS, GREEDY)
    assert deep.token_ids == fast.token_ids and deep.mean_depth == quantized.steps
    # Gates of exactly 1/2 put cumulative exit mass 0.75 at step 2: Q-exit at q=0.7 stops
    # there for every token, over the int8 cache as well.
    quantized.model.early_exit_gate.weight.zero_()
    quantized.model.early_exit_gate.bias.zero_()
    shallow = generate(OuroDeep(quantized, make_policy("qexit", q=0.7), int8_kv=True), None,
                       IDS, GREEDY)
    assert len(shallow.token_ids) == GREEDY.max_new_tokens
    assert set(shallow.depths) == {2}


@pytest.mark.slow
@pytest.mark.parametrize("device", DEVICES)
def test_lora_over_a_4bit_base_stays_unmerged_and_adds_its_delta(tmp_path, device):
    adapter = tiny_adapter(tmp_path / "adapter", intermediate_size=128)
    ids = torch.tensor([IDS])
    base = quantize_ouro(_model(), _spec(device))
    base_logits = base(ids.to(device)).logits[-1]
    tuned = quantize_ouro(_model(), _spec(device))
    reference = apply_lora(_rounded_twin(tuned), adapter, merge=False)(ids).logits[-1]
    tuned = apply_lora(tuned, adapter, merge=True)  # merge is declined over 4-bit weights
    assert count_4bit(tuned) == tuned.config.num_hidden_layers * 7
    logits = tuned(ids.to(device)).logits[-1]
    assert _relative_error(logits, base_logits) > 0.3  # the adapter changes the answer
    # ...by what it adds to the rounded weights (bfloat16 drift compounds over the loop).
    assert _relative_error(logits, reference) < 0.1


@pytest.mark.slow
@pytest.mark.parametrize("device", DEVICES)
def test_plain_model_loads_with_a_4bit_base_and_still_answers(smollm2_dir, device):
    from kernel.tokenizer import ChatTokenizer

    model, _ = load_plain(smollm2_dir, four_bit=_spec(device))
    assert count_4bit(model) == 30 * 7  # SmolLM2-135M: 30 layers of q, k, v, o, gate, up, down
    tok = ChatTokenizer.from_file(smollm2_dir / "tokenizer.json")
    prompt = tok.chat([{"role": "user",
                        "content": "What is the capital of France? Answer in one word."}])
    answer = generate(Plain(model), tok, prompt, GenerationConfig(max_new_tokens=16))
    assert "Paris" in answer.text


def test_the_daemon_enables_4bit_on_cuda_only(chat_ouro, smollm2_dir):
    if torch.cuda.is_available():
        engine = Engine.load(EngineConfig(model=str(chat_ouro), load_in_4bit=True))
        assert count_4bit(engine.model) > 0
        assert engine.chat([{"role": "user", "content": "hi"}]).exit_reason
        return
    for model in (str(chat_ouro), str(smollm2_dir)):
        with pytest.raises(ModelLoadError, match="needs a CUDA GPU"):
            Engine.load(EngineConfig(model=model, load_in_4bit=True))


def test_missing_bitsandbytes_is_a_clear_error(monkeypatch, smollm2_dir):
    monkeypatch.setitem(sys.modules, "bitsandbytes", None)  # makes the import fail
    with pytest.raises(ModelLoadError, match="needs bitsandbytes"):
        quantize_ouro(_model(), _spec("cpu"))
    with pytest.raises(ModelLoadError, match="needs bitsandbytes"):
        load_plain(smollm2_dir, four_bit=_spec("cpu"))
