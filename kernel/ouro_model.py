"""Ouro: a looped (weight-tied, recurrent-depth) decoder-only transformer.

One file, no framework magic. The same stack of `num_hidden_layers` decoder layers is run
`total_ut_steps` times; after each step the final norm is applied, and that normed state
both feeds the next step and is the step's output (logits via lm_head, exit gate via
early_exit_gate). Parameter names match the published Hugging Face checkpoints, so a real
`ByteDance/Ouro-1.4B` directory loads unchanged.

Shapes: B batch, T new tokens, S cached+new tokens, H hidden, Nh heads, Nkv kv heads,
D head_dim.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from kernel.kv_cache import KVCache


@dataclass
class OuroConfig:
    vocab_size: int = 49152
    hidden_size: int = 2048
    intermediate_size: int = 5632
    num_hidden_layers: int = 24
    num_attention_heads: int = 16
    num_key_value_heads: int = 16
    head_dim: int = 128
    total_ut_steps: int = 4
    rope_theta: float = 1_000_000.0
    rms_norm_eps: float = 1e-6
    max_position_embeddings: int = 65536
    tie_word_embeddings: bool = False
    bos_token_id: int = 0
    eos_token_id: int = 0
    pad_token_id: int | None = None
    layer_types: list[str] | None = None
    sliding_window: int | None = None
    early_exit_threshold: float | None = None
    early_exit_step: int | None = None
    torch_dtype: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.pad_token_id is None:  # null in the published file; the bos id stands in
            self.pad_token_id = self.bos_token_id
        if self.hidden_size % self.num_attention_heads and not self.head_dim:
            raise ValueError("hidden_size must divide by num_attention_heads")
        if self.num_attention_heads % self.num_key_value_heads:
            raise ValueError("num_attention_heads must be a multiple of num_key_value_heads")
        if self.total_ut_steps < 1:
            raise ValueError("total_ut_steps must be >= 1")
        if self.layer_types is not None and len(self.layer_types) != self.num_hidden_layers:
            raise ValueError("layer_types must list one type per layer")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> OuroConfig:
        if data.get("model_type") != "ouro":
            raise ValueError(f"not an Ouro config (model_type={data.get('model_type')!r})")
        known = {f.name for f in fields(cls)} - {"extra"}
        kwargs = {k: v for k, v in data.items() if k in known}
        if kwargs.get("head_dim") is None:
            kwargs["head_dim"] = data["hidden_size"] // data["num_attention_heads"]
        return cls(**kwargs, extra={k: v for k, v in data.items() if k not in known})

    @classmethod
    def from_file(cls, path: Path) -> OuroConfig:
        return cls.from_dict(json.loads(path.read_text()))

    def to_dict(self) -> dict[str, Any]:
        out = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "extra"}
        return {"model_type": "ouro", **self.extra, **out}

    def window(self, layer: int) -> int | None:
        """The sliding window of `layer`, or None for full attention."""
        if self.layer_types and self.layer_types[layer] == "sliding_attention":
            return self.sliding_window
        return None


class RMSNorm(nn.Module):
    def __init__(self, size: int, eps: float):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(size))
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x32 = x.float()  # statistics in float32 whatever the weights' dtype
        x32 = x32 * torch.rsqrt(x32.pow(2).mean(-1, keepdim=True) + self.eps)
        return self.weight * x32.to(x.dtype)


def rotary(positions: torch.Tensor, head_dim: int, theta: float,
           dtype: torch.dtype) -> tuple[torch.Tensor, torch.Tensor]:
    """cos, sin of shape [T, D] for the standard rotate-half RoPE."""
    inv_freq = 1.0 / (theta ** (torch.arange(0, head_dim, 2, dtype=torch.float32,
                                             device=positions.device) / head_dim))
    freqs = positions.float()[:, None] * inv_freq[None, :]  # [T, D/2]
    emb = torch.cat((freqs, freqs), dim=-1)
    return emb.cos().to(dtype), emb.sin().to(dtype)


def _rotate_half(x: torch.Tensor) -> torch.Tensor:
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


def apply_rope(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    return x * cos + _rotate_half(x) * sin  # x: [B, N, T, D]; cos/sin broadcast from [T, D]


def attention_mask(q_len: int, kv_len: int, window: int | None,
                   device: torch.device) -> torch.Tensor | None:
    """Boolean [T, S] mask (True = attend) for T new queries after S - T cached keys, or
    None when plain attention over everything is already right (one query, no window)."""
    if q_len == 1 and (window is None or kv_len <= window):
        return None
    q_pos = torch.arange(kv_len - q_len, kv_len, device=device)[:, None]
    k_pos = torch.arange(kv_len, device=device)[None, :]
    mask = k_pos <= q_pos
    if window is not None:
        mask &= k_pos > q_pos - window
    return mask


class Attention(nn.Module):
    def __init__(self, cfg: OuroConfig, layer: int):
        super().__init__()
        self.cfg, self.layer = cfg, layer
        nh, nkv, d = cfg.num_attention_heads, cfg.num_key_value_heads, cfg.head_dim
        self.q_proj = nn.Linear(cfg.hidden_size, nh * d, bias=False)
        self.k_proj = nn.Linear(cfg.hidden_size, nkv * d, bias=False)
        self.v_proj = nn.Linear(cfg.hidden_size, nkv * d, bias=False)
        self.o_proj = nn.Linear(nh * d, cfg.hidden_size, bias=False)

    def forward(self, x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor,
                cache: KVCache | None, slot: int) -> torch.Tensor:
        b, t, _ = x.shape
        nh, nkv, d = self.cfg.num_attention_heads, self.cfg.num_key_value_heads, self.cfg.head_dim
        q = self.q_proj(x).view(b, t, nh, d).transpose(1, 2)  # [B, Nh, T, D]
        k = self.k_proj(x).view(b, t, nkv, d).transpose(1, 2)  # [B, Nkv, T, D]
        v = self.v_proj(x).view(b, t, nkv, d).transpose(1, 2)
        q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
        if cache is not None:
            k, v = cache.append(slot, k, v)  # [B, Nkv, S, D]
        if nkv != nh:  # grouped-query attention
            k = k.repeat_interleave(nh // nkv, dim=1)
            v = v.repeat_interleave(nh // nkv, dim=1)
        mask = attention_mask(t, k.shape[2], self.cfg.window(self.layer), x.device)
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, scale=d ** -0.5)
        return self.o_proj(out.transpose(1, 2).reshape(b, t, nh * d))


class MLP(nn.Module):
    def __init__(self, cfg: OuroConfig):
        super().__init__()
        self.gate_proj = nn.Linear(cfg.hidden_size, cfg.intermediate_size, bias=False)
        self.up_proj = nn.Linear(cfg.hidden_size, cfg.intermediate_size, bias=False)
        self.down_proj = nn.Linear(cfg.intermediate_size, cfg.hidden_size, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class DecoderLayer(nn.Module):
    """Sandwich norms: h += norm_2(attn(norm_1(h))); h += post_2(mlp(post_1(h)))."""

    def __init__(self, cfg: OuroConfig, layer: int):
        super().__init__()
        self.self_attn = Attention(cfg, layer)
        self.mlp = MLP(cfg)
        self.input_layernorm = RMSNorm(cfg.hidden_size, cfg.rms_norm_eps)
        self.input_layernorm_2 = RMSNorm(cfg.hidden_size, cfg.rms_norm_eps)
        self.post_attention_layernorm = RMSNorm(cfg.hidden_size, cfg.rms_norm_eps)
        self.post_attention_layernorm_2 = RMSNorm(cfg.hidden_size, cfg.rms_norm_eps)

    def forward(self, h: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor,
                cache: KVCache | None, slot: int) -> torch.Tensor:
        h = h + self.input_layernorm_2(self.self_attn(self.input_layernorm(h), cos, sin,
                                                      cache, slot))
        return h + self.post_attention_layernorm_2(self.mlp(self.post_attention_layernorm(h)))


class OuroBackbone(nn.Module):
    """`model.*` in the checkpoint."""

    def __init__(self, cfg: OuroConfig):
        super().__init__()
        self.embed_tokens = nn.Embedding(cfg.vocab_size, cfg.hidden_size)
        self.layers = nn.ModuleList(DecoderLayer(cfg, i) for i in range(cfg.num_hidden_layers))
        self.norm = RMSNorm(cfg.hidden_size, cfg.rms_norm_eps)
        self.early_exit_gate = nn.Linear(cfg.hidden_size, 1)


@dataclass
class LoopOutput:
    """Per-step results of a full-depth pass: index t is loop step t."""

    hidden: list[torch.Tensor]  # each [B, T, H], the normed state after step t
    logits: list[torch.Tensor]  # each [B, T, V]; logits_for="last": one, [B, 1, V]
    gates: list[torch.Tensor]  # each [B, T], lambda_t = sigmoid(early_exit_gate(h_t))


class OuroForCausalLM(nn.Module):
    def __init__(self, cfg: OuroConfig):
        super().__init__()
        self.config = cfg
        self.model = OuroBackbone(cfg)
        self.lm_head = nn.Linear(cfg.hidden_size, cfg.vocab_size, bias=False)
        if cfg.tie_word_embeddings:
            self.lm_head.weight = self.model.embed_tokens.weight

    @property
    def steps(self) -> int:
        return self.config.total_ut_steps

    def slot(self, step: int, layer: int) -> int:
        """KV-cache slot of (loop step, layer)."""
        return step * self.config.num_hidden_layers + layer

    def new_cache(self, int8: bool = False) -> KVCache:
        return KVCache(self.steps * self.config.num_hidden_layers, int8=int8)

    def rope(self, start: int, length: int) -> tuple[torch.Tensor, torch.Tensor]:
        # The embedding, never quantized, carries the compute dtype (an int8 lm_head does not).
        embed = self.model.embed_tokens.weight
        positions = torch.arange(start, start + length, device=embed.device)
        return rotary(positions, self.config.head_dim, self.config.rope_theta, embed.dtype)

    def embed(self, input_ids: torch.Tensor) -> torch.Tensor:
        return self.model.embed_tokens(input_ids)

    def step(self, h: torch.Tensor, t: int, cos: torch.Tensor, sin: torch.Tensor,
             cache: KVCache | None) -> torch.Tensor:
        """One loop step: all layers, then the shared final norm."""
        for i, layer in enumerate(self.model.layers):
            h = layer(h, cos, sin, cache, self.slot(t, i))
        return self.model.norm(h)

    def gate(self, h: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.model.early_exit_gate(h).squeeze(-1).float())

    def forward(self, input_ids: torch.Tensor, cache: KVCache | None = None,
                steps: int | None = None, logits_for: str = "all") -> LoopOutput:
        """Full-depth pass over `input_ids` ([B, T]) appended after what `cache` holds.
        `logits_for="last"` computes logits for the final position of the final step only
        (then `logits` holds that one entry: the lm_head is a large share of a token's
        work, and cached decoding reads nothing else)."""
        start = cache.length(self.slot(0, 0)) if cache is not None else 0
        cos, sin = self.rope(start, input_ids.shape[1])
        h = self.embed(input_ids)
        out = LoopOutput([], [], [])
        for t in range(steps or self.steps):
            h = self.step(h, t, cos, sin, cache)
            out.hidden.append(h)
            out.gates.append(self.gate(h))
            if logits_for == "all":
                out.logits.append(self.lm_head(h))
        if logits_for != "all":
            out.logits.append(self.lm_head(h[:, -1:]))
        return out


def exit_distribution(gates: torch.Tensor) -> torch.Tensor:
    """p over steps from per-step gates [..., T_steps]: p_t = lambda_t * S_{t-1} for t < T-1,
    S_t = S_{t-1} * (1 - lambda_t), S_{-1} = 1; the last step takes what remains."""
    survival = torch.ones_like(gates[..., 0])
    probs = []
    for t in range(gates.shape[-1] - 1):
        probs.append(gates[..., t] * survival)
        survival = survival * (1 - gates[..., t])
    probs.append(survival)
    return torch.stack(probs, dim=-1)


def qexit_steps(gates: torch.Tensor, q: float) -> torch.Tensor:
    """Per token, the first step whose cumulative exit probability reaches q (else last)."""
    cdf = exit_distribution(gates).cumsum(-1)
    reached = cdf >= q - 1e-7
    reached[..., -1] = True
    return reached.float().argmax(-1)
