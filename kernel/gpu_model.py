"""The lean forward on a GPU: bf16 weights resident on the device, a static KV cache, and
every per-token quantity a tensor, so a decode step can be captured as a CUDA graph
(kernel/gpu_stepper.py replays it).

One forward covers both model families. A plain Llama-family model is a loop of one step;
Ouro runs its weight-tied stack `total_ut_steps` times, with sandwich norms inside each layer
and the shared final norm after every step (that normed state feeds the next step and is the
step's output). The arithmetic follows kernel/ouro_model.py and transformers' Llama op for op
(rotate-half RoPE, norms with float32 statistics, the same attention scale), so on the CPU in
float32 this module reproduces both; the CPU tests check that, and the CUDA tests check the
graph against the eager forward.

What a CUDA graph needs, and how this module gives it:
- fixed addresses: the cache is one preallocated tensor, [slots, batch, 2 (K, V), kv heads,
  capacity, head_dim], one slot per (loop step, layer) and one row per sequence (batch 1
  but for best-of-N's batched decode); writing a position is an index_copy_ at a position
  *tensor*;
- fixed shapes: attention reads a fixed `span` of the cache (a power-of-two bucket at least as
  long as what is cached) and masks the positions past the query, so one graph serves every
  position inside its bucket;
- no host reads: RoPE angles come from a table indexed by the position tensor, and the mask is
  computed from it on the device.
Grouped-query attention runs each kv head's query heads as rows of one matrix (no copy of the
keys per query head), for prefill chunks and single tokens alike.

Prefill chunks (T positions of one sequence) run `layer_forward`; decode steps (one token
for each of B sequences, all at one position) run `decode_layer`, which GpuModel.fuse()
compiles (both in kernel/gpu_layers.py). Its attention is written as two matrix products
around a float32 softmax ("matmul"), or is torch's fused kernel ("sdpa"); GpuModel.attention
picks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch

from kernel.gpu_layers import decode_layer, decode_layer_parts, decode_mask, layer_forward, rms_norm

Getter = Callable[[str], torch.Tensor]
MAX_TABLE = 1 << 17  # positions a GpuModel serves at most (Ouro-1.4B declares 65,536)
ATTENTION = "sdpa"  # decode attention: "sdpa" (torch's fused kernel) or "matmul"


@dataclass(frozen=True)
class Shape:
    """What the forward needs to know of a model's configuration."""

    layers: int
    steps: int  # loop steps: 1 for a plain model
    hidden: int
    heads: int
    kv_heads: int
    head_dim: int
    inter: int
    vocab: int
    eps: float
    theta: float
    max_positions: int
    windows: tuple[int | None, ...]  # per layer: a sliding window, or None for full attention
    sandwich: bool  # Ouro's extra norms after attention and after the MLP
    gated: bool  # Ouro's early-exit gate

    @property
    def slots(self) -> int:
        return self.steps * self.layers

    @classmethod
    def of_ouro(cls, cfg: Any) -> Shape:
        return cls(cfg.num_hidden_layers, cfg.total_ut_steps, cfg.hidden_size,
                   cfg.num_attention_heads, cfg.num_key_value_heads, cfg.head_dim,
                   cfg.intermediate_size, cfg.vocab_size, float(cfg.rms_norm_eps),
                   float(cfg.rope_theta), int(cfg.max_position_embeddings),
                   tuple(cfg.window(i) for i in range(cfg.num_hidden_layers)), True, True)

    @classmethod
    def of_llama(cls, config: dict[str, Any]) -> Shape:
        from kernel.fast_plain import _rope_theta

        heads = config["num_attention_heads"]
        return cls(config["num_hidden_layers"], 1, config["hidden_size"], heads,
                   config["num_key_value_heads"],
                   config.get("head_dim") or config["hidden_size"] // heads,
                   config["intermediate_size"], config["vocab_size"],
                   float(config["rms_norm_eps"]), _rope_theta(config),
                   int(config.get("max_position_embeddings") or 8192),
                   (None,) * config["num_hidden_layers"], False, False)


