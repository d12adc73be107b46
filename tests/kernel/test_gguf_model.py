"""The quantized GGUF path on a tiny Qwen2 file (tests/kernel/gguf_tiny.py): the reader, the
forward against transformers' Qwen2 on the dequantized weights, chunked prefill against
one-token steps, the tokenizer's own specials and chat template, and the engine over it."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from kernel import quant_native
from kernel.decode import GenerationConfig
from kernel.engine import Engine, EngineConfig
from kernel.errors import ModelLoadError
from kernel.gguf_file import GgufFile, architecture
from kernel.gguf_model import GgufModel, GgufStepper, load_gguf
from kernel.quant_native import load
from tests.kernel import gguf_tiny

PROMPT = [5, 77, 200, 259, 3, 42, 101]


@pytest.fixture(scope="module", autouse=True)
def native() -> None:
    """Built here, not at collection (a worker that runs none of these builds nothing)."""
    got = load()
    if isinstance(got, str):
        pytest.skip(f"no native build here: {got}")


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return gguf_tiny.write(tmp_path_factory.mktemp("gguf") / "tiny-qwen2.gguf")


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One model cache for the module: the tokenizer is converted once."""
    return tmp_path_factory.mktemp("models")


@pytest.fixture(scope="module")
def model(tiny: Path) -> GgufModel:
    return GgufModel.from_file(GgufFile(tiny, keep=()))


def test_the_reader_maps_what_the_writer_wrote(tiny: Path) -> None:
    gf = GgufFile(tiny)
    assert gf.architecture == architecture(tiny) == "qwen2"
    assert gf.meta("embedding_length") == 256 and gf.meta("rope.freq_base") == 1e6
    assert gf.metadata["tokenizer.ggml.tokens"][-3:] == ["<|endoftext|>", "<|im_start|>",
                                                        "<|im_end|>"]
    q = gf.tensors["blk.0.attn_q.weight"]
    assert q.type.name == "Q4_K" and q.shape == (256, 256) and q.data.shape == (256, 144)
    assert isinstance(q.data.base, type(gf.blob)) or q.data.base is not None  # a view
    assert architecture(tiny.with_suffix(".missing")) is None


def test_logits_match_transformers_qwen2_on_the_dequantized_weights(tiny: Path,
                                                                    model: GgufModel) -> None:
    ref = gguf_tiny.reference(tiny)
    with torch.no_grad():
        want = ref(torch.tensor([PROMPT])).logits[0]
    stepper = GgufStepper(model)
    got = [stepper.prefill(PROMPT[:1])]
    for token in PROMPT[1:]:
        got.append(stepper.advance(token, 0.0)[0])
    got_t = torch.stack(got)
    # The activations are quantized to 8 bits per block before each product (as llama.cpp
    # does): about 1% of each product; the fp16 cache adds less.
    err = (got_t - want).norm(dim=-1) / want.norm(dim=-1)
    assert float(err.max()) < 0.03, err
    assert torch.equal(got_t.argmax(-1), want.argmax(-1))


def test_a_prefill_chunk_gives_the_bits_of_one_token_steps(model: GgufModel) -> None:
    steps, chunked = model.new_cache(), model.new_cache()
    for token in PROMPT:
        by_step = model.forward([token], steps)
    by_chunk = model.forward(PROMPT, chunked)
    assert torch.equal(by_step, by_chunk)  # each row's products and attention alike
    assert torch.equal(steps.k[:, :, : len(PROMPT)], chunked.k[:, :, : len(PROMPT)])
    model.decode_threads = 1
    try:
        one = model.forward([9], steps)
        steps.length -= 1
        model.decode_threads = 2
        assert torch.equal(one, model.forward([9], steps))  # rows split, never their sums
    finally:
        model.decode_threads = None


def test_the_tokenizer_reads_its_specials_and_template_from_the_file(
        tiny: Path, cache: Path) -> None:
    _, tok = load_gguf(tiny, cache)
    assert (tok.eos_id, tok.im_start_id, tok.im_end_id) == (258, 259, 260)
    assert tok.stop_ids == (260, 258)
    messages = [{"role": "system", "content": "be brief"}, {"role": "user", "content": "hell"}]
    text = "<|im_start|>system\nbe brief<|im_end|>\n<|im_start|>user\nhell<|im_end|>\n" \
           "<|im_start|>assistant\n"
    assert tok.render(messages) == text
    ids = tok.chat(messages)
    assert ids == tok.encode(text) and ids[0] == 259 and ids.count(260) == 2
    assert 256 in tok.encode("hell") and 257 in tok.encode("hell")  # the file's merges
    assert (cache / next(p.name for p in cache.iterdir()) / "tokenizer.json").is_file()


def test_the_engine_runs_it_with_the_files_stop_tokens(tiny: Path, cache: Path) -> None:
    gen = GenerationConfig(max_new_tokens=12)
    engine = Engine.load(EngineConfig(model=str(tiny), cache_dir=str(cache), generation=gen))
    assert isinstance(engine.model, GgufModel) and engine.context_tokens == 512
    assert engine.config.generation.stop_ids == (260, 258)
    gen = engine.chat([{"role": "user", "content": "hello"}])
    assert gen.prompt_tokens > 5 and gen.exit_reason in ("stop", "length", "collapse")
    again = engine.chat([{"role": "user", "content": "hello"}])
    assert again.token_ids == gen.token_ids  # greedy, with the kept cache reused


def test_what_it_cannot_run_is_refused_with_the_reason(tiny: Path, tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError, match="no LoRA"):
        Engine.load(EngineConfig(model=str(tiny), lora=str(tmp_path), cache_dir=str(tmp_path)))
    gf = GgufFile(tiny, keep=())
    gf.tensors["blk.1.ffn_up.weight"] = gf.tensors["blk.1.attn_q.bias"]  # an F32 "matrix"
    with pytest.raises(ModelLoadError, match=r"ffn_up\.weight is F32"):
        GgufModel.from_file(gf)


def test_k_quant_matrices_are_read_repacked_where_the_build_has_that_gemm(
        model: GgufModel) -> None:
    """On every vector build (AVX2, AVX-VNNI, AVX-512) the Q4_K and Q6_K matrices
    (attn_q, attn_output, ffn_gate, attn_v, ffn_down here) are copied into 8-row groups
    outside the map, for decode steps as for chunks: none is read twice."""
    pairs = model.layers.view(model.n_layers, -1, 2)
    types = {int(t) for t in pairs[:, :, 1].flatten()}
    blob = model.file.blob
    lo, hi = blob.ctypes.data, blob.ctypes.data + blob.nbytes
    x8 = (pairs[:, :, 1] == quant_native.Q4_K_X8) | (pairs[:, :, 1] == quant_native.Q6_K_X8)
    if model.lib.level == 0:
        assert not x8.any()
        pytest.skip(f"{model.kernels} reads the K-quants as the file lays them out")
    assert not types & {12, 14} and int(x8.sum()) == 5 * model.n_layers
    assert all(not lo <= int(p) < hi for p in pairs[x8][:, 0])
