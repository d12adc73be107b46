"""Qwen2-architecture GGUF models run from the file's own quantized blocks.

The file is memory-mapped (kernel/gguf_file.py) and its matrices stay the Q4_K, Q6_K and
Q8_0 blocks llama.cpp wrote: kernel/quant.c's products read them where the map puts them,
except that vector builds copy the layers' Q4_K and Q6_K matrices into 8-row interleaved
groups (quant.c's repacked GEMM) and let the map's pages of them go. Either way the model
costs about its file's size in memory plus the KV cache, and a load is the header, the
tokenizer (cached, kernel/gguf_tokenizer.py), the repack (~0.6 s of CPU for the 1.5B) and
a compile of quant.c once per machine. A token, or a prefill chunk of up to `prefill_chunk`
tokens, is one native call (oq_tokens): norms, q/k/v with their biases, rotate-half RoPE at
the file's theta, GQA attention over an fp16 cache, SwiGLU, the logits.

What it takes, checked at load with a one-line reason otherwise: general.architecture
`qwen2` (Qwen2 and Qwen2.5, the Coder models included); matrices in Q4_K, Q6_K or Q8_0
(what the Q4_K_M, Q6_K and Q8_0 files of the 1.5B and 3B models hold; the 0.5B files'
896-wide rows are not whole 256-value blocks, so llama.cpp wrote those in Q5_0 and Q8_0,
and Q5_0 is not read here); the embedding in any of those or F16/F32; norms and biases F32.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import torch

from kernel.errors import ModelLoadError
from kernel.gguf_file import GgufFile, Tensor
from kernel.kv_cache import LeanCache
from kernel.native import Threads
from kernel.quant_native import PRODUCT_TYPES, ROW_TYPES, QuantLib, load
from kernel.steppers import LeanStepper

ARCHITECTURES = ("qwen2",)
# Tokens per native prefill call: each call reads every weight once and waits at ~12
# barriers a layer, so longer is faster (quant.c tiles the products, so a long chunk's
# activations need not stay in cache); a cancel waits at most one chunk. 256, the other
# steppers' chunk: a 256-token prompt took 3.43 CPU s against 3.74 in chunks of 64
# (2 threads, load average 5; wall medians 6.2 s against 6.8).
PREFILL_CHUNK = 256
LAYER = ("attn_norm", "attn_q.bias", "attn_k.bias", "attn_v.bias", "ffn_norm", "attn_q",
         "attn_k", "attn_v", "attn_output", "ffn_gate", "ffn_up", "ffn_down")  # quant.c's L_*
MATRICES = frozenset(LAYER[5:])
log = logging.getLogger(__name__)


def _ptr(array: np.ndarray) -> int:
    return int(array.ctypes.data)


class GgufModel:
    """The mapped weights, their addresses in quant.c's order, and the forward."""

    prefill_chunk = PREFILL_CHUNK

    def __init__(self, gf: GgufFile, lib: QuantLib):
        if gf.architecture not in ARCHITECTURES:
            raise ModelLoadError(f"{gf.path.name}: architecture {gf.architecture!r}; the "
                                 f"quantized GGUF path runs {', '.join(ARCHITECTURES)}")
        self.file, self.lib = gf, lib
        self.name = gf.path.name
        self._keep: list[np.ndarray] = []  # converted norms/biases, repacked matrices
        self.hidden = int(gf.meta("embedding_length"))
        self.heads = int(gf.meta("attention.head_count"))
        self.kv_heads = int(gf.meta("attention.head_count_kv", self.heads))
        self.head_dim = self.hidden // self.heads
        self.inter = int(gf.meta("feed_forward_length"))
        self.n_layers = int(gf.meta("block_count"))
        self.eps = float(gf.meta("attention.layer_norm_rms_epsilon", 1e-6))
        self.theta = float(gf.meta("rope.freq_base", 10000.0))
        self._check_shape()
        embed = self._tensor("token_embd.weight", ROW_TYPES)
        out = gf.tensors.get("output.weight") or embed  # tied: the embedding is the head
        self._tensor(out.name, PRODUCT_TYPES)
        self.vocab = out.rows
        self.layers = torch.tensor([v for i in range(self.n_layers) for v in self._layer(i)],
                                   dtype=torch.int64)
        norm = self._vector("output_norm.weight", self.hidden)
        self.globals = torch.tensor([_ptr(embed.data), int(embed.type), _ptr(out.data),
                                     int(out.type), _ptr(norm), 0], dtype=torch.int64)
        self.dims = torch.tensor([self.n_layers, self.hidden, self.heads, self.kv_heads,
                                  self.head_dim, self.inter, self.vocab], dtype=torch.int64)
        self.embedded = embed.rows
        context = int(gf.meta("context_length", 2048))
        # Attribute access like a transformers config (the engine reads the context size).
        self.config = SimpleNamespace(model_type=gf.architecture,
                                      max_position_embeddings=context,
                                      vocab_size=self.vocab, hidden_size=self.hidden,
                                      num_hidden_layers=self.n_layers)
        self.threads = Threads(min(2, torch.get_num_threads()))
        self.decode_threads: int | None = None  # None: 1 or 2 by timing (native.Threads)
        self.kernels = lib.describe()
        self._freqs = torch.empty(0, self.head_dim // 2, 2)

    def _check_shape(self) -> None:
        if self.heads * self.head_dim != self.hidden or self.head_dim % 16 or \
                self.head_dim > 512 or self.heads % self.kv_heads:
            raise ModelLoadError(f"{self.name}: {self.heads} heads of {self.hidden} "
                                 f"({self.kv_heads} kv heads) is not a shape quant.c runs")

    def _tensor(self, name: str, types: dict[int, str]) -> Tensor:
        t = self.file.tensors.get(name)
        if t is None:
            raise ModelLoadError(f"{self.name} has no tensor {name}")
        if int(t.type) not in types:
            raise ModelLoadError(f"{self.name}: {name} is {t.type.name}; the kernel reads "
                                 f"{', '.join(types.values())} there")
        return t

    def _vector(self, name: str, size: int) -> np.ndarray:
        """A norm or bias as float32 (a view of the map when the file has it so)."""
        t = self._tensor(name, {0: "F32", 1: "F16"})
        if t.shape != (size,):
            raise ModelLoadError(f"{self.name}: {name} has shape {t.shape}, expected {size}")
        if int(t.type) == 0:
            return t.data.view(np.float32)
        self._keep.append(t.data.view(np.float16).astype(np.float32))
        return self._keep[-1]

    def _layer(self, i: int) -> list[int]:
        """Layer i's (pointer, type) pairs in quant.c's order (0 for an absent bias)."""
        d, kv = self.head_dim, self.kv_heads * self.head_dim
        rows = {"attn_q": self.hidden, "attn_k": kv, "attn_v": kv, "attn_output": self.hidden,
                "ffn_gate": self.inter, "ffn_up": self.inter, "ffn_down": self.hidden}
        sizes = {"attn_norm": self.hidden, "ffn_norm": self.hidden, "attn_q.bias": self.hidden,
                 "attn_k.bias": kv, "attn_v.bias": kv}
        out: list[int] = []
        for part in LAYER:
            name = f"blk.{i}.{part}" + ("" if part.endswith(".bias") else ".weight")
            if part in MATRICES:
                t = self._tensor(name, PRODUCT_TYPES)
                cols = self.inter if part == "ffn_down" else self.hidden
                if t.shape != (rows[part], cols):
                    raise ModelLoadError(f"{self.name}: {name} has shape {t.shape}")
                out += self._matrix(t, cols)
            elif part.endswith(".bias") and name not in self.file.tensors:
                out += [0, 0]
            else:
                out += [_ptr(self._vector(name, sizes[part])), 0]
        assert d > 0
        return out

    def _matrix(self, t: Tensor, cols: int) -> list[int]:
        """(pointer, type) of a layer matrix: repacked where this build's GEMM has a layout
        of its own (Q4_K, Q6_K: 8 rows interleaved, quant_x8.c BlockQ4KX8), its file pages
        then let go, so the copy replaces them in memory rather than doubling them."""
        packed = self.lib.repack(t.data, int(t.type), cols)
        if packed is None:
            return [_ptr(t.data), int(t.type)]
        self._keep.append(packed[0])
        self.file.release(t)
        return [_ptr(packed[0]), packed[1]]

    @classmethod
    def from_file(cls, gf: GgufFile) -> GgufModel:
        lib = load()
        if isinstance(lib, str):
            raise ModelLoadError(f"{gf.path.name}: quantized weights need kernel/quant.c: {lib}")
        return cls(gf, lib)

    def nbytes(self) -> int:
        return self.file.nbytes()

    def new_cache(self) -> LeanCache:
        return LeanCache(self.n_layers, self.kv_heads, self.head_dim, torch.float16)

    def _rope(self, pos: int, count: int) -> torch.Tensor:
        """(cos, sin) of positions [pos, pos + count): [count, head_dim / 2, 2] float32,
        the angles computed in float64 (llama.cpp's float32 powers differ in the last bit
        at most)."""
        end = pos + count
        if end > self._freqs.shape[0]:
            size = max(end, 2 * self._freqs.shape[0], 4096)
            half = self.head_dim // 2
            inv = self.theta ** (-torch.arange(half, dtype=torch.float64) * 2 / self.head_dim)
            angles = torch.arange(size, dtype=torch.float64)[:, None] * inv[None, :]
            self._freqs = torch.stack([angles.cos(), angles.sin()], -1).float()
        return self._freqs[pos:end].contiguous()

    def forward(self, ids: Sequence[int], cache: LeanCache) -> torch.Tensor:
        """Append `ids` after what `cache` holds; return the last position's logits [V]."""
        count, pos = len(ids), cache.length
        if count == 0:
            raise ValueError("no tokens to run")
        tokens = torch.tensor(list(ids), dtype=torch.int64)
        if int(tokens.min()) < 0 or int(tokens.max()) >= self.embedded:
            raise IndexError(f"token id out of range [0, {self.embedded}): {list(ids)!r}"[:200])
        cache.reserve(pos + count)
        timed = count == 1 and self.decode_threads is None
        threads = self.decode_threads or (self.threads.pick() if timed else self.threads.current)
        rope = self._rope(pos, count)
        tokens = tokens.to(torch.int32)
        logits = torch.empty(self.vocab, dtype=torch.float32)
        began = time.perf_counter()
        if self.lib.lib.oq_tokens(self.dims.data_ptr(), self.layers.data_ptr(),
                                  self.globals.data_ptr(), self.eps, tokens.data_ptr(), count,
                                  pos, cache.k.shape[2], rope.data_ptr(), cache.k.data_ptr(),
                                  cache.v.data_ptr(), logits.data_ptr(), threads):
            raise MemoryError("native step: no scratch memory")
        if timed:
            self.threads.record(threads, time.perf_counter() - began)
        cache.length = pos + count
        return logits


class GgufStepper(LeanStepper):
    """A stepper over a GgufModel; its cache survives between prompts (LeanStepper)."""

    model: GgufModel


def runs_here(path: Path, architecture: str | None) -> bool:
    """Whether a .gguf at `path` takes this path (else transformers' dequantizing one)."""
    return path.suffix == ".gguf" and architecture in ARCHITECTURES


def load_gguf(path: Path, cache_root: Path | None = None) -> tuple[GgufModel, Any]:
    """(model, tokenizer) of a Qwen2 GGUF; the tokenizer built once, then cached."""
    from kernel.gguf_tokenizer import gguf_tokenizer

    gf = GgufFile(path, keep=("tokenizer.ggml.tokens",))
    model = GgufModel.from_file(gf)
    tokenizer = gguf_tokenizer(gf, cache_root)
    if tokenizer.vocab_size > model.embedded:
        log.info("%s: tokenizer has %d ids, the embedding %d rows", path.name,
                 tokenizer.vocab_size, model.embedded)
    log.info("gguf model %s: %s, %d layers, matrices %s", path.name, model.kernels,
             model.n_layers, sorted({t.type.name for t in gf.tensors.values()}))
    return model, tokenizer
