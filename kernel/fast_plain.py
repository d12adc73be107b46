"""A lean forward for plain Llama-family models (the embedded SmolLM2-135M), for decode speed.

transformers' eager Llama spends most of a one-token step in Python and in float32 weight
traffic: 540 MB of weights read per token for a 135M model. Here:

- weights are int8, one scale per output row: a quarter of the bytes per token. The tied
  49152x576 lm_head is a fifth of them, so it is int8 too.
- a one-token step, and a prefill chunk of up to NATIVE_ROWS tokens, is one call into
  kernel/native.c where the CPU has AVX2+FMA and a C compiler is found (kernel/native.py
  says why not, otherwise); else a step takes bfloat16 activations through
  `torch.ops.aten._weight_int8pack_mm` (tuned on AVX-512 VNNI/BF16).
- longer prefill chunks dequantize one matrix at a time and run a GEMM: in bfloat16 where the CPU
  has bf16 arithmetic, else in float32 (torch emulates bf16 on AVX2, slower than float32).
- q/k/v and gate/up are each one fused matrix, so a layer is three matmuls plus the output
  projection; RoPE is one complex multiply over q and k together (their rows are permuted
  at load time from rotate-half to interleaved pairs; q.k is unchanged by permuting both).
- the KV cache is two preallocated bfloat16 tensors [layers, kv heads, capacity, head_dim]
  that grow by doubling; truncating it is setting a length.
- the residual stream and the norms stay float32.

`precision="float32"` runs the same lean forward with float32 weights and cache: the tests
compare it with transformers' logits to check the forward itself, apart from quantization.
Models this module does not cover (biases, rope scaling, other architectures) return
False from `supports` and stay on transformers.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import torch
import torch.nn.functional as F

from kernel.kv_cache import LeanCache, LeanTails
from kernel.native import Cpu, Native, Step, Threads, load
from kernel.precision import check
from kernel.quantize import int8_matmul, int8_ouro, quantize_rows
from kernel.steppers import PREFILL_CHUNK, CachedStepper, LeanStepper, Plain

WEIGHTS = ("int8", "float32")  # what a FastLlama holds
FP32_PREFILL_CHUNK = 128  # prefill pass on CPUs without bf16 arithmetic (see FastLlama)
# A torch one-token step is ~120 matmuls of 10-30 us each. On this project's 2-core machines
# a second OpenMP thread saves little there, and whenever anything else runs (a test suite,
# a build) every one of those barriers waits for a preempted thread: measured under a load
# average of 9, 1 thread gave 20 tokens/s and 2 threads 1.1. Prefill chunks (large GEMMs,
# few barriers) keep torch's thread count. The native step times its thread counts instead
# (kernel/native.py Threads).
DECODE_THREADS = 1
# Prefill chunks up to this many tokens run in the native call too: it reads each int8 row
# once for all of them, where the float32 GEMM path first dequantizes every matrix. Its
# attention is a loop per row and head, though, where torch's is a GEMM: a chunk goes native
# only while rows x positions attended stays under NATIVE_SPAN. Measured on the 2-core AVX2
# EPYC at 7,000 cached positions: 8 rows 277 ms native, 336 float; 32 rows 1.1 s, 0.65 s.
NATIVE_ROWS = 32
NATIVE_SPAN = 1 << 16

Getter = Callable[[str], torch.Tensor]
log = logging.getLogger(__name__)


def supports(config: dict[str, Any]) -> bool:
    """Whether this lean forward computes exactly what transformers computes for `config`."""
    ropes = [config.get("rope_parameters") or {}, config.get("rope_scaling") or {}]
    return (config.get("model_type") == "llama" and config.get("hidden_act", "silu") == "silu"
            and not config.get("attention_bias") and not config.get("mlp_bias")
            and all(r.get("rope_type", r.get("type", "default")) == "default" for r in ropes)
            and config.get("pretraining_tp", 1) == 1
            and config.get("head_dim", 0) * config["num_attention_heads"] > 0)


def _rope_theta(config: dict[str, Any]) -> float:
    rope = config.get("rope_parameters") or {}
    return float(rope.get("rope_theta", config.get("rope_theta", 10000.0)))


def _interleave_rows(w: torch.Tensor, heads: int, head_dim: int) -> torch.Tensor:
    """Reorder each head's output rows from rotate-half (x1 | x2) to pairs (x1_0, x2_0, ...)."""
    half = head_dim // 2
    return w.view(heads, 2, half, -1).transpose(1, 2).reshape(heads * head_dim, -1)


