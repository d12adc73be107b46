"""The lean forward for plain Llama-family models (kernel/fast_plain.py) on the embedded
SmolLM2: float32 parity with transformers, int8 agreement with float32, its cache, the
models it refuses, and the Engine's default path with the knob that forces float32."""

from __future__ import annotations

import pytest
import torch

from daemon.brains.providers import engine_config
from daemon.config.provider import ProviderSection
from daemon.config.settings import Settings
from kernel.engine import Engine, EngineConfig
from kernel.fast_plain import FastLlama, FastPlain, Linear, supports, with_precision
from kernel.plain import load_plain
from kernel.steppers import Plain
from kernel.tokenizer import ChatTokenizer

pytestmark = pytest.mark.slow  # decodes the embedded model, float and int8

PROMPTS = ("Write a short poem about git.", "List three uses of the Linux command grep.")
TOKENS = 64


@pytest.fixture(scope="module")
def models(smollm2_dir):
    """(transformers float32, lean float32 sharing its tensors, lean int8 from the files)."""
    hf, _ = load_plain(smollm2_dir)
    return hf, FastLlama.from_hf(hf, "float32"), FastLlama.from_dir(smollm2_dir)


@pytest.fixture(scope="module")
def tok(smollm2_dir):
    return ChatTokenizer.from_file(smollm2_dir / "tokenizer.json")


def _chat(tok, text):
    return tok.chat([{"role": "user", "content": text}])


def greedy(model, prompt, n=TOKENS):
    stepper = FastPlain(model)
    logits, out = stepper.prefill(prompt), []
    for _ in range(n):
        out.append(int(logits.argmax()))
        logits, _ = stepper.advance(out[-1], 0.0)
    return out


def test_lean_float32_forward_matches_transformers(models, tok):
    hf, lean, _ = models
    ids = _chat(tok, PROMPTS[0])
    extra = [504, 3485, 314]
    with torch.inference_mode():
        want = hf(input_ids=torch.tensor([ids + extra])).logits[0]
    stepper = FastPlain(lean, chunk=7)  # several chunks, masks over a cached prefix
    got = [stepper.prefill(ids)] + [stepper.advance(t, 0.0)[0] for t in extra]
    for i, logits in enumerate(got):
        torch.testing.assert_close(logits, want[len(ids) - 1 + i], atol=1e-3, rtol=1e-3)


def test_int8_greedy_agrees_with_float32(models, tok):
    """The quality guard: at >= 95% of the first 64 positions of the int8 path's greedy
    reply, transformers' float32 model picks the same token given the same prefix (one
    batched float32 pass scores every position; a near-tie counts once, not for every later
    token). The int8 model holds under a third of the float32 bytes."""
    hf, lean32, lean8 = models
    same = total = 0
    for text in PROMPTS:
        prompt = _chat(tok, text)
        reply = greedy(lean8, prompt)
        with torch.inference_mode():
            logits = hf(input_ids=torch.tensor([prompt + reply])).logits[0]
        choices = logits[len(prompt) - 1 : -1].argmax(-1).tolist()
        same += sum(a == b for a, b in zip(choices, reply, strict=True))
        total += len(reply)
    assert same / total >= 0.95, f"int8 agrees at {same}/{total} positions"
    assert lean8.nbytes() < 0.3 * lean32.nbytes()