@dataclass
class LayerWeights:
    qkv: torch.Tensor  # [(heads + 2 kv_heads) * head_dim, hidden]
    o: torch.Tensor
    gate_up: torch.Tensor  # [2 inter, hidden]
    down: torch.Tensor
    attn_in: torch.Tensor
    mlp_in: torch.Tensor
    attn_out: torch.Tensor | None  # sandwich norms (Ouro)
    mlp_out: torch.Tensor | None


def _getter(state: dict[str, torch.Tensor]) -> Getter:
    """Checkpoint names over a loaded model's state: PEFT keeps a merged adapter's layer
    wrapped, and its weight (base plus the merged delta) is the base_layer's."""
    def get(name: str) -> torch.Tensor:
        return state[name] if name in state else state[name.replace(".weight",
                                                                     ".base_layer.weight")]
    return get


class StaticCache:
    """Keys and values of every (loop step, layer) slot for `batch` sequences, one tensor
    [slots, batch, 2 (keys, values), kv heads, capacity, d] at a fixed address (a decode
    step writes a position's keys and values in one go); growing it makes a new tensor (and
    so invalidates any captured graph)."""

    def __init__(self, shape: Shape, capacity: int, dtype: torch.dtype, device: torch.device,
                 batch: int = 1):
        size = (shape.slots, batch, 2, shape.kv_heads, capacity, shape.head_dim)
        self.kv = torch.zeros(size, dtype=dtype, device=device)

    @property
    def k(self) -> torch.Tensor:
        """[slots, batch, kv heads, capacity, d], a view."""
        return self.kv[:, :, 0]

    @property
    def v(self) -> torch.Tensor:
        return self.kv[:, :, 1]

    @property
    def capacity(self) -> int:
        return self.kv.shape[4]

    @property
    def batch(self) -> int:
        return self.kv.shape[1]

    def grown(self, capacity: int, keep: int, batch: int | None = None) -> StaticCache:
        """A cache of `capacity` positions holding this one's first `keep`; with `batch`, a
        batch-1 cache's sequence copied into each of `batch` rows (best-of-N's start)."""
        new = StaticCache.__new__(StaticCache)
        old = self.kv
        rows = old.shape[1] if batch is None else batch
        new.kv = old.new_zeros((old.shape[0], rows, *old.shape[2:4], capacity, old.shape[5]))
        new.kv[..., :keep, :] = old[..., :keep, :]  # broadcasts one row to `batch`
        return new

    def share(self, sources: torch.Tensor, targets: torch.Tensor,
              position: torch.Tensor) -> None:
        """Copy position `position` ([1], a tensor: graph-capturable) of slots `sources` into
        slots `targets` (deep mode's last-available sharing: a token that exited early
        leaves its exit step's keys in the deeper slots, where later tokens look for
        them)."""
        by_position = self.kv.movedim(4, 1)  # a view: [slots, capacity, batch, 2, kv, d]
        by_position[targets, position] = by_position[sources, position]

    def nbytes(self) -> int:
        return self.kv.numel() * self.kv.element_size()