class Linear:
    """y = x @ W.T with W float32, or int8 with a bfloat16 scale per output row (and the
    same scales as float32, what the native step and the float32 prefill GEMM take)."""

    __slots__ = ("q", "scale", "scale32", "w")

    def __init__(self, w: torch.Tensor, precision: str):
        if precision == "float32":
            self.w, self.q, self.scale = w.detach().float().contiguous(), None, None
            self.scale32 = None
        else:
            (self.q, self.scale), self.w = quantize_rows(w), None
            self.scale32 = self.scale.float()

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        if self.q is None:
            return F.linear(x, self.w)
        return int8_matmul(x, self.q, self.scale)

    def rows(self, index: torch.Tensor) -> torch.Tensor:
        """Rows of W as float32 (the embedding lookup of a tied lm_head)."""
        if self.q is None:
            return self.w[index]
        return self.q[index].float() * self.scale[index].float()[:, None]

    def nbytes(self) -> int:
        parts = (self.w,) if self.q is None else (self.q, self.scale)
        return sum(t.numel() * t.element_size() for t in parts)


class Layer:
    __slots__ = ("down", "gate_up", "norm_attn", "norm_mlp", "o", "qkv")

    def __init__(self, get: Getter, prefix: str, dims: FastLlama, precision: str):
        attn = f"{prefix}.self_attn"
        q = _interleave_rows(get(f"{attn}.q_proj.weight").float(), dims.heads, dims.head_dim)
        k = _interleave_rows(get(f"{attn}.k_proj.weight").float(), dims.kv_heads,
                             dims.head_dim)
        self.qkv = Linear(torch.cat([q, k, get(f"{attn}.v_proj.weight").float()]), precision)
        self.o = Linear(get(f"{attn}.o_proj.weight"), precision)
        mlp = f"{prefix}.mlp"
        self.gate_up = Linear(torch.cat([get(f"{mlp}.gate_proj.weight").float(),
                                         get(f"{mlp}.up_proj.weight").float()]), precision)
        self.down = Linear(get(f"{mlp}.down_proj.weight"), precision)
        self.norm_attn = get(f"{prefix}.input_layernorm.weight").float().contiguous()
        self.norm_mlp = get(f"{prefix}.post_attention_layernorm.weight").float().contiguous()