def test_cache_grows_truncates_and_reuses_a_prefix(models, tok):
    _, _, lean8 = models
    long = (_chat(tok, "Explain version control. " * 80))[:270]  # crosses the first 256
    cold = FastPlain(lean8, chunk=270).prefill(long)
    stepper = FastPlain(lean8, chunk=135)
    chunked = stepper.prefill(long)
    assert stepper.cache.length == 270 and stepper.cache.k.shape[2] >= 270
    assert int(chunked.argmax()) == int(cold.argmax())
    torch.testing.assert_close(chunked, cold, atol=0.3, rtol=0.02)  # bf16 GEMM tiling
    edited = [*long[:200], tok.encode(" banana")[0], *long[201:230]]
    again = stepper.prefill(edited)
    # Reuse stops at the chunk grid's boundary before the edit, so the warm prefill runs the
    # very passes a cold one runs from there: the same logits, bit for bit.
    assert stepper.reused == stepper.grid_floor(200) > 0
    assert stepper.cache.length == len(edited)
    assert torch.equal(again, FastPlain(lean8, chunk=135).prefill(edited))
    stepper.release()
    assert stepper.cache.length == 0 and stepper.cache.nbytes() == 0
    with pytest.raises(ValueError):
        stepper.prefill([])


@pytest.mark.parametrize("change", [
    {"model_type": "qwen2"}, {"attention_bias": True}, {"mlp_bias": True},
    {"hidden_act": "gelu"}, {"rope_parameters": {"rope_type": "llama3", "rope_theta": 5e5}},
    {"rope_scaling": {"type": "linear", "factor": 2.0}}, {"pretraining_tp": 2},
])
def test_configs_it_does_not_cover_stay_on_transformers(models, change):
    hf, _, _ = models
    config = {**hf.config.to_dict(), **change}
    assert supports(hf.config.to_dict()) and not supports(config)
    with pytest.raises(ValueError):
        FastLlama(config, lambda name: torch.zeros(1), "int8")


def test_bad_weights_and_precision_are_refused(models):
    hf, _, _ = models
    with pytest.raises(ValueError):
        FastLlama.from_hf(hf, "int4")
    with pytest.raises(ValueError):
        with_precision(hf, "plain", "fp8", four_bit=False, unmerged_lora=False)
    # A 4-bit base or an unmerged adapter keeps its own path.
    assert with_precision(hf, "plain", "auto", four_bit=True, unmerged_lora=False) is hf
    assert with_precision(hf, "plain", "int8", four_bit=False, unmerged_lora=True) is hf
    w = torch.tensor([[1.0, -2.0, 0.5], [0.0, 0.0, 0.0]])
    q = Linear(w, "int8")
    assert q.q.dtype == torch.int8 and torch.equal(q.q[1], torch.zeros(3, dtype=torch.int8))
    torch.testing.assert_close(q.rows(torch.tensor([0])), w[:1], atol=2 / 254, rtol=0)


def test_parameter_count_and_config_read_like_transformers(models):
    hf, _, lean8 = models
    assert sum(p.numel() for p in lean8.parameters()) == sum(p.numel() for p in hf.parameters())
    assert lean8.config.max_position_embeddings == hf.config.max_position_embeddings


def test_engine_defaults_to_lean_and_the_knob_forces_float32(smollm2_dir, embedded_lean):
    settings = Settings()
    assert settings.provider.precision == "auto"
    assert engine_config(settings.provider, smollm2_dir).precision == "auto"
    with pytest.raises(ValueError):
        ProviderSection(precision="bf16")
    lean = embedded_lean  # Engine.load(EngineConfig()), once per session
    assert isinstance(lean.model, FastLlama) and isinstance(lean.stepper(), FastPlain)
    reference = Engine.load(EngineConfig(precision="float32"))
    assert not isinstance(reference.model, FastLlama)
    assert type(reference.stepper()) is Plain


def test_the_prefill_pass_follows_what_the_cpu_computes_it_in(embedded_lean, embedded_engine):
    """Dequantized float32 passes (no bf16 arithmetic) are slower per token: their chunk is
    halved so a cancel still waits about a second; a setting overrides the model's choice."""
    model = embedded_lean.model
    want = 256 if model.chunk_dtype is torch.bfloat16 else 128
    assert model.prefill_chunk == want and embedded_lean.prefill_chunk == want
    assert embedded_lean.stepper().chunk == want
    assert embedded_engine(EngineConfig(prefill_chunk=64)).stepper().chunk == 64