class GpuModel:
    """Weights on one device in one dtype, and the forward over a StaticCache."""

    def __init__(self, shape: Shape, layers: list[LayerWeights], norm: torch.Tensor,
                 embed: torch.Tensor, lm_head: torch.Tensor,
                 gate: tuple[torch.Tensor, torch.Tensor] | None):
        self.shape, self.layers, self.norm = shape, layers, norm
        self.embed, self.lm_head, self.gate_weights = embed, lm_head, gate
        self.dtype, self.device = embed.dtype, embed.device
        self.config = shape  # the serve API and the engine read a model's context size
        inv = 1.0 / (shape.theta ** (torch.arange(0, shape.head_dim, 2, dtype=torch.float32,
                                                  device=self.device) / shape.head_dim))
        # The RoPE table and key index cover the context, capped: a checkpoint's config.json
        # is a file anyone could write, and 10^9 positions would be allocated at load.
        self.positions = min(shape.max_positions, MAX_TABLE)
        angles = torch.arange(self.positions, dtype=torch.float32,
                              device=self.device)[:, None] * inv[None, :]
        emb = torch.cat((angles, angles), dim=-1)
        self.cos, self.sin = emb.cos().to(self.dtype), emb.sin().to(self.dtype)
        self.key_index = torch.arange(self.positions, device=self.device)
        self.fused: Callable[..., torch.Tensor] | None = None  # see fuse()
        self.fused_why = "eager: not asked to fuse"
        self.fused_parts = False
        self.attention = ATTENTION  # decode_layer's attention: "matmul" or "sdpa"

    def fuse(self, tuned: bool = True, parts: bool = True) -> str:
        """Compile the decode layer with torch.compile (inductor fuses each layer's ~50
        small kernels into a few: a one-token step is bound by kernel count and by how near
        its matrix-vector products come to the memory bandwidth). `tuned` turns on
        inductor's coordinate-descent tuning, which also makes each one-row product a
        fused, tuned reduction instead of a cuBLAS call (longer compiles, faster steps);
        `parts` compiles decode_layer_parts (each product's input stored once). The span
        of cache attention reads is a symbolic size (decode_step marks it dynamic: the scatter
        and the attention do not depend on it), so one compile per batch size and layer kind
        serves every span bucket, and buckets can be fine without a compile per bucket.
        Returns what was done, or why not; the eager layer stays the fallback."""
        if self.device.type != "cuda":
            self.fused_why = "eager: torch.compile is used on CUDA only"
            return self.fused_why
        try:
            import torch._dynamo as dynamo

            # One compile per (attention bucket, batch, layer kind); the default limit of 8
            # recompiles would silently send later buckets back to eager.
            dynamo.config.recompile_limit = max(dynamo.config.recompile_limit, 64)
            self.fused = torch.compile(decode_layer_parts if parts else decode_layer,
                                       fullgraph=True, dynamic=False,
                                       options={"coordinate_descent_tuning": tuned})
            self.fused_parts = parts
            self.fused_why = "fused: torch.compile (inductor" + (
                ", coordinate-descent tuning" if tuned else "") + (
                ", product inputs stored)" if parts else ")")
        except Exception as exc:  # no triton, no compiler: the eager layer is correct
            self.fused_why = f"eager: torch.compile unavailable ({type(exc).__name__}: {exc})"
        return self.fused_why

    def _fused_layer(self, *args: Any) -> torch.Tensor:
        """The compiled layer; a compile that fails (it runs at the first call, outside any
        graph capture: the stepper warms up first) leaves the eager layer for good."""
        assert self.fused is not None
        try:
            out = self.fused(*args)
            return out[0] if self.fused_parts else out
        except Exception as exc:
            if torch.cuda.is_current_stream_capturing():
                raise
            self.fused, self.fused_why = None, f"eager: torch.compile failed ({exc})"[:300]
            return decode_layer(*args)

    @property
    def steps(self) -> int:
        return self.shape.steps

    @property
    def max_position_embeddings(self) -> int:
        return self.positions

    def nbytes(self) -> int:
        tensors = [t for w in self.layers for t in vars(w).values() if t is not None]
        tensors += [self.norm, self.embed] + ([] if self.lm_head is self.embed
                                              else [self.lm_head])
        return sum(t.numel() * t.element_size() for t in tensors)

    def new_cache(self, capacity: int, batch: int = 1) -> StaticCache:
        return StaticCache(self.shape, capacity, self.dtype, self.device, batch)

    # -- the forward -------------------------------------------------------------------
    def embed_ids(self, ids: torch.Tensor) -> torch.Tensor:
        """[T] token ids -> [T, H]."""
        return self.embed.index_select(0, ids)

    def step(self, h: torch.Tensor, t: int, positions: torch.Tensor, cache: StaticCache,
             span: int) -> torch.Tensor:
        """Loop step `t` over rows h [T, H] of the cache's first sequence at `positions` [T]
        (a prefill chunk): every layer, then the final norm. Keys and values go into the
        cache; attention reads its first `span` positions."""
        s = self.shape
        cos = self.cos.index_select(0, positions)[:, None, :]
        sin = self.sin.index_select(0, positions)[:, None, :]
        keys = self.key_index[:span]
        causal = keys[None, :] <= positions[:, None]  # [T, span]
        dims = (s.heads, s.kv_heads, s.head_dim, s.inter, s.eps)
        for i, w in enumerate(self.layers):
            mask = causal
            if s.windows[i] is not None:
                mask = causal & (keys[None, :] > positions[:, None] - s.windows[i])
            slot = t * s.layers + i
            h = layer_forward(h, w.qkv, w.o, w.gate_up, w.down, w.attn_in, w.attn_out,
                              w.mlp_in, w.mlp_out, cos, sin, positions,
                              cache.k[slot, 0, :, :span], cache.v[slot, 0, :, :span], mask,
                              dims)
        return rms_norm(h, self.norm, s.eps)

    def decode_step(self, h: torch.Tensor, t: int, position: torch.Tensor,
                    cache: StaticCache, span: int) -> torch.Tensor:
        """Loop step `t` for one token of each of the cache's sequences, h [B, H], all at
        `position` [1]: every layer (the fused one when there is one), then the final norm."""
        s = self.shape
        cos = self.cos.index_select(0, position)  # [1, d]
        sin = self.sin.index_select(0, position)
        cos = torch.stack((cos, torch.ones_like(cos)), 1)  # [1, 2, d]: keys', then values'
        sin = torch.stack((sin, torch.zeros_like(sin)), 1)
        keys = self.key_index[:span]
        masks = {w: decode_mask(keys, position, w, self.dtype) for w in set(s.windows)}
        layer = self._fused_layer if self.fused is not None else decode_layer
        dims = (s.heads, s.kv_heads, s.head_dim, s.inter, s.eps, self.attention)
        if self.fused is not None:  # one compile serves every span (see fuse())
            for mask in masks.values():
                torch._dynamo.maybe_mark_dynamic(mask, 1)
        for i, w in enumerate(self.layers):
            slot = t * s.layers + i
            kv = cache.kv[slot, :, :, :, :span]
            if self.fused is not None:
                torch._dynamo.maybe_mark_dynamic(kv, 3)
            h = layer(h, w.qkv, w.o, w.gate_up, w.down, w.attn_in, w.attn_out, w.mlp_in,
                      w.mlp_out, cos, sin, position, kv, masks[s.windows[i]], dims)
        return rms_norm(h, self.norm, s.eps)

    def gate(self, h: torch.Tensor) -> torch.Tensor:
        """λ for each row of h [T, H] (float32); a model without a gate never exits early."""
        if self.gate_weights is None:
            return torch.zeros(h.shape[0], device=h.device)
        weight, bias = self.gate_weights
        return torch.sigmoid((h @ weight.T + bias).squeeze(-1).float())

    def logits(self, h: torch.Tensor) -> torch.Tensor:
        """The last row of h [T, H] -> logits [V] in float32."""
        return (h[-1:] @ self.lm_head.T)[0].float()

    def row_logits(self, h: torch.Tensor) -> torch.Tensor:
        """Every row of h [B, H] -> logits [B, V] in float32."""
        return (h @ self.lm_head.T).float()

    def forward(self, ids: torch.Tensor, positions: torch.Tensor, cache: StaticCache,
                span: int) -> torch.Tensor:
        """Full depth over ids [T] at positions [T] (a prefill chunk); the last row's
        logits."""
        h = self.embed_ids(ids)
        for t in range(self.shape.steps):
            h = self.step(h, t, positions, cache, span)
        return self.logits(h)

    def decode(self, tokens: torch.Tensor, position: torch.Tensor, cache: StaticCache,
               span: int) -> torch.Tensor:
        """Full depth for one token of each of the cache's sequences, tokens [B], all at
        `position` [1]; logits [B, V]."""
        h = self.embed_ids(tokens)
        for t in range(self.shape.steps):
            h = self.decode_step(h, t, position, cache, span)
        return self.row_logits(h)

    # -- construction ------------------------------------------------------------------
    @classmethod
    def from_state(cls, shape: Shape, get: Getter, device: torch.device | str,
                   dtype: torch.dtype, tied: bool) -> GpuModel:
        """From checkpoint-named tensors (Ouro's and Llama's names agree but for Ouro's
        extra norms and gate); each is moved once, fused where the forward fuses."""
        def put(*names: str) -> torch.Tensor:
            parts = [get(n).to(device=device, dtype=dtype) for n in names]
            return (parts[0] if len(parts) == 1 else torch.cat(parts)).contiguous()

        layers = []
        for i in range(shape.layers):
            p = f"model.layers.{i}"
            attn, mlp = f"{p}.self_attn", f"{p}.mlp"
            layers.append(LayerWeights(
                qkv=put(f"{attn}.q_proj.weight", f"{attn}.k_proj.weight",
                        f"{attn}.v_proj.weight"),
                o=put(f"{attn}.o_proj.weight"),
                gate_up=put(f"{mlp}.gate_proj.weight", f"{mlp}.up_proj.weight"),
                down=put(f"{mlp}.down_proj.weight"),
                attn_in=put(f"{p}.input_layernorm.weight"),
                mlp_in=put(f"{p}.post_attention_layernorm.weight"),
                attn_out=put(f"{p}.input_layernorm_2.weight") if shape.sandwich else None,
                mlp_out=put(f"{p}.post_attention_layernorm_2.weight") if shape.sandwich
                else None))
        embed = put("model.embed_tokens.weight")
        gate = (put("model.early_exit_gate.weight"), put("model.early_exit_gate.bias")) \
            if shape.gated else None
        return cls(shape, layers, put("model.norm.weight"), embed,
                   embed if tied else put("lm_head.weight"), gate)

    @classmethod
    def from_ouro(cls, model: Any, device: torch.device | str,
                  dtype: torch.dtype = torch.bfloat16) -> GpuModel:
        """From a loaded OuroForCausalLM (kernel/ouro_model.py)."""
        return cls.from_state(Shape.of_ouro(model.config), _getter(model.state_dict()), device,
                              dtype, bool(model.config.tie_word_embeddings))

    @classmethod
    def from_hf(cls, model: Any, device: torch.device | str,
                dtype: torch.dtype = torch.bfloat16) -> GpuModel:
        """From a loaded transformers Llama-family model (a merged LoRA included)."""
        from kernel.fast_plain import supports

        config = model.config.to_dict()
        if not supports(config):
            raise ValueError(f"the GPU forward does not cover {config.get('model_type')!r} "
                             "models (biases, rope scaling or another architecture)")
        state = model.state_dict()
        tied = bool(config.get("tie_word_embeddings")) or "lm_head.weight" not in state
        return cls.from_state(Shape.of_llama(config), _getter(state), device, dtype, tied)

    @classmethod
    def random(cls, shape: Shape, device: torch.device | str,
               dtype: torch.dtype = torch.bfloat16, seed: int = 0,
               tied: bool = False) -> GpuModel:
        """Random weights of `shape`, made on the device: the bench's Ouro-1.4B-shaped
        checkpoint (5.6 GB in float32) never passes through the CPU."""
        gen = torch.Generator(device=device).manual_seed(seed)
        h, d, inter = shape.hidden, shape.head_dim, shape.inter
        sizes = {"q_proj": (shape.heads * d, h), "k_proj": (shape.kv_heads * d, h),
                 "v_proj": (shape.kv_heads * d, h), "o_proj": (h, shape.heads * d),
                 "gate_proj": (inter, h), "up_proj": (inter, h), "down_proj": (h, inter),
                 "embed_tokens": (shape.vocab, h), "lm_head": (shape.vocab, h),
                 "early_exit_gate": (1, h)}

        def get(name: str) -> torch.Tensor:
            if name.endswith("bias"):
                return torch.zeros(1, device=device)
            if "norm" in name:  # a norm's weight, near 1 so states keep their scale
                return 1.0 + 0.1 * torch.rand(h, generator=gen, device=device)
            size = sizes[name.split(".")[-2]]
            return 0.02 * torch.randn(size, generator=gen, device=device)

        return cls.from_state(shape, get, device, dtype, tied)