class FastLlama:
    """The weights and the forward; a FastPlain stepper holds one conversation's cache."""

    def __init__(self, config: dict[str, Any], get: Getter, precision: str = "int8"):
        if precision not in WEIGHTS:
            raise ValueError(f"weights must be one of {WEIGHTS}, got {precision!r}")
        if not supports(config):
            raise ValueError("not a plain Llama config this lean forward covers")
        # Attribute access like a transformers config (the serve API reads the context size).
        self.config, self.precision = SimpleNamespace(**config), precision
        self.hidden = config["hidden_size"]
        self.heads, self.kv_heads = config["num_attention_heads"], config["num_key_value_heads"]
        self.head_dim = config.get("head_dim") or self.hidden // self.heads
        self.inter = config["intermediate_size"]
        self.eps = float(config["rms_norm_eps"])
        self.dtype = torch.bfloat16 if precision == "int8" else torch.float32
        self.layers = [Layer(get, f"model.layers.{i}", self, precision)
                       for i in range(config["num_hidden_layers"])]
        self.norm = get("model.norm.weight").float().contiguous()
        embed = Linear(get("model.embed_tokens.weight"), precision)
        self.embed = embed
        self.lm_head = embed if config.get("tie_word_embeddings") else \
            Linear(get("lm_head.weight"), precision)
        self.theta = _rope_theta(config)
        self._freqs = torch.empty(0, self.head_dim // 2, dtype=torch.complex64)
        self.cpu = Cpu.read()
        # Prefill chunks: bf16 GEMM where the CPU has bf16 arithmetic; elsewhere torch
        # emulates bf16 and float32 GEMM over rows dequantized per chunk is faster.
        self.chunk_dtype = torch.bfloat16 if precision == "int8" and self.cpu.bf16 \
            else torch.float32
        self._scratch = torch.empty(0)  # the float32 rows of the matrix in use (prefill)
        # Tokens a prefill pass takes (the engine's default; a cancel waits at most one pass).
        # Dequantized float32 chunks are slower: 256-token ones took 1.2-2.0 s each on the
        # 2-core AVX2 EPYC, 128-token ones 0.6-1.05 s, for 5% less prefill throughput.
        self.prefill_chunk = FP32_PREFILL_CHUNK if precision == "int8" and not self.cpu.bf16 \
            else PREFILL_CHUNK
        # Native decode threads: None picks 1 or 2 by timing them (Threads); a number fixes it.
        self.decode_threads: int | None = None
        self.threads = Threads(min(2, torch.get_num_threads()))
        # Batched steps (kernel/samples.py) time their own: a batch is compute-bound, one
        # sequence memory-bound, and under load a batch's barriers cost more.
        self.batch_threads = Threads(self.threads.most)
        self.native: Native | None = None
        self.kernels = self._choose_native()

    def _choose_native(self) -> str:
        """Load the native step if it applies; return which kernels decode uses (logged)."""
        torch_path = "torch int8 (_weight_int8pack_mm, bf16)"
        if self.precision != "int8":
            return "torch float32"
        if any(n % 32 for n in (self.hidden, self.inter, self.heads * self.head_dim)) or \
                self.head_dim % 8:
            reason = "a width is not a multiple of 32 (or head_dim of 8)"
        else:
            got = load(self.cpu)
            if isinstance(got, Native):
                self.native, self._step = got, Step(got, self)
                log.info("lean forward: decode steps run %s (%s)", got.describe(), got.path)
                return got.describe()
            reason = got
        log.info("lean forward: decode steps stay on torch: %s", reason)
        return f"{torch_path}; native: {reason}"

    # -- construction ------------------------------------------------------------------
    @classmethod
    def from_dir(cls, model_dir: Path, precision: str = "int8") -> FastLlama:
        """Straight from config.json + model.safetensors, one tensor at a time (no float32
        copy of the whole model is ever held)."""
        from safetensors import safe_open

        config = json.loads((Path(model_dir) / "config.json").read_text())
        with safe_open(str(Path(model_dir) / "model.safetensors"), framework="pt") as fh:
            # Copies: a float32 norm weight's .float() is a view into the mmap, which would
            # keep the whole safetensors file mapped and resident for the process's life.
            return cls(config, lambda name: fh.get_tensor(name).clone(), precision)

    @classmethod
    def from_hf(cls, model: Any, precision: str = "int8") -> FastLlama:
        """From a loaded transformers model (e.g. after a LoRA adapter was merged into it)."""
        state = model.state_dict()

        def get(name: str) -> torch.Tensor:
            if name in state:
                return state[name]
            merged = name.replace(".weight", ".base_layer.weight")  # PEFT's wrapped Linear
            if merged in state:
                return state[merged]
            if name == "lm_head.weight":
                return model.get_output_embeddings().weight
            raise KeyError(name)

        return cls(model.config.to_dict(), get, precision)

    def parameters(self) -> Iterator[torch.Tensor]:
        """Every weight tensor once (int8 rows count one parameter each, as transformers
        counts them; scales are not parameters)."""
        for layer in self.layers:
            for linear in (layer.qkv, layer.o, layer.gate_up, layer.down):
                yield linear.q if linear.w is None else linear.w
            yield from (layer.norm_attn, layer.norm_mlp)
        yield self.norm
        for linear in {id(x): x for x in (self.embed, self.lm_head)}.values():
            yield linear.q if linear.w is None else linear.w

    def nbytes(self) -> int:
        linears = [x for layer in self.layers for x in (layer.qkv, layer.o, layer.gate_up,
                                                         layer.down)]
        heads = [self.embed] + ([] if self.lm_head is self.embed else [self.lm_head])
        return sum(x.nbytes() for x in linears + heads)

    def new_cache(self) -> LeanCache:
        return LeanCache(len(self.layers), self.kv_heads, self.head_dim, self.dtype)

    # -- the forward -------------------------------------------------------------------
    def _rope(self, start: int, length: int) -> torch.Tensor:
        """exp(i * position * inv_freq) for positions [start, start+length): [T, 1, D/2]."""
        if start + length > self._freqs.shape[0]:
            size = max(start + length, 2 * self._freqs.shape[0], 4096)
            inv = 1.0 / (self.theta ** (torch.arange(0, self.head_dim, 2,
                                                     dtype=torch.float32) / self.head_dim))
            angles = torch.arange(size, dtype=torch.float32)[:, None] * inv[None, :]
            self._freqs = torch.polar(torch.ones_like(angles), angles)
        return self._freqs[start : start + length, None, :]

    def forward(self, ids: Sequence[int], cache: LeanCache) -> torch.Tensor:
        """Append `ids` after what `cache` holds; return the last position's logits [V]."""
        n = len(ids)
        if self.native is not None and (n == 1 or (
                n <= NATIVE_ROWS and n * (cache.length + n) <= NATIVE_SPAN)):
            return self._native_rows(ids, cache)
        if n != 1:
            return self._forward(ids, cache)
        threads = torch.get_num_threads()
        torch.set_num_threads(min(threads, DECODE_THREADS))
        try:
            return self._forward(ids, cache)
        finally:
            torch.set_num_threads(threads)

    def _native_rows(self, ids: Sequence[int], cache: LeanCache) -> torch.Tensor:
        """One decode step, or a short prefill chunk, in one native call. Decode steps time
        their thread count (Threads); a chunk takes the count the steps chose."""
        pos, count = cache.length, len(ids)
        cache.reserve(pos + count)
        timed = count == 1 and self.decode_threads is None
        threads = self.decode_threads or (self.threads.pick() if timed else self.threads.current)
        began = time.perf_counter()
        logits = self._step(ids, pos, self._rope_pairs(pos, count), cache.k, cache.v, threads)
        if timed:
            self.threads.record(threads, time.perf_counter() - began)
        cache.length = pos + count
        return logits

    def batch_step(self, tokens: Sequence[int], rows: Sequence[int], cache: LeanCache,
                   tails: LeanTails, threads: int) -> torch.Tensor:
        """One native decode step of the samples `rows` (kernel/samples.py), which share the
        prompt in `cache` and keep their own positions in `tails`: logits [len(rows), V],
        each row's the bits its own one-token step would give."""
        assert self.native is not None, "batched steps need the native library"
        pos = cache.length + tails.length
        tails.reserve(tails.length + 1)
        logits = self._step.batch(tokens, pos, cache.length, self._rope_pairs(pos, 1), cache.k,
                                  cache.v, tails.k, tails.v, rows, threads)
        tails.length += 1
        return logits

    def _rope_pairs(self, pos: int, count: int) -> torch.Tensor:
        """Positions [pos, pos + count) as native.c takes them: [count, D/2, (cos, sin)]."""
        self._rope(pos, count)
        return torch.view_as_real(self._freqs[pos : pos + count])

    def _mm(self, linear: Linear, x: torch.Tensor) -> torch.Tensor:
        """linear(x); float32 rows of an int8 matrix go through a float32 GEMM over its
        rows dequantized (into one reused buffer where the native library is loaded)."""
        if x.dtype != torch.float32 or linear.q is None:
            return linear(x)
        if self.native is None:
            return F.linear(x, linear.q.float()) * linear.scale32
        if self._scratch.numel() < linear.q.numel():
            self._scratch = torch.empty(linear.q.numel(), dtype=torch.float32)
        rows = self.native.dequant(linear.q, linear.scale32, self._scratch,
                                   torch.get_num_threads())
        return F.linear(x, rows)

    def _head(self, last: torch.Tensor) -> torch.Tensor:
        """The logits [V] of one normed row."""
        head = self.lm_head
        if head.q is None:
            return F.linear(last, head.w)[0]
        if self.native is not None:
            return self.native.gemv(head.q, head.scale32, last[0], torch.get_num_threads())
        return head(last.to(torch.bfloat16))[0].float()

    @torch.inference_mode()
    def _forward(self, ids: Sequence[int], cache: LeanCache) -> torch.Tensor:
        t, start = len(ids), cache.length
        cache.reserve(start + t)
        rope, eps = self._rope(start, t), self.eps
        dt = self.dtype if t == 1 else self.chunk_dtype
        mask = None
        if t > 1:  # causal over the new rows, everything cached before them visible
            mask = torch.ones(t, start + t, dtype=torch.bool).tril_(start)
        h = self.embed.rows(torch.tensor(list(ids), dtype=torch.long))  # [T, H] float32
        for i, layer in enumerate(self.layers):
            x = F.rms_norm(h, (self.hidden,), layer.norm_attn, eps).to(dt)
            qkv = self._mm(layer.qkv, x)
            h = h + self._mm(layer.o, self._attend(i, qkv, rope, cache, start, mask))
            x = F.rms_norm(h, (self.hidden,), layer.norm_mlp, eps).to(dt)
            gate_up = self._mm(layer.gate_up, x)
            act = F.silu(gate_up[:, : self.inter]) * gate_up[:, self.inter :]
            h = h + self._mm(layer.down, act)
        cache.length = start + t
        return self._head(F.rms_norm(h[-1:], (self.hidden,), self.norm, eps))

    def _attend(self, i: int, qkv: torch.Tensor, rope: torch.Tensor, cache: LeanCache, start: int,
                mask: torch.Tensor | None) -> torch.Tensor:
        """Layer i's attention for rows qkv [T, (nh + 2 nkv) d] at positions start.. ->
        [T, nh d]; their keys and values go into the cache."""
        t, nh, nkv, d = qkv.shape[0], self.heads, self.kv_heads, self.head_dim
        end, width = start + t, (nh + nkv) * d
        qk = torch.view_as_complex(qkv[:, :width].float().view(t, nh + nkv, d // 2, 2))
        qk = torch.view_as_real(qk * rope).view(t, nh + nkv, d).to(qkv.dtype)
        cache.k[i, :, start:end] = qk[:, nh:].transpose(0, 1)
        cache.v[i, :, start:end] = qkv[:, width:].view(t, nkv, d).transpose(0, 1)
        keys, values = cache.k[i : i + 1, :, :end], cache.v[i : i + 1, :, :end]
        if keys.dtype != qk.dtype:  # float32 prefill over the bf16 cache
            keys, values = keys.to(qk.dtype), values.to(qk.dtype)
        if t == 1:  # one query: each kv head's query heads act as rows, no mask needed
            q = qk[0, :nh].view(1, nkv, nh // nkv, d)
            return F.scaled_dot_product_attention(q, keys, values).view(1, nh * d)
        q = qk[:, :nh].transpose(0, 1).unsqueeze(0)  # [1, nh, T, d]
        out = F.scaled_dot_product_attention(q, keys, values, attn_mask=mask, enable_gqa=True)
        return out[0].transpose(0, 1).reshape(t, nh * d)


class FastPlain(LeanStepper):
    """A stepper over a FastLlama; its cache survives between prompts (LeanStepper)."""

    model: FastLlama


def plain_stepper(model: Any, chunk: int = PREFILL_CHUNK) -> CachedStepper:
    """The stepper for a plain model: the lean one for a FastLlama, else transformers'."""
    return FastPlain(model, chunk) if isinstance(model, FastLlama) else Plain(model, chunk=chunk)


def with_precision(model: Any, kind: str, precision: str, *, four_bit: bool,
                   unmerged_lora: bool) -> Any:
    """`model` on the path `precision` (kernel/precision.py) picks for it. A 4-bit base, an
    unmerged adapter (its wrapped layers must stay) or an architecture the lean forward does
    not cover is returned unchanged."""
    if check(precision) == "float32" or four_bit or unmerged_lora:
        return model
    if kind == "plain":
        if isinstance(model, FastLlama) or not supports(model.config.to_dict()):
            return model
        return FastLlama.from_hf(model)
    if kind == "ouro" and precision == "int8":
        return int8_ouro(model)
    return model
