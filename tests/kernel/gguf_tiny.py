"""A tiny Qwen2 GGUF written with the gguf package's GGUFWriter, for tests of the quantized
path: 2 layers, hidden 256 (one K-quant block a row), 2 heads of 128 over 1 kv head, a
byte-level vocabulary of 261 tokens with the ChatML specials at ids 258-260 (not 0-2, as
a real Qwen file has them elsewhere than SmolLM2), and the matrices in every type the
kernel reads. Q8_0 blocks come from gguf.quants.quantize; the package cannot quantize
Q4_K or Q6_K, so those are random blocks with small scales (any byte pattern is a valid
block). `reference` is the same model as transformers' Qwen2, on the weights dequantized
by the gguf package.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from gguf import GGML_QUANT_SIZES, GGMLQuantizationType, GGUFWriter, TokenType
from gguf import quants as gq

Q = GGMLQuantizationType
HIDDEN, INTER, HEADS, KV_HEADS, LAYERS = 256, 512, 2, 1, 2
TEMPLATE = ("{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n"
            "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}")
# per layer: name -> (rows, cols, type); mixed as a Q4_K_M file mixes them
MATRICES = {"attn_q": (HIDDEN, HIDDEN, Q.Q4_K), "attn_k": (128, HIDDEN, Q.Q8_0),
            "attn_v": (128, HIDDEN, Q.Q6_K), "attn_output": (HIDDEN, HIDDEN, Q.Q4_K),
            "ffn_gate": (INTER, HIDDEN, Q.Q4_K), "ffn_up": (INTER, HIDDEN, Q.Q8_0),
            "ffn_down": (HIDDEN, INTER, Q.Q6_K)}


def _byte_alphabet() -> list[str]:
    from transformers.convert_slow_tokenizer import bytes_to_unicode

    return list(bytes_to_unicode().values())


def _blocks(qtype: Q, rows: int, cols: int, rng: np.random.Generator) -> np.ndarray:
    if qtype == Q.Q8_0:
        return gq.quantize((rng.standard_normal((rows, cols)) * 0.05).astype(np.float32),
                           qtype)
    block, size = GGML_QUANT_SIZES[qtype]
    raw = rng.integers(0, 256, size=(rows, cols // block, size), dtype=np.uint8)
    scales = rng.uniform(2e-4, 1e-3, size=(rows, cols // block, 2)).astype(np.float16)
    scales = scales.view(np.uint8).reshape(rows, cols // block, 4)
    if qtype == Q.Q4_K:
        raw[:, :, 0:4] = scales
    else:
        raw[:, :, 208:210] = scales[:, :, 0:2]
    return raw.reshape(rows, -1)


def write(path: Path, seed: int = 0, tied: bool = False) -> Path:
    rng = np.random.default_rng(seed)
    tokens = [*_byte_alphabet(), "he", "ll", "<|endoftext|>", "<|im_start|>", "<|im_end|>"]
    types = [TokenType.NORMAL] * (len(tokens) - 3) + [TokenType.CONTROL] * 3
    vocab = len(tokens)
    w = GGUFWriter(str(path), "qwen2")
    w.add_block_count(LAYERS)
    w.add_context_length(512)
    w.add_embedding_length(HIDDEN)
    w.add_feed_forward_length(INTER)
    w.add_head_count(HEADS)
    w.add_head_count_kv(KV_HEADS)
    w.add_rope_freq_base(1000000.0)
    w.add_layer_norm_rms_eps(1e-6)
    w.add_tokenizer_model("gpt2")
    w.add_tokenizer_pre("qwen2")
    w.add_token_list(tokens)
    w.add_token_types(types)
    w.add_token_merges(["h e", "l l"])
    w.add_eos_token_id(vocab - 1)
    w.add_bos_token_id(vocab - 3)
    w.add_pad_token_id(vocab - 3)
    w.add_add_bos_token(False)
    w.add_chat_template(TEMPLATE)
    embed_type = Q.Q8_0 if tied else Q.Q4_K
    w.add_tensor("token_embd.weight", _blocks(embed_type, vocab, HIDDEN, rng),
                 raw_dtype=embed_type)
    if not tied:
        w.add_tensor("output.weight", _blocks(Q.Q6_K, vocab, HIDDEN, rng), raw_dtype=Q.Q6_K)
    w.add_tensor("output_norm.weight", rng.uniform(0.5, 1.5, HIDDEN).astype(np.float32))
    for i in range(LAYERS):
        for name, (rows, cols, qtype) in MATRICES.items():
            w.add_tensor(f"blk.{i}.{name}.weight", _blocks(qtype, rows, cols, rng),
                         raw_dtype=qtype)
        for name, size in (("attn_q", HIDDEN), ("attn_k", 128), ("attn_v", 128)):
            w.add_tensor(f"blk.{i}.{name}.bias",
                         (rng.standard_normal(size) * 0.1).astype(np.float32))
        for name in ("attn_norm", "ffn_norm"):
            w.add_tensor(f"blk.{i}.{name}.weight",
                         rng.uniform(0.5, 1.5, HIDDEN).astype(np.float32))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return path


def reference(path: Path):  # -> transformers Qwen2ForCausalLM
    """The file's model as transformers' Qwen2 in float32, weights dequantized by gguf."""
    import torch
    from transformers import Qwen2Config, Qwen2ForCausalLM

    from kernel.gguf_file import GgufFile

    gf = GgufFile(path, keep=())
    vocab = gf.tensors["token_embd.weight"].rows
    tied = "output.weight" not in gf.tensors
    config = Qwen2Config(vocab_size=vocab, hidden_size=HIDDEN, intermediate_size=INTER,
                         num_hidden_layers=LAYERS, num_attention_heads=HEADS,
                         num_key_value_heads=KV_HEADS, rms_norm_eps=1e-6,
                         rope_theta=1000000.0, max_position_embeddings=512,
                         tie_word_embeddings=tied)
    model = Qwen2ForCausalLM(config).eval()

    def get(name: str) -> torch.Tensor:
        t = gf.tensors[name]
        values = gq.dequantize(np.asarray(t.data), t.type) if t.type not in (Q.F32,) else \
            np.asarray(t.data).view(np.float32)
        return torch.from_numpy(np.array(values, dtype=np.float32)).reshape(t.shape)

    names = {"model.embed_tokens.weight": "token_embd.weight",
             "model.norm.weight": "output_norm.weight"}
    if not tied:
        names["lm_head.weight"] = "output.weight"
    hf = {"attn_q": "self_attn.q_proj", "attn_k": "self_attn.k_proj",
          "attn_v": "self_attn.v_proj", "attn_output": "self_attn.o_proj",
          "ffn_gate": "mlp.gate_proj", "ffn_up": "mlp.up_proj", "ffn_down": "mlp.down_proj"}
    for i in range(LAYERS):
        for ours, theirs in hf.items():
            names[f"model.layers.{i}.{theirs}.weight"] = f"blk.{i}.{ours}.weight"
        for ours in ("attn_q", "attn_k", "attn_v"):
            names[f"model.layers.{i}.{hf[ours]}.bias"] = f"blk.{i}.{ours}.bias"
        names[f"model.layers.{i}.input_layernorm.weight"] = f"blk.{i}.attn_norm.weight"
        names[f"model.layers.{i}.post_attention_layernorm.weight"] = f"blk.{i}.ffn_norm.weight"
    state = {ours: get(theirs) for ours, theirs in names.items()}
    missing, unexpected = model.load_state_dict(state, strict=False)
    assert not unexpected and set(missing) <= {"lm_head.weight"}, (missing, unexpected)
    return model
